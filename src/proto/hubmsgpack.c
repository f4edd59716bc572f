/* hubmsgpack.c - the SignalR MessagePack hub protocol (see hubmsgpack.h). */
#include "hubmsgpack.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <openssl/evp.h>

#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Messages of 2 GB and more cannot be framed (5 VarInt bytes, 31 bits). */
#define FRAME_MAX 0x7fffffffu
/* The largest message type a client may send (as hubproto_parse). */
#define TYPE_MAX 1000000u

/* Completion result kinds. */
enum { RESULT_ERROR = 1, RESULT_VOID = 2, RESULT_VALUE = 3 };

int hubmsgpack_frame(const char *p, size_t n, size_t max, size_t *hdr,
                     size_t *len, char *err, size_t errlen)
{
    uint64_t size = 0;
    size_t i = 0;
    for (;;) {
        if (i == n)
            return 0;
        unsigned char b = (unsigned char)p[i];
        size |= (uint64_t)(b & 0x7f) << (7 * i);
        i++;
        if (!(b & 0x80))
            break;
        if (i == HUBMSGPACK_PREFIX_MAX) {
            snprintf(err, errlen, "message length prefix over 5 bytes");
            return -1;
        }
    }
    if (size > FRAME_MAX) {
        snprintf(err, errlen, "message length over 2 GB");
        return -1;
    }
    if (size > max) {
        snprintf(err, errlen, "message of %llu bytes over the %zu-byte limit",
                 (unsigned long long)size, max);
        return -1;
    }
    if (n - i < size)
        return 0;
    *hdr = i;
    *len = (size_t)size;
    return 1;
}

int hubmsgpack_put_prefix(struct buf *out, size_t n)
{
    unsigned char v[HUBMSGPACK_PREFIX_MAX];
    size_t k = 0;
    do {
        unsigned char b = n & 0x7f;
        n >>= 7;
        v[k++] = (unsigned char)(n ? b | 0x80 : b);
    } while (n && k < sizeof v);
    return buf_append(out, v, k);
}

void hubmsgpack_reader_init(struct hubmsgpack_reader *r, size_t max)
{
    buf_init(&r->in, max + HUBMSGPACK_PREFIX_MAX);
    r->pos = 0;
    r->max = max;
}

void hubmsgpack_reader_release(struct hubmsgpack_reader *r)
{
    buf_release(&r->in);
    r->pos = 0;
}

int hubmsgpack_reader_feed(struct hubmsgpack_reader *r, const void *p, size_t n)
{
    if (r->pos) {
        buf_consume(&r->in, r->pos);
        r->pos = 0;
    }
    return buf_append(&r->in, p, n);
}

int hubmsgpack_reader_next(struct hubmsgpack_reader *r, const char **msg,
                           size_t *len, char *err, size_t errlen)
{
    size_t hdr = 0, n = 0;
    if (r->pos >= r->in.len)
        return 0;
    int rc = hubmsgpack_frame(r->in.data + r->pos, r->in.len - r->pos, r->max,
                              &hdr, &n, err, errlen);
    if (rc <= 0)
        return rc;
    *msg = r->in.data + r->pos + hdr;
    *len = n;
    r->pos += hdr + n;
    return 1;
}

/* --- bounds before msgpack-c ------------------------------------------- */

static uint64_t be(const unsigned char *p, size_t k)
{
    uint64_t v = 0;
    for (size_t i = 0; i < k; i++)
        v = v << 8 | p[i];
    return v;
}

/* Walk the format bytes of exactly one object in p: every declared length
 * and element count must fit in the bytes left (an element takes at least
 * one), so msgpack-c never reserves room for what is not there. */
