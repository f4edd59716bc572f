/* check_hubproto.c - JSON hub protocol records (src/proto/hubproto.c),
 * with records of tests/vectors/signalr/hub-messages.txt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "proto/hubproto.h"
#include "runner.h"
#include "util/jsonx.h"

static const char HS[] = "{\"protocol\":\"json\",\"version\":1}\x1e";

START_TEST(test_reader_partial_record_waits)
{
    struct hubproto_reader r;
    const char *rec;
    size_t len;
    hubproto_reader_init(&r, 1024);
    ck_assert_int_eq(hubproto_reader_feed(&r, HS, 10), 0);
    ck_assert_int_eq(hubproto_reader_next(&r, &rec, &len), 0);
    ck_assert_uint_eq(hubproto_reader_pending(&r), 10);
    ck_assert_int_eq(hubproto_reader_feed(&r, HS + 10, sizeof HS - 11), 0);
    ck_assert_int_eq(hubproto_reader_next(&r, &rec, &len), 1);
    ck_assert_uint_eq(len, sizeof HS - 2);
    ck_assert_int_eq(memcmp(rec, HS, len), 0);
    ck_assert_int_eq(hubproto_reader_next(&r, &rec, &len), 0);
    ck_assert_uint_eq(hubproto_reader_pending(&r), 0);
    hubproto_reader_release(&r);
}
END_TEST

START_TEST(test_reader_several_records_per_frame)
{
    static const char in[] = "{\"type\":6}\x1e{\"type\":7}\x1e{\"ty";
    struct hubproto_reader r;
    const char *rec;
    size_t len;
    hubproto_reader_init(&r, 1024);
    ck_assert_int_eq(hubproto_reader_feed(&r, in, sizeof in - 1), 0);
    ck_assert_int_eq(hubproto_reader_next(&r, &rec, &len), 1);
    ck_assert_int_eq(strncmp(rec, "{\"type\":6}", len), 0);
    ck_assert_int_eq(hubproto_reader_next(&r, &rec, &len), 1);
    ck_assert_int_eq(strncmp(rec, "{\"type\":7}", len), 0);
    ck_assert_int_eq(hubproto_reader_next(&r, &rec, &len), 0);
    ck_assert_int_eq(hubproto_reader_feed(&r, "pe\":6}\x1e", 7), 0);
    ck_assert_int_eq(hubproto_reader_next(&r, &rec, &len), 1);
    ck_assert_int_eq(strncmp(rec, "{\"type\":6}", len), 0);
    hubproto_reader_release(&r);
}
END_TEST

START_TEST(test_reader_cap_refuses_oversize)
{
    struct hubproto_reader r;
    hubproto_reader_init(&r, 16);
    ck_assert_int_eq(hubproto_reader_feed(&r, "0123456789", 10), 0);
    ck_assert_int_eq(hubproto_reader_feed(&r, "0123456789", 10), -1);
    ck_assert_uint_eq(hubproto_reader_pending(&r), 10);
    hubproto_reader_release(&r);
}
END_TEST

START_TEST(test_handshake_accepts_json_v1_any_key_order)
{
    char err[128];
    ck_assert_int_eq(
        hubproto_handshake_check(HS, sizeof HS - 2, err, sizeof err), 0);
    static const char alt[] = "{ \"version\" : 2, \"protocol\" : \"json\" }";
    ck_assert_int_eq(
        hubproto_handshake_check(alt, sizeof alt - 1, err, sizeof err), 0);
}
END_TEST

START_TEST(test_handshake_refuses_other_protocols_and_bad_json)
{
    char err[128];
    static const char xml[] = "{\"protocol\":\"xml\",\"version\":1}";
    ck_assert_int_eq(
        hubproto_handshake_check(xml, sizeof xml - 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "Requested protocol 'xml' is not available.");
    ck_assert_int_eq(hubproto_handshake_check("{", 1, err, sizeof err), -1);
    static const char v9[] = "{\"protocol\":\"json\",\"version\":9}";
    ck_assert_int_eq(
        hubproto_handshake_check(v9, sizeof v9 - 1, err, sizeof err), -1);
    ck_assert_int_eq(hubproto_handshake_check("{}", 2, err, sizeof err), -1);
}
END_TEST

START_TEST(test_parse_message_types)
{
    struct hubproto_msg m;
    char err[128];
    static const char inv[] =
        "{\"target\":\"echo\",\"arguments\":[\"hi\"],\"invocationId\":\"0\","
        "\"type\":1}";
    ck_assert_int_eq(hubproto_parse(inv, sizeof inv - 1, &m, err, sizeof err),
                     0);
    ck_assert_int_eq(m.type, HUBPROTO_INVOCATION);
    ck_assert_str_eq(m.target, "echo");
    ck_assert_str_eq(m.invocation_id, "0");
    hubproto_msg_release(&m);
    /* Unknown numeric types are legal (forward compatibility). */
    ck_assert_int_eq(hubproto_parse("{\"type\":42}", 11, &m, err, sizeof err),
                     0);
    ck_assert_int_eq(m.type, 42);
    hubproto_msg_release(&m);
}
END_TEST

