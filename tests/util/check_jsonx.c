/* check_jsonx.c - strict parsing, case-insensitive lookup, unwrapping. */
#include <string.h>

#include <check.h>

#include "util/buf.h"
#include "util/jsonx.h"

static int parses(const char *s, size_t n)
{
    struct json_object *o = NULL;
    char err[128];
    int r = jsonx_parse(s, n, &o, err, sizeof err);
    json_object_put(o);
    return r == 0;
}

START_TEST(test_jsonx_parse_accepts_valid_json)
{
    ck_assert(parses("{\"a\":1}", 7));
    ck_assert(parses(" [1, 2] \n", 9));
    ck_assert(parses("\"\\u00e9\"", 8));
    ck_assert(parses("null", 4));
    ck_assert(parses("123", 3));
    ck_assert(parses("true", 4));
}
END_TEST

START_TEST(test_jsonx_parse_refuses_bad_input)
{
    ck_assert(!parses("", 0));
    ck_assert(!parses("{", 1));
    ck_assert(!parses("{\"a\":1} x", 9));
    ck_assert(!parses("{\"a\":1}\0", 8));
    ck_assert(!parses("\"\xff\"", 3));
    /* json-c accepts single-quoted strings even when strict: a known,
     * harmless leniency, not asserted either way. */
    ck_assert(!parses("[1,]", 4));
    char deep[300];
    memset(deep, '[', 150);
    memset(deep + 150, ']', 150);
    ck_assert(!parses(deep, 300));
}
END_TEST

START_TEST(test_jsonx_parse_error_names_the_problem)
{
    struct json_object *o = NULL;
    char err[128];
    ck_assert_int_eq(jsonx_parse("{\"a\":", 5, &o, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "truncated"));
    ck_assert_int_eq(jsonx_parse("{} {}", 5, &o, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unexpected character"));
}
END_TEST

START_TEST(test_jsonx_get_ci_prefers_exact_then_any_case)
{
    struct json_object *o = json_tokener_parse(
        "{\"Target\":\"a\",\"target\":\"b\",\"Arguments\":[1]}");
    ck_assert_str_eq(jsonx_str(o, "target"), "b");
    ck_assert_str_eq(jsonx_str(o, "TARGET"), "a");
    ck_assert_ptr_nonnull(jsonx_get_ci(o, "arguments"));
    ck_assert_ptr_null(jsonx_get_ci(o, "missing"));
    ck_assert_ptr_null(jsonx_str(o, "Arguments"));
    ck_assert(jsonx_has_ci(o, "ARGUMENTS"));
    json_object_put(o);
}
END_TEST

START_TEST(test_jsonx_unwrap_removes_up_to_n_string_layers)
{
    struct json_object *two =
        json_object_new_string("\"{\\\"url\\\": \\\"u\\\"}\"");
    struct json_object *v = jsonx_unwrap(two, 2);
    ck_assert(json_object_is_type(v, json_type_object));
    ck_assert_str_eq(jsonx_str(v, "url"), "u");
    json_object_put(v);
    v = jsonx_unwrap(two, 1);
    ck_assert(json_object_is_type(v, json_type_string));
    json_object_put(v);
    json_object_put(two);
    struct json_object *plain = json_object_new_string("hello");
    v = jsonx_unwrap(plain, 2);
    ck_assert_str_eq(json_object_get_string(v), "hello");
    json_object_put(v);
    json_object_put(plain);
    ck_assert_ptr_null(jsonx_unwrap(NULL, 2));
}
END_TEST

/* Every byte, alone and amid text, escaped as json-c escapes it. */
START_TEST(test_jsonx_append_string_escapes_as_json_c)
{
    struct buf b;
    buf_init(&b, 1024);
    for (int c = 0; c < 256; c++) {
        char s[5] = {'a', (char)c, '/', (char)c, 'z'};
        struct json_object *o = json_object_new_string_len(s, 5);
        buf_reset(&b);
        ck_assert_int_eq(jsonx_append_string(&b, s, 5), 0);
        ck_assert_str_eq(buf_cstr(&b), jsonx_compact(o));
        json_object_put(o);
    }
    buf_release(&b);
}
END_TEST

Suite *jsonx_suite(void)
{
    Suite *s = suite_create("jsonx");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_jsonx_parse_accepts_valid_json);
    tcase_add_test(tc, test_jsonx_parse_refuses_bad_input);
    tcase_add_test(tc, test_jsonx_parse_error_names_the_problem);
    tcase_add_test(tc, test_jsonx_get_ci_prefers_exact_then_any_case);
    tcase_add_test(tc, test_jsonx_unwrap_removes_up_to_n_string_layers);
    tcase_add_test(tc, test_jsonx_append_string_escapes_as_json_c);
    suite_add_tcase(s, tc);
    return s;
}
