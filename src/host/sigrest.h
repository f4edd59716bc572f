/*
 * sigrest.h - one SignalR data-plane REST call, made with libcurl as the
 * Management SDK makes it (tests/vectors/signalr-rest-broadcast-expected.json):
 * Authorization: Bearer
 * <JWT with nameid, nbf/iat/exp, aud = aud base + path + query (no port)>,
 * Asrs-User-Agent, a JSON body streamed chunked for sends, a bounded
 * timeout. Status classification follows the SDK: 2xx succeeds; 404 with
 * x-ms-error-code Error.Connection.NotExisted succeeds where the call
 * allows it; anything else fails with the SDK's exception name.
 *
 * Not the planner (sigout.h). Never logs; err never holds the token.
 * Thread-safe: each call takes its own handle from the pool.
 */
#ifndef HOST_SIGREST_H
#define HOST_SIGREST_H

#include <stddef.h>

#include "host/curlpool.h"
#include "host/sigout.h"
#include "proto/connstr.h"

#define SIGREST_TIMEOUT_MS 10000L

/* The nameid claim: "<hostname>_<32 hex>", made once per process.
 * Borrowed, static. */
const char *sigrest_server_name(void);

/* Perform call against cs, on a handle from pool (connections are kept
 * alive between calls). Returns 0 on success, or -1 with a reason naming
 * the method, path and status in err. *status gets the HTTP status (0 when
 * no answer) when status is not NULL. */
int sigrest_call(struct curlpool *pool, const struct connstr *cs,
                 const struct sigout_call *call, long timeout_ms, long *status,
                 char *err, size_t errlen);

/* The Bearer token for a REST request to path (begins with '/', includes
 * the query), valid from now for an hour. New string (caller frees), or
 * NULL on failure. */
char *sigrest_token(const struct connstr *cs, const char *path, long now);

#endif
