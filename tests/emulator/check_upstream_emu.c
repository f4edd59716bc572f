/* check_upstream_emu.c - the emulator's upstream templates (upconf.h) and
 * the bytes of upstream calls and answers (upmsg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "emulator/upconf.h"
#include "emulator/upmsg.h"
#include "emulator_suites.h"
#include "proto/hubproto.h"
#include "proto/upstream.h"
#include "util/limits.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define KEY2 "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
#define CID "KoT-CpD8FCu_vU0SQ7JSyg"

static void load(struct upconf *c, const char *json)
{
    char err[256] = "";
    upconf_init(c);
    ck_assert_msg(upconf_load_json(c, json, strlen(json), err, sizeof err) == 0,
                  "%s", err);
}

static void url_is(const struct upconf *c, const char *hub, const char *cat,
                   const char *ev, const char *want)
{
    char *got = upconf_url(c, hub, cat, ev);
    if (!want)
        ck_assert_msg(got == NULL, "%s/%s/%s matched %s", hub, cat, ev, got);
    else
        ck_assert_msg(got && strcmp(got, want) == 0, "%s/%s/%s: %s", hub, cat,
                      ev, got ? got : "(none)");
    free(got);
}

START_TEST(test_settings_default_file)
{
    /* the official emulator's `upstream init` file */
    struct upconf c;
    load(&c, "{\"UpstreamSettings\":{\"Templates\":[{\"UrlTemplate\":"
             "\"http://localhost:7071/runtime/webhooks/signalr\","
             "\"EventPattern\":\"*\",\"HubPattern\":\"*\","
             "\"CategoryPattern\":\"*\"}]}}");
    ck_assert_uint_eq(c.n, 1);
    url_is(&c, "chat", "messages", "broadcast",
           "http://localhost:7071/runtime/webhooks/signalr");
    url_is(&c, "chat", "connections", "connected",
           "http://localhost:7071/runtime/webhooks/signalr");
    upconf_release(&c);
}
END_TEST

START_TEST(test_settings_order_patterns_and_expansion)
{
    struct upconf c;
    load(&c,
         "{\"upstreamSettings\":{\"templates\":["
         /* keys in any case, like .NET configuration binding */
         "{\"urltemplate\":\"http://a.example/{hub}/api/{category}/{event}\","
         " \"hubpattern\":\"chat, news\",\"categorypattern\":\"messages\"},"
         "{\"UrlTemplate\":\"http://b.example/conn?e={event}\","
         " \"CategoryPattern\":\"connections\",\"EventPattern\":\"connected\"},"
         "{\"UrlTemplate\":\"https://c.example/x\",\"HubPattern\":\"\"},"
         "{\"UrlTemplate\":\"http://d.example/last\"}]}}");
    ck_assert_uint_eq(c.n, 4);
    /* first template: comma list (items trimmed), placeholders escaped */
    url_is(&c, "chat", "messages", "broadcast",
           "http://a.example/chat/api/messages/broadcast");
    url_is(&c, "news", "messages", "a b/c",
           "http://a.example/news/api/messages/a%20b%2Fc");
    /* case-sensitive like the official emulator: Chat is not chat */
    url_is(&c, "Chat", "messages", "x", "http://d.example/last");
    /* second: connected only */
    url_is(&c, "chat", "connections", "connected",
           "http://b.example/conn?e=connected");
    url_is(&c, "chat", "connections", "disconnected", "http://d.example/last");
    /* an empty pattern matches nothing: the third never wins */
    url_is(&c, "other", "messages", "m", "http://d.example/last");
    upconf_release(&c);
}
END_TEST

START_TEST(test_settings_as_dotnet_reads_it)
{
    /* a BOM, comments and trailing commas, as .NET configuration allows */
    struct upconf c;
    load(&c,
         "\xEF\xBB\xBF{\n  // written by hand\n  \"UpstreamSettings\": {"
         "\"Templates\": [ /* one */ {\"UrlTemplate\": \"http://h/{event}\","
         "},],},\n}\n");
    ck_assert_uint_eq(c.n, 1);
    url_is(&c, "chat", "messages", "e", "http://h/e");
    upconf_release(&c);
}
END_TEST

