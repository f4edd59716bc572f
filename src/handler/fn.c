/* fn.c - helpers shared by the app's functions (see fn.h). */
#include "fn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto/invoke.h"
#include "util/jsonx.h"
#include "util/limits.h"
#include "util/banned.h"

int fn_fail(struct json_object *resp, const char *fname, int status,
            const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    invoke_resp_set_output(resp, "res", invoke_http_error(status, "%s", msg));
    invoke_resp_log(resp, "%s: %d %s", fname, status, msg);
    return 0;
}

int fn_http_req(struct fn_ctx *ctx, struct json_object *env,
                struct json_object **req)
{
    *req = invoke_data(env, "req");
    if (!*req || !json_object_is_type(*req, json_type_object)) {
        snprintf(ctx->err, sizeof ctx->err,
                 "Data.req is missing or not an object");
        return -1;
    }
    return 0;
}

int fn_json_body(struct json_object *req, struct json_object *resp,
                 const char *fname, struct json_object **body)
{
    size_t len = 0;
    char err[160];
    *body = NULL;
    const char *s = invoke_req_body(req, &len);
    if (!s || len == 0) {
        fn_fail(resp, fname, 400,
                "request body is required: send JSON with Content-Length");
        return -1;
    }
    if (len > LIMIT_USER_BODY) {
        fn_fail(resp, fname, 413, "request body is over %u bytes",
                LIMIT_USER_BODY);
        return -1;
    }
    if (jsonx_parse(s, len, body, err, sizeof err) < 0) {
        fn_fail(resp, fname, 400, "request body is not valid JSON: %s", err);
        return -1;
    }
    if (!*body || !json_object_is_type(*body, json_type_object)) {
        json_object_put(*body);
        *body = NULL;
        fn_fail(resp, fname, 400, "request body must be a JSON object");
        return -1;
    }
    return 0;
}

int fn_string_field(struct json_object *body, const char *key,
                    struct json_object *resp, const char *fname,
                    const char **out)
{
    struct json_object *v = NULL;
    *out = NULL;
    if (!json_object_object_get_ex(body, key, &v))
        return 0;
    if (!v || !json_object_is_type(v, json_type_string)) {
        fn_fail(resp, fname, 400, "field '%s' must be a string", key);
        return -1;
    }
    if (strlen(json_object_get_string(v)) !=
        (size_t)json_object_get_string_len(v)) {
        fn_fail(resp, fname, 400, "field '%s' must not contain NUL", key);
        return -1;
    }
    *out = json_object_get_string(v);
    return 0;
}

int fn_known_fields(struct json_object *body, const char *const *allowed,
                    struct json_object *resp, const char *fname)
{
    json_object_object_foreach(body, key, val)
    {
        (void)val;
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(key, *a) == 0;
        if (known)
            continue;
        if (strcmp(key, "actionName") == 0)
            fn_fail(resp, fname, 400,
                    "unknown field 'actionName': the key is 'action'");
        else /* truncated so a huge key cannot flood the error */
            fn_fail(resp, fname, 400, "unknown field '%.64s'", key);
        return -1;
    }
    return 0;
}

int fn_invocation_context(struct fn_ctx *ctx, struct json_object *env,
                          struct json_object **ic, const char **from)
{
    *ic = invoke_data(env, "invocation");
    if (!*ic || !json_object_is_type(*ic, json_type_object)) {
        snprintf(ctx->err, sizeof ctx->err,
                 "Data.invocation is missing or not an object");
        return -1;
    }
    const char *cid = jsonx_str(*ic, "ConnectionId");
    if (!cid || !*cid) {
        snprintf(ctx->err, sizeof ctx->err,
                 "Data.invocation.ConnectionId is missing");
        return -1;
    }
    const char *uid = jsonx_str(*ic, "UserId");
    *from = uid && *uid ? uid : cid;
    return 0;
}

int fn_fail_invocation(struct fn_ctx *ctx, struct json_object *resp,
                       const char *fname, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
    invoke_resp_log(resp, "%s: failed: %s", fname, ctx->err);
    return FN_FAILED;
}

void fn_iso_time(time_t t, char *out, size_t outlen)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
