/*
 * check_routes.c - every function folder has a row in the route table and
 * every row a folder, with the trigger and binding names the code reads.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "handler/routes.h"
#include "handler/stats.h"
#include "util/jsonx.h"

static struct json_object *binding(struct json_object *fj, const char *name)
{
    struct json_object *b = json_object_object_get(fj, "bindings");
    for (size_t i = 0; i < json_object_array_length(b); i++) {
        struct json_object *x = json_object_array_get_idx(b, i);
        if (strcmp(jsonx_str(x, "name"), name) == 0)
            return x;
    }
    return NULL;
}

START_TEST(test_routes_match_function_folders)
{
    size_t n = 0, seen = 0;
    const struct route *rows = routes_all(&n);
    DIR *d = opendir(".");
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[512];
        snprintf(p, sizeof p, "%s/function.json", e->d_name);
        struct json_object *fj = json_object_from_file(p);
        if (!fj)
            continue;
        const struct route *r = routes_find(e->d_name);
        ck_assert_msg(r != NULL, "folder %s has no route", e->d_name);
        ck_assert_str_eq(r->name, e->d_name);
        seen++;
        /* The trigger binding's type is the one the function expects. */
        struct json_object *b = json_object_object_get(fj, "bindings");
        int trigger_ok = 0;
        for (size_t i = 0; i < json_object_array_length(b); i++) {
            const char *t = jsonx_str(json_object_array_get_idx(b, i), "type");
            if (strcmp(t, r->trigger) == 0)
                trigger_ok = 1;
        }
        ck_assert_msg(trigger_ok, "%s: no %s binding", e->d_name, r->trigger);
        struct json_object *tb = binding(fj, r->trigger_name);
        ck_assert_msg(tb != NULL, "%s: no binding named %s", e->d_name,
                      r->trigger_name);
        ck_assert_str_eq(jsonx_str(tb, "type"), r->trigger);
        /* A signalRTrigger is matched on category and event. */
        ck_assert_int_eq(r->category != NULL,
                         strcmp(r->trigger, "signalRTrigger") == 0);
        if (r->category) {
            ck_assert_str_eq(jsonx_str(tb, "category"), r->category);
            ck_assert_str_eq(jsonx_str(tb, "event"), r->event);
            ck_assert_str_eq(jsonx_str(tb, "hubName"), "notifications");
        }
        /* Each output the function fills is declared with its type. */
        char outs[128];
        snprintf(outs, sizeof outs, "%s", r->outputs);
        for (char *save = NULL, *o = strtok_r(outs, " ", &save); o;
             o = strtok_r(NULL, " ", &save)) {
            struct json_object *ob = binding(fj, o);
            ck_assert_msg(ob != NULL, "%s: no binding named %s", e->d_name, o);
            ck_assert_str_eq(jsonx_str(ob, "direction"), "out");
            ck_assert_str_eq(jsonx_str(ob, "type"),
                             strcmp(o, "res") == 0 ? "http" : "signalR");
            if (strcmp(o, "res") != 0)
                ck_assert_str_eq(jsonx_str(ob, "hubName"), "notifications");
        }
        if (strstr(r->name, "egotiate")) {
            struct json_object *ci = binding(fj, "connectionInfo");
            ck_assert_ptr_nonnull(ci);
            ck_assert_str_eq(jsonx_str(ci, "type"), "signalRConnectionInfo");
            ck_assert_str_eq(jsonx_str(ci, "hubName"), "notifications");
        }
        json_object_put(fj);
    }
    closedir(d);
    ck_assert_uint_eq(seen, n);
    for (size_t i = 0; i < n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/function.json", rows[i].name);
        ck_assert_msg(access(p, R_OK) == 0, "route %s has no folder",
                      rows[i].name);
    }
}
END_TEST

START_TEST(test_routes_find_is_exact_then_case_insensitive)
{
    ck_assert_str_eq(routes_find("statusUpdate")->name, "statusUpdate");
    ck_assert_str_eq(routes_find("STATUSUPDATE")->name, "statusUpdate");
    ck_assert_ptr_null(routes_find("status"));
    ck_assert_ptr_null(routes_find(""));
}
END_TEST

Suite *routes_suite(void)
{
    Suite *s = suite_create("routes");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_routes_match_function_folders);
    tcase_add_test(tc, test_routes_find_is_exact_then_case_insensitive);
    suite_add_tcase(s, tc);
    return s;
}

START_TEST(test_stats_window)
{
    struct stats *s = stats_new();
    time_t t = 1000000;
    stats_negotiation(s, t);
    stats_negotiation(s, t);
    stats_negotiation(s, t + 100);
    ck_assert_int_eq(stats_negotiations_recent(s, t + 100), 3);
    ck_assert_int_eq(stats_negotiations_recent(s, t + STATS_WINDOW_S - 1), 3);
    ck_assert_int_eq(stats_negotiations_recent(s, t + STATS_WINDOW_S), 1);
    /* A bucket reused a full window later restarts its count. */
    stats_negotiation(s, t + STATS_WINDOW_S);
    ck_assert_int_eq(stats_negotiations_recent(s, t + STATS_WINDOW_S), 2);
    ck_assert_int_eq(stats_negotiations_recent(s, t + 10 * STATS_WINDOW_S), 0);
    stats_free(s);
}
END_TEST

Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_stats_window);
    suite_add_tcase(s, tc);
    return s;
}
