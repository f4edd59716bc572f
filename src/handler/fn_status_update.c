/*
 * fn_status_update.c - the timer function (every 5 minutes): broadcast
 * {"timestamp", "servicesHealthy", "activeUsers"} as statusUpdate.
 *
 * Nothing is made up. activeUsers is the number of negotiations (negotiate
 * and userNegotiate) this handler instance served in the last 5 minutes: the
 * clients that connected or reconnected through it during the period.
 * servicesHealthy is a real self-check: the SignalR connection string the
 * bindings use parses, and the demo page this instance serves is readable.
 */
#include "fn.h"

#include <stdio.h>
#include <unistd.h>

#include "proto/connstr.h"
#include "proto/invoke.h"
#include "stats.h"
#include "util/jsonx.h"
#include "util/banned.h"

/* 0 when healthy; else a short description of the first failed check. */
static const char *self_check(const struct fn_ctx *ctx)
{
    static _Thread_local char why[200];
    struct connstr cs;
    char err[160];
    if (!ctx->connstr || !*ctx->connstr)
        return "AzureSignalRConnectionString is not set";
    if (connstr_parse(ctx->connstr, &cs, err, sizeof err) < 0) {
        snprintf(why, sizeof why, "AzureSignalRConnectionString: %s", err);
        return why;
    }
    connstr_release(&cs);
    char page[1024];
    snprintf(page, sizeof page, "%s/index.html", ctx->www_root);
    if (access(page, R_OK) != 0)
        return "www/index.html is not readable";
    return NULL;
}

int fn_status_update(struct fn_ctx *ctx, struct json_object *env,
                     struct json_object *resp)
{
    static const char fname[] = "statusUpdate";
    struct json_object *timer = invoke_data(env, "myTimer");
    if (timer && !json_object_is_type(timer, json_type_object)) {
        snprintf(ctx->err, sizeof ctx->err,
                 "Data.myTimer is not an object");
        return -1;
    }
    struct json_object *late = jsonx_get_ci(timer, "IsPastDue");
    if (late && json_object_get_boolean(late))
        invoke_resp_log(resp, "%s: running late (IsPastDue)", fname);

    struct tm tm;
    char ts[32];
    gmtime_r(&ctx->now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *unhealthy = self_check(ctx);
    long active = stats_negotiations_recent(ctx->stats, ctx->now);

    struct json_object *status = json_object_new_object();
    json_object_object_add(status, "timestamp", json_object_new_string(ts));
    json_object_object_add(status, "servicesHealthy",
                           json_object_new_boolean(unhealthy == NULL));
    json_object_object_add(status, "activeUsers",
                           json_object_new_int64(active));
    struct json_object *args = json_object_new_array();
    json_object_array_add(args, status);
    struct json_object *msg = json_object_new_object();
    json_object_object_add(msg, "target",
                           json_object_new_string("statusUpdate"));
    json_object_object_add(msg, "arguments", args);
    struct json_object *list = json_object_new_array();
    json_object_array_add(list, msg);
    invoke_resp_set_output(resp, "signalRMessages", list);
    if (unhealthy)
        invoke_resp_log(resp, "%s: self-check failed: %s", fname, unhealthy);
    invoke_resp_log(resp, "%s: sent status to hub %s (%ld active)", fname,
                    FN_HUB, active);
    return 0;
}
