/*
 * invoker.h - the host's HTTP client to the handler:
 * POST http://127.0.0.1:<port>/<function> with the three host
 * headers (User-Agent, X-Azure-Functions-HostVersion,
 * X-Azure-Functions-InvocationId), Content-Type application/json;
 * charset=utf-8 and the body sent chunked, over kept-alive connections
 * (a small pool of libcurl handles); and the readiness probe GET /.
 *
 * Not the interpretation of the reply (result.h). Thread-safe. Never logs.
 */
#ifndef HOST_INVOKER_H
#define HOST_INVOKER_H

#include <stddef.h>

#include "host/curlpool.h"

#define INVOKER_HOST_VERSION "4.1036.1.0"
#define INVOKER_TIMEOUT (-2)

struct invoker;

struct invoker_reply {
    long status;
    char *content_type; /* NULL when the reply had none */
    char *body;         /* never NULL after success */
    size_t len;
};

/* A client with an empty handle pool. Never NULL. */
struct invoker *invoker_new(void);
void invoker_free(struct invoker *iv);

/* POST body (borrowed) to /fn on 127.0.0.1:port. timeout_ms 0 = none.
 * Returns 0 and fills out (release it); -1 with the reason in err (no
 * answer, or a reply over LIMIT_INVOKE_REPLY); or INVOKER_TIMEOUT when
 * timeout_ms passed without a full reply. */
int invoker_post(struct invoker *iv, int port, const char *fn,
                 const char *invocation_id, const char *body, size_t len,
                 long timeout_ms, struct invoker_reply *out, char *err,
                 size_t errlen);
void invoker_reply_release(struct invoker_reply *r);

/* The client's pool of kept-alive handles to the handler (borrowed), for
 * the other calls the host makes to it (forward.h). */
struct curlpool *invoker_pool(struct invoker *iv);

/* GET / once. Returns 1 when any HTTP answer came back, 0 otherwise. */
int invoker_probe(int port, long timeout_ms);

#endif
