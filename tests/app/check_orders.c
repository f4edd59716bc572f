/* check_orders.c - the orders function, called as the host calls it (the
 * queue envelope of tests/azf/envelopes: the message text JSON-encoded
 * once more in Data.order). */
#include <check.h>
#include <json-c/json.h>

#include "app/app_test.h"

/* The envelope for a message whose text is msg. */
static struct json_object *call(const char *msg, int *status)
{
    struct json_object *text = json_object_new_string(msg);
    struct json_object *data = json_object_new_object();
    json_object_object_add(
        data, "order",
        json_object_new_string(json_object_to_json_string_ext(
            text, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
    struct json_object *env = json_object_new_object();
    json_object_object_add(env, "Data", data);
    struct json_object *md = json_object_new_object();
    json_object_object_add(md, "DequeueCount", json_object_new_string("2"));
    json_object_object_add(md, "Id", json_object_new_string("\"1\""));
    json_object_object_add(env, "Metadata", md);
    struct json_object *r = app_test_call(
        "orders", json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN),
        status);
    json_object_put(env);
    json_object_put(text);
    return r;
}

START_TEST(test_orders_to_user)
{
    int status = 0;
    struct json_object *r =
        call("{\"userId\":\"alice\",\"text\":\"Your order shipped\"}", &status);
    ck_assert_int_eq(status, 200);
    struct json_object *out = json_object_object_get(
        json_object_object_get(r, "Outputs"), "signalRMessages");
    ck_assert_ptr_nonnull(out);
    struct json_object *m = json_object_array_get_idx(out, 0);
    ck_assert_str_eq(
        json_object_get_string(json_object_object_get(m, "target")),
        "newNotification");
    ck_assert_str_eq(
        json_object_get_string(json_object_object_get(m, "userId")), "alice");
    struct json_object *note =
        json_object_array_get_idx(json_object_object_get(m, "arguments"), 0);
    ck_assert_str_eq(
        json_object_get_string(json_object_object_get(note, "message")),
        "Your order shipped");
    ck_assert_str_eq(
        json_object_get_string(json_object_object_get(note, "from")), "orders");
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
                         json_object_object_get(r, "Logs"), 0)),
                     "orders: 18 bytes to user alice (try 2)");
    json_object_put(r);
}
END_TEST

START_TEST(test_orders_to_group)
{
    int status = 0;
    struct json_object *r =
        call("{\"groupName\":\"ops\",\"text\":\"Order 7\"}", &status);
    ck_assert_int_eq(status, 200);
    struct json_object *m = json_object_array_get_idx(
        json_object_object_get(json_object_object_get(r, "Outputs"),
                               "signalRMessages"),
        0);
    ck_assert_str_eq(
        json_object_get_string(json_object_object_get(m, "groupName")), "ops");
    ck_assert_ptr_null(json_object_object_get(m, "userId"));
    json_object_put(r);
}
END_TEST

/* Each bad message fails the invocation (so it is retried, then poisoned)
 * and sends nothing. */
START_TEST(test_orders_bad_messages_fail)
{
    static const char *const bad[] = {
        "not json",
        "[1,2]",
        "{\"text\":\"nobody\"}",
        "{\"userId\":\"a\",\"groupName\":\"b\",\"text\":\"two\"}",
        "{\"userId\":\"a\"}",
        "{\"userId\":7,\"text\":\"x\"}",
        "{\"userId\":\"a\",\"text\":\"\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int status = 0;
        struct json_object *r = call(bad[i], &status);
        ck_assert_msg(status == 500, "%s: status %d", bad[i], status);
        struct json_object *out = json_object_object_get(r, "Outputs");
        ck_assert_ptr_null(json_object_object_get(out, "signalRMessages"));
        json_object_put(r);
    }
}
END_TEST

static TCase *fn_orders_case(void)
{
    TCase *tc = tcase_create("orders");
    tcase_add_test(tc, test_orders_to_user);
    tcase_add_test(tc, test_orders_to_group);
    tcase_add_test(tc, test_orders_bad_messages_fail);
    return tc;
}
APP_TEST_CASE(fn_orders_case)
