/*
 * server.h - the runtime's HTTP side: libmicrohttpd plumbing around the
 * dispatch step (dispatch.h).
 *
 * GET / answers 200 at once (the host's readiness and health probe).
 * POST /{function} runs the function; the reply is always 200
 * application/json with Outputs, Logs and ReturnValue, except for requests
 * the host could not have sent (unknown function 404, wrong method 405,
 * envelope over LIMIT_INVOKE_BODY 413, malformed envelope 400) and failed
 * invocations (500): those get a JSON {"error"} and a log line, and the
 * server keeps serving.
 */
#ifndef AZF_SERVER_H
#define AZF_SERVER_H

#include <stddef.h>

struct dispatcher;

struct server_config {
    int listen_fd;                 /* bound, listening socket (taken) */
    unsigned threads;              /* worker threads */
    struct dispatcher *dispatcher; /* borrowed for the server's life */
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

#endif
