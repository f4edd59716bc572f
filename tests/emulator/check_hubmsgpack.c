/* check_hubmsgpack.c - the MessagePack hub protocol (proto/hubmsgpack.h)
 * against the bytes of the real client
 * (tests/vectors/signalr/msgpack-messages.txt), bad input, the fan-out's
 * shared encodings (emulator/hubout.h) and a MessagePack client's
 * connection (emulator/conn.h) driven without sockets over long polling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "emulator/conn.h"
#include "emulator/hubout.h"
#include "emulator/upmsg.h"
#include "emulator_suites.h"
#include "proto/hubmsgpack.h"
#include "runner.h"

#define MAX (1024u * 1024u)

/* hex → bytes into out (caller frees); *n set. */
static char *unhex(const char *hex, size_t *n)
{
    size_t len = strlen(hex) / 2;
    char *out = malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (char)v;
    }
    *n = len;
    return out;
}

static void parse_ok(const char *p, size_t n, const char *want_json)
{
    struct hubproto_msg m;
    char err[160] = "";
    ck_assert_msg(hubmsgpack_parse(p, n, &m, err, sizeof err) == 0, "%s: %s",
                  want_json, err);
    struct json_object *want = json_tokener_parse(want_json);
    ck_assert_msg(json_object_equal(m.obj, want), "got %s, want %s",
                  json_object_to_json_string(m.obj), want_json);
    ck_assert_int_eq(m.type,
                     json_object_get_int(json_object_object_get(want, "type")));
    json_object_put(want);
    hubproto_msg_release(&m);
}

static void parse_bad(const char *p, size_t n, const char *why)
{
    struct hubproto_msg m;
    char err[160] = "";
    ck_assert_msg(hubmsgpack_parse(p, n, &m, err, sizeof err) == -1,
                  "accepted: %s", why);
    ck_assert_msg(err[0] != '\0', "no reason: %s", why);
    ck_assert_ptr_null(m.obj);
}

/* Every vector: the client's bytes read as their JSON form (one at a time,
 * and all in one stream fed a byte at a time); the service's JSON records
 * written as the bytes the client reads. */
START_TEST(test_vectors)
{
    char path[512], err[160];
    snprintf(path, sizeof path, "%s/signalr/msgpack-messages.txt",
             runner_data_dir());
    char *text = runner_slurp(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    struct buf stream;
    buf_init(&stream, MAX);
    const char *forms[32];
    size_t nclient = 0, nservice = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        size_t n = 0;
        if (strncmp(l, "client ", 7) == 0) {
            char *hex = l + 7, *json = strchr(hex, ' ');
            *json++ = '\0';
            char *b = unhex(hex, &n);
            size_t hdr = 0, len = 0;
            ck_assert_int_eq(
                hubmsgpack_frame(b, n, MAX, &hdr, &len, err, sizeof err), 1);
            ck_assert_uint_eq(hdr + len, n);
            parse_ok(b + hdr, len, json);
            buf_append(&stream, b, n);
            forms[nclient++] = json;
            free(b);
        } else if (strncmp(l, "service ", 8) == 0) {
            char *json = l + 8, *hex = strrchr(json, ' ');
            *hex++ = '\0';
            struct buf rec, out;
            buf_init(&rec, MAX);
            buf_init(&out, MAX);
            buf_puts(&rec, json);
            buf_puts(&rec, HUBPROTO_RS_STR);
            ck_assert_msg(hubmsgpack_from_json(rec.data, rec.len, &out, err,
                                               sizeof err) == 0,
                          "%s: %s", json, err);
            char *want = unhex(hex, &n);
            ck_assert_msg(out.len == n && memcmp(out.data, want, n) == 0,
                          "%s: wrong bytes", json);
            /* and they are frames of known layouts */
            ck_assert_int_eq(
                hubmsgpack_check_frames(out.data, out.len, err, sizeof err), 0);
            free(want);
            buf_release(&rec);
            buf_release(&out);
            nservice++;
        }
    }
    ck_assert_uint_eq(nclient, 13);
    ck_assert_uint_ge(nservice, 12);
    /* The whole client stream, a byte at a time: each message once, in
     * order, none before its last byte. */
    struct hubmsgpack_reader r;
    hubmsgpack_reader_init(&r, MAX);
    size_t got = 0;
    for (size_t i = 0; i < stream.len; i++) {
        const char *msg;
        size_t len;
        ck_assert_int_eq(hubmsgpack_reader_feed(&r, stream.data + i, 1), 0);
        int rc;
        while ((rc = hubmsgpack_reader_next(&r, &msg, &len, err, sizeof err)) ==
               1)
            parse_ok(msg, len, forms[got++]);
        ck_assert_int_eq(rc, 0);
    }
    ck_assert_uint_eq(got, nclient);
    hubmsgpack_reader_release(&r);
    buf_release(&stream);
    free(text);
}
END_TEST

