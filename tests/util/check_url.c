/* check_url.c - percent-decoding and encoding (src/util/url.c). */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/url.h"

START_TEST(test_url_decode_segment)
{
    char *s = url_decode("room%201%2Fa+b", 14, 0);
    ck_assert_str_eq(s, "room 1/a+b");
    free(s);
    s = url_decode("a+b%2b", 6, 1);
    ck_assert_str_eq(s, "a b+");
    free(s);
    s = url_decode("%C3%A9", 6, 0);
    ck_assert_str_eq(s, "\xc3\xa9");
    free(s);
}
END_TEST

START_TEST(test_url_decode_rejects_bad_escapes)
{
    ck_assert_ptr_null(url_decode("%", 1, 0));
    ck_assert_ptr_null(url_decode("%4", 2, 0));
    ck_assert_ptr_null(url_decode("%zz", 3, 0));
    ck_assert_ptr_null(url_decode("a%00b", 5, 0));
}
END_TEST

START_TEST(test_url_encode_round_trip)
{
    char *e = url_encode("room 1/é~_.-");
    ck_assert_str_eq(e, "room%201%2F%C3%A9~_.-");
    char *d = url_decode(e, strlen(e), 0);
    ck_assert_str_eq(d, "room 1/é~_.-");
    free(e);
    free(d);
}
END_TEST

START_TEST(test_url_query_get)
{
    char *v = url_query_get("hub=chat&id=abc&access_token=a%2Eb&flag", "id");
    ck_assert_str_eq(v, "abc");
    free(v);
    v = url_query_get("hub=chat&access_token=a%2Eb", "access_token");
    ck_assert_str_eq(v, "a.b");
    free(v);
    v = url_query_get("hub=chat&flag", "flag");
    ck_assert_str_eq(v, "");
    free(v);
    ck_assert_ptr_null(url_query_get("hub=chat", "id"));
    ck_assert_ptr_null(url_query_get("hubx=chat", "hub"));
}
END_TEST

Suite *url_suite(void)
{
    Suite *s = suite_create("url");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_url_decode_segment);
    tcase_add_test(tc, test_url_decode_rejects_bad_escapes);
    tcase_add_test(tc, test_url_encode_round_trip);
    tcase_add_test(tc, test_url_query_get);
    suite_add_tcase(s, tc);
    return s;
}
