/* dispatch.c - one invocation end to end (see dispatch.h). */
#include "dispatch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "host/conninfo.h"
#include "host/forward.h"
#include "host/qclient.h"
#include "host/qout.h"
#include "host/qpayload.h"
#include "host/sigrest.h"
#include "host/sigout.h"
#include "proto/connstr.h"
#include "proto/hubmsgpack.h"
#include "util/clock.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define DISPATCH_ERR 512

struct dispatch {
    const struct app *app;
    struct worker *worker;
    struct invoker *invoker;
    struct curlpool *rest_pool; /* kept-alive connections to SignalR */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int running; /* spawned runs in flight */
    int draining;
};

struct dispatch *dispatch_new(const struct app *app, struct worker *worker,
                              struct invoker *invoker)
{
    struct dispatch *d = xcalloc(1, sizeof *d);
    d->app = app;
    d->worker = worker;
    d->invoker = invoker;
    d->rest_pool = curlpool_new();
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    return d;
}

void dispatch_free(struct dispatch *d)
{
    if (!d)
        return;
    curlpool_free(d->rest_pool);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    free(d);
}

/* The input bindings resolved inside the host: signalRConnectionInfo. */
static int add_inputs(struct dispatch *d, const struct app_function *fn,
                      const struct payload_http *req,
                      struct json_object *params, struct json_object *data,
                      char *err, size_t errlen)
{
    size_t n = json_object_array_length(fn->bindings);
    for (size_t i = 0; i < n; i++) {
        struct json_object *b = json_object_array_get_idx(fn->bindings, i);
        const char *type = jsonx_str(b, "type");
        if (!type || strcasecmp(type, "signalRConnectionInfo") != 0)
            continue;
        struct json_object *v = NULL;
        char berr[DISPATCH_ERR / 2];
        if (conninfo_resolve(b, req, params, d->app, clock_wall_s(), &v, berr,
                             sizeof berr) < 0) {
            snprintf(err, errlen, "binding %s: %s", jsonx_str(b, "name"), berr);
            return -1;
        }
        json_object_object_add(data, jsonx_str(b, "name"), v);
    }
    return 0;
}

