/*
 * clientres.h - client results: REST :invoke calls waiting for a client's
 * Completion (2024-12-01, POST /api/hubs/{hub}/connections/{id}/:invoke).
 *
 * clientres_start sends the client an Invocation with a fresh
 * invocationId and holds the REST request (suspended); the client's
 * Completion for that id (clientres_completion, the connection table's
 * completion hook), the connection's end, the timeout or the service's
 * stop decides the answer, and the held request is resumed to send it:
 *   200 {"result": <the client's result>}      the client answered;
 *   500 {"error": "<the client's error>"}      it answered with an error;
 *   404 x-ms-error-code Warning.Connection.NotExisted
 *                                              no such open connection, or
 *                                              it closed before answering;
 *   504 {"error": ...}                         no answer within the timeout;
 *   429 "Message count reaches limit."         the tier's daily quota is
 *                                              used up (tier.h);
 *   503 {"error": ...}                         the service is stopping.
 * The swagger gives the 200 body only (ClientInvocationResponse; "protocol"
 * is for protocols other than JSON and MessagePack, so never sent here);
 * the error statuses are the emulator's choice. Connections are found by
 * hub and id through the registry on every check, never kept as
 * pointers. Owns its pending calls; borrows the registry and the held
 * requests (forgotten in clientres_request_done).
 */
#ifndef EMULATOR_CLIENTRES_H
#define EMULATOR_CLIENTRES_H

#include <microhttpd.h>

#include <json-c/json.h>

#include "emulator/conn.h"
#include "emulator/http.h"
#include "emulator/hub.h"
#include "proto/hubproto.h"

/* Default wait for a client's Completion (--invoke-timeout-ms). */
#define CLIENTRES_TIMEOUT_MS 60000

struct clientres;

struct clientres *clientres_new(struct registry *reg, long long timeout_ms);
/* Free every pending call (their requests must be gone: see
 * clientres_stop). NULL is a no-op. */
void clientres_free(struct clientres *cr);

/* Send target(arguments) (borrowed) to c with an invocationId and hold r
 * until it is decided. Answers at once (404) when c is NULL or not open. */
enum MHD_Result clientres_start(struct clientres *cr, struct http_req *r,
                                struct conn *c, const char *target,
                                struct json_object *arguments,
                                long long now_ms);

/* r came back (resumed): when it is one of ours, answer it (or hold it
 * again), set *ret and return 1; otherwise return 0. */
int clientres_resumed(struct clientres *cr, struct http_req *r,
                      enum MHD_Result *ret);

/* A Completion from connection c (the table's completion hook). */
void clientres_completion(void *arg, struct conn *c,
                          const struct hubproto_msg *m);

/* Once per loop turn: decide the calls whose client is gone or whose
 * time is up. */
void clientres_check(struct clientres *cr, long long now_ms);
/* Pending calls, decided or not. */
size_t clientres_pending(const struct clientres *cr);

/* libmicrohttpd is done with r (the caller went away): forget it. */
void clientres_request_done(struct clientres *cr, struct http_req *r);

/* The service is stopping: every pending call is answered 503. */
void clientres_stop(struct clientres *cr);

#endif
