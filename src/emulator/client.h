/*
 * client.h - the client endpoint /client: negotiate, connect, CORS.
 *
 * POST /client/negotiate?hub=H: checks the token (aud path /client, hub H)
 * and answers the negotiate response (v1, or v0 when the client sends no
 * negotiateVersion) listing WebSockets, ServerSentEvents, LongPolling in
 * that order, with "useStatefulReconnect": true when asked
 * (?useStatefulReconnect=true). A WebSocket with the token of a stateful
 * connection already open resumes it (conn_resume_ws). /client/?hub=H&id=T: a
 * WebSocket upgrade (handed to ws.c through MHD_create_response_for_upgrade),
 * an SSE stream (Accept: text/event-stream), a long poll (other GETs), a send
 * (POST) or a stop (DELETE), as the @microsoft/signalr client drives each
 * transport. OPTIONS anywhere under /client is the CORS preflight. Not the hub
 * protocol (conn.c) nor the REST API (rest.c).
 */
#ifndef EMULATOR_CLIENT_H
#define EMULATOR_CLIENT_H

#include <microhttpd.h>

#include "emulator/auth.h"
#include "emulator/conn.h"
#include "emulator/tier.h"
#include "emulator/http.h"
#include "emulator/loop.h"

/* What the client endpoint works with; every pointer borrowed. */
struct client_env {
    struct conns *conns;          /* negotiated connections live here */
    const struct auth_keys *keys; /* client tokens are checked with these */
    const struct loop *loop;      /* the clock */
    struct tier *tier;            /* NULL: no tier simulated */
};

/* Handle one /client request on its final access-handler call (body
 * complete, or a suspended poll/stream resumed). */
enum MHD_Result client_handle(struct client_env *e, struct http_req *r,
                              const char *url, const char *method);
/* r is finished (http.h's on_done): a closed event stream ends its
 * connection; a long poll that went away is remembered as the last one. */
void client_request_done(struct client_env *e, struct http_req *r);

#endif
