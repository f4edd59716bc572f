/* sigout.c - signalR output items → REST calls (see sigout.h). */
#include "sigout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "proto/connstr.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

enum action { ACT_NONE = -1, ACT_ADD, ACT_REMOVE, ACT_REMOVE_ALL };

static char *escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, (int)strlen(s));
    char *out = xstrdup(e ? e : "");
    curl_free(e);
    return out;
}

/* A non-empty string member (case-insensitive name), or NULL. */
static const char *id_of(struct json_object *item, const char *key)
{
    const char *s = jsonx_str(item, key);
    return s && *s ? s : NULL;
}

static void add_call(struct sigout_plan *plan, const char *method, char *path,
                     char *body, int not_existed_ok)
{
    plan->calls = xrealloc(plan->calls, (plan->n + 1) * sizeof *plan->calls);
    struct sigout_call *c = &plan->calls[plan->n++];
    c->method = method;
    c->path = path;
    c->body = body;
    c->not_existed_ok = not_existed_ok;
}

static enum action parse_action(struct json_object *a)
{
    if (json_object_is_type(a, json_type_string)) {
        const char *s = json_object_get_string(a);
        if (!strcasecmp(s, "add") || !strcmp(s, "0"))
            return ACT_ADD;
        if (!strcasecmp(s, "remove") || !strcmp(s, "1"))
            return ACT_REMOVE;
        if (!strcasecmp(s, "removeAll") || !strcmp(s, "2"))
            return ACT_REMOVE_ALL;
    } else if (json_object_is_type(a, json_type_int)) {
        int64_t v = json_object_get_int64(a);
        if (v >= 0 && v <= 2)
            return (enum action)v;
    }
    return ACT_NONE;
}

static int plan_message(struct json_object *item, const char *hub,
                        struct sigout_plan *plan, char *err, size_t errlen)
{
    struct json_object *target = jsonx_get_ci(item, "target");
    struct json_object *args = jsonx_get_ci(item, "arguments");
    if (!json_object_is_type(target, json_type_string) &&
        !json_object_is_type(target, json_type_int)) {
        snprintf(err, errlen,
                 "Unable to convert JObject to valid output "
                 "binding type, check parameters. (target must "
                 "be a string)");
        return -1;
    }
    if (args && !json_object_is_type(args, json_type_array)) {
        snprintf(err, errlen,
                 "Unable to convert JObject to valid output "
                 "binding type, check parameters. (arguments "
                 "must be an array)");
        return -1;
    }
    const char *conn = id_of(item, "connectionId");
    const char *user = id_of(item, "userId");
    const char *group = id_of(item, "groupName");
    char *path, *e = NULL;
    /* connectionId wins over userId, which wins over groupName. */
    if (conn) {
        e = escape(conn);
        path = xasprintf(
            "/api/hubs/%s/connections/%s/:send?api-version=" SIGOUT_API_VERSION,
            hub, e);
    } else if (user) {
        e = escape(user);
        path = xasprintf(
            "/api/hubs/%s/users/%s/:send?api-version=" SIGOUT_API_VERSION, hub,
            e);
    } else if (group) {
        e = escape(group);
        path = xasprintf(
            "/api/hubs/%s/groups/%s/:send?api-version=" SIGOUT_API_VERSION, hub,
            e);
    } else {
        path = xasprintf("/api/hubs/%s/:send?api-version=" SIGOUT_API_VERSION,
                         hub);
    }
    free(e);
    struct json_object *body = json_object_new_object();
    json_object_object_add(
        body, "Target", json_object_new_string(json_object_get_string(target)));
    json_object_object_add(body, "Arguments",
                           args ? json_object_get(args)
                                : json_object_new_array());
    add_call(plan, "POST", path, xstrdup(jsonx_compact(body)), 0);
    json_object_put(body);
    return 0;
}