/* Every signalR output binding: plan the items, then make the calls. */
static int
write_signalr_outputs(struct dispatch *d, const struct app_function *fn,
                      struct json_object *reply, const struct payload_http *req,
                      struct json_object *params, char *err, size_t errlen)
{
    size_t n = json_object_array_length(fn->bindings);
    for (size_t i = 0; i < n; i++) {
        struct json_object *b = json_object_array_get_idx(fn->bindings, i);
        const char *type = jsonx_str(b, "type");
        const char *name = jsonx_str(b, "name");
        if (!type || strcasecmp(type, "signalR") != 0)
            continue;
        struct json_object *value = result_output(reply, name);
        if (!value)
            continue; /* absent or null: not written */
        char *hub = NULL;
        char berr[DISPATCH_ERR / 2];
        struct sigout_plan plan = {0};
        struct connstr cs;
        int have_cs = 0, rc = -1;
        const char *setting = conninfo_setting_name(b);
        const char *cstr = app_setting(d->app, setting);
        if (conninfo_expand(jsonx_str(b, "hubName"), req, params, d->app, &hub,
                            berr, sizeof berr) < 0) {
            snprintf(err, errlen, "output %s: hubName: %s", name, berr);
            goto next;
        }
        if (sigout_plan(value, hub, &plan, berr, sizeof berr) < 0) {
            snprintf(err, errlen, "output %s: %s", name, berr);
            goto next;
        }
        if (plan.n == 0) {
            rc = 0;
            goto next;
        }
        if (!cstr || !*cstr) {
            snprintf(err, errlen, "output %s: app setting %s is not set", name,
                     setting);
            goto next;
        }
        if (connstr_parse(cstr, &cs, berr, sizeof berr) < 0) {
            snprintf(err, errlen, "output %s: app setting %s: %s", name,
                     setting, berr);
            goto next;
        }
        have_cs = 1;
        for (size_t k = 0; k < plan.n; k++) {
            long st = 0;
            if (sigrest_call(d->rest_pool, &cs, &plan.calls[k],
                             SIGREST_TIMEOUT_MS, &st, berr, sizeof berr) < 0) {
                snprintf(err, errlen, "output %s: item %zu: %s", name, k, berr);
                goto next;
            }
            log_debug("Functions.%s: %s %s -> %ld", fn->name,
                      plan.calls[k].method, plan.calls[k].path, st);
        }
        rc = 0;
    next:
        if (have_cs)
            connstr_release(&cs);
        sigout_plan_release(&plan);
        free(hub);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static const char *setting_lookup(const void *app, const char *name)
{
    return app_setting(app, name);
}

/* Every queue output binding: each message put on its queue (created
 * when missing, as the extension does). */
static int write_queue_outputs(struct dispatch *d,
                               const struct app_function *fn,
                               struct json_object *reply, char *err,
                               size_t errlen)
{
    size_t n = json_object_array_length(fn->bindings);
    for (size_t i = 0; i < n; i++) {
        struct json_object *b = json_object_array_get_idx(fn->bindings, i);
        const char *type = jsonx_str(b, "type");
        const char *name = jsonx_str(b, "name");
        if (!type || strcasecmp(type, "queue") != 0)
            continue;
        struct json_object *value = result_output(reply, name);
        struct qout_plan plan;
        struct storconn cs;
        char berr[DISPATCH_ERR / 2], used[300];
        /* resolved, lower-cased and checked when the app was read */
        const char *queue = jsonx_str(b, "queueName");
        if (!value)
            continue;
        if (qout_plan(value, d->app->queues.base64, &plan, berr, sizeof berr) <
            0) {
            snprintf(err, errlen, "output %s: %s", name, berr);
            return -1;
        }
        const char *cstr =
            storconn_setting(jsonx_str(b, "connection"), setting_lookup, d->app,
                             used, sizeof used);
        if (!cstr || storconn_parse(cstr, &cs, berr, sizeof berr) < 0) {
            snprintf(err, errlen, "output %.64s: app setting %.100s: %.200s",
                     name, used, cstr ? berr : "not set");
            qout_plan_release(&plan);
            return -1;
        }
        int rc = 0;
        for (size_t k = 0; rc == 0 && k < plan.n; k++) {
            struct qclient_fail f;
            rc = qclient_put(d->rest_pool, &cs, queue, plan.texts[k],
                             QCLIENT_RETRIES, &f, berr, sizeof berr);
            if (rc < 0 && f.status == 404 &&
                qclient_create(d->rest_pool, &cs, queue, QCLIENT_RETRIES, NULL,
                               berr, sizeof berr) == 0)
                rc = qclient_put(d->rest_pool, &cs, queue, plan.texts[k],
                                 QCLIENT_RETRIES, NULL, berr, sizeof berr);
            if (rc < 0)
                snprintf(err, errlen, "output %s: item %zu: %s", name, k, berr);
        }
        storconn_release(&cs);
        qout_plan_release(&plan);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void print_logs(const struct app_function *fn, const char *id,
                       struct json_object *reply)
{
    struct json_object *logs = result_logs(reply);
    for (size_t i = 0; logs && i < json_object_array_length(logs); i++) {
        struct json_object *l = json_object_array_get_idx(logs, i);
        if (l)
            log_info("Functions.%s [%s]: %s", fn->name, id,
                     json_object_get_string(l));
    }
}

/* Wait for the handler to be ready. Returns 0, or -1 with the reason. */
static int handler_ready(struct dispatch *d, char *err, size_t errlen)
{
    int ready = worker_wait_ready(d->worker, WORKER_INIT_TIMEOUT_MS);
    if (ready == 1)
        return 0;
    snprintf(err, errlen, "the handler is not running%s",
             ready == 0 ? " (not ready within 30 s)" : "");
    return -1;
}

/* functionTimeout bounds each call to the handler (0: none). */
static long timeout_ms(const struct dispatch *d)
{
    return d->app->function_timeout_s < 0 ? 0
                                          : d->app->function_timeout_s * 1000;
}

/* The call passed functionTimeout: the host restarts the handler. */
static void timed_out(struct dispatch *d, const struct app_function *fn,
                      const char *id, char *err, size_t errlen)
{
    snprintf(err, errlen,
             "Timeout value of %ld s exceeded by function "
             "'Functions.%s' (Id: '%s')",
             d->app->function_timeout_s, fn->name, id);
    log_error("A function timeout has occurred. Restarting worker "
              "process executing invocationId '%s'.",
              id);
    worker_restart(d->worker);
}

/* An HTTP-only function forwarded raw (forward.h). */
static int forward(struct dispatch *d, const struct app_function *fn,
                   const char *id, const struct payload_http *req,
                   struct result_http *out, char *err, size_t errlen)
{
    int dropped = 0;
    if (handler_ready(d, err, errlen) < 0)
        return -1;
    log_debug("Forwarding httpTrigger invocation for function: '%s' "
              "invocationId: '%s'",
              fn->name, id);
    int rc =
        forward_call(invoker_pool(d->invoker), worker_port(d->worker), d->app,
                     fn, id, req, timeout_ms(d), out, &dropped, err, errlen);
    if (dropped)
        log_warn("Functions.%s: the request body was not forwarded: it has "
                 "no Content-Length (the host forwards a body only with "
                 "one)",
                 fn->name);
    if (rc == INVOKER_TIMEOUT)
        timed_out(d, fn, id, err, errlen);
    return rc < 0 ? -1 : 0;
}

/* The common path. data and metadata are taken. *reply gets the parsed
 * handler reply on success (caller puts). */
static int invoke(struct dispatch *d, const struct app_function *fn,
                  const char *id, struct json_object *data,
                  struct json_object *metadata, const struct payload_http *req,
                  struct json_object *params, struct json_object **reply,
                  char *err, size_t errlen)
{
    struct invoker_reply rep = {0};
    size_t len;
    char *body = NULL;
    int rc = -1;
    *reply = NULL;
    if (add_inputs(d, fn, req, params, data, err, errlen) < 0) {
        json_object_put(data);
        json_object_put(metadata);
        return -1;
    }
    body = payload_envelope(data, metadata, &len);
    if (handler_ready(d, err, errlen) < 0)
        goto out;
    int pr = invoker_post(d->invoker, worker_port(d->worker), fn->name, id,
                          body, len, timeout_ms(d), &rep, err, errlen);
    if (pr == INVOKER_TIMEOUT)
        timed_out(d, fn, id, err, errlen);
    if (pr < 0)
        goto out;
    if (result_parse(rep.status, rep.content_type, rep.body, rep.len, reply,
                     err, errlen) < 0)
        goto out;
    print_logs(fn, id, *reply);
    if (write_signalr_outputs(d, fn, *reply, req, params, err, errlen) < 0 ||
        write_queue_outputs(d, fn, *reply, err, errlen) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0) {
        json_object_put(*reply);
        *reply = NULL;
    }
    invoker_reply_release(&rep);
    free(body);
    return rc;
}

/* The host's closing line of an invocation. */
static void log_executed(const struct app_function *fn, const char *id,
                         long long t0, int rc, const char *err)
{
    if (rc < 0)
        log_error("Executed 'Functions.%s' (Failed, Id=%s, Duration=%lldms): "
                  "%s",
                  fn->name, id, clock_mono_ms() - t0, err);
    else
        log_info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%lldms)",
                 fn->name, id, clock_mono_ms() - t0);
}

static void fail_response(struct result_http *out, const char *fn,
                          const char *msg)
{
    memset(out, 0, sizeof *out);
    out->status = 500;
    out->content_type = xstrdup("application/json; charset=utf-8");
    out->body = jsonx_error_text("Function '%s' failed: %s", fn, msg);
    out->body_len = strlen(out->body);
}

int dispatch_http(struct dispatch *d, const struct app_function *fn,
                  const struct payload_http *req, struct json_object *params,
                  struct result_http *out)
{
    char id[37], err[DISPATCH_ERR] = "";
    struct json_object *reply = NULL;
    long long t0 = clock_mono_ms();
    int rc = -1;
    payload_guid(id);
    memset(out, 0, sizeof *out);
    log_info("Executing 'Functions.%s' (Reason='This function was "
             "programmatically called via the host APIs.', Id=%s)",
             fn->name, id);
    if (forward_applies(d->app, fn)) {
        rc = forward(d, fn, id, req, out, err, sizeof err);
        goto out;
    }
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, fn->trigger_name,
                           payload_http_req(req, params));
    struct json_object *md = payload_http_metadata(
        req, params, payload_sys(fn->name, clock_wall_ns()));
    if (invoke(d, fn, id, data, md, req, params, &reply, err, sizeof err) < 0)
        goto out;
    if (fn->http_out) {
        if (result_http(reply, fn->http_out, out, err, sizeof err) < 0)
            goto out;
    } else {
        out->status = 200;
        out->body = xstrdup("");
    }
    rc = 0;
out:
    if (rc < 0) {
        log_error("Executed 'Functions.%s' (Failed, Id=%s, Duration=%lldms): "
                  "%s",
                  fn->name, id, clock_mono_ms() - t0, err);
        fail_response(out, fn->name, err);
    } else {
        log_info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%lldms)",
                 fn->name, id, clock_mono_ms() - t0);
    }
    json_object_put(reply);
    return rc;
}

