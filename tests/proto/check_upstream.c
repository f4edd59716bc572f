/* check_upstream.c - upstream signatures (upstream-signature.json and more),
 * patterns, templates. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "proto/upstream.h"
#include "runner.h"
#include "util/jsonx.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define KEY2 "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

START_TEST(test_upstream_signature_vectors)
{
    char sig[UPSTREAM_SIG_LEN];
    struct json_object *v = runner_vector("upstream-signature.json");
    upstream_signature(jsonx_str(v, "accessKey"), jsonx_str(v, "connectionId"),
                       sig);
    ck_assert_str_eq(sig, jsonx_str(json_object_object_get(v, "expectedHeader"),
                                    "X-ASRS-Signature"));
    json_object_put(v);
    /* the connection id of check_sigtrigger.c's upstream requests */
    upstream_signature(KEY, "KoT-CpD8FCu_vU0SQ7JSyg", sig);
    ck_assert_str_eq(sig, "sha256=655E3CBA3C98DECE401D57B17674752A2A77D1C6E9"
                          "DA9801402B82DA29FE507C");
    upstream_signature(KEY2, "KoT-CpD8FCu_vU0SQ7JSyg", sig);
    ck_assert_str_eq(sig, "sha256=6E42D1617E864774DBB1DDAEE2C84BC5E0D9910F23"
                          "123F6CE52D04C6D2E7A9AA");
}
END_TEST

START_TEST(test_upstream_signature_header_and_check)
{
    static const char *const both[] = {KEY, KEY2};
    static const char *const second[] = {KEY2};
    static const char *const other[] = {"nope"};
    const char *cid = "KoT-CpD8FCu_vU0SQ7JSyg";
    char *h = upstream_signature_header(both, 2, cid);
    ck_assert_ptr_nonnull(strchr(h, ','));
    ck_assert(upstream_signature_valid(h, both, 2, cid));
    ck_assert(upstream_signature_valid(h, second, 1, cid));
    ck_assert(!upstream_signature_valid(h, other, 1, cid));
    ck_assert(!upstream_signature_valid(h, both, 2, "another-connection"));
    free(h);
    ck_assert(upstream_signature_valid(
        "sha256="
        "655e3cba3c98dece401d57b17674752a2a77d1c6e9da9801402b82da29fe507c",
        both, 2, cid));
    ck_assert(upstream_signature_valid(
        " sha256=x , sha256=655E3CBA3C98DECE401D57B17674752A2A77D1C6E9DA9801402"
        "B82DA29FE507C",
        both, 2, cid));
    ck_assert(!upstream_signature_valid(
        "sha256="
        "655E3CBA3C98DECE401D57B17674752A2A77D1C6E9DA9801402B82DA29FE507D",
        both, 2, cid));
    ck_assert(!upstream_signature_valid("", both, 2, cid));
    ck_assert(!upstream_signature_valid(NULL, both, 2, cid));
    ck_assert(!upstream_signature_valid("655E3CBA3C98DECE401D57B17674752A2A7"
                                        "7D1C6E9DA9801402B82DA29FE507C",
                                        both, 2, cid));
}
END_TEST

START_TEST(test_upstream_patterns)
{
    ck_assert(upstream_pattern_match("*", "chat", 0));
    ck_assert(upstream_pattern_match("chat", "chat", 0));
    ck_assert(!upstream_pattern_match("chat", "Chat", 0));
    ck_assert(upstream_pattern_match("chat", "Chat", 1));
    ck_assert(upstream_pattern_match("a, chat ,b", "chat", 0));
    ck_assert(!upstream_pattern_match("a,b", "chat", 0));
    ck_assert(!upstream_pattern_match("", "chat", 0));
    ck_assert(!upstream_pattern_match("cha", "chat", 0));
}
END_TEST

START_TEST(test_upstream_expand)
{
    char *u = upstream_expand("http://host.com/{hub}/api/{category}/{event}",
                              "chat", "messages", "broadcast");
    ck_assert_str_eq(u, "http://host.com/chat/api/messages/broadcast");
    free(u);
    u = upstream_expand("http://h/{event}?x={hub}", "a b", "c", "é/?");
    ck_assert_str_eq(u, "http://h/%C3%A9%2F%3F?x=a%20b");
    free(u);
    u = upstream_expand("http://localhost:7071/runtime/webhooks/signalr", "h",
                        "c", "e");
    ck_assert_str_eq(u, "http://localhost:7071/runtime/webhooks/signalr");
    free(u);
}
END_TEST

Suite *upstream_suite(void)
{
    Suite *s = suite_create("upstream");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_upstream_signature_vectors);
    tcase_add_test(tc, test_upstream_signature_header_and_check);
    tcase_add_test(tc, test_upstream_patterns);
    tcase_add_test(tc, test_upstream_expand);
    suite_add_tcase(s, tc);
    return s;
}