static int bounded(const unsigned char *p, size_t n)
{
    size_t i = 0;
    uint64_t pending = 1;
    while (pending) {
        if (i >= n)
            return -1;
        pending--;
        unsigned char b = p[i++];
        size_t lenbytes = 0;
        uint64_t skip = 0, kids = 0, extra = 0;
        int counts = 0; /* the length counts elements (1) or pairs (2) */
        if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3 && b != 0xc1)) {
            /* fixint, nil, booleans */
        } else if (b <= 0x8f) {
            kids = 2u * (b & 0x0f);
        } else if (b <= 0x9f) {
            kids = b & 0x0f;
        } else if (b <= 0xbf) {
            skip = b & 0x1f;
        } else {
            switch (b) {
            case 0xc4:
            case 0xc5:
            case 0xc6: /* bin */
            case 0xd9:
            case 0xda:
            case 0xdb: /* str */
                lenbytes = (size_t)1 << ((b <= 0xc6 ? b - 0xc4 : b - 0xd9));
                break;
            case 0xc7:
            case 0xc8:
            case 0xc9: /* ext */
                lenbytes = (size_t)1 << (b - 0xc7);
                extra = 1;
                break;
            case 0xca:
                skip = 4;
                break;
            case 0xcb:
                skip = 8;
                break;
            case 0xcc: /* uint 8, 16, 32, 64 */
            case 0xcd:
            case 0xce:
            case 0xcf:
            case 0xd0: /* int 8, 16, 32, 64 */
            case 0xd1:
            case 0xd2:
            case 0xd3:
                skip = (uint64_t)1 << ((b - 0xcc) & 3);
                break;
            case 0xd4:
            case 0xd5:
            case 0xd6:
            case 0xd7:
            case 0xd8:
                skip = 1 + ((uint64_t)1 << (b - 0xd4));
                break;
            case 0xdc:
            case 0xdd:
                lenbytes = b == 0xdc ? 2 : 4;
                counts = 1;
                break;
            case 0xde:
            case 0xdf:
                lenbytes = b == 0xde ? 2 : 4;
                counts = 2;
                break;
            default: /* 0xc1: never used */
                return -1;
            }
        }
        if (lenbytes) {
            if (n - i < lenbytes)
                return -1;
            uint64_t v = be(p + i, lenbytes);
            i += lenbytes;
            if (counts)
                kids = v * (uint64_t)counts;
            else
                skip = v + extra;
        }
        if (skip > n - i)
            return -1;
        i += (size_t)skip;
        pending += kids;
        if (pending > n - i)
            return -1;
    }
    return i == n ? 0 : -1;
}

/* Exactly one MessagePack value in p, unpacked into u (initialised here;
 * the caller destroys it whatever the answer). 0, or -1 when p is not. */
static int unpack_one(const char *p, size_t n, msgpack_unpacked *u)
{
    size_t off = 0;
    msgpack_unpacked_init(u);
    if (n == 0 || bounded((const unsigned char *)p, n) < 0)
        return -1;
    return msgpack_unpack_next(u, p, n, &off) == MSGPACK_UNPACK_SUCCESS &&
                   off == n
               ? 0
               : -1;
}

/* --- MessagePack to JSON ----------------------------------------------- */

static struct json_object *to_json(const msgpack_object *o);

static struct json_object *base64(const char *p, size_t n)
{
    char *s = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)s, (const unsigned char *)p, (int)n);
    struct json_object *v = json_object_new_string(s);
    free(s);
    return v;
}