START_TEST(test_parse_rejects_bad_records)
{
    struct hubproto_msg m;
    char err[128];
    static const char *bad[] = {
        "{\"type\":",
        "[1]",
        "{\"type\":\"1\"}",
        "{\"target\":\"x\"}",
        "{\"type\":1,\"arguments\":[]}",
        "{\"type\":1,\"target\":\"\",\"arguments\":[]}",
        "{\"type\":1,\"target\":\"x\",\"arguments\":{}}",
        "{\"type\":3,\"invocationId\":7}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(
            hubproto_parse(bad[i], strlen(bad[i]), &m, err, sizeof err) == -1,
            "accepted %s", bad[i]);
        ck_assert_ptr_null(m.obj);
    }
}
END_TEST

START_TEST(test_writers_match_vectors)
{
    struct buf b;
    buf_init(&b, 4096);
    ck_assert_int_eq(hubproto_write_handshake(&b, NULL), 0);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_int_eq(memcmp(b.data, "{}\x1e", 3), 0);
    buf_reset(&b);
    hubproto_write_ping(&b);
    ck_assert_uint_eq(b.len, 11);
    ck_assert_int_eq(memcmp(b.data, "{\"type\":6}\x1e", 11), 0);
    buf_reset(&b);
    struct json_object *res = json_object_new_string("echo:hi");
    hubproto_write_completion(&b, "0", res, NULL);
    json_object_put(res);
    ck_assert_uint_eq(b.len, 49);
    ck_assert_str_eq(
        b.data, "{\"type\":3,\"invocationId\":\"0\",\"result\":\"echo:hi\"}"
                "\x1e");
    buf_reset(&b);
    hubproto_write_close(&b, "Connection closed by REST API", 0);
    ck_assert_str_eq(b.data, "{\"type\":7,\"error\":\"Connection closed by "
                             "REST API\"}\x1e");
    buf_reset(&b);
    hubproto_write_close(&b, "Service restarting", 1);
    ck_assert_str_eq(b.data, "{\"type\":7,\"error\":\"Service restarting\","
                             "\"allowReconnect\":true}\x1e");
    buf_reset(&b);
    struct json_object *args = json_tokener_parse("[\"hello\",{\"n\":1}]");
    hubproto_write_invocation(&b, NULL, "newMessage", args);
    json_object_put(args);
    ck_assert_str_eq(b.data, "{\"type\":1,\"target\":\"newMessage\","
                             "\"arguments\":[\"hello\",{\"n\":1}]}\x1e");
    buf_release(&b);
}
END_TEST

/* Every record of tests/vectors/signalr/hub-messages.txt: handshake
 * requests are checked (JSON accepted, MessagePack refused), the service's
 * handshake answers are what the writer produces, and every hub message
 * parses with its own type. */
