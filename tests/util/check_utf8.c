/* check_utf8.c - strict UTF-8, and jsonx_parse refusing what json-c lets by. */
#include <string.h>

#include <check.h>

#include "util/jsonx.h"
#include "util/utf8.h"

START_TEST(test_utf8_accepts_valid_text)
{
    const char *ok[] = {"",
                        "ascii",
                        "\xc3\xa9",
                        "\xe2\x82\xac",
                        "\xf0\x9f\x98\x80",
                        "\xef\xbf\xbd",
                        "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        ck_assert_msg(utf8_valid(ok[i], strlen(ok[i]), NULL), "case %zu", i);
}
END_TEST

START_TEST(test_utf8_refuses_overlong_surrogates_and_out_of_range)
{
    struct {
        const char *s;
        size_t bad;
    } cases[] = {
        {"a\xc0\xaf", 1},        /* overlong '/' */
        {"\xe0\x80\xaf", 0},     /* overlong, three bytes */
        {"ab\xed\xa0\x80", 2},   /* UTF-16 surrogate U+D800 */
        {"\xf4\x90\x80\x80", 0}, /* above U+10FFFF */
        {"\xff", 0},             /* never valid */
        {"x\x80", 1},            /* lone continuation */
        {"\xe2\x82", 0},         /* truncated */
        {"\xc3\x28", 0},         /* bad continuation */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad = 99;
        ck_assert_msg(!utf8_valid(cases[i].s, strlen(cases[i].s), &bad),
                      "case %zu", i);
        ck_assert_uint_eq(bad, cases[i].bad);
    }
}
END_TEST

START_TEST(test_jsonx_refuses_what_json_c_lets_by)
{
    struct json_object *o = NULL;
    char err[128];
    ck_assert_int_eq(jsonx_parse("\"\xc0\xaf\"", 4, &o, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "invalid UTF-8 at byte 1"));
    ck_assert_int_eq(jsonx_parse("\"\xed\xa0\x80\"", 5, &o, err, sizeof err),
                     -1);
    ck_assert_int_eq(jsonx_parse("\"\xe2\x82\xac\"", 5, &o, err, sizeof err),
                     0);
    json_object_put(o);
}
END_TEST

Suite *utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_utf8_accepts_valid_text);
    tcase_add_test(tc, test_utf8_refuses_overlong_surrogates_and_out_of_range);
    tcase_add_test(tc, test_jsonx_refuses_what_json_c_lets_by);
    suite_add_tcase(s, tc);
    return s;
}
