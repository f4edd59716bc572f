/*
 * fn_groups.c - group membership through the signalRGroupActions output.
 *
 * Body: {"action": "add" | "remove" | "removeAll", "groupName", and exactly
 * one of "userId" | "connectionId"}. Membership by user id survives the
 * user's reconnects (the service keeps it); by connection id it ends with
 * that connection. The binding silently ignores removeAll for a connection
 * (it sends nothing and reports no error), so that combination is refused
 * here instead.
 */
#include "fn.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto/invoke.h"
#include "proto/names.h"
#include "util/banned.h"

static const char *const fields[] = {"action", "groupName", "userId",
                                     "connectionId", NULL};
static const char *const actions[] = {"add", "remove", "removeAll"};

int fn_groups(struct fn_ctx *ctx, struct json_object *env,
              struct json_object *resp)
{
    static const char fname[] = "groups";
    struct json_object *req = NULL, *body = NULL;
    const char *action = NULL, *group = NULL, *user = NULL, *conn = NULL;
    char err[160];
    if (fn_http_req(ctx, env, &req) < 0)
        return -1;
    if (fn_json_body(req, resp, fname, &body) < 0)
        return 0;
    if (fn_known_fields(body, fields, resp, fname) < 0 ||
        fn_string_field(body, "action", resp, fname, &action) < 0 ||
        fn_string_field(body, "groupName", resp, fname, &group) < 0 ||
        fn_string_field(body, "userId", resp, fname, &user) < 0 ||
        fn_string_field(body, "connectionId", resp, fname, &conn) < 0)
        goto out;
    if (!action) {
        fn_fail(resp, fname, 400,
                "missing field 'action' (add, remove or removeAll)");
        goto out;
    }
    const char *canon = NULL;
    for (size_t i = 0; i < 3; i++)
        if (strcasecmp(action, actions[i]) == 0)
            canon = actions[i];
    if (!canon) {
        fn_fail(resp, fname, 400,
                "field 'action' must be add, remove or removeAll");
        goto out;
    }
    int remove_all = strcmp(canon, "removeAll") == 0;
    if (user && conn) {
        fn_fail(resp, fname, 400, "fields 'userId' and 'connectionId' are "
                                  "exclusive: give exactly one");
        goto out;
    }
    if (!user && !conn) {
        fn_fail(resp, fname, 400, "missing field 'userId' or 'connectionId'");
        goto out;
    }
    if (user && names_check_user(user, err, sizeof err) < 0) {
        fn_fail(resp, fname, 400, "field 'userId': %s", err);
        goto out;
    }
    if (conn && names_check_connection(conn, err, sizeof err) < 0) {
        fn_fail(resp, fname, 400, "field 'connectionId': %s", err);
        goto out;
    }
    if (remove_all && conn) {
        fn_fail(resp, fname, 400, "action 'removeAll' needs 'userId': the "
                                  "binding cannot remove a connection from "
                                  "all groups");
        goto out;
    }
    if (remove_all && group) {
        fn_fail(resp, fname, 400,
                "action 'removeAll' takes no 'groupName'");
        goto out;
    }
    if (!remove_all) {
        if (!group) {
            fn_fail(resp, fname, 400, "missing field 'groupName'");
            goto out;
        }
        if (names_check_group(group, err, sizeof err) < 0) {
            fn_fail(resp, fname, 400, "field 'groupName': %s", err);
            goto out;
        }
    }

    struct json_object *item = json_object_new_object();
    struct json_object *reply = json_object_new_object();
    json_object_object_add(item, "action", json_object_new_string(canon));
    json_object_object_add(reply, "ok", json_object_new_boolean(1));
    json_object_object_add(reply, "action", json_object_new_string(canon));
    if (group) {
        json_object_object_add(item, "groupName",
                               json_object_new_string(group));
        json_object_object_add(reply, "groupName",
                               json_object_new_string(group));
    }
    const char *idkey = user ? "userId" : "connectionId";
    const char *id = user ? user : conn;
    json_object_object_add(item, idkey, json_object_new_string(id));
    json_object_object_add(reply, idkey, json_object_new_string(id));
    struct json_object *list = json_object_new_array();
    json_object_array_add(list, item);
    invoke_resp_set_output(resp, "signalRGroupActions", list);
    invoke_resp_set_output(resp, "res", invoke_http_json(200, reply));
    invoke_resp_log(resp, "%s: queued group action %s for a %s", fname,
                    canon, user ? "user" : "connection");
out:
    json_object_put(body);
    return 0;
}
