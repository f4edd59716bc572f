/*
 * fn.h - the one signature every function of the app implements.
 *
 * A function is plain JSON in, JSON out: it reads the invocation envelope
 * {"Data", "Metadata"} (borrowed) and fills the response under construction
 * {"Outputs", "Logs", "ReturnValue"} (see proto/invoke.h). It knows nothing
 * of HTTP servers, so every function is tested without a socket.
 *
 * Two kinds of failure, kept apart on purpose (the host processes Outputs
 * and Logs only from a 2xx reply):
 * - a caller's mistake (bad body, missing field) is a normal result: the
 *   function sets Outputs.res to a 4xx with {"error": "..."}, adds no SignalR
 *   output and returns 0, so the host still processes Outputs and Logs;
 * - an envelope the host could never have sent (no Data.req, wrong types)
 *   returns -1 with a message in ctx->err; the server answers 400 and logs.
 *
 * A trigger without an HTTP caller has no res to carry a mistake. When the
 * caller must still learn of it (a SignalR invocation with a bad argument)
 * the function fails the invocation: it returns FN_FAILED with the reason
 * in ctx->err (fn_fail_invocation), the server answers 500 {"error"} and
 * the host fails the invocation, which the SignalR extension reports to the
 * caller as a Completion with an error; no output is written.
 */
#ifndef HANDLER_FN_H
#define HANDLER_FN_H

#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#define FN_HUB "notifications"
/* Return value of a function that failed its invocation (see above). */
#define FN_FAILED 1
/* A chat message (sendMessage) is at most this many bytes of UTF-8. */
#define FN_MESSAGE_MAX 2000

struct stats;

struct fn_ctx {
    struct stats *stats;       /* shared, thread-safe counters */
    const char *www_root;      /* directory served by index, no trailing / */
    const char *connstr;       /* AzureSignalRConnectionString or NULL */
    time_t now;                /* invocation time, UTC */
    char err[256];             /* why an envelope was refused (fn → -1) */
};

typedef int (*fn_handler)(struct fn_ctx *ctx, struct json_object *env,
                          struct json_object *resp);

int fn_negotiate(struct fn_ctx *ctx, struct json_object *env,
                 struct json_object *resp);
int fn_user_negotiate(struct fn_ctx *ctx, struct json_object *env,
                      struct json_object *resp);
int fn_broadcast(struct fn_ctx *ctx, struct json_object *env,
                 struct json_object *resp);
int fn_groups(struct fn_ctx *ctx, struct json_object *env,
              struct json_object *resp);
int fn_status_update(struct fn_ctx *ctx, struct json_object *env,
                     struct json_object *resp);
int fn_index(struct fn_ctx *ctx, struct json_object *env,
             struct json_object *resp);
int fn_send_message(struct fn_ctx *ctx, struct json_object *env,
                    struct json_object *resp);
int fn_presence(struct fn_ctx *ctx, struct json_object *env,
                struct json_object *resp);

/* Shared by the signalRTrigger functions: Data.invocation (the
 * extension's InvocationContext object) with a non-empty ConnectionId, and
 * who sent it (UserId when set, else ConnectionId; borrowed). -1 with
 * ctx->err set when the envelope has none. */
int fn_invocation_context(struct fn_ctx *ctx, struct json_object *env,
                          struct json_object **ic, const char **from);

/* Fail the invocation: ctx->err gets the message, Logs a line. Returns
 * FN_FAILED so a function can `return fn_fail_invocation(...)`. */
int fn_fail_invocation(struct fn_ctx *ctx, struct json_object *resp,
                       const char *fname, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into out. */
void fn_iso_time(time_t t, char *out, size_t outlen);

/* Shared by the HTTP functions: Data.req as an object, or -1 with ctx->err
 * set when the envelope has none. */
int fn_http_req(struct fn_ctx *ctx, struct json_object *env,
                struct json_object **req);

/* Parse the caller's JSON body (Data.req.Body) as an object. On a caller
 * mistake (no body, over LIMIT_USER_BODY, invalid JSON, not an object) it
 * sets Outputs.res to 400/413 naming the problem, logs it and returns -1;
 * else returns 0 with a new reference in *body. */
int fn_json_body(struct json_object *req, struct json_object *resp,
                 const char *fname, struct json_object **body);

/* Refuse members of body not in allowed (NULL-terminated): sets a 400 res
 * naming the first unknown field and returns -1; 0 when all are known. */
int fn_known_fields(struct json_object *body, const char *const *allowed,
                    struct json_object *resp, const char *fname);

/* An optional string member of a caller's body: *out = its value (borrowed)
 * or NULL when absent. A non-string or a string holding a NUL sets a 400
 * res naming the field and returns -1; else 0. */
int fn_string_field(struct json_object *body, const char *key,
                    struct json_object *resp, const char *fname,
                    const char **out);

/* Set a 4xx/5xx res {"error": msg} and add msg to Logs. Returns 0 so a
 * function can `return fn_fail(...)`. */
int fn_fail(struct json_object *resp, const char *fname, int status,
            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
