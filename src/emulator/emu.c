/* emu.c - the emulator's modules wired and its loop turned (see emu.h). */
#include "emu.h"

#include <string.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/banned.h"

#define EMU_SWEEP_MS 1000
#define EMU_STOP_GRACE_MS 2000

static int is_client_path(const char *url)
{
    return strncmp(url, "/client", 7) == 0 && (url[7] == '/' || !url[7]);
}

/* http.h's on_request: the route's handler answers. */
static enum MHD_Result dispatch(void *arg, struct http_req *r, const char *url,
                                const char *method)
{
    struct emu *e = arg;
    if (is_client_path(url)) {
        r->cors = 1;
        return client_handle(&e->client, r, url, method);
    }
    if (strncmp(url, "/api/", 5) == 0) {
        r->rest = 1;
        enum MHD_Result ret = rest_handle(&e->rest, r, url, method);
        if (r->suspended)
            return ret; /* held (:invoke): one line when answered */
        if (r->error[0])
            log_info("REST %s %s %u: %s", method, url, r->status, r->error);
        else
            log_info("REST %s %s %u", method, url, r->status);
        return ret;
    }
    return http_reply_error(r, 404, NULL, "no such endpoint: %s", url);
}

/* http.h's on_done. */
static void request_done(void *arg, struct http_req *r)
{
    struct emu *e = arg;
    client_request_done(&e->client, r);
    clientres_request_done(e->cr, r);
}

static void on_signal(void *arg, int signo)
{
    struct emu *e = arg;
    if (e->stopping)
        return;
    log_info("signal %d: closing clients and stopping", signo);
    e->stopping = 1;
    e->stop_deadline_ms = e->loop.now_ms + EMU_STOP_GRACE_MS;
    clientres_stop(e->cr); /* before the clients go: 503, not 404 */
    conns_stop(e->conns);
}

/* The connection table's meter: every message conn_send sends. */
static int meter(void *arg, size_t bytes)
{
    struct emu *e = arg;
    struct tier *t = &e->tier;
    long long before = t->msgs_used;
    int noted = 0;
    int rc = tier_count_message(t, bytes, clock_wall_s(), &noted);
    /* One usage line at each tenth of the day's messages. */
    if (rc == 0 && t->msgs_used * 10 / t->msgs_day != before * 10 / t->msgs_day)
        log_info("tier %s: usage: messages %lld/%lld, connections %zu/%ld",
                 tier_name(t), t->msgs_used, t->msgs_day,
                 conns_connected(e->conns), t->max_conns);
    if (noted)
        log_warn("tier %s: past the %lld included messages of the day "
                 "(more are billed)",
                 tier_name(t), t->msgs_day);
    return rc;
}

/* Free's quota is used up: every client gets the service's Close. */
static void enforce_quota(struct emu *e)
{
    if (!e->have_tier || !e->tier.close_due)
        return;
    e->tier.close_due = 0;
    log_warn("tier %s: %s (messages %lld/%lld): closing every client",
             tier_name(&e->tier), TIER_MSG_LIMIT_TEXT, e->tier.msgs_used,
             e->tier.msgs_day);
    conns_close_open(e->conns, TIER_MSG_LIMIT_TEXT, 0);
}

int emu_start(struct emu *e, const struct emu_config *cfg)
{
    memset(e, 0, sizeof *e);
    e->cfg = *cfg;
    if (loop_init(&e->loop) < 0)
        return -1;
    e->last_sweep_ms = e->loop.now_ms;
    if (loop_signals(&e->loop, on_signal, e) < 0)
        return -1;
    struct http_tls_files tls = {cfg->tls_cert, cfg->tls_key};
    e->http =
        http_start(&e->loop, cfg->bind, cfg->port, cfg->tls_cert ? &tls : NULL,
                   dispatch, request_done, e);
    if (!e->http)
        return -1;
    e->reg = registry_new();
    e->conns = conns_new(&e->loop, e->http, e->reg);
    conns_set_stateful(e->conns, cfg->reconnect_window_ms,
                       (size_t)cfg->replay_bytes);
    e->client = (struct client_env){
        .conns = e->conns, .keys = &e->cfg.keys, .loop = &e->loop};
    e->cr = clientres_new(e->reg, cfg->invoke_timeout_ms);
    if (cfg->tier) {
        e->tier = *cfg->tier;
        e->have_tier = 1;
        e->client.tier = &e->tier;
        log_info("tier %s, %d unit(s): %ld concurrent connections, %lld "
                 "messages a day%s, %ld connections a second",
                 tier_name(&e->tier), e->tier.units, e->tier.max_conns,
                 e->tier.msgs_day, e->tier.msgs_enforced ? " (quota)" : "",
                 e->tier.rate_per_s);
    }
    e->extras = (struct conn_extras){.on_completion = clientres_completion,
                                     .completion_arg = e->cr,
                                     .meter = e->have_tier ? meter : NULL,
                                     .meter_arg = e};
    conns_set_extras(e->conns, &e->extras);
    e->rest = (struct rest_env){.reg = e->reg,
                                .keys = &e->cfg.keys,
                                .conns = e->conns,
                                .cr = e->cr,
                                .tier = e->have_tier ? &e->tier : NULL,
                                .loop = &e->loop};
    return 0;
}

/* How long the loop may sleep: until the sweep, a timer or libmicrohttpd. */
static long long next_timeout(const struct emu *e)
{
    long long t = EMU_SWEEP_MS - (e->loop.now_ms - e->last_sweep_ms);
    if (t < 0)
        t = 0;
    return loop_timeout(&e->loop, http_timeout(e->http, t));
}

int emu_run(struct emu *e)
{
    for (;;) {
        if (loop_wait(&e->loop, next_timeout(e)) < 0)
            return -1;
        loop_run_timers(&e->loop);
        http_run(e->http);
        enforce_quota(e);
        if (clientres_pending(e->cr))
            clientres_check(e->cr, e->loop.now_ms);
        /* Everything this turn queued on WebSockets: one writev each. */
        conns_flush(e->conns);
        if (e->loop.now_ms - e->last_sweep_ms >= EMU_SWEEP_MS) {
            e->last_sweep_ms = e->loop.now_ms;
            conns_sweep(e->conns);
            registry_expire(e->reg, clock_wall_s());
        }
        conns_reap(e->conns); /* flushes what the sweep queued first */
        if (e->stopping &&
            (!conns_live(e->conns) || e->loop.now_ms > e->stop_deadline_ms))
            break;
    }
    /* Whatever is left ends now; let MHD finish the resumed requests. */
    clientres_stop(e->cr);
    conns_abort_all(e->conns, "service stopped");
    conns_reap(e->conns);
    for (int i = 0; i < 3; i++)
        http_run_once(e->http);
    /* Those last runs may have ended requests that held connections. */
    conns_abort_all(e->conns, "service stopped");
    conns_reap(e->conns);
    return 0;
}

void emu_stop(struct emu *e)
{
    /* The daemons first: their last completions still reach the table. */
    http_stop(e->http);
    e->http = NULL;
    conns_free(e->conns);
    e->conns = NULL;
    clientres_free(e->cr);
    e->cr = NULL;
    registry_free(e->reg);
    e->reg = NULL;
    loop_release(&e->loop);
}
