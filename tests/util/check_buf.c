/* check_buf.c - the capped buffer. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/buf.h"

START_TEST(test_buf_append_and_cstr)
{
    struct buf b;
    buf_init(&b, 64);
    ck_assert_str_eq(buf_cstr(&b), "");
    ck_assert_int_eq(buf_puts(&b, "hello "), 0);
    ck_assert_int_eq(buf_printf(&b, "%s %d", "world", 42), 0);
    ck_assert_str_eq(buf_cstr(&b), "hello world 42");
    ck_assert_uint_eq(b.len, 14);
    buf_release(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_buf_append_past_cap_fails_and_keeps_contents)
{
    struct buf b;
    buf_init(&b, 8);
    ck_assert_int_eq(buf_append(&b, "12345678", 8), 0);
    ck_assert_int_eq(buf_append(&b, "9", 1), -1);
    ck_assert_int_eq(buf_printf(&b, "%d", 1), -1);
    ck_assert_str_eq(buf_cstr(&b), "12345678");
    buf_release(&b);
}
END_TEST

START_TEST(test_buf_consume_and_take)
{
    struct buf b;
    buf_init(&b, 100);
    buf_puts(&b, "abcdef");
    buf_consume(&b, 2);
    ck_assert_str_eq(buf_cstr(&b), "cdef");
    size_t n = 0;
    char *p = buf_take(&b, &n);
    ck_assert_str_eq(p, "cdef");
    ck_assert_uint_eq(n, 4);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.max, 100);
    free(p);
    buf_consume(&b, 10);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_buf_append_and_cstr);
    tcase_add_test(tc, test_buf_consume_and_take);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_test(tc, test_buf_append_past_cap_fails_and_keeps_contents);
    suite_add_tcase(s, tc);
    return s;
}
