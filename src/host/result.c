/* result.c - handler reply → host outcome (see result.h). */
#include "result.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

static void indent_into(struct buf *b, struct json_object *v, int depth)
{
    if (json_object_is_type(v, json_type_object)) {
        if (json_object_object_length(v) == 0) {
            buf_puts(b, "{}");
            return;
        }
        int first = 1;
        buf_puts(b, "{");
        json_object_object_foreach(v, k, val)
        {
            struct json_object *ks = json_object_new_string(k);
            buf_printf(b, "%s\n%*s%s: ", first ? "" : ",", (depth + 1) * 2, "",
                       jsonx_compact(ks));
            json_object_put(ks);
            indent_into(b, val, depth + 1);
            first = 0;
        }
        buf_printf(b, "\n%*s}", depth * 2, "");
    } else if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        if (n == 0) {
            buf_puts(b, "[]");
            return;
        }
        buf_puts(b, "[");
        for (size_t i = 0; i < n; i++) {
            buf_printf(b, "%s\n%*s", i ? "," : "", (depth + 1) * 2, "");
            indent_into(b, json_object_array_get_idx(v, i), depth + 1);
        }
        buf_printf(b, "\n%*s]", depth * 2, "");
    } else if (!v) {
        buf_puts(b, "null");
    } else {
        buf_puts(b, jsonx_compact(v));
    }
}

char *result_indent(struct json_object *v)
{
    struct buf b;
    buf_init(&b, (size_t)-1);
    indent_into(&b, v, 0);
    return buf_take(&b, NULL);
}

/* .NET's ToString() of a JSON value: strings bare, True/False, JSON text
 * (indented) for objects and arrays, "" for null. */
static char *to_string(struct json_object *v)
{
    if (!v)
        return xstrdup("");
    switch (json_object_get_type(v)) {
    case json_type_string:
        return xstrndup(json_object_get_string(v),
                        (size_t)json_object_get_string_len(v));
    case json_type_boolean:
        return xstrdup(json_object_get_boolean(v) ? "True" : "False");
    case json_type_object:
    case json_type_array:
        return result_indent(v);
    default:
        return xstrdup(jsonx_compact(v));
    }
}

int result_parse(long status, const char *content_type, const char *body,
                 size_t len, struct json_object **reply, char *err,
                 size_t errlen)
{
    char perr[160];
    struct json_object *v = NULL;
    *reply = NULL;
    if (status < 200 || status > 299) {
        snprintf(err, errlen,
                 "the handler answered HTTP %ld (the host needs "
                 "a 2xx; Outputs and Logs are dropped)",
                 status);
        return -1;
    }
    if (!content_type) {
        snprintf(err, errlen,
                 "the handler's reply has no Content-Type (read "
                 "as application/octet-stream: no JSON "
                 "formatter)");
        return -1;
    }
    size_t mt = strcspn(content_type, "; \t");
    if (!((mt == 16 &&
           strncasecmp(content_type, "application/json", 16) == 0) ||
          (mt == 9 && strncasecmp(content_type, "text/json", 9) == 0))) {
        snprintf(err, errlen,
                 "the handler's reply has Content-Type %.*s, "
                 "not application/json",
                 (int)(mt > 80 ? 80 : mt), content_type);
        return -1;
    }
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", body[i]))
        i++;
    if (i == len) {
        snprintf(err, errlen,
                 "the handler's reply body is empty (the "
                 "Functions host would wait until "
                 "functionTimeout)");
        return -1;
    }
    if (jsonx_parse(body, len, &v, perr, sizeof perr) < 0) {
        snprintf(err, errlen,
                 "Invalid HttpResponseMessage: the handler's "
                 "reply is not valid JSON (%s)",
                 perr);
        return -1;
    }
    if (!v) {
        snprintf(err, errlen,
                 "the handler's reply is JSON null (the "
                 "Functions host would wait until "
                 "functionTimeout)");
        return -1;
    }
    if (!json_object_is_type(v, json_type_object)) {
        snprintf(err, errlen, "the handler's reply is not a JSON object");
        goto fail;
    }
    struct json_object *outputs = jsonx_get_ci(v, "Outputs");
    if (outputs && !json_object_is_type(outputs, json_type_object)) {
        snprintf(err, errlen,
                 "the handler's reply: Outputs must be an "
                 "object");
        goto fail;
    }
    struct json_object *logs = jsonx_get_ci(v, "Logs");
    if (logs && !json_object_is_type(logs, json_type_array)) {
        snprintf(err, errlen,
                 "the handler's reply: Logs must be a list of "
                 "strings");
        goto fail;
    }
    for (size_t k = 0; logs && k < json_object_array_length(logs); k++) {
        struct json_object *l = json_object_array_get_idx(logs, k);
        if (l && !json_object_is_type(l, json_type_string)) {
            snprintf(err, errlen,
                     "the handler's reply: Logs[%zu] is not a "
                     "string",
                     k);
            goto fail;
        }
    }
    *reply = v;
    return 0;
fail:
    json_object_put(v);
    return -1;
}

