/*
 * fn_broadcast.c - send a message to everyone, a user, a group or one
 * connection through the signalRMessages output binding.
 *
 * Body: {"message": any JSON, "target"?: string (default newNotification),
 * and at most one of "userId" | "groupName" | "connectionId"}. The message
 * goes out exactly as the caller sent it, as the only argument
 * (tests/vectors/broadcast-expected-response.json). Anything else is a 400
 * naming the field, with no SignalR output.
 */
#include "fn.h"

#include <stdio.h>
#include <string.h>

#include "proto/invoke.h"
#include "proto/names.h"
#include "util/banned.h"

#define DEFAULT_TARGET "newNotification"
#define MAX_TARGET 256

static const char *const fields[] = {"message", "target", "userId",
                                     "groupName", "connectionId", NULL};

/* The recipients, in the binding's own priority order: connectionId, then
 * userId, then groupName. */
static const struct {
    const char *key;
    const char *kind;
    int (*check)(const char *, char *, size_t);
} recipients[] = {
    {"connectionId", "connection", names_check_connection},
    {"userId", "user", names_check_user},
    {"groupName", "group", names_check_group},
};

int fn_broadcast(struct fn_ctx *ctx, struct json_object *env,
                 struct json_object *resp)
{
    static const char fname[] = "broadcast";
    struct json_object *req = NULL, *body = NULL, *v = NULL;
    char err[160];
    if (fn_http_req(ctx, env, &req) < 0)
        return -1;
    if (fn_json_body(req, resp, fname, &body) < 0)
        return 0;
    if (fn_known_fields(body, fields, resp, fname) < 0)
        goto out;
    if (!json_object_object_get_ex(body, "message", NULL)) {
        fn_fail(resp, fname, 400, "missing field 'message'");
        goto out;
    }
    const char *target = DEFAULT_TARGET;
    if (json_object_object_get_ex(body, "target", &v)) {
        size_t n = v && json_object_is_type(v, json_type_string)
                       ? (size_t)json_object_get_string_len(v)
                       : 0;
        if (n == 0 || n > MAX_TARGET ||
            strlen(json_object_get_string(v)) != n) {
            fn_fail(resp, fname, 400,
                    "field 'target' must be a string of 1-%d characters",
                    MAX_TARGET);
            goto out;
        }
        target = json_object_get_string(v);
    }
    int chosen = -1;
    for (int i = 0; i < 3; i++) {
        const char *id = NULL;
        if (!json_object_object_get_ex(body, recipients[i].key, NULL))
            continue;
        if (chosen >= 0) {
            fn_fail(resp, fname, 400,
                    "fields '%s' and '%s' are exclusive: give at most one "
                    "recipient",
                    recipients[chosen].key, recipients[i].key);
            goto out;
        }
        if (fn_string_field(body, recipients[i].key, resp, fname, &id) < 0)
            goto out;
        if (recipients[i].check(id, err, sizeof err) < 0) {
            fn_fail(resp, fname, 400, "field '%s': %s", recipients[i].key,
                    err);
            goto out;
        }
        chosen = i;
    }

    struct json_object *msg = json_object_new_object();
    struct json_object *args = json_object_new_array();
    json_object_object_get_ex(body, "message", &v);
    json_object_array_add(args, json_object_get(v));
    json_object_object_add(msg, "target", json_object_new_string(target));
    json_object_object_add(msg, "arguments", args);
    struct json_object *reply = json_object_new_object();
    json_object_object_add(reply, "sent", json_object_new_boolean(1));
    json_object_object_add(reply, "target", json_object_new_string(target));
    if (chosen >= 0) {
        const char *key = recipients[chosen].key;
        json_object_object_get_ex(body, key, &v);
        json_object_object_add(msg, key, json_object_get(v));
        json_object_object_add(reply, key, json_object_get(v));
    }
    const char *kind = chosen >= 0 ? recipients[chosen].kind : "all";
    json_object_object_add(reply, "recipient", json_object_new_string(kind));
    struct json_object *list = json_object_new_array();
    json_object_array_add(list, msg);
    invoke_resp_set_output(resp, "signalRMessages", list);
    invoke_resp_set_output(resp, "res", invoke_http_json(200, reply));
    invoke_resp_log(resp, "%s: queued 1 SignalR message '%s' to %s", fname,
                    target, kind);
out:
    json_object_put(body);
    return 0;
}
