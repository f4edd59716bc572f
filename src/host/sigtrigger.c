/* sigtrigger.c - the signalRTrigger binding (see sigtrigger.h). */
#include "sigtrigger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/hubmsgpack.h"
#include "proto/hubproto.h"
#include "proto/upstream.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/url.h"
#include "util/xalloc.h"
#include "util/banned.h"

const char *sigtrigger_header(const struct sigtrigger_req *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* The media type of a Content-Type value: what precedes ';', trimmed. */
static int media_is(const char *ct, const char *want)
{
    size_t n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    while (n > 0 && (*ct == ' ' || *ct == '\t')) {
        ct++;
        n--;
    }
    return n == strlen(want) && strncasecmp(ct, want, n) == 0;
}

int sigtrigger_route(const struct sigtrigger_req *r, struct sigtrigger_msg *m,
                     char *err, size_t errlen)
{
    static const char *const need[] = {"X-ASRS-Hub", "X-ASRS-Category",
                                       "X-ASRS-Event", "X-ASRS-Connection-Id"};
    const char *vals[4];
    memset(m, 0, sizeof *m);
    if (!r->content_type || !*r->content_type) {
        snprintf(err, errlen,
                 "Content-Type is missing: the upstream body "
                 "must be application/json");
        return 415;
    }
    m->msgpack = media_is(r->content_type, HUBMSGPACK_MEDIA_TYPE);
    if (!m->msgpack && !media_is(r->content_type, "application/json")) {
        snprintf(err, errlen,
                 "Content-Type must be application/json or "
                 "application/x-msgpack, not '%.64s'",
                 r->content_type);
        return 415;
    }
    for (size_t i = 0; i < 4; i++) {
        vals[i] = sigtrigger_header(r, need[i]);
        if (!vals[i] || !*vals[i]) {
            snprintf(err, errlen, "header %s is missing or empty", need[i]);
            return 400;
        }
    }
    m->hub = vals[0];
    m->category = vals[1];
    m->event = vals[2];
    m->connection_id = vals[3];
    return 0;
}

const struct app_function *sigtrigger_find(const struct app *app,
                                           const char *hub,
                                           const char *category,
                                           const char *event)
{
    for (size_t i = 0; i < app->nfns; i++) {
        const struct app_function *f = &app->fns[i];
        if (f->kind != APP_FN_SIGNALR || f->disabled || !f->sr_hub ||
            !f->sr_category || !f->sr_event)
            continue;
        if (strcasecmp(f->sr_hub, hub) == 0 &&
            strcasecmp(f->sr_category, category) == 0 &&
            strcasecmp(f->sr_event, event) == 0)
            return f;
    }
    return NULL;
}

int sigtrigger_verify(const struct sigtrigger_req *r, const char *const *keys,
                      size_t nkeys, const char *connection_id, char *err,
                      size_t errlen)
{
    const char *sig = sigtrigger_header(r, "X-ASRS-Signature");
    if (!sig || !*sig) {
        snprintf(err, errlen, "header X-ASRS-Signature is missing");
        return -1;
    }
    if (!upstream_signature_valid(sig, keys, nkeys, connection_id)) {
        snprintf(err, errlen,
                 "X-ASRS-Signature matches no access key of "
                 "the connection string");
        return -1;
    }
    return 0;
}

void sigtrigger_msg_release(struct sigtrigger_msg *m)
{
    free(m->invocation_id);
    json_object_put(m->arguments);
    free(m->error);
    m->invocation_id = NULL;
    m->arguments = NULL;
    m->error = NULL;
}

/* "type" as an integer, looked up case-insensitively ("Type" from the
 * official emulator); -1 when absent or not an integer. */
static int body_type(struct json_object *o)
{
    struct json_object *t = jsonx_get_ci(o, "type");
    if (!t || !json_object_is_type(t, json_type_int))
        return -1;
    return json_object_get_int(t);
}

int sigtrigger_parse_body(const struct sigtrigger_req *r,
                          struct sigtrigger_msg *m, char *err, size_t errlen)
{
    struct json_object *o = NULL;
    char perr[160];
    int rc = -1;
    size_t len = r->body_len;
    if (len > 0 && r->body[len - 1] == HUBPROTO_RS && !m->msgpack)
        len--;
    if (len == 0) {
        snprintf(err, errlen,
                 "the body is empty: a serverless message is "
                 "expected");
        return -1;
    }
    if (m->msgpack) {
        struct hubproto_msg hm;
        if (strcasecmp(m->category, "messages") != 0) {
            snprintf(err, errlen,
                     "a MessagePack body is only for messages: "
                     "connection events come as JSON");
            return -1;
        }
        if (hubmsgpack_parse(r->body, len, &hm, perr, sizeof perr) < 0) {
            snprintf(err, errlen, "the MessagePack body: %s", perr);
            return -1;
        }
        o = json_object_get(hm.obj);
        hubproto_msg_release(&hm);
    } else if (jsonx_parse(r->body, len, &o, perr, sizeof perr) < 0) {
        snprintf(err, errlen, "the body is not valid JSON: %s", perr);
        return -1;
    }
    if (!o || !json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen, "the body is not a JSON object");
        goto out;
    }
    m->type = body_type(o);
    if (strcasecmp(m->category, "messages") == 0) {
        if (m->type != HUBPROTO_INVOCATION) {
            snprintf(err, errlen,
                     "a messages event needs an Invocation "
                     "(\"type\": 1)");
            goto out;
        }
        const char *target = jsonx_str(o, "target");
        struct json_object *args = jsonx_get_ci(o, "arguments");
        struct json_object *id = jsonx_get_ci(o, "invocationId");
        if (!target || !*target) {
            snprintf(err, errlen, "the Invocation has no \"target\"");
            goto out;
        }
        if (strcasecmp(target, m->event) != 0) {
            snprintf(err, errlen,
                     "the Invocation target '%.64s' is not the "
                     "X-ASRS-Event '%.64s'",
                     target, m->event);
            goto out;
        }
        if (args && !json_object_is_type(args, json_type_array)) {
            snprintf(err, errlen, "\"arguments\" must be an array");
            goto out;
        }
        if (id && !json_object_is_type(id, json_type_string)) {
            snprintf(err, errlen, "\"invocationId\" must be a string");
            goto out;
        }
        m->arguments = args ? json_object_get(args) : json_object_new_array();
        if (id && json_object_get_string_len(id) > 0)
            m->invocation_id = xstrdup(json_object_get_string(id));
    } else if (strcasecmp(m->event, "connected") == 0) {
        if (m->type != 10) {
            snprintf(err, errlen, "a connected event needs {\"type\": 10}");
            goto out;
        }
    } else if (strcasecmp(m->event, "disconnected") == 0) {
        if (m->type != 11) {
            snprintf(err, errlen,
                     "a disconnected event needs "
                     "{\"type\": 11}");
            goto out;
        }
        const char *e = jsonx_str(o, "error");
        if (e && *e)
            m->error = xstrdup(e);
    } else {
        snprintf(err, errlen,
                 "category '%.32s' with event '%.64s' is not "
                 "a serverless message",
                 m->category, m->event);
        goto out;
    }
    rc = 0;
out:
    json_object_put(o);
    return rc;
}