START_TEST(test_no_match_and_add)
{
    struct upconf c;
    char err[256];
    load(&c, "{\"UpstreamSettings\":{\"Templates\":[{\"UrlTemplate\":"
             "\"http://x/\",\"HubPattern\":\"chat\"}]}}");
    url_is(&c, "other", "messages", "m", NULL);
    /* --upstream templates match everything */
    ck_assert_int_eq(
        upconf_add(&c, UPCONF_DEFAULT_URL, NULL, NULL, NULL, err, sizeof err),
        0);
    url_is(&c, "other", "messages", "m", UPCONF_DEFAULT_URL);
    url_is(&c, "chat", "messages", "m", "http://x/");
    upconf_release(&c);
    upconf_init(&c);
    url_is(&c, "chat", "messages", "m", NULL);
    upconf_release(&c);
}
END_TEST

START_TEST(test_settings_errors)
{
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{\"UpstreamSettings\":{}}",
        "{\"UpstreamSettings\":{\"Templates\":{}}}",
        "{\"UpstreamSettings\":{\"Templates\":[1]}}",
        "{\"UpstreamSettings\":{\"Templates\":[{}]}}",
        "{\"UpstreamSettings\":{\"Templates\":[{\"UrlTemplate\":\"\"}]}}",
        "{\"UpstreamSettings\":{\"Templates\":[{\"UrlTemplate\":\"/rel\"}]}}",
        "{\"UpstreamSettings\":{\"Templates\":[{\"UrlTemplate\":"
        "\"ftp://x/\"}]}}",
        "{\"UpstreamSettings\":{\"Templates\":[{\"UrlTemplate\":"
        "\"http://x/ y\"}]}}",
        "{\"UpstreamSettings\":{\"Templates\":[{\"UrlTemplate\":\"http://x\","
        "\"HubPattern\":5}]}}",
        /* the second is bad: nothing of the first is kept */
        "{\"UpstreamSettings\":{\"Templates\":[{\"UrlTemplate\":\"http://x\"},"
        "{\"UrlTemplate\":null}]}}",
        "{\"UpstreamSettings\":{\"Templates\":[]}} trailing",
        "{\"UpstreamSettings\":{\"Templates\":[]}}{}",
        "{\"UpstreamSettings\":{\"Templates\":[",
        "{\"UpstreamSettings\":{\"Templates\":[{\"UrlTemplate\":"
        "\"http://x/\xff\"}]}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct upconf c;
        char err[256] = "";
        upconf_init(&c);
        ck_assert_msg(
            upconf_load_json(&c, bad[i], strlen(bad[i]), err, sizeof err) < 0,
            "accepted %s", bad[i]);
        ck_assert_msg(err[0], "no reason for %s", bad[i]);
        ck_assert_uint_eq(c.n, 0);
        upconf_release(&c);
    }
}
END_TEST

