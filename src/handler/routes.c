/* routes.c - function name → C function (see routes.h). */
#include "routes.h"

#include <string.h>
#include <strings.h>

#include "util/banned.h"

static const struct route table[] = {
    {"negotiate", fn_negotiate, "httpTrigger", "res"},
    {"userNegotiate", fn_user_negotiate, "httpTrigger", "res"},
    {"broadcast", fn_broadcast, "httpTrigger", "res signalRMessages"},
    {"groups", fn_groups, "httpTrigger", "res signalRGroupActions"},
    {"statusUpdate", fn_status_update, "timerTrigger", "signalRMessages"},
    {"index", fn_index, "httpTrigger", "res"},
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
