/*
 * client_calls.c - what a page does through its own connection, acting
 * only for the caller: a client's connection.invoke("joinGroup", group),
 * ("leaveGroup", group), ("sendToUser", userId, message) and
 * ("sendToGroup", group, message) reach these signalRTrigger functions
 * through the service's upstream.
 *
 * Who acts is the verified connection's identity (azf_signalr_caller: its
 * user id when the client negotiated as a signed-in user, else its
 * connection id), never an argument: a page can put only itself in a
 * group, and every message it sends carries who sent it. The server-side
 * HTTP functions (broadcast, groups) keep their contracts for the app's
 * own servers. A bad argument fails the invocation: the caller's invoke()
 * gets the reason and nothing is sent.
 */
#include "app.h"

#include <string.h>

#include "proto/names.h"
#include "util/jsonx.h"
#include "util/banned.h"

/* Argument i of the invocation as a string, checked by check (NULL: any
 * non-empty string); NULL after failing the invocation. */
static const char *string_arg(azf_inv *inv, size_t i, const char *what,
                              int (*check)(const char *, char *, size_t))
{
    char err[160];
    struct json_object *v =
        json_object_array_get_idx(azf_signalr_arguments(inv), i);
    if (!v || !json_object_is_type(v, json_type_string) ||
        strlen(json_object_get_string(v)) !=
            (size_t)json_object_get_string_len(v)) {
        azf_fail(inv, "argument %zu, %s, must be a string", i + 1, what);
        return NULL;
    }
    if (check && check(json_object_get_string(v), err, sizeof err) < 0) {
        azf_fail(inv, "%s: %s", what, err);
        return NULL;
    }
    return json_object_get_string(v);
}

/* The invocation has exactly n arguments, else it fails. */
static bool arity(azf_inv *inv, size_t n, const char *usage)
{
    size_t got = json_object_array_length(azf_signalr_arguments(inv));
    if (got == n)
        return true;
    azf_fail(inv, "%s takes %s (got %zu arguments)", azf_name(inv), usage, got);
    return false;
}

static azf_status membership(azf_inv *inv, const char *action)
{
    if (!arity(inv, 1, "one argument, the group's name"))
        return AZF_FAILED;
    const char *group =
        string_arg(inv, 0, "the group's name", names_check_group);
    if (!group)
        return AZF_FAILED;
    const char *user = azf_signalr_user_id(inv);
    const char *conn = azf_signalr_connection_id(inv);
    azf_group(inv,
              &(struct azf_group_action){.action = action,
                                         .group_name = group,
                                         .user_id = user,
                                         .connection_id = user ? NULL : conn});
    struct json_object *ack = json_object_new_object();
    json_object_object_add(ack, "ok", json_object_new_boolean(1));
    json_object_object_add(ack, "action", json_object_new_string(action));
    json_object_object_add(ack, "groupName", json_object_new_string(group));
    json_object_object_add(ack, user ? "userId" : "connectionId",
                           json_object_new_string(user ? user : conn));
    azf_return(inv, ack);
    azf_info(inv, "%s %s %s", user ? "user" : "connection",
             azf_signalr_caller(inv), action);
    return AZF_DONE;
}

static azf_status join_group(azf_inv *inv)
{
    return membership(inv, "add");
}

static azf_status leave_group(azf_inv *inv)
{
    return membership(inv, "remove");
}

/* newNotification {from, message} to one user or one group. */
static azf_status send_to(azf_inv *inv, int to_user)
{
    if (!arity(inv, 2,
               to_user ? "two arguments, the user id and the message"
                       : "two arguments, the group and the message"))
        return AZF_FAILED;
    const char *to =
        to_user ? string_arg(inv, 0, "the user id", names_check_user)
                : string_arg(inv, 0, "the group's name", names_check_group);
    if (!to)
        return AZF_FAILED;
    struct json_object *message =
        json_object_array_get_idx(azf_signalr_arguments(inv), 1);
    size_t len = strlen(jsonx_compact(message));
    if (len > APP_MESSAGE_MAX)
        return azf_fail(inv,
                        "the message is %zu bytes of JSON, over the %d "
                        "byte limit",
                        len, APP_MESSAGE_MAX);
    struct json_object *note = json_object_new_object();
    json_object_object_add(note, "from",
                           json_object_new_string(azf_signalr_caller(inv)));
    json_object_object_add(note, "message", json_object_get(message));
    struct json_object *args = json_object_new_array();
    json_object_array_add(args, note);
    azf_send(inv, &(struct azf_message){.target = "newNotification",
                                        .arguments = args,
                                        .user_id = to_user ? to : NULL,
                                        .group_name = to_user ? NULL : to});
    struct json_object *ack = json_object_new_object();
    json_object_object_add(ack, "ok", json_object_new_boolean(1));
    json_object_object_add(ack, to_user ? "userId" : "groupName",
                           json_object_new_string(to));
    azf_return(inv, ack);
    azf_info(inv, "%zu bytes from %s to %s %s", len, azf_signalr_caller(inv),
             to_user ? "user" : "group", to);
    return AZF_DONE;
}

static azf_status send_to_user(azf_inv *inv)
{
    return send_to(inv, 1);
}

static azf_status send_to_group(azf_inv *inv)
{
    return send_to(inv, 0);
}

AZF_FUNCTION("joinGroup", AZF_SIGNALR, join_group)
AZF_FUNCTION("leaveGroup", AZF_SIGNALR, leave_group)
AZF_FUNCTION("sendToUser", AZF_SIGNALR, send_to_user)
AZF_FUNCTION("sendToGroup", AZF_SIGNALR, send_to_group)
