/* check_names.c - hub, group, user and connection name rules. */
#include <string.h>

#include <check.h>

#include "proto/names.h"

START_TEST(test_names_hub)
{
    char err[128];
    ck_assert_int_eq(names_check_hub("notifications", err, sizeof err), 0);
    ck_assert_int_eq(names_check_hub("a_b`c,d.e[f]9", err, sizeof err), 0);
    ck_assert_int_eq(names_check_hub("9lives", err, sizeof err), -1);
    ck_assert_int_eq(names_check_hub("", err, sizeof err), -1);
    ck_assert_int_eq(names_check_hub("a-b", err, sizeof err), -1);
    ck_assert_int_eq(names_check_hub("a b", err, sizeof err), -1);
    char longer[200];
    memset(longer, 'a', 129);
    longer[129] = '\0';
    ck_assert_int_eq(names_check_hub(longer, err, sizeof err), -1);
    longer[128] = '\0';
    ck_assert_int_eq(names_check_hub(longer, err, sizeof err), 0);
}
END_TEST

START_TEST(test_names_group_user_connection)
{
    char err[128];
    char big[1100];
    ck_assert_int_eq(names_check_group("room 1", err, sizeof err), 0);
    ck_assert_int_eq(names_check_group("  ", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "white space"));
    ck_assert_int_eq(names_check_group("", err, sizeof err), -1);
    ck_assert_int_eq(names_check_group("a\tb", err, sizeof err), -1);
    memset(big, 'g', 1025);
    big[1025] = '\0';
    ck_assert_int_eq(names_check_group(big, err, sizeof err), -1);
    big[1024] = '\0';
    ck_assert_int_eq(names_check_group(big, err, sizeof err), 0);
    ck_assert_int_eq(names_check_user("User@Example.com", err, sizeof err), 0);
    ck_assert_int_eq(names_check_user("", err, sizeof err), -1);
    ck_assert_int_eq(
        names_check_connection("hb6Zq2Rk3z0AbCdEfGhIjw", err, sizeof err), 0);
    ck_assert_int_eq(names_check_connection("a\nb", err, sizeof err), -1);
}
END_TEST

Suite *names_suite(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_names_hub);
    tcase_add_test(tc, test_names_group_user_connection);
    suite_add_tcase(s, tc);
    return s;
}
