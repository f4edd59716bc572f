/*
 * broadcast.c - send a message to everyone, a user, a group or one
 * connection through the function's signalR output.
 *
 * Body: {"message": any JSON, "target"?: string (default newNotification),
 * and at most one of "userId" | "groupName" | "connectionId"}. The message
 * goes out exactly as the caller sent it, as the only argument. Anything
 * else is a 400 naming the field, with no SignalR output.
 */
#include "app.h"

#include <string.h>

#include "proto/names.h"
#include "util/banned.h"

#define DEFAULT_TARGET "newNotification"
#define MAX_TARGET 256

static const char *const fields[] = {"message",   "target",       "userId",
                                     "groupName", "connectionId", NULL};

/* The recipients, in the binding's own priority order. */
static const struct {
    const char *key;
    const char *kind;
    int (*check)(const char *, char *, size_t);
} recipients[] = {
    {"connectionId", "connection", names_check_connection},
    {"userId", "user", names_check_user},
    {"groupName", "group", names_check_group},
};

static azf_status broadcast(azf_inv *inv)
{
    struct json_object *v = NULL;
    char err[160];
    struct json_object *body = azf_body_object(inv, fields);
    if (!body)
        return AZF_DONE;
    struct json_object *message = NULL;
    if (!json_object_object_get_ex(body, "message", &message))
        return azf_reply_error(inv, 400, "missing field 'message'");
    const char *target = DEFAULT_TARGET;
    if (json_object_object_get_ex(body, "target", &v)) {
        size_t n = v && json_object_is_type(v, json_type_string)
                       ? (size_t)json_object_get_string_len(v)
                       : 0;
        if (n == 0 || n > MAX_TARGET || strlen(json_object_get_string(v)) != n)
            return azf_reply_error(
                inv, 400, "field 'target' must be a string of 1-%d characters",
                MAX_TARGET);
        target = json_object_get_string(v);
    }
    int chosen = -1;
    const char *id = NULL;
    for (int i = 0; i < 3; i++) {
        if (!json_object_object_get_ex(body, recipients[i].key, NULL))
            continue;
        if (chosen >= 0)
            return azf_reply_error(inv, 400,
                                   "fields '%s' and '%s' are exclusive: give "
                                   "at most one recipient",
                                   recipients[chosen].key, recipients[i].key);
        if (!azf_field_string(inv, body, recipients[i].key, &id))
            return AZF_DONE;
        if (recipients[i].check(id, err, sizeof err) < 0)
            return azf_reply_error(inv, 400, "field '%s': %s",
                                   recipients[i].key, err);
        chosen = i;
    }

    struct json_object *args = json_object_new_array();
    json_object_array_add(args, json_object_get(message));
    struct azf_message m = {.target = target, .arguments = args};
    struct json_object *reply = json_object_new_object();
    json_object_object_add(reply, "sent", json_object_new_boolean(1));
    json_object_object_add(reply, "target", json_object_new_string(target));
    if (chosen >= 0) {
        const char *key = recipients[chosen].key;
        if (chosen == 0)
            m.connection_id = id;
        else if (chosen == 1)
            m.user_id = id;
        else
            m.group_name = id;
        json_object_object_add(reply, key, json_object_new_string(id));
    }
    const char *kind = chosen >= 0 ? recipients[chosen].kind : "all";
    json_object_object_add(reply, "recipient", json_object_new_string(kind));
    azf_send(inv, &m);
    azf_info(inv, "queued 1 SignalR message '%s' to %s", target, kind);
    return azf_reply_json(inv, 200, reply);
}

AZF_FUNCTION("broadcast", AZF_HTTP, broadcast)
