/*
 * front.h - the local host's HTTP front (libmicrohttpd, one thread per
 * connection, so an invocation blocked on the handler or on a REST call
 * never holds up another request), on 127.0.0.1 and ::1 (both loopbacks,
 * as ASP.NET Core reads localhost; util/listen.h) or on one --bind address:
 *
 *   /<routePrefix>/<route>       HTTP-triggered functions (route.h)
 *   POST /admin/functions/<name> {"input": "..."} runs a non-HTTP
 *                                function now: 202, as Core Tools does
 *   GET /admin/host/status       {"state": "Running"}
 *   /.auth/...                   App Service Authentication (easyauth.h)
 *   OPTIONS + Origin             CORS preflight per local.settings.json
 *
 * With keys, a function is called only with a key that opens its
 * authLevel, and /admin/... only with the master key (keys.h); otherwise
 * 401 {"error": "..."}. With easyauth, the headers only App Service may
 * set are dropped from every request and set from the session cookie.
 *
 * Every answer to an allowed Origin carries the CORS headers. Bad requests
 * get a 4xx with {"error": "..."} and a log line; request bodies are capped
 * at LIMIT_USER_BODY (413).
 */
#ifndef HOST_FRONT_H
#define HOST_FRONT_H

#include <stddef.h>

#include "host/app.h"
#include "host/dispatch.h"
#include "host/easyauth.h"
#include "host/keys.h"

struct front;

/* What the front enforces (both borrowed). keys NULL: no key is asked for
 * (Core Tools' default); ea NULL: App Service Authentication is off, and
 * principal headers pass through as the client sent them. */
struct front_auth {
    struct keys *keys;
    const struct easyauth *ea;
};

/* Listen on bind (NULL: 127.0.0.1 and ::1) port (0 = any free port, the
 * same on both). app, d and auth are borrowed. Returns NULL with the
 * reason in err. */
struct front *front_start(const struct app *app, struct dispatch *d,
                          const struct front_auth *auth, const char *bind,
                          int port, char *err, size_t errlen);
int front_port(const struct front *s);
/* How many addresses it listens on, and the i-th as in a URL ("127.0.0.1",
 * "[::1]"); the first is the one printed. */
size_t front_hosts(const struct front *s);
const char *front_host(const struct front *s, size_t i);

/* Stop accepting, wait up to drain_ms for requests in flight, then close
 * everything and free s. */
void front_stop(struct front *s, long drain_ms);

/* The CORS decision for origin (pure, for tests): 1 when allowed, with the
 * Access-Control-Allow-Origin value written into out. */
int front_cors_allow(const struct app *app, const char *origin, char *out,
                     size_t outlen);

#endif
