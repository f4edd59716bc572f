/* check_sigtrigger.c - the signalRTrigger binding: the webhook's checks in
 * the extension's order, the signature vectors, the
 * InvocationContext shape, parameterNames, the Completion record, and the
 * function.json rules the extension enforces when it maps a function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/app.h"
#include "host/sigtrigger.h"
#include "host_test.h"
#include "runner.h"
#include "proto/upstream.h"
#include "util/jsonx.h"
#include "util/banned.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

/* An upstream request as the service sends it: connection id, hub, query,
 * claims, and the signature of the connection id under KEY. */
static struct payload_kv hdrs[] = {
    {"Host", "localhost:7071"},
    {"X-ASRS-Connection-Id", "KoT-CpD8FCu_vU0SQ7JSyg"},
    {"X-ASRS-Hub", "chat"},
    {"X-ASRS-Category", "messages"},
    {"X-ASRS-Event", "broadcast"},
    {"X-ASRS-User-Id", "user1"},
    {"X-ASRS-User-Claims", "role: admin, name: Ann, role: user, bad"},
    {"X-ASRS-Client-Query", "?hub=chat&id=jXZGpRctm8Tm-PBzFVhbhg&t=a+b&t=c"},
    {"X-ASRS-Signature", "sha256=655E3CBA3C98DECE401D57B17674752A2A77D1C6E9"
                         "DA9801402B82DA29FE507C"},
    {"Content-Type", "application/json"},
    {"Content-Length", "52"},
};

static struct sigtrigger_req mkreq(const char *body)
{
    struct sigtrigger_req r = {
        .content_type = "application/json",
        .headers = hdrs,
        .nheaders = sizeof hdrs / sizeof hdrs[0],
        .body = body,
        .body_len = strlen(body),
    };
    return r;
}

START_TEST(test_route_content_type_then_headers)
{
    struct sigtrigger_req r = mkreq("{}");
    struct sigtrigger_msg m;
    char err[256];
    ck_assert_int_eq(sigtrigger_route(&r, &m, err, sizeof err), 0);
    ck_assert_str_eq(m.hub, "chat");
    ck_assert_str_eq(m.category, "messages");
    ck_assert_str_eq(m.event, "broadcast");
    ck_assert_str_eq(m.connection_id, "KoT-CpD8FCu_vU0SQ7JSyg");
    r.content_type = "application/json; charset=utf-8";
    ck_assert_int_eq(sigtrigger_route(&r, &m, err, sizeof err), 0);
    r.content_type = "text/plain";
    ck_assert_int_eq(sigtrigger_route(&r, &m, err, sizeof err), 415);
    ck_assert_ptr_nonnull(strstr(err, "text/plain"));
    r.content_type = NULL;
    ck_assert_int_eq(sigtrigger_route(&r, &m, err, sizeof err), 415);
    ck_assert_int_eq(m.msgpack, 0);
    /* A MessagePack client's invocation, as the extension accepts it. */
    r.content_type = "application/x-msgpack";
    ck_assert_int_eq(sigtrigger_route(&r, &m, err, sizeof err), 0);
    ck_assert_int_eq(m.msgpack, 1);
    /* Without each routing header in turn: 400 naming it. */
    static const char *const need[] = {"X-ASRS-Hub", "X-ASRS-Category",
                                       "X-ASRS-Event", "X-ASRS-Connection-Id"};
    for (size_t k = 0; k < 4; k++) {
        struct payload_kv h[16];
        size_t n = 0;
        for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++)
            if (strcmp(hdrs[i].name, need[k]) != 0)
                h[n++] = hdrs[i];
        struct sigtrigger_req r2 = mkreq("{}");
        r2.headers = h;
        r2.nheaders = n;
        ck_assert_int_eq(sigtrigger_route(&r2, &m, err, sizeof err), 400);
        ck_assert_ptr_nonnull(strstr(err, need[k]));
        h[n].name = need[k];
        h[n].value = "";
        r2.nheaders = n + 1;
        ck_assert_int_eq(sigtrigger_route(&r2, &m, err, sizeof err), 400);
    }
}
END_TEST

