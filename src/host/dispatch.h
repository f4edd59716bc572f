/*
 * dispatch.h - one function invocation, end to end, as the host runs it:
 * resolve the input bindings (signalRConnectionInfo), build the request
 * (payload.h), wait for the handler to be ready, POST it (invoker.h),
 * check the reply (result.h), print its Logs with the function name and
 * invocation id, write the signalR outputs as REST calls (sigout.h,
 * sigrest.h) and map the http output for the caller.
 *
 * Any failure fails the invocation: an HTTP caller gets 500 with
 * {"error": "..."} and a log line says why. Also runs non-HTTP
 * invocations on their own threads (timer fires, the admin endpoint) and
 * counts them so shutdown can wait for them.
 */
#ifndef HOST_DISPATCH_H
#define HOST_DISPATCH_H

#include <json-c/json.h>

#include "host/app.h"
#include "host/invoker.h"
#include "host/payload.h"
#include "host/qxml.h"
#include "host/result.h"
#include "host/sigtrigger.h"
#include "host/worker.h"

struct dispatch;

/* app, worker and invoker are borrowed and must outlive the dispatcher. */
struct dispatch *dispatch_new(const struct app *app, struct worker *worker,
                              struct invoker *invoker);
void dispatch_free(struct dispatch *d);

/* Run HTTP-triggered fn for req (params: route parameters, borrowed).
 * Fills out with what the caller gets, always. Returns 0, or -1 when the
 * invocation failed (out is then the 500). */
int dispatch_http(struct dispatch *d, const struct app_function *fn,
                  const struct payload_http *req, struct json_object *params,
                  struct result_http *out);

/* One upstream request from SignalR Service (POST
 * /runtime/webhooks/signalr), as the extension's trigger dispatcher
 * handles it: 415 content type, 400 routing headers, 404 no matching
 * signalRTrigger, 401 signature, 400 body; then the invocation. out gets
 * what the service receives: for an invocation with an id, 200 and a
 * Completion record (the ReturnValue, or the failure as "error"); for
 * other messages and disconnections 200 with no body; for connected, 200,
 * or 403 when the function failed. Returns 0, or -1 when the request was
 * refused or the invocation failed. */
int dispatch_upstream(struct dispatch *d, const struct sigtrigger_req *req,
                      struct result_http *out);

/* Run a non-HTTP function now on the calling thread (timer: TimerInfo with
 * past_due; others: the admin input, may be NULL). Returns 0 or -1. */
int dispatch_run(struct dispatch *d, const struct app_function *fn,
                 int past_due, const char *input);

/* Run queue-triggered fn for message m whose decoded text is text, on the
 * calling thread. Returns 0, or -1 when the invocation failed. */
int dispatch_queue(struct dispatch *d, const struct app_function *fn,
                   const struct qmsg *m, const char *text);

/* The same on a new detached thread; returns at once (0, or -1 when no
 * thread could be started or the dispatcher is draining). */
int dispatch_spawn(struct dispatch *d, const struct app_function *fn,
                   int past_due, const char *input);

/* Refuse new spawned runs and wait up to timeout_ms for running ones.
 * Returns the number still running. */
int dispatch_drain(struct dispatch *d, long timeout_ms);

#endif