static struct json_object *str_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

/* Add name → value to o, or append ",value" when name is already there
 * (ASCII case-insensitive, as the extension's dictionaries group). */
static void add_joined(struct json_object *o, const char *name,
                       const char *value, int case_insensitive)
{
    json_object_object_foreach(o, k, v)
    {
        if (case_insensitive ? strcasecmp(k, name) == 0
                             : strcmp(k, name) == 0) {
            char *j = xasprintf("%s,%s", json_object_get_string(v), value);
            json_object_object_add(o, k, json_object_new_string(j));
            free(j);
            return;
        }
    }
    json_object_object_add(o, name, json_object_new_string(value));
}

/* QueryHelpers.ParseQuery: an optional leading '?', '&'-separated
 * name=value pairs, '+' and %XX decoded, repeated names joined with ','.
 * NULL for an absent or empty query, as the extension leaves it. */
static struct json_object *query_dict(const char *q)
{
    if (!q || !*q)
        return NULL;
    if (*q == '?')
        q++;
    struct json_object *o = json_object_new_object();
    while (*q) {
        size_t n = strcspn(q, "&");
        const char *eq = memchr(q, '=', n);
        size_t kn = eq ? (size_t)(eq - q) : n;
        char *k = url_decode(q, kn, 1);
        char *v = eq ? url_decode(eq + 1, n - kn - 1, 1) : xstrdup("");
        if (k && v && *k)
            add_joined(o, k, v, 0);
        free(k);
        free(v);
        q += n;
        if (*q == '&')
            q++;
    }
    return o;
}