struct json_object *result_logs(struct json_object *reply)
{
    return jsonx_get_ci(reply, "Logs");
}

struct json_object *result_output(struct json_object *reply, const char *name)
{
    struct json_object *outputs = jsonx_get_ci(reply, "Outputs");
    struct json_object *v = NULL;
    if (!outputs || !json_object_object_get_ex(outputs, name, &v))
        return NULL;
    return v;
}

static void add_header(struct result_http *out, const char *name,
                       const char *value)
{
    out->headers =
        xrealloc(out->headers, (out->nheaders + 1) * sizeof *out->headers);
    out->headers[out->nheaders].name = xstrdup(name);
    out->headers[out->nheaders].value = xstrdup(value);
    out->nheaders++;
}

/* Find the response record: ReturnValue for $return, else Outputs.<name>.
 * Returns 1 when what is there settles the response alone (out filled),
 * else 0 with the record in *res. */
static int locate_response(struct json_object *reply, const char *name,
                           int is_return, struct result_http *out,
                           struct json_object **res)
{
    if (is_return) {
        *res = jsonx_get_ci(reply, "ReturnValue");
        if (!*res) {
            out->body = xstrdup("");
            return 1;
        }
        if (!json_object_is_type(*res, json_type_object) &&
            !json_object_is_type(*res, json_type_string)) {
            out->body = to_string(*res);
            out->body_len = strlen(out->body);
            out->content_type = xstrdup("text/plain; charset=utf-8");
            return 1;
        }
        return 0;
    }
    struct json_object *outputs = jsonx_get_ci(reply, "Outputs");
    if (!outputs) {
        /* No Outputs at all: the middleware's OkResult, empty body. */
        out->body = xstrdup("");
        return 1;
    }
    if (!json_object_object_get_ex(outputs, name, res) || !*res) {
        /* Outputs without res: an empty response record, body "{}". */
        out->content_type = xstrdup("application/json; charset=utf-8");
        out->body = xstrdup("{}");
        out->body_len = 2;
        return 1;
    }
    return 0;
}

/* The record as an object: a string holding a JSON object is parsed (a new
 * reference in *parsed). A $return string that is not one is the body as
 * text (returns 1, out filled). Returns 0, or -1 with err set. */
static int response_object(struct json_object **res, const char *name,
                           int is_return, struct json_object **parsed,
                           struct result_http *out, char *err, size_t errlen)
{
    char perr[128];
    if (json_object_is_type(*res, json_type_string)) {
        const char *s = json_object_get_string(*res);
        size_t n = (size_t)json_object_get_string_len(*res);
        if (jsonx_parse(s, n, parsed, perr, sizeof perr) == 0 && *parsed &&
            json_object_is_type(*parsed, json_type_object)) {
            *res = *parsed;
            return 0;
        }
        json_object_put(*parsed);
        *parsed = NULL;
        if (is_return) {
            out->body = xstrndup(s, n);
            out->body_len = n;
            out->content_type = xstrdup("text/plain; charset=utf-8");
            return 1;
        }
    } else if (json_object_is_type(*res, json_type_object)) {
        return 0;
    }
    snprintf(err, errlen,
             "Outputs.%s: Failed while trying to "
             "Deserialize to httpOutputBindingResponse. "
             "Output is not in expected format",
             name);
    return -1;
}