static void set_response(struct result_http *out, int status, const char *ct,
                         char *body, size_t len)
{
    memset(out, 0, sizeof *out);
    out->status = status;
    out->content_type = ct ? xstrdup(ct) : NULL;
    out->body = body ? body : xstrdup("");
    out->body_len = body ? len : 0;
}

static void refuse(struct result_http *out, int status, const char *msg)
{
    char *body = jsonx_error_text("%s", msg);
    set_response(out, status, "application/json; charset=utf-8", body,
                 strlen(body));
    log_warn("POST " SIGTRIGGER_PATH ": %d %s", status, msg);
}

/* The access key of the connection string the trigger names (one key: a
 * connection string holds one). Returns 0, or -1 with the reason. */
static int trigger_key(struct dispatch *d, const struct app_function *fn,
                       struct connstr *cs, char *err, size_t errlen)
{
    char berr[DISPATCH_ERR / 2];
    const char *setting = conninfo_setting_name(fn->sr_binding);
    const char *cstr = app_setting(d->app, setting);
    if (!cstr || !*cstr) {
        snprintf(err, errlen,
                 "app setting %s is not set: no key to check "
                 "X-ASRS-Signature with",
                 setting);
        return -1;
    }
    if (connstr_parse(cstr, cs, berr, sizeof berr) < 0) {
        snprintf(err, errlen, "app setting %s: %s", setting, berr);
        return -1;
    }
    return 0;
}

