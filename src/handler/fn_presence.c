/*
 * fn_presence.c - onConnected and onDisconnected: the signalRTrigger
 * binding "invocation" with category connections and event connected or
 * disconnected. Each sends presence {connectionId, userId, event} to
 * everyone through the signalRMessages output, so pages can keep an online
 * list (userId is null for an anonymous connection). Returns nothing to
 * the service.
 */
#include "fn.h"

#include <stdio.h>
#include <strings.h>

#include "proto/invoke.h"
#include "util/jsonx.h"
#include "util/banned.h"

int fn_presence(struct fn_ctx *ctx, struct json_object *env,
                struct json_object *resp)
{
    struct json_object *ic = NULL;
    const char *from = NULL;
    if (fn_invocation_context(ctx, env, &ic, &from) < 0)
        return -1;
    const char *ev = jsonx_str(ic, "Event");
    if (!ev || (strcasecmp(ev, "connected") && strcasecmp(ev, "disconnected"))) {
        snprintf(ctx->err, sizeof ctx->err,
                 "Data.invocation.Event must be connected or disconnected");
        return -1;
    }
    const char *cid = jsonx_str(ic, "ConnectionId");
    const char *uid = jsonx_str(ic, "UserId");
    const char *event = strcasecmp(ev, "connected") == 0 ? "connected"
                                                         : "disconnected";
    struct json_object *p = json_object_new_object();
    json_object_object_add(p, "connectionId", json_object_new_string(cid));
    json_object_object_add(p, "userId",
                           uid && *uid ? json_object_new_string(uid) : NULL);
    json_object_object_add(p, "event", json_object_new_string(event));
    struct json_object *args = json_object_new_array();
    json_object_array_add(args, p);
    struct json_object *msg = json_object_new_object();
    json_object_object_add(msg, "target", json_object_new_string("presence"));
    json_object_object_add(msg, "arguments", args);
    struct json_object *list = json_object_new_array();
    json_object_array_add(list, msg);
    invoke_resp_set_output(resp, "signalRMessages", list);
    invoke_resp_log(resp, "presence: %s %s", from, event);
    return 0;
}
