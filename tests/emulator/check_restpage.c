/* check_restpage.c - the group listing's pages (src/emulator/restpage.c):
 * tokens, page sizes, and nextLink in the shape of the swagger's example
 * (tests/vectors/signalr/rest-2024-12-01.json). */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <json-c/json.h>

#include "emulator/restpage.h"
#include "emulator_suites.h"
#include "runner.h"

START_TEST(test_restpage_token_round_trip)
{
    char id[] = "AbC-_9xyz";
    struct restpage_pos pos = {3, id};
    char *tok = restpage_token(&pos);
    /* Opaque: the id does not show. */
    ck_assert_ptr_null(strstr(tok, "AbC"));
    struct restpage_pos back;
    ck_assert_int_eq(restpage_token_parse(tok, &back), 0);
    ck_assert_int_eq(back.returned, 3);
    ck_assert_str_eq(back.after, "AbC-_9xyz");
    restpage_pos_release(&back);
    ck_assert_ptr_null(back.after);
    free(tok);
}
END_TEST

START_TEST(test_restpage_bad_tokens)
{
    static const char *const bad[] = {
        "",         "0", "zz", "abc", "00", "3a", "313a", /* "1:" no id */
        "3a78",                                           /* ":x" no count */
        "303a78",                                         /* "0:x" */
        "2d313a78",                                       /* "-1:x" */
        "31783a78",                                       /* "1x:x" */
        "31003a78",                                       /* NUL inside */
        "c",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct restpage_pos pos;
        ck_assert_msg(restpage_token_parse(bad[i], &pos) == -1, "%s", bad[i]);
        ck_assert_ptr_null(pos.after);
    }
    /* Longer than any id we make. */
    char *huge = malloc(2000 + 1);
    memset(huge, '4', 2000);
    huge[2000] = '\0';
    struct restpage_pos pos;
    ck_assert_int_eq(restpage_token_parse(huge, &pos), -1);
    free(huge);
}
END_TEST

START_TEST(test_restpage_count)
{
    ck_assert_uint_eq(restpage_count(7, 3, 0, 0), 3);
    ck_assert_uint_eq(restpage_count(1, 3, 0, 6), 1);
    ck_assert_uint_eq(restpage_count(7, 200, 0, 0), 7);
    ck_assert_uint_eq(restpage_count(7, 3, 5, 3), 2);
    ck_assert_uint_eq(restpage_count(7, 3, 5, 5), 0);
    ck_assert_uint_eq(restpage_count(0, 3, 0, 0), 0);
}
END_TEST

START_TEST(test_restpage_next_link_shape)
{
    struct json_object *v = runner_vector("signalr/rest-2024-12-01.json");
    struct json_object *l = NULL, *order = NULL;
    ck_assert(json_object_object_get_ex(v, "listConnectionsInGroup", &l));
    ck_assert(json_object_object_get_ex(l, "nextLinkQuery", &order));
    char id[] = "c2";
    struct restpage_pos pos = {3, id};
    char *link = restpage_next_link("localhost:8888", "hub", "group 1", NULL,
                                    NULL, 1000, 200, &pos);
    ck_assert_msg(strncmp(link,
                          "http://localhost:8888/api/hubs/hub/groups/group%201/"
                          "connections?",
                          64) == 0,
                  "%s", link);
    /* The query names in the example's order. */
    const char *q = strchr(link, '?') + 1;
    for (size_t i = 0; i < json_object_array_length(order); i++) {
        const char *name =
            json_object_get_string(json_object_array_get_idx(order, i));
        size_t n = strlen(name);
        ck_assert_msg(strncmp(q, name, n) == 0 && q[n] == '=', "%s in %s", name,
                      link);
        q = strchr(q, '&');
        q = q ? q + 1 : "";
    }
    ck_assert_ptr_nonnull(strstr(link, "top=1000&maxpagesize=200&"));
    ck_assert_ptr_nonnull(strstr(link, "&api-version=2024-12-01"));
    free(link);
    /* Without top; with application and the caller's api-version. */
    link = restpage_next_link(NULL, "h", "g", "app", "2025-01-01", 0, 3, &pos);
    ck_assert_msg(strncmp(link,
                          "http://localhost/api/hubs/h/groups/g/connections?"
                          "maxpagesize=3&continuationToken=",
                          81) == 0,
                  "%s", link);
    ck_assert_ptr_nonnull(
        strstr(link, "&api-version=2025-01-01&application=app"));
    free(link);
    json_object_put(v);
}
END_TEST

Suite *restpage_suite(void)
{
    Suite *s = suite_create("restpage");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_restpage_token_round_trip);
    tcase_add_test(tc, test_restpage_bad_tokens);
    tcase_add_test(tc, test_restpage_count);
    tcase_add_test(tc, test_restpage_next_link_shape);
    suite_add_tcase(s, tc);
    return s;
}
