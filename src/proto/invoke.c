/* invoke.c - invocation envelopes (see invoke.h). */
#include "invoke.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct json_object *invoke_data(struct json_object *env, const char *name)
{
    return jsonx_get_ci(jsonx_get_ci(env, "Data"), name);
}

struct json_object *invoke_metadata(struct json_object *env, const char *name)
{
    return jsonx_get_ci(jsonx_get_ci(env, "Metadata"), name);
}

const char *invoke_req_body(struct json_object *req, size_t *len)
{
    struct json_object *b = jsonx_get_ci(req, "Body");
    if (!b || !json_object_is_type(b, json_type_string))
        return NULL;
    if (len)
        *len = (size_t)json_object_get_string_len(b);
    return json_object_get_string(b);
}

const char *invoke_req_header(struct json_object *req, const char *name)
{
    struct json_object *v = jsonx_get_ci(jsonx_get_ci(req, "Headers"), name);
    if (v && json_object_is_type(v, json_type_array))
        v = json_object_array_length(v) ? json_object_array_get_idx(v, 0)
                                        : NULL;
    if (!v || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

const char *invoke_req_query(struct json_object *req, const char *name)
{
    return jsonx_str(jsonx_get_ci(req, "Query"), name);
}

const char *invoke_req_param(struct json_object *req, const char *name)
{
    return jsonx_str(jsonx_get_ci(req, "Params"), name);
}

struct json_object *invoke_decode_object(struct json_object *v)
{
    struct json_object *o = jsonx_unwrap(v, 2);
    if (o && json_object_is_type(o, json_type_object))
        return o;
    json_object_put(o);
    return NULL;
}

struct json_object *invoke_resp_new(void)
{
    struct json_object *r = json_object_new_object();
    json_object_object_add(r, "Outputs", json_object_new_object());
    json_object_object_add(r, "Logs", json_object_new_array());
    json_object_object_add(r, "ReturnValue", NULL);
    return r;
}

void invoke_resp_set_output(struct json_object *resp, const char *name,
                            struct json_object *value)
{
    struct json_object *out = NULL;
    json_object_object_get_ex(resp, "Outputs", &out);
    json_object_object_add(out, name, value);
}

struct json_object *invoke_resp_output(struct json_object *resp,
                                       const char *name)
{
    struct json_object *out = NULL, *v = NULL;
    json_object_object_get_ex(resp, "Outputs", &out);
    json_object_object_get_ex(out, name, &v);
    return v;
}

void invoke_resp_log(struct json_object *resp, const char *fmt, ...)
{
    char line[1024];
    struct json_object *logs = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    json_object_object_get_ex(resp, "Logs", &logs);
    json_object_array_add(logs, json_object_new_string(line));
}

struct json_object *invoke_http_res(int status, const char *content_type,
                                    const char *body, size_t body_len)
{
    struct json_object *r = json_object_new_object();
    struct json_object *h = json_object_new_object();
    json_object_object_add(r, "statusCode", json_object_new_int(status));
    json_object_object_add(h, "Content-Type",
                           json_object_new_string(content_type));
    json_object_object_add(r, "headers", h);
    json_object_object_add(r, "body",
                           json_object_new_string_len(body, (int)body_len));
    return r;
}

struct json_object *invoke_http_json(int status, struct json_object *json)
{
    const char *s = jsonx_compact(json);
    struct json_object *r =
        invoke_http_res(status, "application/json", s, strlen(s));
    json_object_put(json);
    return r;
}

struct json_object *invoke_http_error(int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *body = jsonx_error_text("%s", msg);
    struct json_object *r =
        invoke_http_res(status, "application/json", body, strlen(body));
    free(body);
    return r;
}