START_TEST(test_vector_records)
{
    char path[512], err[128];
    snprintf(path, sizeof path, "%s/signalr/hub-messages.txt",
             runner_data_dir());
    char *text = runner_slurp(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    size_t n = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (l[0] != '{')
            continue;
        size_t len = strlen(l);
        struct json_object *o = json_tokener_parse(l);
        ck_assert_msg(o != NULL, "not JSON: %s", l);
        struct json_object *type = json_object_object_get(o, "type");
        const char *proto = jsonx_str(o, "protocol");
        if (proto) {
            ck_assert_int_eq(hubproto_handshake_check(l, len, err, sizeof err),
                             strcmp(proto, "json") == 0 ? 0 : -1);
        } else if (!type) {
            struct buf b;
            buf_init(&b, 4096);
            ck_assert_int_eq(
                hubproto_write_handshake(&b, jsonx_str(o, "error")), 0);
            ck_assert_uint_eq(b.len, len + 1);
            ck_assert_int_eq(memcmp(b.data, l, len), 0);
            buf_release(&b);
        } else {
            struct hubproto_msg m;
            ck_assert_msg(hubproto_parse(l, len, &m, err, sizeof err) == 0,
                          "%s: %s", l, err);
            ck_assert_int_eq(m.type, json_object_get_int(type));
            hubproto_msg_release(&m);
        }
        json_object_put(o);
        n++;
    }
    ck_assert_uint_ge(n, 20);
    free(text);
}
END_TEST

START_TEST(test_writer_respects_cap)
{
    struct buf b;
    buf_init(&b, 8);
    ck_assert_int_eq(hubproto_write_ping(&b), -1);
    ck_assert_uint_eq(b.len, 0);
    buf_release(&b);
}
END_TEST

/* Stateful reconnect's records, and the handshake's version that turns it
 * on (2 and up). */
START_TEST(test_sequence_records_and_version)
{
    struct buf b;
    buf_init(&b, 256);
    ck_assert_int_eq(hubproto_write_sequence_id(&b, HUBPROTO_ACK, 12), 0);
    ck_assert_str_eq(b.data, "{\"type\":8,\"sequenceId\":12}\x1e");
    buf_reset(&b);
    hubproto_write_sequence_id(&b, HUBPROTO_SEQUENCE, 4294967297LL);
    ck_assert_str_eq(b.data, "{\"type\":9,\"sequenceId\":4294967297}\x1e");
    buf_release(&b);
    static const char v2[] = "{\"version\":2,\"protocol\":\"json\"}";
    static const char v1[] = "{\"protocol\":\"messagepack\",\"Version\":1}";
    ck_assert_int_eq(hubproto_handshake_version(v2, sizeof v2 - 1), 2);
    ck_assert_int_eq(hubproto_handshake_version(v1, sizeof v1 - 1), 1);
    ck_assert_int_eq(hubproto_handshake_version("{}", 2), 0);
    ck_assert_int_eq(hubproto_handshake_version("[2]", 3), 0);
    ck_assert_int_eq(hubproto_handshake_version("{\"version\":\"2\"}", 15), 0);
}
END_TEST

Suite *hubproto_suite(void)
{
    Suite *s = suite_create("hubproto");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_reader_partial_record_waits);
    tcase_add_test(tc, test_reader_several_records_per_frame);
    tcase_add_test(tc, test_reader_cap_refuses_oversize);
    suite_add_tcase(s, tc);
    tc = tcase_create("messages");
    tcase_add_test(tc, test_handshake_accepts_json_v1_any_key_order);
    tcase_add_test(tc, test_handshake_refuses_other_protocols_and_bad_json);
    tcase_add_test(tc, test_parse_message_types);
    tcase_add_test(tc, test_parse_rejects_bad_records);
    tcase_add_test(tc, test_writers_match_vectors);
    tcase_add_test(tc, test_vector_records);
    tcase_add_test(tc, test_writer_respects_cap);
    tcase_add_test(tc, test_sequence_records_and_version);
    suite_add_tcase(s, tc);
    return s;
}