START_TEST(test_prefix)
{
    static const struct {
        size_t n;
        const char *bytes;
        size_t len;
    } cases[] = {{0, "\x00", 1},
                 {127, "\x7f", 1},
                 {128, "\x80\x01", 2},
                 {16384, "\x80\x80\x01", 3},
                 {0x7fffffff, "\xff\xff\xff\xff\x07", 5}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b;
        buf_init(&b, 16);
        ck_assert_int_eq(hubmsgpack_put_prefix(&b, cases[i].n), 0);
        ck_assert_uint_eq(b.len, cases[i].len);
        ck_assert_int_eq(memcmp(b.data, cases[i].bytes, b.len), 0);
        buf_release(&b);
    }
}
END_TEST

/* Bad framing: a prefix cut short waits; a prefix over 5 bytes, over
 * 2 GB or over the limit is an error, and the reader stops there. */
START_TEST(test_bad_framing)
{
    char err[160];
    size_t hdr, len;
    ck_assert_int_eq(hubmsgpack_frame("", 0, MAX, &hdr, &len, err, sizeof err),
                     0);
    ck_assert_int_eq(
        hubmsgpack_frame("\x80", 1, MAX, &hdr, &len, err, sizeof err), 0);
    ck_assert_int_eq(hubmsgpack_frame("\x80\x80\x80\x80", 4, MAX, &hdr, &len,
                                      err, sizeof err),
                     0);
    ck_assert_int_eq(hubmsgpack_frame("\x80\x80\x80\x80\x80", 5, MAX, &hdr,
                                      &len, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "5 bytes"));
    ck_assert_int_eq(hubmsgpack_frame("\xff\xff\xff\xff\x0f", 5, MAX, &hdr,
                                      &len, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "2 GB"));
    /* 1 MiB + 1 declared: refused before any of it arrives */
    ck_assert_int_eq(
        hubmsgpack_frame("\x81\x80\x40", 3, MAX, &hdr, &len, err, sizeof err),
        -1);
    ck_assert_ptr_nonnull(strstr(err, "limit"));
    /* a complete message, then a bad prefix */
    struct hubmsgpack_reader r;
    const char *msg;
    hubmsgpack_reader_init(&r, MAX);
    ck_assert_int_eq(
        hubmsgpack_reader_feed(&r, "\x02\x91\x06\xff\xff\xff\xff\xff", 8), 0);
    ck_assert_int_eq(hubmsgpack_reader_next(&r, &msg, &len, err, sizeof err),
                     1);
    ck_assert_uint_eq(len, 2);
    ck_assert_int_eq(hubmsgpack_reader_next(&r, &msg, &len, err, sizeof err),
                     -1);
    hubmsgpack_reader_release(&r);
    /* the reader's own cap */
    hubmsgpack_reader_init(&r, 8);
    char big[64] = {0};
    ck_assert_int_eq(hubmsgpack_reader_feed(&r, big, sizeof big), -1);
    hubmsgpack_reader_release(&r);
}
END_TEST

/* Bad messages: answered with a reason, never a crash or a huge
 * allocation (each declared length is checked against the bytes). */