int dispatch_upstream(struct dispatch *d, const struct sigtrigger_req *req,
                      struct result_http *out)
{
    char id[37], err[DISPATCH_ERR] = "";
    struct sigtrigger_msg m;
    struct json_object *reply = NULL, *md = NULL;
    struct connstr cs;
    long long t0 = clock_mono_ms();
    int rc = -1, st;
    memset(out, 0, sizeof *out);
    if ((st = sigtrigger_route(req, &m, err, sizeof err)) != 0) {
        refuse(out, st, err);
        return -1;
    }
    const struct app_function *fn =
        sigtrigger_find(d->app, m.hub, m.category, m.event);
    if (!fn) {
        snprintf(err, sizeof err,
                 "no function has a signalRTrigger for hub "
                 "'%.64s', category '%.32s', event '%.64s'",
                 m.hub, m.category, m.event);
        refuse(out, 404, err);
        return -1;
    }
    if (trigger_key(d, fn, &cs, err, sizeof err) < 0) {
        refuse(out, 500, err);
        return -1;
    }
    const char *keys[1] = {cs.access_key};
    st = sigtrigger_verify(req, keys, 1, m.connection_id, err, sizeof err);
    connstr_release(&cs);
    if (st < 0) {
        refuse(out, 401, err);
        return -1;
    }
    if (sigtrigger_parse_body(req, &m, err, sizeof err) < 0) {
        refuse(out, 400, err);
        return -1;
    }

    payload_guid(id);
    log_info("Executing 'Functions.%s' (Reason='SignalR %s/%s from %s', "
             "Id=%s)",
             fn->name, m.category, m.event, m.connection_id, id);
    struct json_object *sys = payload_sys(fn->name, clock_wall_ns());
    if (sigtrigger_metadata(fn->sr_binding, &m, sys, &md, err, sizeof err) < 0)
        goto done;
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, fn->trigger_name, sigtrigger_context(req, &m));
    if (invoke(d, fn, id, data, md, NULL, NULL, &reply, err, sizeof err) < 0)
        goto done;
    rc = 0;
