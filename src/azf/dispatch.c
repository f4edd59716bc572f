/* dispatch.c - one invocation, no sockets (see dispatch.h). */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "catalog.h"
#include "inv.h"
#include "proto/invoke.h"
#include "registry.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct dispatcher {
    struct azf_context ctx;
    char *app_root;
    struct catalog catalog;
};

static long long usec_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* What the host would do with each mismatch between code and folders. */
static void match_registry(const struct dispatcher *d)
{
    size_t n;
    const struct azf_entry *all = registry_all(&n);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_fn *fn = catalog_find(&d->catalog, all[i].name);
        if (!fn)
            log_warn("function %s has code but no %s/function.json: the "
                     "host will never call it",
                     all[i].name, all[i].name);
        else if (fn->error)
            log_error("function %s: %s", fn->name, fn->error);
        else if (strcasecmp(fn->trigger_type,
                            registry_trigger_type(all[i].kind)) != 0)
            log_error("function %s is written for a %s but function.json "
                      "declares a %s: its invocations will fail",
                      fn->name, registry_trigger_type(all[i].kind),
                      fn->trigger_type);
    }
    for (size_t i = 0; i < d->catalog.n; i++)
        if (!registry_find(d->catalog.fns[i].name))
            log_warn("function folder %s has no code in this handler: "
                     "its invocations will get 404",
                     d->catalog.fns[i].name);
}

struct dispatcher *dispatcher_new(const struct dispatch_config *cfg,
                                  char *err, size_t errlen)
{
    struct dispatcher *d = xcalloc(1, sizeof *d);
    d->app_root = xstrdup(cfg->app_root);
    if (catalog_load(d->app_root, &d->catalog, err, errlen) < 0) {
        free(d->app_root);
        free(d);
        return NULL;
    }
    d->ctx.app_root = d->app_root;
    d->ctx.app_data = cfg->app_data;
    d->ctx.setting = cfg->setting;
    match_registry(d);
    return d;
}

void dispatcher_free(struct dispatcher *d)
{
    if (!d)
        return;
    catalog_free(&d->catalog);
    free(d->app_root);
    free(d);
}

/* The envelope has what a function of this kind reads; else why not. */
static int check_trigger(const struct catalog_fn *fn, azf_kind kind,
                         struct json_object *env, char *why, size_t n)
{
    const char *name = fn->trigger_name;
    struct json_object *t = invoke_data(env, name);
    int is_obj = t && json_object_is_type(t, json_type_object);
    switch (kind) {
    case AZF_HTTP:
        if (!is_obj)
            return snprintf(why, n, "Data.%s is missing or not an object",
                            name);
        return 0;
    case AZF_TIMER:
        if (t && !is_obj)
            return snprintf(why, n, "Data.%s is not an object", name);
        return 0;
    case AZF_QUEUE:
        if (!t)
            return snprintf(why, n, "Data.%s is missing", name);
        return 0;
    case AZF_EVENTGRID: {
        struct json_object *e = jsonx_unwrap(t, 2);
        int ok = e && json_object_is_type(e, json_type_object);
        json_object_put(e);
        if (!ok)
            return snprintf(why, n, "Data.%s is missing or not an event",
                            name);
        return 0;
    }
    case AZF_SIGNALR:
        break;
    }
    if (!is_obj)
        return snprintf(why, n, "Data.%s is missing or not an object", name);
    const char *cid = jsonx_str(t, "ConnectionId");
    if (!cid || !*cid)
        return snprintf(why, n, "Data.%s.ConnectionId is missing", name);
    if (fn->category && strcasecmp(fn->category, "messages") == 0) {
        struct json_object *a = jsonx_get_ci(t, "Arguments");
        if (!a || !json_object_is_type(a, json_type_array))
            return snprintf(why, n,
                            "Data.%s.Arguments is missing or not an array",
                            name);
    }
    if (fn->category && strcasecmp(fn->category, "connections") == 0) {
        const char *ev = jsonx_str(t, "Event");
        if (!ev || (strcasecmp(ev, "connected") &&
                    strcasecmp(ev, "disconnected")))
            return snprintf(why, n,
                            "Data.%s.Event must be connected or disconnected",
                            name);
    }
    return 0;
}

static void add_line_head(struct json_object *line, const char *ts,
                          const char *level, const char *fname,
                          const char *id)
{
    json_object_object_add(line, "time", json_object_new_string(ts));
    json_object_object_add(line, "level", json_object_new_string(level));
    json_object_object_add(line, "function", json_object_new_string(fname));
    json_object_object_add(line, "invocationId",
                           json_object_new_string(id ? id : ""));
}

