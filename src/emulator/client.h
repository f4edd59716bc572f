/*
 * client.h - the client endpoint /client: negotiate, connect, CORS.
 *
 * POST /client/negotiate?hub=H: checks the token (aud path /client, hub H)
 * and answers the negotiate response (v1, or v0 when the client sends no
 * negotiateVersion) listing WebSockets, ServerSentEvents, LongPolling in
 * that order. /client/?hub=H&id=T: a WebSocket upgrade (handed to ws.c
 * through MHD_create_response_for_upgrade), an SSE stream (Accept:
 * text/event-stream), a long poll (other GETs), a send (POST) or a stop
 * (DELETE), as the @microsoft/signalr client drives each transport.
 * OPTIONS anywhere under /client is the CORS preflight. Not the hub
 * protocol (conn.c) nor the REST API (rest.c).
 */
#ifndef EMULATOR_CLIENT_H
#define EMULATOR_CLIENT_H

#include <microhttpd.h>

#include "emulator/server.h"

/* Handle one /client request on its final access-handler call (body
 * complete, or a suspended poll/stream resumed). */
enum MHD_Result client_handle(struct server *s, struct req *r,
                              const char *url, const char *method);

#endif
