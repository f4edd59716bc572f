/*
 * presence.c - onConnected and onDisconnected: a signalRTrigger of
 * category connections, event connected or disconnected. Each sends
 * presence {connectionId, userId, event} to everyone, so pages can keep an
 * online list (userId is null for an anonymous connection). Returns nothing
 * to the service.
 */
#include "app.h"

#include <strings.h>

#include "util/banned.h"

static azf_status presence(azf_inv *inv)
{
    const char *uid = azf_signalr_user_id(inv);
    const char *event = strcasecmp(azf_signalr_event(inv), "connected") == 0
                            ? "connected"
                            : "disconnected";
    struct json_object *p = json_object_new_object();
    json_object_object_add(
        p, "connectionId",
        json_object_new_string(azf_signalr_connection_id(inv)));
    json_object_object_add(p, "userId",
                           uid ? json_object_new_string(uid) : NULL);
    json_object_object_add(p, "event", json_object_new_string(event));
    azf_broadcast(inv, "presence", p);
    azf_info(inv, "%s %s", azf_signalr_caller(inv), event);
    return AZF_DONE;
}

AZF_FUNCTION("onConnected", AZF_SIGNALR, presence)
AZF_FUNCTION("onDisconnected", AZF_SIGNALR, presence)
