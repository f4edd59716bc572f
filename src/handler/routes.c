/* routes.c - function name → C function (see routes.h). */
#include "routes.h"

#include <string.h>
#include <strings.h>

#include "util/banned.h"

static const struct route table[] = {
    {"negotiate", fn_negotiate, "httpTrigger", "req", "res", NULL, NULL},
    {"userNegotiate", fn_user_negotiate, "httpTrigger", "req", "res", NULL,
     NULL},
    {"broadcast", fn_broadcast, "httpTrigger", "req", "res signalRMessages",
     NULL, NULL},
    {"groups", fn_groups, "httpTrigger", "req", "res signalRGroupActions",
     NULL, NULL},
    {"statusUpdate", fn_status_update, "timerTrigger", "myTimer",
     "signalRMessages", NULL, NULL},
    {"index", fn_index, "httpTrigger", "req", "res", NULL, NULL},
    {"sendMessage", fn_send_message, "signalRTrigger", "invocation",
     "signalRMessages", "messages", "sendMessage"},
    {"onConnected", fn_presence, "signalRTrigger", "invocation",
     "signalRMessages", "connections", "connected"},
    {"onDisconnected", fn_presence, "signalRTrigger", "invocation",
     "signalRMessages", "connections", "disconnected"},
};

#define NROUTES (sizeof table / sizeof table[0])

const struct route *routes_find(const char *name)
{
    for (size_t i = 0; i < NROUTES; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    for (size_t i = 0; i < NROUTES; i++)
        if (strcasecmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

const struct route *routes_all(size_t *n)
{
    *n = NROUTES;
    return table;
}
