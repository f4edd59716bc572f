/* hubproto.c - the SignalR JSON hub protocol (see hubproto.h). */
#include "hubproto.h"

#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/jsonx.h"
#include "util/banned.h"

void hubproto_reader_init(struct hubproto_reader *r, size_t max)
{
    buf_init(&r->in, max);
    r->pos = 0;
}

void hubproto_reader_release(struct hubproto_reader *r)
{
    buf_release(&r->in);
    r->pos = 0;
}

int hubproto_reader_feed(struct hubproto_reader *r, const void *p, size_t n)
{
    if (r->pos) {
        buf_consume(&r->in, r->pos);
        r->pos = 0;
    }
    return buf_append(&r->in, p, n);
}

int hubproto_reader_next(struct hubproto_reader *r, const char **rec,
                         size_t *len)
{
    if (r->pos >= r->in.len)
        return 0;
    const char *start = r->in.data + r->pos;
    const char *end = memchr(start, HUBPROTO_RS, r->in.len - r->pos);
    if (!end)
        return 0;
    *rec = start;
    *len = (size_t)(end - start);
    r->pos += *len + 1;
    return 1;
}

size_t hubproto_reader_pending(const struct hubproto_reader *r)
{
    return r->in.len - r->pos;
}

int hubproto_handshake_check(const char *rec, size_t len, char *err,
                             size_t errlen)
{
    struct json_object *o = NULL;
    char perr[128];
    int rc = -1;
    if (jsonx_parse(rec, len, &o, perr, sizeof perr) < 0 ||
        !json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen, "Handshake request is not a JSON object.");
        goto out;
    }
    const char *proto = jsonx_str(o, "protocol");
    struct json_object *v = jsonx_get_ci(o, "version");
    if (!proto || !v || !json_object_is_type(v, json_type_int)) {
        snprintf(err, errlen,
                 "Handshake request needs 'protocol' and 'version'.");
        goto out;
    }
    if (strcmp(proto, "json") != 0) {
        snprintf(err, errlen, "Requested protocol '%.64s' is not available.",
                 proto);
        goto out;
    }
    int64_t ver = json_object_get_int64(v);
    if (ver < 1 || ver > 2) {
        snprintf(err, errlen,
                 "The server does not support version %lld of the 'json' "
                 "protocol.",
                 (long long)ver);
        goto out;
    }
    rc = 0;
out:
    json_object_put(o);
    return rc;
}

long long hubproto_handshake_version(const char *rec, size_t len)
{
    struct json_object *o = NULL;
    char perr[128];
    long long ver = 0;
    if (jsonx_parse(rec, len, &o, perr, sizeof perr) == 0 &&
        json_object_is_type(o, json_type_object)) {
        struct json_object *v = jsonx_get_ci(o, "version");
        if (v && json_object_is_type(v, json_type_int))
            ver = json_object_get_int64(v);
    }
    json_object_put(o);
    return ver;
}

int hubproto_parse(const char *rec, size_t len, struct hubproto_msg *m,
                   char *err, size_t errlen)
{
    char perr[128];
    memset(m, 0, sizeof *m);
    if (jsonx_parse(rec, len, &m->obj, perr, sizeof perr) < 0) {
        snprintf(err, errlen, "invalid JSON: %s", perr);
        return -1;
    }
    if (!json_object_is_type(m->obj, json_type_object)) {
        snprintf(err, errlen, "a hub message must be a JSON object");
        goto bad;
    }
    struct json_object *t = NULL;
    if (!json_object_object_get_ex(m->obj, "type", &t) ||
        !json_object_is_type(t, json_type_int)) {
        snprintf(err, errlen, "'type' missing or not an integer");
        goto bad;
    }
    errno = 0;
    int64_t type = json_object_get_int64(t);
    if (type < 0 || type > 1000000) {
        snprintf(err, errlen, "'type' out of range");
        goto bad;
    }
    m->type = (int)type;
    struct json_object *id = NULL;
    if (json_object_object_get_ex(m->obj, "invocationId", &id)) {
        if (!json_object_is_type(id, json_type_string) ||
            json_object_get_string_len(id) == 0) {
            snprintf(err, errlen, "'invocationId' must be a non-empty string");
            goto bad;
        }
        m->invocation_id = json_object_get_string(id);
    }
    if (m->type == HUBPROTO_INVOCATION ||
        m->type == HUBPROTO_STREAM_INVOCATION) {
        struct json_object *tg = NULL, *args = NULL;
        if (!json_object_object_get_ex(m->obj, "target", &tg) ||
            !json_object_is_type(tg, json_type_string) ||
            json_object_get_string_len(tg) == 0) {
            snprintf(err, errlen, "an invocation needs a non-empty 'target'");
            goto bad;
        }
        if (!json_object_object_get_ex(m->obj, "arguments", &args) ||
            !json_object_is_type(args, json_type_array)) {
            snprintf(err, errlen, "an invocation needs an 'arguments' array");
            goto bad;
        }
        m->target = json_object_get_string(tg);
    }
    return 0;
bad:
    hubproto_msg_release(m);
    return -1;
}

void hubproto_msg_release(struct hubproto_msg *m)
{
    json_object_put(m->obj);
    memset(m, 0, sizeof *m);
}

/* Serialize o plus RS onto out; takes ownership of o. */
static int put_record(struct buf *out, struct json_object *o)
{
    size_t n = 0;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    size_t before = out->len;
    int rc = buf_append(out, s, n);
    if (rc == 0 && buf_append(out, HUBPROTO_RS_STR, 1) < 0) {
        out->len = before;
        if (out->data)
            out->data[before] = '\0';
        rc = -1;
    }
    json_object_put(o);
    return rc;
}

int hubproto_write_handshake(struct buf *out, const char *error)
{
    struct json_object *o = json_object_new_object();
    if (error)
        json_object_object_add(o, "error", json_object_new_string(error));
    return put_record(out, o);
}

int hubproto_write_ping(struct buf *out)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_int(HUBPROTO_PING));
    return put_record(out, o);
}

int hubproto_write_sequence_id(struct buf *out, int type, long long id)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_int(type));
    json_object_object_add(o, "sequenceId", json_object_new_int64(id));
    return put_record(out, o);
}

int hubproto_write_close(struct buf *out, const char *error,
                         int allow_reconnect)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_int(HUBPROTO_CLOSE));
    if (error)
        json_object_object_add(o, "error", json_object_new_string(error));
    if (allow_reconnect)
        json_object_object_add(o, "allowReconnect", json_object_new_boolean(1));
    return put_record(out, o);
}

int hubproto_write_completion(struct buf *out, const char *invocation_id,
                              struct json_object *result, const char *error)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_int(HUBPROTO_COMPLETION));
    json_object_object_add(o, "invocationId",
                           json_object_new_string(invocation_id));
    if (error)
        json_object_object_add(o, "error", json_object_new_string(error));
    else if (result)
        json_object_object_add(o, "result", json_object_get(result));
    return put_record(out, o);
}

int hubproto_write_invocation(struct buf *out, const char *invocation_id,
                              const char *target, struct json_object *arguments)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_int(HUBPROTO_INVOCATION));
    if (invocation_id)
        json_object_object_add(o, "invocationId",
                               json_object_new_string(invocation_id));
    json_object_object_add(o, "target", json_object_new_string(target));
    json_object_object_add(o, "arguments",
                           arguments ? json_object_get(arguments)
                                     : json_object_new_array());
    return put_record(out, o);
}
