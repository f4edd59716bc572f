/*
 * groups.c - group membership through the function's signalR output.
 *
 * Body: {"action": "add" | "remove" | "removeAll", "groupName", and exactly
 * one of "userId" | "connectionId"}. Membership by user id survives the
 * user's reconnects (the service keeps it); by connection id it ends with
 * that connection. The binding silently ignores removeAll for a
 * connection, so that combination is refused here instead.
 */
#include "app.h"

#include <string.h>
#include <strings.h>

#include "proto/names.h"
#include "util/banned.h"

static const char *const fields[] = {"action", "groupName", "userId",
                                     "connectionId", NULL};
static const char *const actions[] = {"add", "remove", "removeAll"};

/* Whether the group action is a caller's mistake, then answered with a
 * 400 naming it. */
#define REFUSE(...) return (azf_reply_error(inv, 400, __VA_ARGS__), true)
static bool refused(azf_inv *inv, const char *canon, const char *group,
                    const char *user, const char *conn)
{
    char err[160];
    int remove_all = strcmp(canon, "removeAll") == 0;
    if (user && conn)
        REFUSE("fields 'userId' and 'connectionId' "
               "are exclusive: give exactly one");
    if (!user && !conn)
        REFUSE("missing field 'userId' or 'connectionId'");
    if (user && names_check_user(user, err, sizeof err) < 0)
        REFUSE("field 'userId': %s", err);
    if (conn && names_check_connection(conn, err, sizeof err) < 0)
        REFUSE("field 'connectionId': %s", err);
    if (remove_all && conn)
        REFUSE("action 'removeAll' needs 'userId': the "
               "binding cannot remove a connection from all "
               "groups");
    if (remove_all && group)
        REFUSE("action 'removeAll' takes no 'groupName'");
    if (!remove_all && !group)
        REFUSE("missing field 'groupName'");
    if (!remove_all && names_check_group(group, err, sizeof err) < 0)
        REFUSE("field 'groupName': %s", err);
    return false;
}

static azf_status groups(azf_inv *inv)
{
    const char *action = NULL, *group = NULL, *user = NULL, *conn = NULL;
    struct json_object *body = azf_body_object(inv, fields);
    if (!body || !azf_field_string(inv, body, "action", &action) ||
        !azf_field_string(inv, body, "groupName", &group) ||
        !azf_field_string(inv, body, "userId", &user) ||
        !azf_field_string(inv, body, "connectionId", &conn))
        return AZF_DONE;
    if (!action)
        return azf_reply_error(
            inv, 400, "missing field 'action' (add, remove or removeAll)");
    const char *canon = NULL;
    for (size_t i = 0; i < 3; i++)
        if (strcasecmp(action, actions[i]) == 0)
            canon = actions[i];
    if (!canon)
        return azf_reply_error(
            inv, 400, "field 'action' must be add, remove or removeAll");
    if (refused(inv, canon, group, user, conn))
        return AZF_DONE;

    azf_group(inv, &(struct azf_group_action){.action = canon,
                                              .group_name = group,
                                              .user_id = user,
                                              .connection_id = conn});
    struct json_object *reply = json_object_new_object();
    json_object_object_add(reply, "ok", json_object_new_boolean(1));
    json_object_object_add(reply, "action", json_object_new_string(canon));
    if (group)
        json_object_object_add(reply, "groupName",
                               json_object_new_string(group));
    json_object_object_add(reply, user ? "userId" : "connectionId",
                           json_object_new_string(user ? user : conn));
    azf_info(inv, "queued group action %s for a %s", canon,
             user ? "user" : "connection");
    return azf_reply_json(inv, 200, reply);
}

AZF_FUNCTION("groups", AZF_HTTP, groups)