/* statusCode (or, for $return, status): a number or a string of digits,
 * 100-599. Only statusCode is honoured for a named output. */
static int response_status(struct json_object *res, const char *name,
                           int is_return, struct result_http *out, char *err,
                           size_t errlen)
{
    struct json_object *sc = jsonx_get_ci(res, "statusCode");
    if (!sc && is_return)
        sc = jsonx_get_ci(res, "status");
    if (!sc || (!json_object_is_type(sc, json_type_int) &&
                !json_object_is_type(sc, json_type_string)))
        return 0;
    const char *t = json_object_get_string(sc);
    char *end;
    long st = strtol(t, &end, 10);
    if (end != t && *end == '\0' && !isspace((unsigned char)*t))
        out->status = (int)(st > 0 && st < 1000 ? st : -1);
    if (out->status < 100 || out->status > 599) {
        snprintf(err, errlen,
                 "Outputs.%s.statusCode: %s is not an "
                 "HTTP status",
                 name, t);
        return -1;
    }
    return 0;
}

/* headers: the first of each name (ASCII case-insensitive) is kept;
 * Content-Type goes to out->content_type. */
static int response_headers(struct json_object *res, const char *name,
                            struct result_http *out, char *err, size_t errlen)
{
    struct json_object *hs = jsonx_get_ci(res, "headers");
    if (!hs || !json_object_is_type(hs, json_type_object))
        return 0;
    json_object_object_foreach(hs, k, hv)
    {
        char *val = to_string(hv);
        int dup = 0;
        /* A value that cannot travel in a header (the multi-line
         * text of an array) is kept here; the server refuses to send
         * it and logs that, as Kestrel would refuse it. */
        if (strcasecmp(k, "Content-Type") == 0) {
            if (!hv) {
                free(val);
                snprintf(err, errlen,
                         "Outputs.%s.headers.Content-Type: "
                         "must not be null",
                         name);
                return -1;
            }
            dup = out->content_type != NULL;
            if (!dup)
                out->content_type = val;
            else
                free(val);
            continue;
        }
        for (size_t i = 0; i < out->nheaders; i++)
            dup |= strcasecmp(out->headers[i].name, k) == 0;
        if (!dup)
            add_header(out, k, val);
        free(val);
    }
    return 0;
}

/* body: a string as it is, anything else as its JSON text; text/plain
 * when a non-empty body has no Content-Type. */
static void response_body(struct json_object *res, struct result_http *out)
{
    struct json_object *body = jsonx_get_ci(res, "body");
    if (body) {
        out->body = to_string(body);
        out->body_len = json_object_is_type(body, json_type_string)
                            ? (size_t)json_object_get_string_len(body)
                            : strlen(out->body);
    } else {
        out->body = xstrdup("");
    }
    if (!out->content_type && out->body_len > 0)
        out->content_type = xstrdup("text/plain; charset=utf-8");
}

int result_http(struct json_object *reply, const char *name,
                struct result_http *out, char *err, size_t errlen)
{
    struct json_object *parsed = NULL;
    memset(out, 0, sizeof *out);
    out->status = 200;
    /* An http binding named $return reads ReturnValue, more leniently:
     * "status" counts too, and a plain string is the body. */
    int is_return = strcmp(name, "$return") == 0;
    struct json_object *res = NULL;
    if (locate_response(reply, name, is_return, out, &res))
        return 0;
    int rc = response_object(&res, name, is_return, &parsed, out, err, errlen);
    if (rc > 0)
        return 0;
    if (rc < 0 || response_status(res, name, is_return, out, err, errlen) < 0 ||
        response_headers(res, name, out, err, errlen) < 0)
        goto fail;
    response_body(res, out);
    json_object_put(parsed);
    return 0;
fail:
    json_object_put(parsed);
    result_http_release(out);
    return -1;
}

void result_http_release(struct result_http *out)
{
    free(out->content_type);
    for (size_t i = 0; i < out->nheaders; i++) {
        free(out->headers[i].name);
        free(out->headers[i].value);
    }
    free(out->headers);
    free(out->body);
    memset(out, 0, sizeof *out);
}