START_TEST(test_bad_messages)
{
    parse_bad("", 0, "empty");
    parse_bad("\x01", 1, "not an array");
    parse_bad("\x90", 1, "empty array");
    parse_bad("\x91\xa1\x31", 3, "type a string");
    parse_bad("\x91\xff", 2, "negative type");
    parse_bad("\x91\xce\x00\x10\x00\x00", 6, "type too large");
    parse_bad("\x95\x01", 2, "cut short");
    parse_bad("\x91\x06\x00", 3, "trailing byte");
    parse_bad("\xc1", 1, "never-used byte");
    parse_bad("\xdd\xff\xff\xff\xff", 5, "array32 of 4 G elements");
    parse_bad("\x92\x06\xdb\xff\xff\xff\xff", 7, "str32 of 4 GB");
    parse_bad("\x92\x06\xdf\x7f\xff\xff\xff", 7, "map32 of 2 G pairs");
    parse_bad("\x92\x06\xc9\xff\xff\xff\xff\x01", 8, "ext32 of 4 GB");
    parse_bad("\x95\x01\x80\xc0\x05\x90", 6, "target an integer");
    parse_bad("\x95\x01\x80\xc0\xa0\x90", 6, "target empty");
    parse_bad("\x95\x01\x90\xc0\xa1t\x90", 7, "headers an array");
    parse_bad("\x95\x01\x80\xc0\xa1t\xa1x", 7, "arguments a string");
    parse_bad("\x95\x01\x80\xa0\xa1t\x90", 7, "invocation id empty");
    parse_bad("\x95\x01\x80\x07\xa1t\x90", 7, "invocation id an integer");
    parse_bad("\x94\x01\x80\xc0\xa1t", 6, "invocation of 4 elements");
    parse_bad("\x95\x04\x80\xc0\xa1t\x90", 7, "stream invocation, no id");
    parse_bad("\x94\x03\x80\xa1\x31\x04", 6, "result kind 4");
    parse_bad("\x94\x03\x80\xa1\x31\x01", 6, "error kind, no error");
    parse_bad("\x95\x03\x80\xa1\x31\x01\x05", 7, "error not a string");
    parse_bad("\x92\x07\x05", 3, "close error an integer");
    parse_bad("\x92\x08\xa1x", 4, "ack id a string");
    parse_bad("\x91\x08", 2, "ack without id");
    parse_bad("\x95\x01\x80\xc0\xa2t\x00\x90", 8, "target with NUL");
    /* Nesting deeper than msgpack-c's stack: an error, not a crash. */
    char deep[300];
    size_t n = 0;
    deep[n++] = (char)0x92;
    deep[n++] = 0x06;
    for (int i = 0; i < 200; i++)
        deep[n++] = (char)0x91;
    deep[n++] = 0x00;
    parse_bad(deep, n, "200 levels deep");
    /* Unknown types are legal, the type alone. */
    parse_ok("\x93\x2a\x01\x02", 4, "{\"type\":42}");
    /* Every integer width, signed and unsigned, and a float32. */
    parse_ok("\x95\x01\x80\xc0\xa1\x74\x98\xd0\x9c\xd1\xfc\x18\xcc\xc8"
             "\xcd\x01\x00\xce\x00\x01\x11\x70\xd2\xff\xfe\xee\x90\xd3"
             "\xff\xff\xff\xff\xff\xff\xff\xff\xca\x3f\xc0\x00\x00",
             41,
             "{\"type\":1,\"target\":\"t\",\"arguments\":[-100,-1000,200,256,"
             "70000,-70000,-1,1.5]}");
    /* Values: bin as base64, ext as null, non-string keys as JSON text. */
    parse_ok("\x95\x01\x80\xc0\xa1t\x93\xc4\x03\x01\x02\x03\xd4\x01\x00"
             "\x81\x01\xa1v",
             19,
             "{\"type\":1,\"target\":\"t\",\"arguments\":[\"AQID\",null,"
             "{\"1\":\"v\"}]}");
}
END_TEST

START_TEST(test_handshake)
{
    char err[256];
    static const char mp1[] = "{\"protocol\":\"messagepack\",\"version\":1}";
    static const char mp2[] = "{\"protocol\":\"messagepack\",\"version\":2}";
    static const char mp3[] = "{\"protocol\":\"messagepack\",\"version\":3}";
    static const char json[] = "{\"protocol\":\"json\",\"version\":1}";
    static const char xml[] = "{\"protocol\":\"xml\",\"version\":1}";
    ck_assert_int_eq(
        hubmsgpack_handshake_check(mp1, strlen(mp1), err, sizeof err), 1);
    ck_assert_int_eq(
        hubmsgpack_handshake_check(mp2, strlen(mp2), err, sizeof err), 1);
    ck_assert_int_eq(
        hubmsgpack_handshake_check(mp3, strlen(mp3), err, sizeof err), -1);
    ck_assert_str_eq(err, "The server does not support version 3 of the "
                          "'messagepack' protocol.");
    ck_assert_int_eq(
        hubmsgpack_handshake_check(json, strlen(json), err, sizeof err), 0);
    ck_assert_int_eq(
        hubmsgpack_handshake_check(xml, strlen(xml), err, sizeof err), -1);
    ck_assert_str_eq(err, "Requested protocol 'xml' is not available.");
    ck_assert_int_eq(hubmsgpack_handshake_check("[", 1, err, sizeof err), -1);
}
END_TEST