static struct json_object *to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_BOOLEAN:
        return json_object_new_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > INT64_MAX)
            return json_object_new_uint64(o->via.u64);
        return json_object_new_int64((int64_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_object_new_int64(o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return json_object_new_double(o->via.f64);
    case MSGPACK_OBJECT_STR:
        return json_object_new_string_len(o->via.str.ptr, (int)o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return base64(o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_ARRAY: {
        struct json_object *a =
            json_object_new_array_ext((int)o->via.array.size);
        for (uint32_t i = 0; i < o->via.array.size; i++)
            json_object_array_add(a, to_json(&o->via.array.ptr[i]));
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        struct json_object *m = json_object_new_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            struct json_object *v = to_json(&kv->val);
            if (kv->key.type == MSGPACK_OBJECT_STR) {
                char *k = xmalloc(kv->key.via.str.size + 1);
                memcpy(k, kv->key.via.str.ptr, kv->key.via.str.size);
                k[kv->key.via.str.size] = '\0';
                json_object_object_add(m, k, v);
                free(k);
            } else {
                struct json_object *k = to_json(&kv->key);
                json_object_object_add(m, jsonx_compact(k), v);
                json_object_put(k);
            }
        }
        return m;
    }
    default: /* nil, ext */
        return NULL;
    }
}

/* --- parsing a client's message ---------------------------------------- */

static int is_str(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_STR;
}

static int is_int(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
           o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

/* One element of the message's array, as JSON, under key. */
static void put(struct json_object *obj, const char *key,
                const msgpack_object *o)
{
    json_object_object_add(obj, key, to_json(o));
}

/* The layout of a known type, checked and turned into its JSON form. */
static int layout(unsigned type, const msgpack_object *e, uint32_t n,
                  struct json_object *obj, char *err, size_t errlen)
{
    unsigned need = 1;
    switch (type) {
    case HUBPROTO_INVOCATION:
    case HUBPROTO_STREAM_INVOCATION:
        need = 5;
        break;
    case HUBPROTO_STREAM_ITEM:
    case HUBPROTO_COMPLETION:
        need = 4;
        break;
    case HUBPROTO_CANCEL_INVOCATION:
        need = 3;
        break;
    case HUBPROTO_CLOSE:
    case HUBPROTO_ACK:
    case HUBPROTO_SEQUENCE:
        need = 2;
        break;
    default:
        return 0; /* Ping and unknown types: the type alone */
    }
    if (n < need) {
        snprintf(err, errlen, "message type %u needs %u elements, not %u", type,
                 need, (unsigned)n);
        return -1;
    }
    if (type == HUBPROTO_CLOSE) {
        if (e[1].type != MSGPACK_OBJECT_NIL && !is_str(&e[1])) {
            snprintf(err, errlen, "Close: the error must be nil or a string");
            return -1;
        }
        if (is_str(&e[1]))
            put(obj, "error", &e[1]);
        if (n > 2 && e[2].type == MSGPACK_OBJECT_BOOLEAN)
            put(obj, "allowReconnect", &e[2]);
        return 0;
    }
    if (type == HUBPROTO_ACK || type == HUBPROTO_SEQUENCE) {
        if (!is_int(&e[1])) {
            snprintf(err, errlen, "the sequence id must be an integer");
            return -1;
        }
        put(obj, "sequenceId", &e[1]);
        return 0;
    }
    if (e[1].type != MSGPACK_OBJECT_MAP) {
        snprintf(err, errlen, "the headers must be a map");
        return -1;
    }
    if (e[1].via.map.size)
        put(obj, "headers", &e[1]);
    /* The invocation id: nil for an Invocation that wants no answer. */
    int id_optional = type == HUBPROTO_INVOCATION;
    if (!(id_optional && e[2].type == MSGPACK_OBJECT_NIL)) {
        if (!is_str(&e[2]) || e[2].via.str.size == 0 ||
            memchr(e[2].via.str.ptr, '\0', e[2].via.str.size)) {
            snprintf(err, errlen,
                     "the invocation id must be a non-empty "
                     "string without NUL");
            return -1;
        }
        put(obj, "invocationId", &e[2]);
    }
    switch (type) {
    case HUBPROTO_INVOCATION:
    case HUBPROTO_STREAM_INVOCATION:
        if (!is_str(&e[3]) || e[3].via.str.size == 0) {
            snprintf(err, errlen, "an invocation needs a non-empty target");
            return -1;
        }
        if (memchr(e[3].via.str.ptr, '\0', e[3].via.str.size)) {
            snprintf(err, errlen, "the target holds a NUL byte");
            return -1;
        }
        if (e[4].type != MSGPACK_OBJECT_ARRAY) {
            snprintf(err, errlen, "an invocation needs an arguments array");
            return -1;
        }
        put(obj, "target", &e[3]);
        put(obj, "arguments", &e[4]);
        if (n > 5 && e[5].type == MSGPACK_OBJECT_ARRAY && e[5].via.array.size)
            put(obj, "streamIds", &e[5]);
        break;
    case HUBPROTO_STREAM_ITEM:
        put(obj, "item", &e[3]);
        break;
    case HUBPROTO_COMPLETION: {
        if (e[3].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            e[3].via.u64 < RESULT_ERROR || e[3].via.u64 > RESULT_VALUE) {
            snprintf(err, errlen, "Completion: result kind must be 1, 2 or 3");
            return -1;
        }
        unsigned kind = (unsigned)e[3].via.u64;
        if (kind != RESULT_VOID && n < 5) {
            snprintf(err, errlen, "Completion: result kind %u needs a value",
                     kind);
            return -1;
        }
        if (kind == RESULT_ERROR && !is_str(&e[4])) {
            snprintf(err, errlen, "Completion: the error must be a string");
            return -1;
        }
        if (kind != RESULT_VOID)
            put(obj, kind == RESULT_ERROR ? "error" : "result", &e[4]);
        break;
    }
    default:
        break;
    }
    return 0;
}

int hubmsgpack_parse(const char *p, size_t n, struct hubproto_msg *m, char *err,
                     size_t errlen)
{
    msgpack_unpacked u;
    int rc = -1;
    memset(m, 0, sizeof *m);
    if (unpack_one(p, n, &u) < 0) {
        snprintf(err, errlen, "not one complete MessagePack value");
        goto out;
    }
    const msgpack_object *o = &u.data;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0) {
        snprintf(err, errlen, "a hub message must be a non-empty array");
        goto out;
    }
    const msgpack_object *e = o->via.array.ptr;
    if (e[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        e[0].via.u64 > TYPE_MAX) {
        snprintf(err, errlen,
                 "the message type must be an integer from 0 "
                 "to 1000000");
        goto out;
    }
    m->type = (int)e[0].via.u64;
    m->obj = json_object_new_object();
    json_object_object_add(m->obj, "type", json_object_new_int(m->type));
    if (layout((unsigned)m->type, e, o->via.array.size, m->obj, err, errlen) <
        0) {
        hubproto_msg_release(m);
        goto out;
    }
    m->target = jsonx_str(m->obj, "target");
    m->invocation_id = jsonx_str(m->obj, "invocationId");
    rc = 0;
out:
    msgpack_unpacked_destroy(&u);
    return rc;
}

int hubmsgpack_check_frames(const char *p, size_t n, char *err, size_t errlen)
{
    size_t at = 0;
    if (n == 0) {
        snprintf(err, errlen, "no message");
        return -1;
    }
    while (at < n) {
        size_t hdr = 0, len = 0;
        int rc = hubmsgpack_frame(p + at, n - at, FRAME_MAX, &hdr, &len, err,
                                  errlen);
        if (rc == 0)
            snprintf(err, errlen, "a message is cut short");
        if (rc <= 0)
            return -1;
        struct hubproto_msg m;
        if (hubmsgpack_parse(p + at + hdr, len, &m, err, errlen) < 0)
            return -1;
        hubproto_msg_release(&m);
        at += hdr + len;
    }
    return 0;
}

/* Every record of a JSON payload is an Invocation. */
static int json_invocations(const char *p, size_t n, char *err, size_t errlen)
{
    if (n == 0 || p[n - 1] != HUBPROTO_RS) {
        snprintf(err, errlen, "the json payload does not end in 0x1E");
        return -1;
    }
    while (n > 0) {
        const char *end = memchr(p, HUBPROTO_RS, n);
        size_t len = (size_t)(end - p);
        struct hubproto_msg m;
        if (hubproto_parse(p, len, &m, err, errlen) < 0)
            return -1;
        int type = m.type;
        hubproto_msg_release(&m);
        if (type != HUBPROTO_INVOCATION) {
            snprintf(err, errlen, "the json payload is not an Invocation");
            return -1;
        }
        n -= len + 1;
        p = end + 1;
    }
    return 0;
}

/* Every frame of a MessagePack payload is an Invocation. */
static int mp_invocations(const char *p, size_t n, char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "the messagepack payload is empty");
        return -1;
    }
    while (n > 0) {
        size_t hdr = 0, len = 0;
        int rc = hubmsgpack_frame(p, n, FRAME_MAX, &hdr, &len, err, errlen);
        if (rc == 0)
            snprintf(err, errlen, "the messagepack payload is cut short");
        if (rc <= 0)
            return -1;
        struct hubproto_msg m;
        if (hubmsgpack_parse(p + hdr, len, &m, err, errlen) < 0)
            return -1;
        int type = m.type;
        hubproto_msg_release(&m);
        if (type != HUBPROTO_INVOCATION) {
            snprintf(err, errlen,
                     "the messagepack payload is not an Invocation");
            return -1;
        }
        p += hdr + len;
        n -= hdr + len;
    }
    return 0;
}

int hubmsgpack_payload_map(const char *p, size_t n, const char **json,
                           size_t *json_len, const char **mp, size_t *mp_len,
                           char *err, size_t errlen)
{
    msgpack_unpacked u;
    int rc = -1;
    *json = *mp = NULL;
    *json_len = *mp_len = 0;
    if (unpack_one(p, n, &u) < 0) {
        snprintf(err, errlen, "the body is not one MessagePack value");
        goto out;
    }
    if (u.data.type != MSGPACK_OBJECT_MAP) {
        snprintf(err, errlen,
                 "the body is not a MessagePack map of protocol "
                 "name to payload");
        goto out;
    }
    for (uint32_t i = 0; i < u.data.via.map.size; i++) {
        const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
        if (!is_str(&kv->key)) {
            snprintf(err, errlen, "a protocol name is not a string");
            goto out;
        }
        const char *k = kv->key.via.str.ptr;
        size_t kn = kv->key.via.str.size;
        int is_json = kn == 4 && memcmp(k, "json", 4) == 0;
        int is_mp = kn == strlen(HUBMSGPACK_NAME) &&
                    memcmp(k, HUBMSGPACK_NAME, kn) == 0;
        if (!is_json && !is_mp)
            continue;
        if (kv->val.type != MSGPACK_OBJECT_BIN) {
            snprintf(err, errlen, "the %s payload is not binary",
                     is_json ? "json" : HUBMSGPACK_NAME);
            goto out;
        }
        const char *v = kv->val.via.bin.ptr;
        size_t vn = kv->val.via.bin.size;
        if ((is_json ? json_invocations : mp_invocations)(v, vn, err, errlen) <
            0)
            goto out;
        *(is_json ? json : mp) = v;
        *(is_json ? json_len : mp_len) = vn;
    }
    if (!*json && !*mp) {
        snprintf(err, errlen,
                 "the body has neither a json nor a messagepack "
                 "payload");
        goto out;
    }
    rc = 0;
out:
    if (rc < 0) {
        *json = *mp = NULL;
        *json_len = *mp_len = 0;
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}

/* --- the handshake ------------------------------------------------------ */

int hubmsgpack_handshake_check(const char *rec, size_t len, char *err,
                               size_t errlen)
{
    struct json_object *o = NULL;
    char perr[128];
    const char *proto = NULL;
    if (jsonx_parse(rec, len, &o, perr, sizeof perr) == 0 &&
        json_object_is_type(o, json_type_object))
        proto = jsonx_str(o, "protocol");
    if (!proto || strcmp(proto, HUBMSGPACK_NAME) != 0) {
        json_object_put(o);
        return hubproto_handshake_check(rec, len, err, errlen);
    }
    struct json_object *v = jsonx_get_ci(o, "version");
    int rc = -1;
    if (!v || !json_object_is_type(v, json_type_int)) {
        snprintf(err, errlen,
                 "Handshake request needs 'protocol' and 'version'.");
    } else if (json_object_get_int64(v) < 1 || json_object_get_int64(v) > 2) {
        snprintf(err, errlen,
                 "The server does not support version %lld of the "
                 "'messagepack' protocol.",
                 (long long)json_object_get_int64(v));
    } else {
        rc = 1;
    }
    json_object_put(o);
    return rc;
}

/* --- JSON records to MessagePack --------------------------------------- */

static int write_buf(void *data, const char *p, size_t n)
{
    return buf_append(data, p, n) < 0 ? -1 : 0;
}

static void pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str_with_body(pk, s, n);
}

static void pack_json(msgpack_packer *pk, struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        msgpack_pack_nil(pk);
        break;
    case json_type_boolean:
        if (json_object_get_boolean(v))
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        break;
    case json_type_double:
        msgpack_pack_double(pk, json_object_get_double(v));
        break;
    case json_type_int: {
        int64_t i = json_object_get_int64(v);
        if (i == INT64_MAX)
            msgpack_pack_uint64(pk, json_object_get_uint64(v));
        else
            msgpack_pack_int64(pk, i);
        break;
    }
    case json_type_string:
        pack_str(pk, json_object_get_string(v),
                 (size_t)json_object_get_string_len(v));
        break;
    case json_type_array: {
        size_t n = json_object_array_length(v);
        msgpack_pack_array(pk, n);
        for (size_t i = 0; i < n; i++)
            pack_json(pk, json_object_array_get_idx(v, i));
        break;
    }
    case json_type_object:
        msgpack_pack_map(pk, (size_t)json_object_object_length(v));
        json_object_object_foreach(v, k, e)
        {
            pack_str(pk, k, strlen(k));
            pack_json(pk, e);
        }
        break;
    }
}