START_TEST(test_verify_against_the_vectors)
{
    struct sigtrigger_req r = mkreq("{}");
    char err[256];
    const char *keys[] = {KEY};
    const char *two[] = {"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", KEY};
    const char *wrong[] = {"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"};
    ck_assert_int_eq(sigtrigger_verify(&r, keys, 1, "KoT-CpD8FCu_vU0SQ7JSyg",
                                       err, sizeof err),
                     0);
    ck_assert_int_eq(sigtrigger_verify(&r, two, 2, "KoT-CpD8FCu_vU0SQ7JSyg",
                                       err, sizeof err),
                     0);
    ck_assert_int_eq(sigtrigger_verify(&r, wrong, 1, "KoT-CpD8FCu_vU0SQ7JSyg",
                                       err, sizeof err),
                     -1);
    ck_assert_ptr_null(strstr(err, KEY));
    /* Another connection id with the same signature: refused. */
    ck_assert_int_eq(sigtrigger_verify(&r, keys, 1, "other", err, sizeof err),
                     -1);
    /* vectors/upstream-signature.json, lower-case hex, second of two. */
    struct json_object *v = runner_vector("upstream-signature.json");
    const char *want =
        jsonx_str(jsonx_get_ci(v, "expectedHeader"), "X-ASRS-Signature");
    char lower[128];
    snprintf(lower, sizeof lower, "sha256=%s, %s", "00", want);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    struct payload_kv h[] = {{"x-asrs-signature", lower}};
    struct sigtrigger_req r2 = mkreq("{}");
    r2.headers = h;
    r2.nheaders = 1;
    const char *vk[] = {jsonx_str(v, "accessKey")};
    ck_assert_int_eq(sigtrigger_verify(&r2, vk, 1, jsonx_str(v, "connectionId"),
                                       err, sizeof err),
                     0);
    r2.nheaders = 0;
    ck_assert_int_eq(sigtrigger_verify(&r2, vk, 1, jsonx_str(v, "connectionId"),
                                       err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "missing"));
    json_object_put(v);
}
END_TEST

static int parse(const char *category, const char *event, const char *body,
                 struct sigtrigger_msg *m, char *err, size_t errlen)
{
    struct sigtrigger_req r = mkreq(body);
    ck_assert_int_eq(sigtrigger_route(&r, m, err, errlen), 0);
    m->category = category;
    m->event = event;
    return sigtrigger_parse_body(&r, m, err, errlen);
}

