/*
 * check_client_calls.c - joinGroup, leaveGroup, sendToUser and sendToGroup
 * act for the verified caller only (its user id, else its connection id),
 * whatever the arguments claim, and refuse bad arguments by failing the
 * invocation.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "app/app_test.h"

/* The invocation context the SignalR extension sends for a client's
 * invoke(event, args...) on connection c1, as user (NULL: anonymous). */
static struct json_object *invoke(const char *event, const char *user,
                                  const char *args, int *status)
{
    char env[4096];
    snprintf(env, sizeof env,
             "{\"Data\":{\"invocation\":{\"ConnectionId\":\"c1\",\"UserId\":"
             "\"%s\",\"Hub\":\"notifications\",\"Category\":\"messages\","
             "\"Event\":\"%s\",\"Arguments\":%s}},\"Metadata\":{}}",
             user ? user : "", event, args);
    return app_test_call(event, env, status);
}

static const char *str(struct json_object *o, const char *a, size_t i,
                       const char *b)
{
    struct json_object *v = json_object_object_get(o, a);
    if (json_object_is_type(v, json_type_array))
        v = json_object_array_get_idx(v, i);
    return json_object_get_string(b ? json_object_object_get(v, b) : v);
}

START_TEST(test_join_and_leave_act_for_the_caller_only)
{
    int st = 0;
    /* Anonymous: the caller's own connection joins. */
    struct json_object *r = invoke("joinGroup", NULL, "[\"ops\"]", &st);
    ck_assert_int_eq(st, 200);
    struct json_object *o = json_object_object_get(r, "Outputs");
    ck_assert_str_eq(str(o, "signalRGroupActions", 0, "action"), "add");
    ck_assert_str_eq(str(o, "signalRGroupActions", 0, "groupName"), "ops");
    ck_assert_str_eq(str(o, "signalRGroupActions", 0, "connectionId"), "c1");
    ck_assert_ptr_null(str(o, "signalRGroupActions", 0, "userId"));
    ck_assert_str_eq(str(r, "ReturnValue", 0, "connectionId"), "c1");
    json_object_put(r);
    /* Signed in: the user joins (membership follows it across
     * reconnects); leaving removes the user. */
    r = invoke("leaveGroup", "alice", "[\"ops\"]", &st);
    ck_assert_int_eq(st, 200);
    o = json_object_object_get(r, "Outputs");
    ck_assert_str_eq(str(o, "signalRGroupActions", 0, "action"), "remove");
    ck_assert_str_eq(str(o, "signalRGroupActions", 0, "userId"), "alice");
    ck_assert_ptr_null(str(o, "signalRGroupActions", 0, "connectionId"));
    json_object_put(r);
    /* Naming someone else is no way in: there is no argument for it. */
    r = invoke("joinGroup", "mallory", "[\"ops\", \"alice\"]", &st);
    ck_assert_int_eq(st, 500);
    ck_assert_ptr_nonnull(
        strstr(str(r, "error", 0, NULL), "takes one argument"));
    json_object_put(r);
}
END_TEST

START_TEST(test_sends_carry_who_sent_them)
{
    int st = 0;
    struct json_object *r =
        invoke("sendToUser", "bob", "[\"alice\", {\"text\":\"hi\"}]", &st);
    ck_assert_int_eq(st, 200);
    struct json_object *m = json_object_array_get_idx(
        json_object_object_get(json_object_object_get(r, "Outputs"),
                               "signalRMessages"),
        0);
    ck_assert_str_eq(str(m, "target", 0, NULL), "newNotification");
    ck_assert_str_eq(str(m, "userId", 0, NULL), "alice");
    struct json_object *note =
        json_object_array_get_idx(json_object_object_get(m, "arguments"), 0);
    ck_assert_str_eq(str(note, "from", 0, NULL), "bob");
    ck_assert_str_eq(
        str(json_object_object_get(note, "message"), "text", 0, NULL), "hi");
    json_object_put(r);
    /* Anonymous: from is the connection id. */
    r = invoke("sendToGroup", NULL, "[\"ops\", \"deploying\"]", &st);
    ck_assert_int_eq(st, 200);
    m = json_object_array_get_idx(
        json_object_object_get(json_object_object_get(r, "Outputs"),
                               "signalRMessages"),
        0);
    ck_assert_str_eq(str(m, "groupName", 0, NULL), "ops");
    note = json_object_array_get_idx(json_object_object_get(m, "arguments"), 0);
    ck_assert_str_eq(str(note, "from", 0, NULL), "c1");
    json_object_put(r);
}
END_TEST

START_TEST(test_bad_arguments_fail_the_invocation)
{
    static const struct {
        const char *event, *args, *error;
    } cases[] = {
        {"joinGroup", "[]", "takes one argument"},
        {"joinGroup", "[7]", "must be a string"},
        {"joinGroup", "[\"\"]", "the group's name"},
        {"joinGroup", "[\"a\\u0000b\"]", "must be a string"},
        {"sendToUser", "[\"alice\"]", "takes two arguments"},
        {"sendToUser", "[{}, \"x\"]", "the user id, must be a string"},
        {"sendToGroup", "[\"\", \"x\"]", "the group's name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st = 0;
        struct json_object *r =
            invoke(cases[i].event, NULL, cases[i].args, &st);
        ck_assert_int_eq(st, 500);
        ck_assert_msg(strstr(str(r, "error", 0, NULL), cases[i].error),
                      "case %zu: %s", i, str(r, "error", 0, NULL));
        json_object_put(r);
    }
    /* A message over the limit. */
    char big[2200 + 64];
    memset(big, 'x', sizeof big);
    snprintf(big, 16, "[\"ops\", \"");
    big[sizeof big - 3] = '"';
    big[sizeof big - 2] = ']';
    big[sizeof big - 1] = '\0';
    for (size_t k = 0; k < sizeof big - 3; k++)
        if (big[k] == '\0')
            big[k] = 'x';
    int st = 0;
    struct json_object *r = invoke("sendToGroup", NULL, big, &st);
    ck_assert_int_eq(st, 500);
    ck_assert_ptr_nonnull(strstr(str(r, "error", 0, NULL), "byte limit"));
    json_object_put(r);
}
END_TEST

static TCase *client_calls_case(void)
{
    TCase *tc = tcase_create("client calls");
    tcase_add_test(tc, test_join_and_leave_act_for_the_caller_only);
    tcase_add_test(tc, test_sends_carry_who_sent_them);
    tcase_add_test(tc, test_bad_arguments_fail_the_invocation);
    return tc;
}
APP_TEST_CASE(client_calls_case)
