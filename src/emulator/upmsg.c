/* upmsg.c - upstream request and answer bytes (see upmsg.h). */
#include "upmsg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/hubmsgpack.h"
#include "proto/upstream.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Append s with control characters as spaces (one header line). */
static void put_clean(struct buf *b, const char *s)
{
    size_t start = b->len;
    buf_puts(b, s);
    for (size_t i = start; i < b->len; i++)
        if ((unsigned char)b->data[i] < ' ' || b->data[i] == 0x7f)
            b->data[i] = ' ';
}

/* "Name: value", the value made one line whatever it holds. */
static char *header_line(const char *name, const char *value)
{
    struct buf b;
    buf_init(&b, (size_t)-1);
    buf_puts(&b, name);
    buf_puts(&b, ": ");
    put_clean(&b, value);
    return buf_take(&b, NULL);
}

char **upmsg_headers(const struct upmsg_conn *c, const char *category,
                     const char *event, const char *const *keys, size_t nkeys)
{
    char **h = xcalloc(12, sizeof *h);
    size_t n = 0;
    char *sig = upstream_signature_header(keys, nkeys, c->id);
    h[n++] = header_line("X-ASRS-Connection-Id", c->id);
    h[n++] = header_line("X-ASRS-Hub", c->hub);
    h[n++] = header_line("X-ASRS-Category", category);
    h[n++] = header_line("X-ASRS-Event", event);
    if (c->user && *c->user)
        h[n++] = header_line("X-ASRS-User-Id", c->user);
    if (c->claims && *c->claims)
        h[n++] = header_line("X-ASRS-User-Claims", c->claims);
    if (c->query && *c->query)
        h[n++] = header_line("X-ASRS-Client-Query", c->query);
    h[n++] = header_line("X-ASRS-Signature", sig);
    h[n++] = header_line("Content-Type",
                         c->media_type ? c->media_type : "application/json");
    h[n] = NULL;
    free(sig);
    return h;
}

int upmsg_header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < ' ' || *s == 0x7f)
            return 0;
    return 1;
}

void upmsg_headers_free(char **h)
{
    if (!h)
        return;
    for (char **p = h; *p; p++)
        free(*p);
    free(h);
}

char *upmsg_body_connected(void)
{
    return xstrdup("{\"type\":10}");
}

char *upmsg_body_disconnected(const char *error)
{
    if (!error)
        return xstrdup("{\"type\":11}");
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_int(11));
    json_object_object_add(o, "error", json_object_new_string(error));
    char *s = xstrdup(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

char *upmsg_body_invocation(const struct hubproto_msg *m, size_t *len)
{
    struct buf b;
    struct json_object *args = NULL;
    buf_init(&b, (size_t)-1);
    json_object_object_get_ex(m->obj, "arguments", &args);
    hubproto_write_invocation(&b, m->invocation_id, m->target, args);
    if (b.len && b.data[b.len - 1] == HUBPROTO_RS)
        b.data[--b.len] = '\0';
    return buf_take(&b, len);
}

char *upmsg_body_msgpack(const char *raw, size_t n, size_t *len)
{
    char *b = xmalloc(n ? n : 1);
    memcpy(b, raw, n);
    *len = n;
    return b;
}

static void put_claim(struct buf *b, const char *type, struct json_object *v)
{
    const char *text;
    switch (json_object_get_type(v)) {
    case json_type_null:
        text = "";
        break;
    case json_type_string:
        text = json_object_get_string(v);
        break;
    case json_type_boolean:
        text = json_object_get_boolean(v) ? "true" : "false";
        break;
    default:
        text = json_object_to_json_string_ext(
            v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        break;
    }
    if (b->len)
        buf_puts(b, ", ");
    put_clean(b, type);
    buf_puts(b, ": ");
    put_clean(b, text);
}

char *upmsg_claims(struct json_object *claims)
{
    struct buf b;
    if (!json_object_is_type(claims, json_type_object))
        return NULL;
    buf_init(&b, (size_t)-1);
    json_object_object_foreach(claims, type, v)
    {
        if (json_object_is_type(v, json_type_array)) {
            for (size_t i = 0; i < json_object_array_length(v); i++)
                put_claim(&b, type, json_object_array_get_idx(v, i));
        } else {
            put_claim(&b, type, v);
        }
    }
    if (!b.len) {
        buf_release(&b);
        return NULL;
    }
    return buf_take(&b, NULL);
}

void upmsg_query_add(struct buf *q, const char *key, const char *value)
{
    if (!key || strcasecmp(key, "access_token") == 0)
        return;
    buf_puts(q, q->len ? "&" : "?");
    put_clean(q, key);
    if (value) {
        buf_puts(q, "=");
        put_clean(q, value);
    }
}

static int completion(struct buf *out, const char *id, const char *error)
{
    return hubproto_write_completion(out, id, NULL, error);
}

int upmsg_answer(struct buf *out, const char *invocation_id, long status,
                 const char *body, size_t len)
{
    char err[80];
    if (status < 0)
        return completion(out, invocation_id,
                          "Invocation failed, response too large.");
    if (status == 204 || (status == 200 && len == 0))
        return completion(out, invocation_id, NULL);
    if (status == 200) {
        if (body[len - 1] != HUBPROTO_RS)
            return completion(out, invocation_id,
                              "Invocation failed, the upstream answer is "
                              "not hub records.");
        return buf_append(out, body, len);
    }
    snprintf(err, sizeof err, "Invocation failed, status code %ld",
             status ? status : 500L);
    return completion(out, invocation_id, err);
}

int upmsg_answer_msgpack(struct buf *out, const char *invocation_id,
                         long status, const char *body, size_t len)
{
    char err[160];
    if (status == 200 && len > 0 &&
        hubmsgpack_check_frames(body, len, err, sizeof err) == 0)
        return buf_append(out, body, len);
    struct buf json;
    buf_init(&json, 4096);
    int rc;
    if (status == 200 && len > 0)
        rc = completion(&json, invocation_id,
                        "Invocation failed, the upstream answer is not "
                        "hub records.");
    else
        rc = upmsg_answer(&json, invocation_id, status, body, len);
    if (rc == 0)
        rc = hubmsgpack_from_json(json.data, json.len, out, err, sizeof err);
    buf_release(&json);
    return rc;
}

char *upmsg_loggable(const char *s, size_t max)
{
    size_t n = strlen(s);
    int cut = n > max;
    char *out = xmalloc((cut ? max : n) + 4);
    size_t i;
    for (i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < ' ' || c >= 0x7f ? '?' : (char)c;
    }
    if (cut)
        memcpy(out + i, "...", 3), i += 3;
    out[i] = '\0';
    return out;
}