static int plan_group_action(struct json_object *item, enum action act,
                             const char *hub, struct sigout_plan *plan,
                             char *err, size_t errlen)
{
    const char *conn = id_of(item, "connectionId");
    const char *user = id_of(item, "userId");
    const char *group = id_of(item, "groupName");
    char *e1 = NULL, *e2 = NULL;
    if (!conn && !user) {
        snprintf(err, errlen,
                 "ConnectionId and UserId cannot be null or "
                 "empty together");
        return -1;
    }
    if (act != ACT_REMOVE_ALL && !group) {
        snprintf(err, errlen, "groupName cannot be null or empty");
        return -1;
    }
    const char *method = act == ACT_ADD ? "PUT" : "DELETE";
    if (conn) {
        if (act == ACT_REMOVE_ALL) /* the extension has no such branch */
            return 0;
        e1 = escape(group);
        e2 = escape(conn);
        add_call(plan, method,
                 xasprintf("/api/hubs/%s/groups/%s/connections/%s"
                           "?api-version=" SIGOUT_API_VERSION,
                           hub, e1, e2),
                 NULL, act == ACT_ADD);
    } else if (act == ACT_REMOVE_ALL) {
        e1 = escape(user);
        add_call(plan, method,
                 xasprintf("/api/hubs/%s/users/%s/groups"
                           "?api-version=" SIGOUT_API_VERSION,
                           hub, e1),
                 NULL, 0);
    } else {
        e1 = escape(user);
        e2 = escape(group);
        add_call(plan, method,
                 xasprintf("/api/hubs/%s/users/%s/groups/%s"
                           "?api-version=" SIGOUT_API_VERSION,
                           hub, e1, e2),
                 NULL, 0);
    }
    free(e1);
    free(e2);
    return 0;
}

static int plan_item(struct json_object *item, const char *hub,
                     struct sigout_plan *plan, char *err, size_t errlen)
{
    if (!item || !json_object_is_type(item, json_type_object)) {
        snprintf(err, errlen,
                 "Value cannot be null. (Parameter 'item'): "
                 "each output item must be a JSON object");
        return -1;
    }
    /* An object with a non-null target is a message, even with action. */
    if (jsonx_get_ci(item, "target"))
        return plan_message(item, hub, plan, err, errlen);
    struct json_object *a = jsonx_get_ci(item, "action");
    enum action act = a ? parse_action(a) : ACT_NONE;
    if (act == ACT_NONE) {
        snprintf(err, errlen,
                 "Unable to convert JObject to valid output "
                 "binding type, check parameters.");
        return -1;
    }
    return plan_group_action(item, act, hub, plan, err, errlen);
}

int sigout_plan(struct json_object *value, const char *hub,
                struct sigout_plan *plan, char *err, size_t errlen)
{
    struct json_object *parsed = NULL;
    char perr[128];
    char *hub_l = connstr_hub_lower(hub);
    char *hub_e = escape(hub_l);
    int rc = -1;
    plan->calls = NULL;
    plan->n = 0;
    if (!value) {
        rc = 0;
        goto out;
    }
    if (json_object_is_type(value, json_type_string)) {
        /* A string that looks like JSON is parsed, as the host does. */
        const char *s = json_object_get_string(value);
        size_t n = (size_t)json_object_get_string_len(value);
        size_t i = 0;
        while (i < n && strchr(" \t\r\n", s[i]))
            i++;
        if (i == n || (s[i] != '{' && s[i] != '[') ||
            jsonx_parse(s, n, &parsed, perr, sizeof perr) < 0) {
            snprintf(err, errlen,
                     "Unable to convert JObject to valid output "
                     "binding type, check parameters. (the "
                     "value is a string that is not a JSON "
                     "object or array)");
            goto out;
        }
        value = parsed;
    }
    if (json_object_is_type(value, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(value); i++) {
            char ierr[256];
            if (plan_item(json_object_array_get_idx(value, i), hub_e, plan,
                          ierr, sizeof ierr) < 0) {
                snprintf(err, errlen, "item %zu: %s", i, ierr);
                goto out;
            }
        }
    } else if (plan_item(value, hub_e, plan, err, errlen) < 0) {
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        sigout_plan_release(plan);
    json_object_put(parsed);
    free(hub_l);
    free(hub_e);
    return rc;
}

void sigout_plan_release(struct sigout_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++) {
        free(plan->calls[i].path);
        free(plan->calls[i].body);
    }
    free(plan->calls);
    plan->calls = NULL;
    plan->n = 0;
}