START_TEST(test_from_json_bad)
{
    char err[160];
    struct buf out;
    buf_init(&out, 64);
    buf_puts(&out, "kept");
    static const char *const bad[] = {
        "{\"type\":6}",                      /* no 0x1E */
        "[6]\x1e",                           /* not an object */
        "{\"type\":\"6\"}\x1e",              /* type not an integer */
        "{\"type\":6}\x1e{\"type\":99}\x1e", /* no layout for 99 */
        "{\x1e",                             /* not JSON */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(
            hubmsgpack_from_json(bad[i], strlen(bad[i]), &out, err, sizeof err),
            -1);
        ck_assert_str_eq(buf_cstr(&out), "kept");
    }
    /* over out's cap */
    static const char big[] = "{\"type\":1,\"target\":\"t\",\"arguments\":"
                              "[\"0123456789012345678901234567890123456789"
                              "0123456789012345678901234567890123456789"
                              "0123456789\"]}\x1e";
    ck_assert_int_eq(
        hubmsgpack_from_json(big, strlen(big), &out, err, sizeof err), -1);
    ck_assert_str_eq(buf_cstr(&out), "kept");
    buf_release(&out);
    /* frames check: JSON text and a cut message are not frames */
    ck_assert_int_eq(hubmsgpack_check_frames("{}\x1e", 3, err, sizeof err), -1);
    ck_assert_int_eq(
        hubmsgpack_check_frames("\x03\x91\x06", 3, err, sizeof err), -1);
    ck_assert_int_eq(hubmsgpack_check_frames("", 0, err, sizeof err), -1);
}
END_TEST

/* A fan-out transcodes once: every MessagePack recipient shares one
 * encoding. */
START_TEST(test_hubout_once)
{
    char err[160];
    static const char rec[] = "{\"type\":6}\x1e";
    struct hubout o;
    hubout_init(&o, rec, sizeof rec - 1);
    const struct msg *a = hubout_msgpack(&o, err, sizeof err);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_eq(hubout_msgpack(&o, err, sizeof err), a);
    ck_assert_uint_eq(a->len, 3);
    ck_assert_int_eq(memcmp(a->data, "\x02\x91\x06", 3), 0);
    hubout_release(&o);
    hubout_init(&o, "{\"type\":99}\x1e", 12);
    ck_assert_ptr_null(hubout_msgpack(&o, err, sizeof err));
    ck_assert_ptr_null(hubout_msgpack(&o, err, sizeof err));
    hubout_release(&o);
}
END_TEST

/* What an upstream answers a MessagePack client: frames go verbatim,
 * anything else becomes a Completion error, transcoded. */
