/* check_route.c - route templates as ASP.NET routing matches them. */
#include <string.h>

#include "host/route.h"
#include "host_test.h"
#include "util/banned.h"

static struct json_object *params;

static void setup(void)
{
    params = json_object_new_object();
}

static void teardown(void)
{
    json_object_put(params);
}

static const char *param(const char *name)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(params, name, &v))
        return "<absent>";
    return v ? json_object_get_string(v) : "<null>";
}

START_TEST(test_route_literals_match_case_insensitively)
{
    ck_assert(route_match("user/negotiate", "user/negotiate", params));
    ck_assert(route_match("user/negotiate", "User/Negotiate", params));
    ck_assert(route_match("user/negotiate", "user/negotiate/", params));
    ck_assert(!route_match("user/negotiate", "user", params));
    ck_assert(!route_match("user/negotiate", "user/negotiate/x", params));
    ck_assert(!route_match("negotiate", "negotiat", params));
    ck_assert_int_eq(json_object_object_length(params), 0);
}
END_TEST

START_TEST(test_route_catch_all_takes_the_rest)
{
    ck_assert(route_match("index/{*file}", "index/css/site.css", params));
    ck_assert_str_eq(param("file"), "css/site.css");
    ck_assert(route_match("index/{*file}", "index/index.html", params));
    ck_assert_str_eq(param("file"), "index.html");
    ck_assert(route_match("index/{*file}", "index", params));
    ck_assert_str_eq(param("file"), "<null>");
    ck_assert(!route_match("index/{*file}", "other/a", params));
}
END_TEST

START_TEST(test_route_parameters_and_constraints)
{
    ck_assert(route_match("items/{id}", "items/42", params));
    ck_assert_str_eq(param("id"), "42");
    ck_assert(!route_match("items/{id}", "items", params));
    ck_assert(route_match("items/{id?}", "items", params));
    ck_assert_str_eq(param("id"), "<null>");
    ck_assert(route_match("items/{id:int}", "items/7", params));
    ck_assert(!route_match("items/{id:int}", "items/x7", params));
    ck_assert(route_match("a/{x}/b/{y}", "a/1/b/2", params));
    ck_assert_str_eq(param("x"), "1");
    ck_assert_str_eq(param("y"), "2");
}
END_TEST

START_TEST(test_route_check_refuses_bad_templates)
{
    char err[128];
    ck_assert_int_eq(route_check("index/{*file}", err, sizeof err), 0);
    ck_assert_int_eq(route_check("a/{b}/c", err, sizeof err), 0);
    ck_assert_int_eq(route_check("a/{*b}/c", err, sizeof err), -1);
    ck_assert_int_eq(route_check("a/x{b}", err, sizeof err), -1);
    ck_assert_int_eq(route_check("a/{}", err, sizeof err), -1);
    ck_assert_int_eq(route_check("a//b", err, sizeof err), -1);
}
END_TEST

Suite *route_suite(void)
{
    Suite *s = suite_create("route");
    TCase *tc = tcase_create("match");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_route_literals_match_case_insensitively);
    tcase_add_test(tc, test_route_catch_all_takes_the_rest);
    tcase_add_test(tc, test_route_parameters_and_constraints);
    tcase_add_test(tc, test_route_check_refuses_bad_templates);
    suite_add_tcase(s, tc);
    return s;
}
