/*
 * server.h - the handler's HTTP side: libmicrohttpd plumbing around one
 * dispatch step (decode the envelope once, route, call, encode once).
 *
 * GET / answers 200 at once (the host's readiness and health probe).
 * POST /{function} runs the function; the reply is always 200
 * application/json with Outputs, Logs and ReturnValue, except for requests
 * the host could not have sent (unknown function 404, wrong method 405,
 * envelope over LIMIT_INVOKE_BODY 413, malformed envelope 400): those get a
 * JSON {"error"} and a log line, and the server keeps serving.
 */
#ifndef HANDLER_SERVER_H
#define HANDLER_SERVER_H

#include <stddef.h>

struct stats;

struct server_config {
    int listen_fd;          /* bound, listening socket (taken) */
    unsigned threads;       /* worker threads */
    const char *www_root;   /* borrowed for the server's life */
    const char *connstr;    /* borrowed; may be NULL */
};

struct server;

/* Start serving. Returns NULL with a reason in err. */
struct server *server_start(const struct server_config *cfg, char *err,
                            size_t errlen);
/* Stop accepting (a new request on a kept-alive connection gets 503 with
 * Connection: close), let requests in flight finish for up to grace_ms, then
 * stop and free everything. Returns the number of requests that were still
 * running when the grace period ended. */
unsigned server_stop(struct server *s, unsigned grace_ms);

/* The dispatch step without sockets: run function `name` on the envelope
 * text, as POST /name would. Sets *status (HTTP status of the transport
 * reply) and returns the reply body (new string, caller frees). stats may
 * be shared across calls; invocation_id may be NULL. */
char *server_dispatch(struct stats *stats, const char *www_root,
                      const char *connstr, const char *name,
                      const char *body, size_t len,
                      const char *invocation_id, int *status);

#endif
