/*
 * orders.c - a message on the storage queue "orders" becomes a
 * newNotification to one user or one group: "something happens → SignalR".
 *
 *   {"userId": "alice", "text": "Your order shipped"}
 *   {"groupName": "ops", "text": "Order 7 needs a look"}
 *
 * The page shows it as {from: "orders", message: text}. A message that is
 * not such an object (not JSON, no text, no recipient or two) fails the
 * invocation: the host makes it visible again and, after maxDequeueCount
 * tries, moves it to the queue "orders-poison".
 */
#include "app.h"

#include <string.h>

#include "proto/names.h"
#include "util/jsonx.h"
#include "util/banned.h"

/* The string field name of obj, or NULL (absent). *bad is set when it is
 * present but not a string. */
static const char *field(struct json_object *obj, const char *name, int *bad)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(obj, name, &v))
        return NULL;
    if (!json_object_is_type(v, json_type_string)) {
        *bad = 1;
        return NULL;
    }
    return json_object_get_string(v);
}

static azf_status fn_orders(azf_inv *inv)
{
    size_t len = 0;
    char err[160];
    const char *text = azf_queue_text(inv, &len);
    struct json_object *msg = NULL;
    if (!text || jsonx_parse(text, len, &msg, err, sizeof err) < 0 ||
        !json_object_is_type(msg, json_type_object)) {
        json_object_put(msg);
        return azf_fail(inv, "the message is not a JSON object "
                             "{\"userId\"|\"groupName\", \"text\"}");
    }
    int bad = 0;
    const char *user = field(msg, "userId", &bad);
    const char *group = field(msg, "groupName", &bad);
    const char *note_text = field(msg, "text", &bad);
    azf_status st = AZF_FAILED;
    if (bad)
        azf_fail(inv, "fields 'userId', 'groupName' and 'text' are strings");
    else if (!note_text || !*note_text)
        azf_fail(inv, "field 'text' is required");
    else if (strlen(note_text) > APP_MESSAGE_MAX)
        azf_fail(inv, "field 'text' is over %d bytes", APP_MESSAGE_MAX);
    else if (!user == !group)
        azf_fail(inv, "give exactly one recipient: 'userId' or 'groupName'");
    else if (user ? names_check_user(user, err, sizeof err) < 0
                  : names_check_group(group, err, sizeof err) < 0)
        azf_fail(inv, "%s: %s", user ? "userId" : "groupName", err);
    else
        st = AZF_DONE;
    if (st == AZF_DONE) {
        struct json_object *note = json_object_new_object();
        json_object_object_add(note, "from", json_object_new_string("orders"));
        json_object_object_add(note, "message",
                               json_object_new_string(note_text));
        struct json_object *args = json_object_new_array();
        json_object_array_add(args, note);
        azf_send(inv, &(struct azf_message){.target = "newNotification",
                                            .arguments = args,
                                            .user_id = user,
                                            .group_name = group});
        azf_info(inv, "%zu bytes to %s %s (try %ld)", strlen(note_text),
                 user ? "user" : "group", user ? user : group,
                 azf_queue_dequeue_count(inv));
    }
    json_object_put(msg);
    return st;
}

AZF_FUNCTION("orders", AZF_QUEUE, fn_orders)
