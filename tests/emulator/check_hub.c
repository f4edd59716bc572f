/* check_hub.c - the registry (src/emulator/hub.c) and its string map. */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "emulator/hub.h"
#include "emulator/strmap.h"
#include "emulator_suites.h"

START_TEST(test_strmap_put_get_del_grow)
{
    struct strmap *m = strmap_new();
    char key[32];
    static int vals[1000];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_ptr_null(strmap_put(m, key, &vals[i]));
    }
    ck_assert_uint_eq(strmap_count(m), 1000);
    ck_assert_ptr_eq(strmap_get(m, "k500"), &vals[500]);
    ck_assert_ptr_null(strmap_get(m, "K500"));
    ck_assert_ptr_eq(strmap_put(m, "k1", &vals[2]), &vals[1]);
    ck_assert_ptr_eq(strmap_del(m, "k1"), &vals[2]);
    ck_assert_ptr_null(strmap_del(m, "k1"));
    /* Deleting the entry just returned while iterating is allowed. */
    struct strmap_iter it;
    const char *k;
    size_t seen = 0;
    strmap_iter_init(&it, m);
    while (strmap_iter_next(&it, &k, NULL)) {
        seen++;
        ck_assert_ptr_nonnull(strmap_del(m, k));
    }
    ck_assert_uint_eq(seen, 999);
    ck_assert_uint_eq(strmap_count(m), 0);
    strmap_free(m);
}
END_TEST

static void count_cb(void *conn, const char *id, const char *user, void *arg)
{
    char *out = arg;
    size_t n = strlen(out);
    snprintf(out + n, 64 - n, "%s", (const char *)conn);
}

/* The connections visited, as sorted letters (conn pointers are names). */
static const char *visit_names(struct hub *h, int kind, const char *key)
{
    static char out[64];
    out[0] = '\0';
    if (kind == 0)
        hub_each_conn(h, count_cb, out);
    else if (kind == 1)
        hub_each_user_conn(h, key, count_cb, out);
    else
        hub_each_group_conn(h, key, count_cb, out);
    size_t n = strlen(out);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (out[j] < out[i]) {
                char t = out[i];
                out[i] = out[j];
                out[j] = t;
            }
    return out;
}

START_TEST(test_hub_names_are_case_insensitive)
{
    struct registry *r = registry_new();
    ck_assert_ptr_null(registry_hub(r, "Chat", 0));
    struct hub *h = registry_hub(r, "Chat", 1);
    ck_assert_str_eq(hub_name(h), "chat");
    ck_assert_ptr_eq(registry_hub(r, "CHAT", 0), h);
    registry_free(r);
}
END_TEST

START_TEST(test_user_added_to_group_before_connecting_is_in_it)
{
    struct registry *r = registry_new();
    struct hub *h = registry_hub(r, "chat", 1);
    hub_user_group_add(h, "carol", "room", 0);
    ck_assert_int_eq(hub_user_in_group(h, "carol", "room"), 1);
    ck_assert_int_eq(hub_group_exists(h, "room"), 0);
    ck_assert_int_eq(hub_user_exists(h, "carol"), 0);
    ck_assert_int_eq(hub_conn_add(h, "c1", "carol", (void *)"a"), 0);
    ck_assert_int_eq(hub_conn_add(h, "c2", "dave", (void *)"b"), 0);
    ck_assert_int_eq(hub_conn_add(h, "c2", "dave", (void *)"b"), -1);
    ck_assert_int_eq(hub_group_exists(h, "room"), 1);
    ck_assert_str_eq(visit_names(h, 2, "room"), "a");
    /* Group names are case-sensitive. */
    ck_assert_str_eq(visit_names(h, 2, "Room"), "");
    ck_assert_int_eq(hub_conn_add(h, "c3", "carol", (void *)"c"), 0);
    ck_assert_str_eq(visit_names(h, 2, "room"), "ac");
    ck_assert_str_eq(visit_names(h, 1, "carol"), "ac");
    ck_assert_str_eq(visit_names(h, 0, NULL), "abc");
    /* Membership survives the user's connections. */
    hub_conn_remove(h, "c1");
    hub_conn_remove(h, "c3");
    ck_assert_int_eq(hub_user_exists(h, "carol"), 0);
    ck_assert_int_eq(hub_user_in_group(h, "carol", "room"), 1);
    ck_assert_int_eq(hub_conn_add(h, "c4", "carol", (void *)"d"), 0);
    ck_assert_str_eq(visit_names(h, 2, "room"), "d");
    hub_user_group_remove(h, "carol", "room");
    ck_assert_str_eq(visit_names(h, 2, "room"), "");
    ck_assert_int_eq(hub_user_in_group(h, "carol", "room"), 0);
    registry_free(r);
}
END_TEST