/* A field of the record, nil when absent. */
static void pack_field(msgpack_packer *pk, struct json_object *o,
                       const char *key)
{
    struct json_object *v = NULL;
    json_object_object_get_ex(o, key, &v);
    pack_json(pk, v);
}

static void pack_headers(msgpack_packer *pk, struct json_object *o)
{
    struct json_object *h = NULL;
    if (json_object_object_get_ex(o, "headers", &h) &&
        json_object_is_type(h, json_type_object))
        pack_json(pk, h);
    else
        msgpack_pack_map(pk, 0);
}

/* One JSON hub message as a MessagePack array onto pk. */
static int pack_message(msgpack_packer *pk, struct json_object *o, char *err,
                        size_t errlen)
{
    struct json_object *t = NULL, *v = NULL;
    if (!json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, "type", &t) ||
        !json_object_is_type(t, json_type_int)) {
        snprintf(err, errlen, "a record is not a hub message");
        return -1;
    }
    int type = json_object_get_int(t);
    int has_streams = json_object_object_get_ex(o, "streamIds", &v) &&
                      json_object_is_type(v, json_type_array);
    switch (type) {
    case HUBPROTO_INVOCATION:
    case HUBPROTO_STREAM_INVOCATION:
        msgpack_pack_array(pk, has_streams ? 6 : 5);
        msgpack_pack_int(pk, type);
        pack_headers(pk, o);
        pack_field(pk, o, "invocationId");
        pack_field(pk, o, "target");
        if (json_object_object_get_ex(o, "arguments", &v) &&
            json_object_is_type(v, json_type_array))
            pack_json(pk, v);
        else
            msgpack_pack_array(pk, 0);
        if (has_streams)
            pack_field(pk, o, "streamIds");
        return 0;
    case HUBPROTO_STREAM_ITEM:
        msgpack_pack_array(pk, 4);
        msgpack_pack_int(pk, type);
        pack_headers(pk, o);
        pack_field(pk, o, "invocationId");
        pack_field(pk, o, "item");
        return 0;
    case HUBPROTO_COMPLETION: {
        int has_error = json_object_object_get_ex(o, "error", NULL);
        int has_result = json_object_object_get_ex(o, "result", NULL);
        int kind = has_error    ? RESULT_ERROR
                   : has_result ? RESULT_VALUE
                                : RESULT_VOID;
        msgpack_pack_array(pk, kind == RESULT_VOID ? 4 : 5);
        msgpack_pack_int(pk, type);
        pack_headers(pk, o);
        pack_field(pk, o, "invocationId");
        msgpack_pack_int(pk, kind);
        if (kind != RESULT_VOID)
            pack_field(pk, o, has_error ? "error" : "result");
        return 0;
    }
    case HUBPROTO_CANCEL_INVOCATION:
        msgpack_pack_array(pk, 3);
        msgpack_pack_int(pk, type);
        pack_headers(pk, o);
        pack_field(pk, o, "invocationId");
        return 0;
    case HUBPROTO_PING:
        msgpack_pack_array(pk, 1);
        msgpack_pack_int(pk, type);
        return 0;
    case HUBPROTO_CLOSE:
        msgpack_pack_array(pk, 3);
        msgpack_pack_int(pk, type);
        pack_field(pk, o, "error");
        if (json_object_object_get_ex(o, "allowReconnect", &v) &&
            json_object_get_boolean(v))
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        return 0;
    case HUBPROTO_ACK:
    case HUBPROTO_SEQUENCE:
        msgpack_pack_array(pk, 2);
        msgpack_pack_int(pk, type);
        pack_field(pk, o, "sequenceId");
        return 0;
    default:
        snprintf(err, errlen, "message type %d has no MessagePack layout",
                 type);
        return -1;
    }
}