done:
    if (rc < 0)
        log_error("Executed 'Functions.%s' (Failed, Id=%s, Duration=%lldms): "
                  "%s",
                  fn->name, id, clock_mono_ms() - t0, err);
    else
        log_info("Executed 'Functions.%s' (Succeeded, Id=%s, "
                 "Duration=%lldms)",
                 fn->name, id, clock_mono_ms() - t0);
    if (m.invocation_id) {
        size_t len;
        char *rec = sigtrigger_completion(
            m.invocation_id, rc < 0 ? NULL : jsonx_get_ci(reply, "ReturnValue"),
            rc < 0 ? (err[0] ? err : "Method execution failed.") : NULL, &len);
        if (m.msgpack)
            rec = sigtrigger_completion_msgpack(rec, len, &len);
        set_response(out, 200,
                     m.msgpack ? HUBMSGPACK_MEDIA_TYPE : "application/json",
                     rec, len);
    } else if (rc < 0 && strcasecmp(m.event, "connected") == 0 &&
               strcasecmp(m.category, "connections") == 0) {
        set_response(out, 403, NULL, NULL, 0);
    } else {
        set_response(out, 200, NULL, NULL, 0);
    }
    json_object_put(reply);
    sigtrigger_msg_release(&m);
    return rc;
}

int dispatch_run(struct dispatch *d, const struct app_function *fn,
                 int past_due, const char *input)
{
    char id[37], err[DISPATCH_ERR] = "";
    struct json_object *reply = NULL;
    long long t0 = clock_mono_ms();
    payload_guid(id);
    log_info("Executing 'Functions.%s' (Reason='%s', Id=%s)", fn->name,
             fn->kind == APP_FN_TIMER && !input ? "Timer fired"
                                                : "This function was "
                                                  "programmatically called "
                                                  "via the host APIs.",
             id);
    struct json_object *data = json_object_new_object();
    struct json_object *tv =
        fn->kind == APP_FN_TIMER
            ? payload_timer(past_due)
            : payload_encode(input ? json_object_new_string(input) : NULL);
    json_object_object_add(data, fn->trigger_name, tv);
    struct json_object *md = json_object_new_object();
    json_object_object_add(md, "sys", payload_sys(fn->name, clock_wall_ns()));
    int rc = invoke(d, fn, id, data, md, NULL, NULL, &reply, err, sizeof err);
    log_executed(fn, id, t0, rc, err);
    json_object_put(reply);
    return rc;
}

int dispatch_queue(struct dispatch *d, const struct app_function *fn,
                   const struct qmsg *m, const char *text)
{
    char id[37], err[DISPATCH_ERR] = "";
    struct json_object *reply = NULL;
    long long t0 = clock_mono_ms();
    payload_guid(id);
    log_info("Executing 'Functions.%s' (Reason='New queue message detected "
             "on '%s'.', Id=%s)",
             fn->name, fn->queue_name, id);
    log_info("Trigger Details: MessageId: %s, DequeueCount: %ld", m->id,
             m->dequeue_count);
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, fn->trigger_name, qpayload_data(text));
    struct json_object *md =
        qpayload_metadata(m, text, payload_sys(fn->name, clock_wall_ns()));
    int rc = invoke(d, fn, id, data, md, NULL, NULL, &reply, err, sizeof err);
    log_executed(fn, id, t0, rc, err);
    json_object_put(reply);
    return rc;
}

struct spawned {
    struct dispatch *d;
    const struct app_function *fn;
    int past_due;
    char *input;
};

static void *spawned_main(void *arg)
{
    struct spawned *s = arg;
    struct dispatch *d = s->d;
    dispatch_run(d, s->fn, s->past_due, s->input);
    free(s->input);
    free(s);
    pthread_mutex_lock(&d->lock);
    d->running--;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

int dispatch_spawn(struct dispatch *d, const struct app_function *fn,
                   int past_due, const char *input)
{
    pthread_t th;
    pthread_attr_t attr;
    pthread_mutex_lock(&d->lock);
    if (d->draining) {
        pthread_mutex_unlock(&d->lock);
        return -1;
    }
    d->running++;
    pthread_mutex_unlock(&d->lock);
    struct spawned *s = xcalloc(1, sizeof *s);
    s->d = d;
    s->fn = fn;
    s->past_due = past_due;
    s->input = input ? xstrdup(input) : NULL;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int ok = pthread_create(&th, &attr, spawned_main, s) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        free(s->input);
        free(s);
        pthread_mutex_lock(&d->lock);
        d->running--;
        pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);
        return log_error("Functions.%s: cannot start a thread", fn->name);
    }
    return 0;
}

int dispatch_drain(struct dispatch *d, long timeout_ms)
{
    struct timespec ts;
    clock_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&d->lock);
    d->draining = 1;
    while (d->running > 0)
        if (pthread_cond_timedwait(&d->cond, &d->lock, &ts) != 0)
            break;
    int left = d->running;
    pthread_mutex_unlock(&d->lock);
    return left;
}