START_TEST(test_connection_groups)
{
    struct registry *r = registry_new();
    struct hub *h = registry_hub(r, "chat", 1);
    ck_assert_int_eq(hub_group_add_conn(h, "g", "nope"), -1);
    hub_conn_add(h, "c1", NULL, (void *)"a");
    hub_conn_add(h, "c2", "bob", (void *)"b");
    ck_assert_int_eq(hub_group_add_conn(h, "g", "c1"), 0);
    ck_assert_int_eq(hub_group_add_conn(h, "g", "c2"), 0);
    ck_assert_int_eq(hub_group_add_conn(h, "h", "c2"), 0);
    ck_assert_str_eq(visit_names(h, 2, "g"), "ab");
    ck_assert_int_eq(hub_user_in_group(h, "bob", "h"), 1);
    ck_assert_int_eq(hub_group_remove_conn(h, "g", "c1"), 0);
    ck_assert_str_eq(visit_names(h, 2, "g"), "b");
    ck_assert_int_eq(hub_conn_leave_all(h, "c2"), 0);
    ck_assert_int_eq(hub_group_exists(h, "g"), 0);
    ck_assert_int_eq(hub_group_exists(h, "h"), 0);
    ck_assert_ptr_eq(hub_conn_find(h, "c2"), "b");
    hub_conn_remove(h, "c2");
    ck_assert_ptr_null(hub_conn_find(h, "c2"));
    ck_assert_uint_eq(hub_conn_count(h), 1);
    registry_free(r);
}
END_TEST

START_TEST(test_user_groups_clear_and_ttl)
{
    struct registry *r = registry_new();
    struct hub *h = registry_hub(r, "chat", 1);
    hub_conn_add(h, "c1", "eve", (void *)"a");
    hub_user_group_add(h, "eve", "g1", 0);
    hub_user_group_add(h, "eve", "g2", 1000);
    ck_assert_str_eq(visit_names(h, 2, "g2"), "a");
    registry_expire(r, 999);
    ck_assert_int_eq(hub_user_in_group(h, "eve", "g2"), 1);
    registry_expire(r, 1000);
    ck_assert_int_eq(hub_user_in_group(h, "eve", "g2"), 0);
    ck_assert_str_eq(visit_names(h, 2, "g2"), "");
    ck_assert_int_eq(hub_user_in_group(h, "eve", "g1"), 1);
    hub_user_groups_clear(h, "eve");
    ck_assert_int_eq(hub_user_in_group(h, "eve", "g1"), 0);
    ck_assert_str_eq(visit_names(h, 2, "g1"), "");
    ck_assert_int_eq(hub_user_exists(h, "eve"), 1);
    registry_free(r);
}
END_TEST

Suite *strmap_suite(void)
{
    Suite *s = suite_create("strmap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_strmap_put_get_del_grow);
    suite_add_tcase(s, tc);
    return s;
}

Suite *hub_suite(void)
{
    Suite *s = suite_create("hub");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, test_hub_names_are_case_insensitive);
    tcase_add_test(tc, test_user_added_to_group_before_connecting_is_in_it);
    tcase_add_test(tc, test_connection_groups);
    tcase_add_test(tc, test_user_groups_clear_and_ttl);
    suite_add_tcase(s, tc);
    return s;
}