int hubmsgpack_from_json(const char *recs, size_t n, struct buf *out, char *err,
                         size_t errlen)
{
    size_t before = out->len;
    struct buf one;
    buf_init(&one, (size_t)-1);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &one, write_buf);
    int rc = 0;
    while (n > 0 && rc == 0) {
        const char *end = memchr(recs, HUBPROTO_RS, n);
        if (!end) {
            snprintf(err, errlen, "a record does not end in 0x1E");
            rc = -1;
            break;
        }
        size_t len = (size_t)(end - recs);
        struct json_object *o = NULL;
        char perr[128];
        if (jsonx_parse(recs, len, &o, perr, sizeof perr) < 0) {
            snprintf(err, errlen, "a record is not JSON: %s", perr);
            rc = -1;
            break;
        }
        buf_reset(&one);
        rc = pack_message(&pk, o, err, errlen);
        json_object_put(o);
        if (rc == 0 && (hubmsgpack_put_prefix(out, one.len) < 0 ||
                        buf_append(out, one.data, one.len) < 0)) {
            snprintf(err, errlen, "message too large");
            rc = -1;
        }
        n -= len + 1;
        recs = end + 1;
    }
    buf_release(&one);
    if (rc < 0) {
        out->len = before;
        if (out->data)
            out->data[before] = '\0';
    }
    return rc;
}
