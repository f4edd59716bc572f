/* dispatch.c - one invocation, no sockets (see dispatch.h). */
#include "dispatch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "catalog.h"
#include "envelope.h"
#include "inv.h"
#include "registry.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct dispatcher {
    struct azf_context ctx;
    char *app_root;
    struct catalog catalog;
};

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

struct dispatcher *dispatcher_new(const struct dispatch_config *cfg, char *err,
                                  size_t errlen)
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
    registry_freeze();
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
                         struct envelope *env, int data, char *why, size_t n)
{
    const char *name = fn->trigger_name;
    int m = envelope_member(env, data, name);
    enum env_kind k = envelope_kind(env, m);
    int present = k != ENV_NONE && k != ENV_NULL; /* null: as absent */
    int is_obj = k == ENV_OBJECT;
    switch (kind) {
    case AZF_HTTP:
        if (!is_obj)
            return snprintf(why, n, "Data.%s is missing or not an object",
                            name);
        return 0;
    case AZF_TIMER:
        if (present && !is_obj)
            return snprintf(why, n, "Data.%s is not an object", name);
        return 0;
    case AZF_QUEUE:
        if (!present)
            return snprintf(why, n, "Data.%s is missing", name);
        return 0;
    case AZF_EVENTGRID: {
        struct json_object *e = envelope_decoded(env, m); /* kept */
        if (!e || !json_object_is_type(e, json_type_object))
            return snprintf(why, n, "Data.%s is missing or not an event", name);
        return 0;
    }
    case AZF_SIGNALR:
        break;
    }
    if (!is_obj)
        return snprintf(why, n, "Data.%s is missing or not an object", name);
    struct json_object *t = envelope_value(env, m);
    const char *cid = jsonx_str(t, "ConnectionId");
    if (!cid || !*cid)
        return snprintf(why, n, "Data.%s.ConnectionId is missing", name);
    if (fn->category && strcasecmp(fn->category, "messages") == 0) {
        struct json_object *a = jsonx_get_ci(t, "Arguments");
        if (!a || !json_object_is_type(a, json_type_array))
            return snprintf(
                why, n, "Data.%s.Arguments is missing or not an array", name);
    }
    if (fn->category && strcasecmp(fn->category, "connections") == 0) {
        const char *ev = jsonx_str(t, "Event");
        if (!ev ||
            (strcasecmp(ev, "connected") && strcasecmp(ev, "disconnected")))
            return snprintf(why, n,
                            "Data.%s.Event must be connected or disconnected",
                            name);
    }
    return 0;
}

/* What a worker thread reuses from one invocation to the next. */
struct scratch {
    struct envelope *env;
    struct inv_memory mem;
    struct buf out; /* the stdout lines */
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
    struct scratch *s = p;
    envelope_free(s->env);
    inv_memory_release(&s->mem);
    buf_release(&s->out);
    free(s);
}

static void scratch_key_init(void)
{
    pthread_key_create(&scratch_key, scratch_free);
}

static struct scratch *thread_scratch(void)
{
    pthread_once(&scratch_once, scratch_key_init);
    struct scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = xcalloc(1, sizeof *s);
        s->env = envelope_new();
        inv_memory_init(&s->mem);
        buf_init(&s->out, (size_t)1 << 30);
        pthread_setspecific(scratch_key, s);
    }
    buf_reset(&s->out);
    return s;
}

/* {"time":..,"level":..,"function":..,"invocationId":.., */
static void line_head(struct buf *b, const char *ts, const char *level,
                      const char *fname, const char *id)
{
    buf_puts(b, "{\"time\":\"");
    buf_puts(b, ts);
    buf_puts(b, "\",\"level\":\"");
    buf_puts(b, level);
    buf_puts(b, "\",\"function\":");
    jsonx_append_string(b, fname, strlen(fname));
    buf_puts(b, ",\"invocationId\":");
    jsonx_append_string(b, id ? id : "", id ? strlen(id) : 0);
    buf_append(b, ",", 1);
}

/* The invocation on stdout, which the host logs: one line per log call of
 * the function (level, message), then one line with the outcome. Written
 * at once, so lines stay whole across worker threads. */