START_TEST(test_parse_bodies_of_upstream_txt)
{
    struct sigtrigger_msg m;
    char err[256];
    /* Client invocations: send (no id), invoke (id "0"), a trailing 0x1E
     * tolerated. */
    ck_assert_int_eq(parse("messages", "broadcast",
                           "{\"type\":1,\"target\":\"broadcast\","
                           "\"arguments\":[\"x\",2]}",
                           &m, err, sizeof err),
                     0);
    ck_assert_ptr_null(m.invocation_id);
    ck_assert_int_eq(json_object_array_length(m.arguments), 2);
    sigtrigger_msg_release(&m);
    ck_assert_int_eq(parse("messages", "Broadcast",
                           "{\"type\":1,\"invocationId\":\"0\",\"target\":"
                           "\"broadcast\",\"arguments\":[]}\x1e",
                           &m, err, sizeof err),
                     0);
    ck_assert_str_eq(m.invocation_id, "0");
    sigtrigger_msg_release(&m);
    /* System events: connected; disconnected in both key casings. */
    ck_assert_int_eq(
        parse("connections", "connected", "{\"type\":10}", &m, err, sizeof err),
        0);
    ck_assert_int_eq(parse("connections", "disconnected", "{\"Type\":11}", &m,
                           err, sizeof err),
                     0);
    ck_assert_ptr_null(m.error);
    ck_assert_int_eq(parse("connections", "disconnected",
                           "{\"Type\":11,\"Error\":\"boom\"}", &m, err,
                           sizeof err),
                     0);
    ck_assert_str_eq(m.error, "boom");
    sigtrigger_msg_release(&m);
    /* Refused, each with a reason. */
    static const struct {
        const char *cat, *ev, *body, *why;
    } bad[] = {
        {"messages", "broadcast", "", "empty"},
        {"messages", "broadcast", "{\"type\":1", "not valid JSON"},
        {"messages", "broadcast", "[1]", "not a JSON object"},
        {"messages", "broadcast", "{\"type\":10}", "Invocation"},
        {"messages", "broadcast", "{\"type\":1,\"arguments\":[]}", "target"},
        {"messages", "broadcast",
         "{\"type\":1,\"target\":\"other\",\"arguments\":[]}", "X-ASRS-Event"},
        {"messages", "broadcast",
         "{\"type\":1,\"target\":\"broadcast\",\"arguments\":{}}", "array"},
        {"messages", "broadcast",
         "{\"type\":1,\"target\":\"broadcast\",\"invocationId\":0}",
         "invocationId"},
        {"connections", "connected", "{\"type\":11}", "10"},
        {"connections", "disconnected", "{\"type\":10}", "11"},
        {"connections", "opened", "{\"type\":10}", "not a serverless"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_int_eq(
            parse(bad[i].cat, bad[i].ev, bad[i].body, &m, err, sizeof err), -1);
        ck_assert_msg(strstr(err, bad[i].why), "case %zu: %s", i, err);
        sigtrigger_msg_release(&m);
    }
}
END_TEST

START_TEST(test_context_has_the_extension_shape)
{
    struct sigtrigger_msg m;
    char err[256];
    const char *body = "{\"type\":1,\"invocationId\":\"0\",\"target\":"
                       "\"broadcast\",\"arguments\":[\"x\",{\"n\":2}]}";
    ck_assert_int_eq(parse("messages", "broadcast", body, &m, err, sizeof err),
                     0);
    struct sigtrigger_req r = mkreq(body);
    struct json_object *c = sigtrigger_context(&r, &m);
    static const char *const keys[] = {
        "Arguments",    "Error",  "Category", "Event", "Hub",
        "ConnectionId", "UserId", "Headers",  "Query", "Claims"};
    size_t i = 0;
    json_object_object_foreach(c, k, v)
    {
        (void)v;
        ck_assert_uint_lt(i, 10);
        ck_assert_str_eq(k, keys[i++]);
    }
    ck_assert_uint_eq(i, 10);
    struct json_object *want = json_tokener_parse(
        "{\"Arguments\":[\"x\",{\"n\":2}],\"Error\":null,"
        "\"Category\":\"messages\",\"Event\":\"broadcast\",\"Hub\":\"chat\","
        "\"ConnectionId\":\"KoT-CpD8FCu_vU0SQ7JSyg\",\"UserId\":\"user1\","
        "\"Headers\":{\"Host\":\"localhost:7071\","
        "\"X-ASRS-Connection-Id\":\"KoT-CpD8FCu_vU0SQ7JSyg\","
        "\"X-ASRS-Hub\":\"chat\",\"X-ASRS-Category\":\"messages\","
        "\"X-ASRS-Event\":\"broadcast\",\"X-ASRS-User-Id\":\"user1\","
        "\"X-ASRS-User-Claims\":\"role: admin, name: Ann, role: user, bad\","
        "\"X-ASRS-Client-Query\":"
        "\"?hub=chat&id=jXZGpRctm8Tm-PBzFVhbhg&t=a+b&t=c\","
        "\"X-ASRS-Signature\":\"sha256=655E3CBA3C98DECE401D57B17674752A2A77"
        "D1C6E9DA9801402B82DA29FE507C\"},"
        "\"Query\":{\"hub\":\"chat\",\"id\":\"jXZGpRctm8Tm-PBzFVhbhg\","
        "\"t\":\"a b,c\"},"
        "\"Claims\":{\"role\":\"admin\",\"name\":\"Ann\"}}");
    ck_assert_msg(json_object_equal(c, want), "got %s", jsonx_compact(c));
    json_object_put(want);
    json_object_put(c);
    sigtrigger_msg_release(&m);

    /* connected, anonymous, no query, no claims: nulls are kept. */
    struct payload_kv h[] = {{"X-ASRS-Connection-Id", "c1"},
                             {"X-ASRS-Hub", "chat"},
                             {"X-ASRS-Category", "connections"},
                             {"X-ASRS-Event", "connected"},
                             {"X-ASRS-Client-Query", ""}};
    struct sigtrigger_req r2 = mkreq("{\"type\":10}");
    r2.headers = h;
    r2.nheaders = 5;
    ck_assert_int_eq(sigtrigger_route(&r2, &m, err, sizeof err), 0);
    ck_assert_int_eq(sigtrigger_parse_body(&r2, &m, err, sizeof err), 0);
    c = sigtrigger_context(&r2, &m);
    ck_assert(json_object_object_get_ex(c, "Arguments", NULL));
    ck_assert_ptr_null(json_object_object_get(c, "Arguments"));
    ck_assert_ptr_null(json_object_object_get(c, "UserId"));
    ck_assert_ptr_null(json_object_object_get(c, "Query"));
    ck_assert_ptr_null(json_object_object_get(c, "Claims"));
    ck_assert(json_object_object_get_ex(c, "Claims", NULL));
    ck_assert_str_eq(jsonx_str(c, "Event"), "connected");
    json_object_put(c);
    sigtrigger_msg_release(&m);
}
END_TEST

START_TEST(test_parameter_names_in_metadata)
{
    struct sigtrigger_msg m;
    char err[256];
    struct json_object *md = NULL;
    struct json_object *b = json_tokener_parse(
        "{\"type\":\"signalRTrigger\",\"parameterNames\":[\"text\",\"o\"]}");
    ck_assert_int_eq(parse("messages", "broadcast",
                           "{\"type\":1,\"target\":\"broadcast\","
                           "\"arguments\":[\"hi\",{\"n\":4}]}",
                           &m, err, sizeof err),
                     0);
    ck_assert_int_eq(sigtrigger_metadata(b, &m, json_object_new_object(), &md,
                                         err, sizeof err),
                     0);
    /* As the host encodes Metadata: a string is JSON-encoded once more, an
     * object stays an object. */
    ck_assert_str_eq(jsonx_str(md, "text"), "\"hi\"");
    ck_assert_int_eq(json_object_get_int(json_object_object_get(
                         json_object_object_get(md, "o"), "n")),
                     4);
    ck_assert(json_object_object_get_ex(md, "sys", NULL));
    json_object_put(md);
    sigtrigger_msg_release(&m);
    ck_assert_int_eq(parse("messages", "broadcast",
                           "{\"type\":1,\"target\":\"broadcast\","
                           "\"arguments\":[\"hi\"]}",
                           &m, err, sizeof err),
                     0);
    ck_assert_int_eq(sigtrigger_metadata(b, &m, json_object_new_object(), &md,
                                         err, sizeof err),
                     -1);
    ck_assert_str_eq(err,
                     "The function accept 2 arguments but message provided "
                     "1.");
    sigtrigger_msg_release(&m);
    json_object_put(b);
    /* No parameterNames: only sys. */
    b = json_tokener_parse("{\"type\":\"signalRTrigger\"}");
    ck_assert_int_eq(
        parse("connections", "connected", "{\"type\":10}", &m, err, sizeof err),
        0);
    ck_assert_int_eq(sigtrigger_metadata(b, &m, json_object_new_object(), &md,
                                         err, sizeof err),
                     0);
    ck_assert_int_eq(json_object_object_length(md), 1);
    json_object_put(md);
    json_object_put(b);
}
END_TEST

/* A MessagePack body: the Invocation array without a length prefix (what
 * the extension's MessagePackServerlessProtocol reads); its answer is one
 * framed MessagePack Completion. */
START_TEST(test_msgpack_invocation_and_answer)
{
    /* [1, {}, "0", "broadcast", ["x", 2]] */
    static const char inv[] = "\x95\x01\x80\xa1\x30\xa9\x62\x72\x6f\x61"
                              "\x64\x63\x61\x73\x74\x92\xa1\x78\x02";
    struct sigtrigger_req r = mkreq("");
    r.content_type = "application/x-msgpack";
    r.body = inv;
    r.body_len = sizeof inv - 1;
    struct sigtrigger_msg m;
    char err[256];
    ck_assert_int_eq(sigtrigger_route(&r, &m, err, sizeof err), 0);
    ck_assert_int_eq(sigtrigger_parse_body(&r, &m, err, sizeof err), 0);
    ck_assert_str_eq(m.invocation_id, "0");
    ck_assert_str_eq(jsonx_compact(m.arguments), "[\"x\",2]");
    sigtrigger_msg_release(&m);
    /* wrong target, JSON under the MessagePack type, cut short, and a
     * connection event in MessagePack: 400s with a reason */
    static const struct {
        const char *body;
        size_t len;
        const char *cat, *why;
    } bad[] = {
        {"\x95\x01\x80\xc0\xa1t\x90", 7, "messages", "X-ASRS-Event"},
        {"{\"type\":1}", 10, "messages", "MessagePack"},
        {"\x95\x01\x80", 3, "messages", "MessagePack"},
        {"\x91\x0a", 2, "connections", "JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r.body = bad[i].body;
        r.body_len = bad[i].len;
        ck_assert_int_eq(sigtrigger_route(&r, &m, err, sizeof err), 0);
        m.category = bad[i].cat;
        err[0] = '\0';
        ck_assert_int_eq(sigtrigger_parse_body(&r, &m, err, sizeof err), -1);
        ck_assert_msg(strstr(err, bad[i].why), "case %zu: %s", i, err);
        sigtrigger_msg_release(&m);
    }
    size_t len, n;
    struct json_object *res = json_tokener_parse("{\"ok\":true}");
    char *rec = sigtrigger_completion("0", res, NULL, &len);
    char *mp = sigtrigger_completion_msgpack(rec, len, &n);
    /* [3, {}, "0", 3, {"ok": true}] with its prefix */
    ck_assert_uint_eq(n, 12);
    ck_assert_int_eq(
        memcmp(mp, "\x0b\x95\x03\x80\xa1\x30\x03\x81\xa2ok\xc3", n), 0);
    free(mp);
    rec = sigtrigger_completion("0", NULL, "bad", &len);
    mp = sigtrigger_completion_msgpack(rec, len, &n);
    ck_assert_uint_eq(n, 11);
    ck_assert_int_eq(memcmp(mp,
                            "\x0a\x95\x03\x80\xa1\x30\x01\xa3"
                            "bad",
                            n),
                     0);
    free(mp);
    json_object_put(res);
}
END_TEST

START_TEST(test_completion_records)
{
    size_t len;
    struct json_object *r = json_tokener_parse("{\"ok\":true}");
    char *s = sigtrigger_completion("0", r, NULL, &len);
    ck_assert_str_eq(s, "{\"type\":3,\"invocationId\":\"0\",\"result\":"
                        "{\"ok\":true}}\x1e");
    ck_assert_uint_eq(len, strlen(s));
    free(s);
    s = sigtrigger_completion("7", NULL, NULL, &len);
    ck_assert_str_eq(s, "{\"type\":3,\"invocationId\":\"7\",\"result\":"
                        "null}\x1e");
    free(s);
    s = sigtrigger_completion("0", r, "bad \"x\"", &len);
    ck_assert_str_eq(s, "{\"type\":3,\"invocationId\":\"0\",\"error\":"
                        "\"bad \\\"x\\\"\"}\x1e");
    free(s);
    json_object_put(r);
}
END_TEST

static const char good_host[] =
    "{\"version\":\"2.0\",\"customHandler\":{\"description\":"
    "{\"defaultExecutablePath\":\"bin/handler\"}}}";

static int load_trigger(const char *binding, const char *second, char *err,
                        size_t errlen)
{
    char *dir = runner_tmpdir("check_host");
    char fj[1024];
    struct app app;
    ht_write(dir, "host.json", good_host);
    snprintf(fj, sizeof fj, "{\"bindings\":[%s]}", binding);
    ht_write(dir, "a/function.json", fj);
    if (second) {
        snprintf(fj, sizeof fj, "{\"bindings\":[%s]}", second);
        ht_write(dir, "b/function.json", fj);
    }
    int rc = app_load(dir, &app, err, errlen);
    if (rc == 0)
        app_release(&app);
    runner_rmtree(dir);
    free(dir);
    return rc;
}

#define TRIG(cat, ev, extra)                                                   \
    "{\"type\":\"signalRTrigger\",\"direction\":\"in\",\"name\":\"inv\","      \
    "\"hubName\":\"chat\",\"category\":\"" cat "\",\"event\":\"" ev "\"" extra \
    "}"

START_TEST(test_app_checks_trigger_bindings)
{
    char err[512];
    ck_assert_msg(
        load_trigger(TRIG("messages", "send", ""), NULL, err, sizeof err) == 0,
        "%s", err);
    ck_assert_int_eq(
        load_trigger(TRIG("other", "send", ""), NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "category"));
    ck_assert_int_eq(
        load_trigger(TRIG("connections", "send", ""), NULL, err, sizeof err),
        -1);
    ck_assert_ptr_nonnull(strstr(err, "not supported in connections"));
    ck_assert_int_eq(
        load_trigger(TRIG("messages", "", ""), NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "event"));
    ck_assert_int_eq(
        load_trigger(TRIG("messages", "send", ",\"parameterNames\":[1]"), NULL,
                     err, sizeof err),
        -1);
    ck_assert_ptr_nonnull(strstr(err, "parameterNames[0]"));
    ck_assert_int_eq(load_trigger(TRIG("messages", "send", ""),
                                  TRIG("Messages", "SEND", ""), err,
                                  sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "Duplicated key"));
}
END_TEST

START_TEST(test_find_matches_case_insensitively)
{
    struct app app;
    char err[512];
    ck_assert_msg(app_load(".", &app, err, sizeof err) == 0, "%s", err);
    const struct app_function *f =
        sigtrigger_find(&app, "Notifications", "MESSAGES", "sendmessage");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->name, "sendMessage");
    ck_assert_str_eq(f->trigger_name, "invocation");
    f = sigtrigger_find(&app, "notifications", "connections", "connected");
    ck_assert_str_eq(f->name, "onConnected");
    f = sigtrigger_find(&app, "notifications", "connections", "Disconnected");
    ck_assert_str_eq(f->name, "onDisconnected");
    ck_assert_ptr_null(
        sigtrigger_find(&app, "chat", "messages", "sendMessage"));
    ck_assert_ptr_null(
        sigtrigger_find(&app, "notifications", "messages", "broadcast"));
    ck_assert_ptr_null(
        sigtrigger_find(&app, "notifications", "connections", "sendMessage"));
    app_release(&app);
}
END_TEST

Suite *sigtrigger_suite(void)
{
    Suite *s = suite_create("sigtrigger");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_route_content_type_then_headers);
    tcase_add_test(tc, test_verify_against_the_vectors);
    tcase_add_test(tc, test_parse_bodies_of_upstream_txt);
    tcase_add_test(tc, test_context_has_the_extension_shape);
    tcase_add_test(tc, test_parameter_names_in_metadata);
    tcase_add_test(tc, test_completion_records);
    tcase_add_test(tc, test_msgpack_invocation_and_answer);
    tcase_add_test(tc, test_app_checks_trigger_bindings);
    tcase_add_test(tc, test_find_matches_case_insensitively);
    suite_add_tcase(s, tc);
    return s;
}
