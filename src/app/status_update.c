/*
 * status_update.c - the timer function (every 5 minutes): broadcast
 * {"timestamp", "servicesHealthy", "activeUsers"} as statusUpdate.
 *
 * Nothing is made up. activeUsers is the number of negotiations (negotiate
 * and userNegotiate) this handler instance served in the last 5 minutes: the
 * clients that connected or reconnected through it during the period.
 * servicesHealthy is a real self-check: the SignalR connection string the
 * bindings use parses, and the demo page this instance serves is readable.
 */
#include "app.h"

#include <stdio.h>
#include <unistd.h>

#include "proto/connstr.h"
#include "util/jsonx.h"
#include "util/banned.h"

#define CONNSTR_SETTING "AzureSignalRConnectionString"

/* NULL when healthy; else a short description of the first failed check,
 * in why. */
static const char *self_check(azf_inv *inv, char *why, size_t len)
{
    struct connstr cs;
    char err[160];
    const char *connstr = azf_setting(inv, CONNSTR_SETTING);
    if (!connstr || !*connstr)
        return CONNSTR_SETTING " is not set";
    if (connstr_parse(connstr, &cs, err, sizeof err) < 0) {
        snprintf(why, len, CONNSTR_SETTING ": %s", err);
        return why;
    }
    connstr_release(&cs);
    char page[1024];
    snprintf(page, sizeof page, "%s/www/index.html", azf_app_root(inv));
    if (access(page, R_OK) != 0)
        return "www/index.html is not readable";
    return NULL;
}

static azf_status status_update(azf_inv *inv)
{
    char ts[32], why[200];
    struct json_object *late = jsonx_get_ci(azf_trigger(inv), "IsPastDue");
    if (late && json_object_get_boolean(late))
        azf_warn(inv, "running late (IsPastDue)");
    app_iso_time(azf_now(inv), ts, sizeof ts);
    const char *unhealthy = self_check(inv, why, sizeof why);
    long active = stats_negotiations_recent(app_stats(inv), azf_now(inv));

    struct json_object *status = json_object_new_object();
    json_object_object_add(status, "timestamp", json_object_new_string(ts));
    json_object_object_add(status, "servicesHealthy",
                           json_object_new_boolean(unhealthy == NULL));
    json_object_object_add(status, "activeUsers",
                           json_object_new_int64(active));
    azf_broadcast(inv, "statusUpdate", status);
    if (unhealthy)
        azf_warn(inv, "self-check failed: %s", unhealthy);
    azf_info(inv, "sent status to hub %s (%ld active)", APP_HUB, active);
    return AZF_DONE;
}

AZF_FUNCTION("statusUpdate", AZF_TIMER, status_update)