/* The invocation on stdout, which the host logs: one line per log call of
 * the function (level, message), then one line with the outcome. Written
 * at once, so lines stay whole across worker threads. */
static void log_invocation(const char *fname, const char *id, int status,
                           struct azf_inv *inv, long long us)
{
    char ts[32];
    log_timestamp(ts, sizeof ts);
    struct json_object *lines = inv ? inv->lines : NULL;
    size_t n = lines ? json_object_array_length(lines) : 0;
    int res = inv ? inv_reply_status(inv) : 0;
    char *text = NULL;
    size_t cap = 0;
    FILE *f = open_memstream(&text, &cap);
    for (size_t i = 0; i < n; i++) {
        struct json_object *l = json_object_array_get_idx(lines, i);
        struct json_object *line = json_object_new_object();
        add_line_head(line, ts, jsonx_str(l, "level"), fname, id);
        json_object_object_add(line, "message",
                               json_object_get(jsonx_get_ci(l, "message")));
        fprintf(f, "%s\n", jsonx_compact(line));
        json_object_put(line);
    }
    struct json_object *line = json_object_new_object();
    add_line_head(line, ts, status >= 400 || res >= 400 ? "warn" : "info",
                  fname, id);
    json_object_object_add(line, "status", json_object_new_int(status));
    if (res)
        json_object_object_add(line, "resStatus", json_object_new_int(res));
    json_object_object_add(line, "durationUs", json_object_new_int64(us));
    fprintf(f, "%s\n", jsonx_compact(line));
    json_object_put(line);
    fclose(f);
    fwrite(text, 1, cap, stdout);
    free(text);
}

static char *envelope_error(const char *fname, const char *why, int *status)
{
    *status = 400;
    log_warn("%s: malformed invocation envelope: %s", fname, why);
    return jsonx_error_text("malformed invocation envelope: %s", why);
}

char *dispatch(struct dispatcher *d, const char *name, const char *body,
               size_t len, const char *invocation_id, int *status)
{
    struct json_object *env = NULL;
    char why[200];
    char *out = NULL;
    long long t0 = usec_now();
    const struct azf_entry *e = registry_find(name);
    const struct catalog_fn *fn = catalog_find(&d->catalog, name);
    if (!e || !fn) {
        *status = 404;
        log_warn("no function named '%.64s' (invocation %s)", name,
                 invocation_id ? invocation_id : "-");
        return jsonx_error_text("no function named '%.64s'", name);
    }
    struct azf_inv inv;
    int called = 0;
    if (fn->error) {
        *status = 500;
        log_error("%s: %s", fn->name, fn->error);
        out = jsonx_error_text("%s", fn->error);
        goto done;
    }
    if (strcasecmp(fn->trigger_type, registry_trigger_type(e->kind)) != 0) {
        *status = 500;
        out = jsonx_error_text("function %s is written for a %s but "
                               "function.json declares a %s",
                               fn->name, registry_trigger_type(e->kind),
                               fn->trigger_type);
        log_error("%s", out);
        goto done;
    }
    if (jsonx_parse(body, len, &env, why, sizeof why) < 0 || !env ||
        !json_object_is_type(env, json_type_object)) {
        out = envelope_error(fn->name, env ? "not a JSON object" : why,
                             status);
        goto done;
    }
    struct json_object *data = jsonx_get_ci(env, "Data");
    if (!data || !json_object_is_type(data, json_type_object)) {
        out = envelope_error(fn->name, "no Data object", status);
        goto done;
    }
    if (check_trigger(fn, e->kind, env, why, sizeof why)) {
        out = envelope_error(fn->name, why, status);
        goto done;
    }
    inv_init(&inv, &d->ctx, fn, e->kind, env, invocation_id);
    called = 1;
    azf_status rc = e->fn(&inv);
    inv_finish(&inv);
    if (rc == AZF_FAILED || inv.misconfigured) {
        /* The host fails the invocation on a non-2xx reply. */
        *status = 500;
        out = jsonx_error_text("%s", inv.failure[0] ? inv.failure
                                                    : "the function failed");
        goto done;
    }
    *status = 200;
    out = xstrdup(jsonx_compact(inv.resp));
done:
    log_invocation(fn->name, invocation_id, *status, called ? &inv : NULL,
                   usec_now() - t0);
    if (called)
        inv_release(&inv);
    json_object_put(env);
    return out;
}