static void log_invocation(struct buf *b, const char *fname, const char *id,
                           int status, struct azf_inv *inv, long long us)
{
    static const char *const levels[] = {"info", "warn", "error"};
    char ts[32];
    log_timestamp(ts, sizeof ts);
    buf_reset(b);
    const char *l = inv ? inv->mem->lines.data : NULL;
    const char *end = l ? l + inv->mem->lines.len : NULL;
    while (l && l < end) {
        size_t n = strlen(l + 1);
        line_head(b, ts, levels[l[0] - '0'], fname, id);
        buf_puts(b, "\"message\":");
        jsonx_append_string(b, l + 1, n);
        buf_puts(b, "}\n");
        l += n + 2;
    }
    int res = inv ? inv_reply_status(inv) : 0;
    line_head(b, ts, status >= 400 || res >= 400 ? "warn" : "info", fname, id);
    if (res)
        buf_printf(b, "\"status\":%d,\"resStatus\":%d,\"durationUs\":%lld}\n",
                   status, res, us);
    else
        buf_printf(b, "\"status\":%d,\"durationUs\":%lld}\n", status, us);
    fwrite(b->data, 1, b->len, stdout);
}

static char *envelope_error(const char *fname, const char *why, int *status)
{
    *status = 400;
    log_warn("%s: malformed invocation envelope: %s", fname, why);
    return jsonx_error_text("malformed invocation envelope: %s", why);
}

/* The error text (taken) as the whole response. */
static void error_reply(struct buf *out, char *text)
{
    buf_reset(out);
    buf_puts(out, text);
    free(text);
}

int dispatch_into(struct dispatcher *d, const char *name, const char *body,
                  size_t len, const char *invocation_id, struct buf *out)
{
    struct scratch *sc = thread_scratch();
    struct envelope *env = sc->env;
    char why[200];
    char *error = NULL;
    int status = 500;
    long long t0 = clock_mono_us();
    buf_reset(out);
    const struct azf_entry *e = registry_find(name);
    const struct catalog_fn *fn = catalog_find(&d->catalog, name);
    if (!e || !fn) {
        log_warn("no function named '%.64s' (invocation %s)", name,
                 invocation_id ? invocation_id : "-");
        error_reply(out, jsonx_error_text("no function named '%.64s'", name));
        return 404;
    }
    struct azf_inv inv;
    int called = 0;
    if (fn->error) {
        log_error("%s: %s", fn->name, fn->error);
        error = jsonx_error_text("%s", fn->error);
        goto done;
    }
    if (strcasecmp(fn->trigger_type, registry_trigger_type(e->kind)) != 0) {
        error = jsonx_error_text("function %s is written for a %s but "
                                 "function.json declares a %s",
                                 fn->name, registry_trigger_type(e->kind),
                                 fn->trigger_type); /* logged at start */
        goto done;
    }
    if (envelope_parse(env, body, len, why, sizeof why) < 0) {
        error = envelope_error(fn->name, why, &status);
        goto done;
    }
    if (envelope_kind(env, ENVELOPE_ROOT) != ENV_OBJECT) {
        error = envelope_error(fn->name, "not a JSON object", &status);
        goto done;
    }
    int data = envelope_member(env, ENVELOPE_ROOT, "Data");
    if (envelope_kind(env, data) != ENV_OBJECT) {
        error = envelope_error(fn->name, "no Data object", &status);
        goto done;
    }
    if (check_trigger(fn, e->kind, env, data, why, sizeof why)) {
        error = envelope_error(fn->name, why, &status);
        goto done;
    }
    inv_init(&inv, &sc->mem, &d->ctx, fn, e->kind, env, data, invocation_id);
    called = 1;
    azf_status rc = e->fn(&inv);
    inv_finish(&inv);
    if (rc == AZF_FAILED || inv.misconfigured) {
        /* The host fails the invocation on a non-2xx reply. */
        error = jsonx_error_text("%s", inv.failure[0] ? inv.failure
                                                      : "the function failed");
        goto done;
    }
    status = 200;
    if (inv_encode(&inv, out) < 0) {
        status = 500;
        error = jsonx_error_text("the response is over %zu bytes", out->max);
        log_error("%s: %s", fn->name, error);
    }
done:
    if (error)
        error_reply(out, error);
    log_invocation(&sc->out, fn->name, invocation_id, status,
                   called ? &inv : NULL, clock_mono_us() - t0);
    if (called)
        inv_release(&inv);
    envelope_reset(env);
    return status;
}

char *dispatch(struct dispatcher *d, const char *name, const char *body,
               size_t len, const char *invocation_id, int *status)
{
    struct buf out;
    buf_init(&out, DISPATCH_RESPONSE_MAX);
    *status = dispatch_into(d, name, body, len, invocation_id, &out);
    return buf_take(&out, NULL);
}