/* "a: v, b: w": split on ',', each on ": " into exactly two non-empty
 * parts, trimmed; the first value of a repeated type wins. NULL for an
 * absent or empty header. */
static struct json_object *claims_dict(const char *c)
{
    if (!c || !*c)
        return NULL;
    struct json_object *o = json_object_new_object();
    char *copy = xstrdup(c);
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char *sep = strstr(item, ": ");
        if (!sep || sep == item || !sep[2] || strstr(sep + 2, ": "))
            continue;
        *sep = '\0';
        char *k = item, *v = sep + 2;
        while (*k == ' ' || *k == '\t')
            k++;
        char *e = k + strlen(k);
        while (e > k && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
        e = v + strlen(v);
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (*k && !json_object_object_get_ex(o, k, NULL))
            json_object_object_add(o, k, json_object_new_string(v));
    }
    free(copy);
    return o;
}

struct json_object *sigtrigger_context(const struct sigtrigger_req *r,
                                       const struct sigtrigger_msg *m)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "Arguments",
                           m->arguments ? json_object_get(m->arguments) : NULL);
    json_object_object_add(o, "Error", str_or_null(m->error));
    json_object_object_add(o, "Category", str_or_null(m->category));
    json_object_object_add(o, "Event", str_or_null(m->event));
    json_object_object_add(o, "Hub", str_or_null(m->hub));
    json_object_object_add(o, "ConnectionId", str_or_null(m->connection_id));
    json_object_object_add(o, "UserId",
                           str_or_null(sigtrigger_header(r, "X-ASRS-User-Id")));
    /* The request's headers, not its content headers (Content-Type,
     * Content-Length), repeated names joined with ','. */
    struct json_object *h = json_object_new_object();
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strncasecmp(r->headers[i].name, "Content-", 8) == 0)
            continue;
        add_joined(h, payload_header_name(r->headers[i].name),
                   r->headers[i].value ? r->headers[i].value : "", 1);
    }
    json_object_object_add(o, "Headers", h);
    json_object_object_add(
        o, "Query", query_dict(sigtrigger_header(r, "X-ASRS-Client-Query")));
    json_object_object_add(
        o, "Claims", claims_dict(sigtrigger_header(r, "X-ASRS-User-Claims")));
    return o;
}

int sigtrigger_metadata(struct json_object *binding,
                        const struct sigtrigger_msg *m, struct json_object *sys,
                        struct json_object **md, char *err, size_t errlen)
{
    struct json_object *names = jsonx_get_ci(binding, "parameterNames");
    size_t nn = json_object_is_type(names, json_type_array)
                    ? json_object_array_length(names)
                    : 0;
    size_t na = m->arguments ? json_object_array_length(m->arguments) : 0;
    *md = NULL;
    if (nn > 0 && (!m->arguments || na != nn)) {
        snprintf(err, errlen,
                 "The function accept %zu arguments but message "
                 "provided %zu.",
                 nn, na);
        json_object_put(sys);
        return -1;
    }
    struct json_object *o = json_object_new_object();
    for (size_t i = 0; i < nn; i++) {
        const char *name =
            json_object_get_string(json_object_array_get_idx(names, i));
        struct json_object *arg = json_object_array_get_idx(m->arguments, i);
        json_object_object_add(o, name, payload_encode(json_object_get(arg)));
    }
    json_object_object_add(o, "sys", sys);
    *md = o;
    return 0;
}

char *sigtrigger_completion_msgpack(char *rec, size_t n, size_t *len)
{
    struct buf b;
    char err[128];
    buf_init(&b, (size_t)-1);
    /* A Completion record of ours always transcodes. */
    hubmsgpack_from_json(rec, n, &b, err, sizeof err);
    free(rec);
    return buf_take(&b, len);
}

char *sigtrigger_completion(const char *invocation_id,
                            struct json_object *result, const char *error,
                            size_t *len)
{
    struct buf b;
    buf_init(&b, (size_t)-1);
    if (error || result) {
        hubproto_write_completion(&b, invocation_id, result, error);
    } else {
        /* WithResult(id, null) still has a result: "result":null. */
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "type",
                               json_object_new_int(HUBPROTO_COMPLETION));
        json_object_object_add(o, "invocationId",
                               json_object_new_string(invocation_id));
        json_object_object_add(o, "result", NULL);
        buf_puts(&b, jsonx_compact(o));
        buf_puts(&b, HUBPROTO_RS_STR);
        json_object_put(o);
    }
    return buf_take(&b, len);
}