START_TEST(test_upstream_answer)
{
    static const char done[] = "\x06\x94\x03\x80\xa1\x37\x02";
    struct buf b;
    buf_init(&b, 4096);
    ck_assert_int_eq(upmsg_answer_msgpack(&b, "7", 200, done, 7), 0);
    ck_assert_uint_eq(b.len, 7);
    ck_assert_int_eq(memcmp(b.data, done, 7), 0);
    buf_reset(&b);
    static const char json[] = "{\"type\":3,\"invocationId\":\"7\"}\x1e";
    ck_assert_int_eq(upmsg_answer_msgpack(&b, "7", 200, json, sizeof json - 1),
                     0);
    char err[160];
    ck_assert_int_eq(hubmsgpack_check_frames(b.data, b.len, err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(memmem(b.data, b.len, "not hub records", 15));
    buf_reset(&b);
    ck_assert_int_eq(upmsg_answer_msgpack(&b, "7", 404, "", 0), 0);
    ck_assert_ptr_nonnull(memmem(b.data, b.len, "status code 404", 15));
    buf_reset(&b);
    ck_assert_int_eq(upmsg_answer_msgpack(&b, "7", 204, "", 0), 0);
    ck_assert_uint_eq(b.len, 7);
    ck_assert_int_eq(memcmp(b.data, done, 7), 0);
    buf_release(&b);
}
END_TEST

/* A binary REST payload as the Management SDK writes it: a map of
 * protocol name to bin. */
static size_t payload_map(char *out, const char *json, size_t jn,
                          const char *mp, size_t mn)
{
    size_t n = 0;
    out[n++] = (char)(0x80 | ((json != NULL) + (mp != NULL)));
    if (json) {
        memcpy(out + n, "\xa4json\xc4", 6);
        n += 6;
        out[n++] = (char)jn;
        memcpy(out + n, json, jn);
        n += jn;
    }
    if (mp) {
        memcpy(out + n, "\xabmessagepack\xc4", 13);
        n += 13;
        out[n++] = (char)mn;
        memcpy(out + n, mp, mn);
        n += mn;
    }
    return n;
}

#define JSON_INV "{\"type\":1,\"target\":\"t\",\"arguments\":[1]}\x1e"
#define MP_INV "\x08\x95\x01\x80\xc0\xa1t\x91\x01"

START_TEST(test_payload_map)
{
    char body[256], err[160];
    const char *json, *mp;
    size_t jn, mn;
    size_t n = payload_map(body, JSON_INV, sizeof JSON_INV - 1, MP_INV,
                           sizeof MP_INV - 1);
    ck_assert_int_eq(
        hubmsgpack_payload_map(body, n, &json, &jn, &mp, &mn, err, sizeof err),
        0);
    ck_assert_uint_eq(jn, sizeof JSON_INV - 1);
    ck_assert_int_eq(memcmp(json, JSON_INV, jn), 0);
    ck_assert_uint_eq(mn, sizeof MP_INV - 1);
    ck_assert_int_eq(memcmp(mp, MP_INV, mn), 0);
    /* one protocol only: the other is absent */
    n = payload_map(body, JSON_INV, sizeof JSON_INV - 1, NULL, 0);
    ck_assert_int_eq(
        hubmsgpack_payload_map(body, n, &json, &jn, &mp, &mn, err, sizeof err),
        0);
    ck_assert_ptr_nonnull(json);
    ck_assert_ptr_null(mp);
    /* through hubout: the given MessagePack bytes are used as they are */
    n = payload_map(body, NULL, 0, MP_INV, sizeof MP_INV - 1);
    struct hubout o;
    ck_assert_int_eq(hubout_init_payload_map(&o, body, n, err, sizeof err), 0);
    ck_assert_ptr_null(o.json);
    const struct msg *m = hubout_msgpack(&o, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(memcmp(m->data, MP_INV, m->len), 0);
    hubout_release(&o);
    /* bad: each refused with a reason */
    static const struct {
        const char *body;
        size_t len;
        const char *why;
    } bad[] = {
        {"\x91\x01", 2, "map"},
        {"\x81\x01\xc4\x01\x00", 5, "not a string"},
        {"\x81\xa4json\xa1x", 8, "not binary"},
        {"\x81\xa4json\xc4\x03{}\x1e", 11, "type"},
        {"\x81\xa4json\xc4\x0b{\"type\":6}\x1e", 19, "not an Invocation"},
        {"\x81\xa4json\xc4\x02{}", 10, "0x1E"},
        {"\x81\xabmessagepack\xc4\x02\x05\x91", 17, "cut short"},
        {"\x81\xabmessagepack\xc4\x03\x02\x91\x06", 18, "not an Invocation"},
        {"\x81\xa3xml\xc4\x00", 7, "neither"},
        {"\x80", 1, "neither"},
        {"", 0, "MessagePack"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_int_eq(hubmsgpack_payload_map(bad[i].body, bad[i].len, &json,
                                                &jn, &mp, &mn, err, sizeof err),
                         -1);
        ck_assert_msg(strstr(err, bad[i].why), "case %zu: %s", i, err);
        ck_assert_ptr_null(json);
        ck_assert_ptr_null(mp);
    }
}
END_TEST

static int invocations;
static char last_raw[64];
static size_t last_raw_len;

static void on_invocation(void *arg, struct conn *c,
                          const struct hubproto_msg *m, const char *raw,
                          size_t len)
{
    invocations++;
    ck_assert_str_eq(m->target, "echo");
    ck_assert_str_eq(m->invocation_id, "0");
    ck_assert_uint_lt(len, sizeof last_raw);
    memcpy(last_raw, raw, len);
    last_raw_len = len;
}

static const struct conn_hooks hooks = {NULL, NULL, on_invocation};

#define HS "{\"protocol\":\"messagepack\",\"version\":2}\x1e"
#define INVOKE                                                                 \
    "\x0f\x96\x01\x80\xa1\x30\xa4\x65\x63\x68\x6f\x91\xa2\x68\x69\x90"

/* A long-polling MessagePack client: the handshake and a first message in
 * one POST, records sent to it transcoded, a bad frame closes it. */
START_TEST(test_conn_msgpack)
{
    struct loop loop;
    memset(&loop, 0, sizeof loop);
    loop.now_ms = 1000000;
    struct registry *reg = registry_new();
    struct conns *t = conns_new(&loop, NULL, reg);
    conns_set_hooks(t, &hooks, NULL);
    invocations = 0;
    struct conn *c = conn_new(t, "chat", NULL, 0);
    ck_assert_int_eq(conn_attach_lp(c), 0);
    static const char in[] = HS INVOKE;
    conn_input(c, in, sizeof in - 1);
    ck_assert_int_eq(c->state, CONN_OPEN);
    ck_assert_int_eq(c->binary, 1);
    ck_assert_int_eq(invocations, 1);
    /* upstream gets the message as sent, without its prefix */
    ck_assert_uint_eq(last_raw_len, sizeof INVOKE - 2);
    ck_assert_int_eq(memcmp(last_raw, INVOKE + 1, last_raw_len), 0);
    /* the handshake answer is JSON; what follows is MessagePack */
    ck_assert_uint_eq(c->out.len, 3);
    ck_assert_int_eq(memcmp(c->out.data, "{}\x1e", 3), 0);
    buf_reset(&c->out);
    static const char rec[] = "{\"type\":3,\"invocationId\":\"7\"}\x1e";
    ck_assert_int_eq(conn_send(c, rec, sizeof rec - 1, NULL), 0);
    ck_assert_uint_eq(c->out.len, 7);
    ck_assert_int_eq(memcmp(c->out.data, "\x06\x94\x03\x80\xa1\x37\x02", 7), 0);
    buf_reset(&c->out);
    /* native bytes go as they are */
    ck_assert_int_eq(conn_send_native(c, "\x02\x91\x06", 3), 0);
    ck_assert_uint_eq(c->out.len, 3);
    buf_reset(&c->out);
    /* a message in two halves waits for its end */
    conn_input(c, INVOKE, 5);
    ck_assert_int_eq(invocations, 1);
    conn_input(c, INVOKE + 5, sizeof INVOKE - 6);
    ck_assert_int_eq(invocations, 2);
    /* a bad message closes it with the service's Close, in MessagePack */
    conn_input(c, "\x02\x91\xa1", 3);
    ck_assert_int_eq(c->state, CONN_CLOSING);
    ck_assert_uint_gt(c->out.len, 3);
    ck_assert_int_eq(c->out.data[1], (char)0x93);
    ck_assert_int_eq(c->out.data[2], 0x07);
    char err[160];
    ck_assert_int_eq(
        hubmsgpack_check_frames(c->out.data, c->out.len, err, sizeof err), 0);
    conns_abort_all(t, "test over");
    conns_reap(t);
    conns_free(t);
    registry_free(reg);
}
END_TEST

/* A MessagePack handshake on Server-Sent Events is refused with the
 * service's words; JSON on the same transport is fine. */
START_TEST(test_conn_msgpack_sse_refused)
{
    struct loop loop;
    memset(&loop, 0, sizeof loop);
    loop.now_ms = 1000000;
    struct registry *reg = registry_new();
    struct conns *t = conns_new(&loop, NULL, reg);
    struct conn *c = conn_new(t, "chat", NULL, 0);
    struct http_req stream;
    memset(&stream, 0, sizeof stream);
    ck_assert_int_eq(conn_attach_sse(c, &stream), 0);
    conn_input(c, HS, sizeof HS - 1);
    ck_assert_int_ne(c->state, CONN_OPEN);
    ck_assert_int_eq(c->binary, 0);
    ck_assert_ptr_nonnull(strstr(buf_cstr(&c->out), HUBMSGPACK_TEXT_ONLY));
    conns_abort_all(t, "test over");
    conns_reap(t);
    conns_free(t);
    registry_free(reg);
}
END_TEST

Suite *hubmsgpack_suite(void)
{
    Suite *s = suite_create("hubmsgpack");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_vectors);
    tcase_add_test(tc, test_prefix);
    tcase_add_test(tc, test_bad_framing);
    tcase_add_test(tc, test_bad_messages);
    tcase_add_test(tc, test_handshake);
    tcase_add_test(tc, test_from_json_bad);
    tcase_add_test(tc, test_hubout_once);
    tcase_add_test(tc, test_upstream_answer);
    tcase_add_test(tc, test_payload_map);
    tcase_add_test(tc, test_conn_msgpack);
    tcase_add_test(tc, test_conn_msgpack_sse_refused);
    suite_add_tcase(s, tc);
    return s;
}