START_TEST(test_settings_file)
{
    char path[] = "/tmp/upconf-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = "{\"UpstreamSettings\":{\"Templates\":[{\"UrlTemplate\""
                       ":\"http://f/{event}\"}]}}";
    ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    struct upconf c;
    char err[256] = "";
    upconf_init(&c);
    ck_assert_int_eq(upconf_load_file(&c, path, err, sizeof err), 0);
    url_is(&c, "h", "messages", "ev", "http://f/ev");
    unlink(path);
    ck_assert_int_lt(upconf_load_file(&c, path, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, path));
    upconf_release(&c);
}
END_TEST

START_TEST(test_loggable_drops_query)
{
    char *s = upconf_loggable("https://app.example/runtime/webhooks/"
                              "signalr?code=SECRET#f");
    ck_assert_str_eq(s, "https://app.example/runtime/webhooks/signalr");
    free(s);
}
END_TEST

static const char *header(char **h, const char *name)
{
    size_t n = strlen(name);
    for (; *h; h++)
        if (strncmp(*h, name, n) == 0 && (*h)[n] == ':')
            return *h + n + 2;
    return NULL;
}

START_TEST(test_headers)
{
    static const char *const keys[] = {KEY, KEY2};
    struct upmsg_conn c = {.id = CID,
                           .hub = "chat",
                           .user = "user1",
                           .claims = "nameid: user1",
                           .query = "?hub=chat&id=jXZGpRctm8Tm-PBzFVhbhg"};
    char **h = upmsg_headers(&c, "connections", "connected", keys, 2);
    ck_assert_str_eq(header(h, "X-ASRS-Connection-Id"), CID);
    ck_assert_str_eq(header(h, "X-ASRS-Hub"), "chat");
    ck_assert_str_eq(header(h, "X-ASRS-Category"), "connections");
    ck_assert_str_eq(header(h, "X-ASRS-Event"), "connected");
    ck_assert_str_eq(header(h, "X-ASRS-User-Id"), "user1");
    ck_assert_str_eq(header(h, "X-ASRS-User-Claims"), "nameid: user1");
    ck_assert_str_eq(header(h, "X-ASRS-Client-Query"),
                     "?hub=chat&id=jXZGpRctm8Tm-PBzFVhbhg");
    ck_assert_str_eq(header(h, "Content-Type"), "application/json");
    /* HMAC-SHA256 of the connection id under both keys, primary first */
    ck_assert_str_eq(header(h, "X-ASRS-Signature"),
                     "sha256=655E3CBA3C98DECE401D57B17674752A2A77D1C6E9DA98"
                     "01402B82DA29FE507C,sha256=6E42D1617E864774DBB1DDAEE2C8"
                     "4BC5E0D9910F23123F6CE52D04C6D2E7A9AA");
    upmsg_headers_free(h);

    /* anonymous, no claims, no query: those headers are omitted */
    struct upmsg_conn anon = {.id = CID, .hub = "chat"};
    h = upmsg_headers(&anon, "messages", "sendMessage", keys, 1);
    ck_assert_ptr_null(header(h, "X-ASRS-User-Id"));
    ck_assert_ptr_null(header(h, "X-ASRS-User-Claims"));
    ck_assert_ptr_null(header(h, "X-ASRS-Client-Query"));
    ck_assert_str_eq(header(h, "X-ASRS-Event"), "sendMessage");
    ck_assert_str_eq(header(h, "X-ASRS-Signature"),
                     "sha256=655E3CBA3C98DECE401D57B17674752A2A77D1C6E9DA98"
                     "01402B82DA29FE507C");
    upmsg_headers_free(h);
}
END_TEST

START_TEST(test_header_values_stay_one_line)
{
    static const char *const keys[] = {KEY};
    struct upmsg_conn c = {
        .id = CID, .hub = "chat", .user = "eve\r\nX-Evil: 1", .query = "?a=\n"};
    char **h = upmsg_headers(&c, "messages", "t\r\nX-Evil: 2", keys, 1);
    for (char **p = h; *p; p++) {
        ck_assert_ptr_null(strchr(*p, '\r'));
        ck_assert_ptr_null(strchr(*p, '\n'));
    }
    ck_assert_ptr_null(header(h, "X-Evil"));
    ck_assert_str_eq(header(h, "X-ASRS-User-Id"), "eve  X-Evil: 1");
    ck_assert_str_eq(header(h, "X-ASRS-Event"), "t  X-Evil: 2");
    upmsg_headers_free(h);
    ck_assert(upmsg_header_safe("sendMessage"));
    ck_assert(upmsg_header_safe("caf\xc3\xa9 ok"));
    ck_assert(!upmsg_header_safe("a\nb"));
    ck_assert(!upmsg_header_safe("a\x7f"));
    ck_assert(!upmsg_header_safe("\t"));
}
END_TEST

START_TEST(test_loggable)
{
    char *s = upmsg_loggable("fake\n2026 emulator info: forged\x1b[31m", 100);
    ck_assert_str_eq(s, "fake?2026 emulator info: forged?[31m");
    free(s);
    s = upmsg_loggable("abcdef", 3);
    ck_assert_str_eq(s, "abc...");
    free(s);
    s = upmsg_loggable("caf\xc3\xa9", 10);
    ck_assert_str_eq(s, "caf??");
    free(s);
}
END_TEST

START_TEST(test_bodies)
{
    char *s = upmsg_body_connected();
    ck_assert_str_eq(s, "{\"type\":10}");
    free(s);
    s = upmsg_body_disconnected(NULL);
    ck_assert_str_eq(s, "{\"type\":11}");
    free(s);
    s = upmsg_body_disconnected("Server timeout \"elapsed\"");
    ck_assert_str_eq(s, "{\"type\":11,\"error\":\"Server timeout "
                        "\\\"elapsed\\\"\"}");
    free(s);

    /* the client's record re-serialised, without its 0x1E */
    static const char *const recs[][2] = {
        {"{\"arguments\":[\"x\",2],\"target\":\"broadcast\",\"type\":1}",
         "{\"type\":1,\"target\":\"broadcast\",\"arguments\":[\"x\",2]}"},
        {"{\"type\":1,\"invocationId\":\"0\",\"target\":\"sendMessage\","
         "\"arguments\":[{\"a\":[1,null,true]}],\"extra\":1}",
         "{\"type\":1,\"invocationId\":\"0\",\"target\":\"sendMessage\","
         "\"arguments\":[{\"a\":[1,null,true]}]}"},
    };
    for (size_t i = 0; i < 2; i++) {
        struct hubproto_msg m;
        char err[128];
        ck_assert_int_eq(
            hubproto_parse(recs[i][0], strlen(recs[i][0]), &m, err, sizeof err),
            0);
        size_t len = 0;
        s = upmsg_body_invocation(&m, &len);
        ck_assert_str_eq(s, recs[i][1]);
        ck_assert_uint_eq(len, strlen(recs[i][1]));
        free(s);
        hubproto_msg_release(&m);
    }
}
END_TEST

START_TEST(test_claims)
{
    struct json_object *o = json_tokener_parse(
        "{\"nameid\":\"alice\",\"role\":[\"a\",\"b\"],\"exp\":1700000000,"
        "\"ok\":true,\"obj\":{\"k\":1},\"evil\":\"x\\r\\nX-Injected: 1\"}");
    char *s = upmsg_claims(o);
    ck_assert_str_eq(s, "nameid: alice, role: a, role: b, exp: 1700000000, "
                        "ok: true, obj: {\"k\":1}, evil: x  X-Injected: 1");
    ck_assert_ptr_null(strchr(s, '\r'));
    ck_assert_ptr_null(strchr(s, '\n'));
    free(s);
    json_object_put(o);
    o = json_object_new_object();
    ck_assert_ptr_null(upmsg_claims(o));
    ck_assert_ptr_null(upmsg_claims(NULL));
    json_object_put(o);
}
END_TEST

START_TEST(test_query_without_access_token)
{
    struct buf q;
    buf_init(&q, 1024);
    upmsg_query_add(&q, "hub", "chat");
    upmsg_query_add(&q, "access_token", "eyJ.secret.sig");
    upmsg_query_add(&q, "id", "abc");
    upmsg_query_add(&q, "ACCESS_TOKEN", "eyJ.other");
    upmsg_query_add(&q, "flag", NULL);
    upmsg_query_add(&q, "x", "a%20b");
    ck_assert_str_eq(buf_cstr(&q), "?hub=chat&id=abc&flag&x=a%20b");
    buf_release(&q);
    buf_init(&q, 1024);
    upmsg_query_add(&q, "access_token", "eyJ.secret.sig");
    ck_assert_uint_eq(q.len, 0);
    buf_release(&q);
}
END_TEST

static void answer_is(long status, const char *body, size_t len,
                      const char *want, size_t want_len)
{
    struct buf b;
    buf_init(&b, LIMIT_UPSTREAM_REPLY + 4096);
    ck_assert_int_eq(upmsg_answer(&b, "7", status, body, len), 0);
    ck_assert_msg(b.len == want_len && memcmp(b.data, want, want_len) == 0,
                  "status %ld: got %.*s", status, (int)b.len, b.data);
    buf_release(&b);
}

#define ANSWER(status, body, want)                                             \
    answer_is(status, body, sizeof body - 1, want, sizeof want - 1)

START_TEST(test_answer_mapping)
{
    /* The upstream's answer as the service maps it to the client */
    ANSWER(200, "{\"type\":3,\"invocationId\":\"7\",\"result\":\"ok\"}\x1e",
           "{\"type\":3,\"invocationId\":\"7\",\"result\":\"ok\"}\x1e");
    /* several records, verbatim */
    ANSWER(200,
           "{\"type\":1,\"target\":\"t\",\"arguments\":[]}\x1e"
           "{\"type\":3,\"invocationId\":\"7\"}\x1e",
           "{\"type\":1,\"target\":\"t\",\"arguments\":[]}\x1e"
           "{\"type\":3,\"invocationId\":\"7\"}\x1e");
    ANSWER(200, "", "{\"type\":3,\"invocationId\":\"7\"}\x1e");
    ANSWER(204, "", "{\"type\":3,\"invocationId\":\"7\"}\x1e");
    ANSWER(404, "no such function",
           "{\"type\":3,\"invocationId\":\"7\",\"error\":"
           "\"Invocation failed, status code 404\"}\x1e");
    ANSWER(401, "",
           "{\"type\":3,\"invocationId\":\"7\",\"error\":"
           "\"Invocation failed, status code 401\"}\x1e");
    ANSWER(201, "{\"type\":3,\"invocationId\":\"7\"}\x1e",
           "{\"type\":3,\"invocationId\":\"7\",\"error\":"
           "\"Invocation failed, status code 201\"}\x1e");
    /* the call failed (refused, timeout): as a 500, like the official one */
    ANSWER(0, "",
           "{\"type\":3,\"invocationId\":\"7\",\"error\":"
           "\"Invocation failed, status code 500\"}\x1e");
    ANSWER(-1, "",
           "{\"type\":3,\"invocationId\":\"7\",\"error\":"
           "\"Invocation failed, response too large.\"}\x1e");
    /* not hub records: refused rather than garbling the client's stream */
    ANSWER(200, "{\"result\":1}",
           "{\"type\":3,\"invocationId\":\"7\",\"error\":"
           "\"Invocation failed, the upstream answer is not hub records.\"}"
           "\x1e");
}
END_TEST

Suite *upstream_emu_suite(void)
{
    Suite *s = suite_create("upstream_emu");
    TCase *t = tcase_create("upconf");
    tcase_add_test(t, test_settings_default_file);
    tcase_add_test(t, test_settings_order_patterns_and_expansion);
    tcase_add_test(t, test_settings_as_dotnet_reads_it);
    tcase_add_test(t, test_no_match_and_add);
    tcase_add_test(t, test_settings_errors);
    tcase_add_test(t, test_settings_file);
    tcase_add_test(t, test_loggable_drops_query);
    suite_add_tcase(s, t);
    t = tcase_create("upmsg");
    tcase_add_test(t, test_headers);
    tcase_add_test(t, test_header_values_stay_one_line);
    tcase_add_test(t, test_loggable);
    tcase_add_test(t, test_bodies);
    tcase_add_test(t, test_claims);
    tcase_add_test(t, test_query_without_access_token);
    tcase_add_test(t, test_answer_mapping);
    suite_add_tcase(s, t);
    return s;
}
