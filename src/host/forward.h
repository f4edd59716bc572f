/*
 * forward.h - the host's forwarding of HTTP-only functions
 * (DefaultHttpWorkerService.ProcessHttpInAndOutInvocationRequest): a
 * function whose only bindings are an httpTrigger and an http output gets
 * the caller's request as it came, not an envelope, when the app uses the
 * legacy httpWorker section or sets enableForwardingHttpRequest; its raw
 * reply (status, headers, body, any status) goes back to the caller.
 *
 *   path     customHandler: the request's path as received (/api/...);
 *            httpWorker: /<function name>
 *   query    rebuilt from the parsed query: one entry per name (names
 *            compared case-insensitively, repeated values joined with
 *            ","), "name=value" with both escaped as .NET's UrlEncoder
 *            does (all but A-Z a-z 0-9 - . _ ~ ! $ ( ) * , ; @)
 *   headers  every request header as received, Host included, except the
 *            content headers (Content-Type and Content-Length go only with
 *            a body) and those of the connection itself (Connection,
 *            Keep-Alive, Transfer-Encoding, Expect, Upgrade, TE,
 *            Proxy-Connection); User-Agent gets " Azure-Functions-Host/<v>"
 *            appended; X-Azure-Functions-HostVersion and
 *            X-Azure-Functions-InvocationId are the host's
 *   body     only when Content-Length > 0 (a chunked request's body is
 *            not forwarded, as with the host)
 *   reply    status and body as they are; every header but Content-Length
 *            and the connection's own (Connection, Keep-Alive, and
 *            Transfer-Encoding when it is just "chunked")
 *   redirects  followed by the host only when enableForwardingHttpRequest
 *            is off (an httpWorker app), else passed to the caller
 *
 * forward_call() does the I/O (libcurl, kept-alive handles); the rest is
 * pure. Never logs.
 */
#ifndef HOST_FORWARD_H
#define HOST_FORWARD_H

#include <stddef.h>

#include "host/app.h"
#include "host/curlpool.h"
#include "host/payload.h"
#include "host/result.h"

/* 1 when fn is forwarded rather than sent an envelope. */
int forward_applies(const struct app *app, const struct app_function *fn);

/* The query string rebuilt as the host does, "" or "?a=1&b=x%20y". New
 * string. */
char *forward_query(const struct payload_kv *q, size_t n);

/* The path and query the handler gets, e.g. "/api/items/1?x=2". url is
 * the caller's absolute URL. New string. */
char *forward_target(const struct app *app, const struct app_function *fn,
                     const char *url, const struct payload_kv *q, size_t n);

/* 1 when a caller's request header is copied as it is. */
int forward_request_header(const char *name);
/* 1 when a handler's reply header goes to the caller. */
int forward_reply_header(const char *name, const char *value);

/* Send req to the handler on 127.0.0.1:port as the host forwards it and
 * fill out with its reply. timeout_ms 0 = none. Returns 0; -1 with the
 * reason in err (no answer, reply too big); or -2 (INVOKER_TIMEOUT) when
 * timeout_ms passed. *body_dropped is set when the request had a body the
 * host does not forward (no Content-Length). */
int forward_call(struct curlpool *pool, int port, const struct app *app,
                 const struct app_function *fn, const char *invocation_id,
                 const struct payload_http *req, long timeout_ms,
                 struct result_http *out, int *body_dropped, char *err,
                 size_t errlen);

#endif
