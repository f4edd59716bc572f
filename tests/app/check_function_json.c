/*
 * check_function_json.c - the app's function folders and its code agree:
 * every folder has code registered under its name and all code a folder,
 * with the trigger the code is written for, and each function.json
 * declares what this app's functions rely on (the hub, the connection
 * info input, the signed-in user id, the SignalR events). Also the app's
 * negotiation counter (stats.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "app/app.h"
#include "azf/registry.h"
#include "util/jsonx.h"

static struct json_object *binding(struct json_object *fj, const char *type)
{
    struct json_object *b = json_object_object_get(fj, "bindings");
    for (size_t i = 0; i < json_object_array_length(b); i++) {
        struct json_object *x = json_object_array_get_idx(b, i);
        if (strcasecmp(jsonx_str(x, "type"), type) == 0)
            return x;
    }
    return NULL;
}

/* What each of the app's functions relies on in its function.json. */
static const struct {
    const char *name;
    const char *outputs;          /* output binding types, space-separated */
    const char *category, *event; /* signalRTrigger */
    int connection_info;          /* a signalRConnectionInfo input */
    const char *user_id;          /* its userId expression */
} facts[] = {
    {"negotiate", "http", NULL, NULL, 1, NULL},
    {"userNegotiate", "http", NULL, NULL, 1,
     "{headers.x-ms-client-principal-id}"},
    {"broadcast", "http signalR", NULL, NULL, 0, NULL},
    {"groups", "http signalR", NULL, NULL, 0, NULL},
    {"statusUpdate", "signalR", NULL, NULL, 0, NULL},
    {"index", "http", NULL, NULL, 0, NULL},
    {"sendMessage", "signalR", "messages", "sendMessage", 0, NULL},
    {"onConnected", "signalR", "connections", "connected", 0, NULL},
    {"onDisconnected", "signalR", "connections", "disconnected", 0, NULL},
    {"joinGroup", "signalR", "messages", "joinGroup", 0, NULL},
    {"leaveGroup", "signalR", "messages", "leaveGroup", 0, NULL},
    {"sendToUser", "signalR", "messages", "sendToUser", 0, NULL},
    {"sendToGroup", "signalR", "messages", "sendToGroup", 0, NULL},
};

START_TEST(test_every_folder_has_code_and_all_code_a_folder)
{
    size_t n = 0;
    const struct azf_entry *all = registry_all(&n);
    for (size_t i = 0; i < n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/function.json", all[i].name);
        struct json_object *fj = json_object_from_file(p);
        ck_assert_msg(fj != NULL, "%s has code but no readable %s", all[i].name,
                      p);
        struct json_object *t = binding(fj, registry_trigger_type(all[i].kind));
        ck_assert_msg(t != NULL, "%s: no %s", all[i].name,
                      registry_trigger_type(all[i].kind));
        ck_assert_str_eq(jsonx_str(t, "direction"), "in");
        json_object_put(fj);
    }
    /* And the app's own functions are all there, by their exact names. */
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        ck_assert_ptr_nonnull(registry_find(facts[i].name));
        ck_assert_str_eq(registry_find(facts[i].name)->name, facts[i].name);
    }
}
END_TEST

START_TEST(test_function_json_declares_what_the_app_relies_on)
{
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        char p[512], outs[64];
        snprintf(p, sizeof p, "%s/function.json", facts[i].name);
        struct json_object *fj = json_object_from_file(p);
        ck_assert_ptr_nonnull(fj);
        snprintf(outs, sizeof outs, "%s", facts[i].outputs);
        for (char *save = NULL, *o = strtok_r(outs, " ", &save); o;
             o = strtok_r(NULL, " ", &save)) {
            struct json_object *ob = binding(fj, o);
            ck_assert_msg(ob != NULL, "%s: no %s output", facts[i].name, o);
            ck_assert_str_eq(jsonx_str(ob, "direction"), "out");
        }
        struct json_object *b = json_object_object_get(fj, "bindings");
        for (size_t j = 0; j < json_object_array_length(b); j++) {
            struct json_object *x = json_object_array_get_idx(b, j);
            if (strncasecmp(jsonx_str(x, "type"), "signalR", 7) == 0)
                ck_assert_str_eq(jsonx_str(x, "hubName"), APP_HUB);
        }
        struct json_object *t = binding(fj, "signalRTrigger");
        ck_assert_int_eq(t != NULL, facts[i].category != NULL);
        if (t) {
            ck_assert_str_eq(jsonx_str(t, "category"), facts[i].category);
            ck_assert_str_eq(jsonx_str(t, "event"), facts[i].event);
        }
        struct json_object *ci = binding(fj, "signalRConnectionInfo");
        ck_assert_int_eq(ci != NULL, facts[i].connection_info);
        if (ci) /* negotiate.c reads it by this name */
            ck_assert_str_eq(jsonx_str(ci, "name"), "connectionInfo");
        if (facts[i].user_id)
            ck_assert_str_eq(jsonx_str(ci, "userId"), facts[i].user_id);
        else if (ci)
            ck_assert_ptr_null(jsonx_str(ci, "userId"));
        json_object_put(fj);
    }
}
END_TEST

START_TEST(test_registry_find_is_exact_then_case_insensitive)
{
    ck_assert_str_eq(registry_find("statusUpdate")->name, "statusUpdate");
    ck_assert_str_eq(registry_find("STATUSUPDATE")->name, "statusUpdate");
    ck_assert_ptr_null(registry_find("status"));
    ck_assert_ptr_null(registry_find(""));
}
END_TEST

Suite *function_json_suite(void)
{
    Suite *s = suite_create("function_json");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_every_folder_has_code_and_all_code_a_folder);
    tcase_add_test(tc, test_function_json_declares_what_the_app_relies_on);
    tcase_add_test(tc, test_registry_find_is_exact_then_case_insensitive);
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
