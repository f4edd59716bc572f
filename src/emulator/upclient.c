/* upclient.c - the emulator's upstream client (see upclient.h). */
#include "upclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "emulator/limits.h"
#include "emulator/upmsg.h"
#include "proto/hubmsgpack.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define CAT_CONNECTIONS "connections"
#define CAT_MESSAGES "messages"
/* Bytes of a client's target shown in a log line. */
#define UPCLIENT_LOG_EVENT_MAX 128

/* One call waiting for its turn or in flight. */
struct upcall {
    struct upcall *next;
    const char *category; /* static */
    char *event;
    char *shown;         /* event for log lines (upmsg_loggable) */
    char *invocation_id; /* an invocation with an id; else NULL */
    int msgpack;         /* a MessagePack client's invocation */
    char *body;
    size_t body_len;
    /* in flight */
    struct upconn *owner;
    CURL *easy;
    struct curl_slist *headers;
    struct buf reply;
    int too_large;
    long long started_ms;
    char errbuf[CURL_ERROR_SIZE];
};

/* A connection's upstream state; outlives the conn until its last call
 * (disconnected) is done. */
struct upconn {
    struct conn *conn; /* NULL once the connection is gone */
    char id[CONN_ID_LEN + 1];
    char *hub, *user, *claims, *query;
    struct upcall *head, *tail; /* waiting, in order */
    size_t queued;
    struct upcall *inflight;
};

/* A socket libcurl asked us to watch. Freed only after the loop turn's
 * events (the dead list), so an event batch never points at freed memory. */
struct upsock {
    struct loop_watch watch; /* first: the loop dispatches on it */
    struct upclient *uc;     /* its owner */
    int added;
    struct upsock *prev, *next; /* uc->socks, then uc->dead (next only) */
};

struct upclient {
    struct loop *loop;            /* borrowed */
    struct conns *conns;          /* borrowed: its hooks are ours */
    const struct auth_keys *keys; /* borrowed: they sign every call */
    const struct upconf *cli;     /* --upstream templates, borrowed */
    struct upconf file;           /* --settings templates, owned */
    const char *settings;         /* --settings path, borrowed; or NULL */
    struct stat file_st;          /* the version loaded */
    struct loop_timer reload;     /* checks the file once a second */
    long timeout_ms;
    CURLM *multi;
    struct loop_timer timer; /* libcurl's timeout, and the dead list */
    long long curl_due_ms;   /* < 0: libcurl wants no timeout */
    struct upsock *socks;    /* watched for libcurl */
    struct upsock *dead;     /* removed this turn, freed by on_timer */
    int stopping;
    /* every upconn with a call queued or in flight, for upclient_stop */
    struct upconn **live;
    size_t nlive, live_cap;
};

static void arm_timer(struct upclient *uc)
{
    long long due = uc->curl_due_ms;
    if (uc->dead && (due < 0 || due > uc->loop->now_ms))
        due = uc->loop->now_ms;
    uc->timer.due_ms = due;
}

static void call_free(struct upclient *uc, struct upcall *k)
{
    if (!k)
        return;
    if (k->easy) {
        curl_multi_remove_handle(uc->multi, k->easy);
        curl_easy_cleanup(k->easy);
    }
    curl_slist_free_all(k->headers);
    buf_release(&k->reply);
    free(k->event);
    free(k->shown);
    free(k->invocation_id);
    free(k->body);
    free(k);
}

static void live_add(struct upclient *uc, struct upconn *u)
{
    if (uc->nlive == uc->live_cap) {
        uc->live_cap = uc->live_cap ? uc->live_cap * 2 : 64;
        uc->live = xrealloc(uc->live, uc->live_cap * sizeof *uc->live);
    }
    uc->live[uc->nlive++] = u;
}

static void live_remove(struct upclient *uc, struct upconn *u)
{
    for (size_t i = 0; i < uc->nlive; i++) {
        if (uc->live[i] == u) {
            uc->live[i] = uc->live[--uc->nlive];
            return;
        }
    }
}

static void upconn_free(struct upclient *uc, struct upconn *u)
{
    while (u->head) {
        struct upcall *k = u->head;
        u->head = k->next;
        call_free(uc, k);
    }
    call_free(uc, u->inflight);
    free(u->hub);
    free(u->user);
    free(u->claims);
    free(u->query);
    free(u);
}

/* The upstream state of c, made on first use. */
static struct upconn *upconn_of(struct upclient *uc, struct conn *c)
{
    if (c->up)
        return c->up;
    struct upconn *u = xcalloc(1, sizeof *u);
    u->conn = c;
    memcpy(u->id, c->id, sizeof u->id);
    u->hub = xstrdup(c->hub);
    u->user = c->user ? xstrdup(c->user) : NULL;
    u->claims = c->claims ? xstrdup(c->claims) : NULL;
    u->query = c->query ? xstrdup(c->query) : NULL;
    c->up = u;
    live_add(uc, u);
    return u;
}

/* Records to the client, if it is still there. */
static void to_client(struct upconn *u, const struct buf *b)
{
    if (u->conn && b->len)
        conn_send(u->conn, b->data, b->len, NULL);
}

/* A Completion error to c (NULL: the client is gone). */
static void complete_error_to(struct conn *c, const char *id, const char *error)
{
    struct buf b;
    if (!c)
        return;
    buf_init(&b, 4096);
    hubproto_write_completion(&b, id, NULL, error);
    conn_send(c, b.data, b.len, NULL);
    buf_release(&b);
}

static void complete_error(struct upconn *u, const char *id, const char *error)
{
    complete_error_to(u->conn, id, error);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct upcall *k = arg;
    if (buf_append(&k->reply, p, size * n) < 0) {
        k->too_large = 1;
        return 0; /* aborts the transfer */
    }
    return size * n;
}

/* Hand the next call of u to libcurl; calls with no matching template
 * are settled here at once. */
static void pump(struct upclient *uc, struct upconn *u)
{
    while (!u->inflight && u->head) {
        struct upcall *k = u->head;
        u->head = k->next;
        if (!u->head)
            u->tail = NULL;
        u->queued--;
        k->next = NULL;
        char *url = upconf_url(uc->cli, u->hub, k->category, k->event);
        if (!url)
            url = upconf_url(&uc->file, u->hub, k->category, k->event);
        if (!url) {
            if (k->invocation_id)
                complete_error(u, k->invocation_id, UPMSG_NO_UPSTREAM);
            log_debug("upstream %s/%s hub=%s id=%s: no upstream template",
                      k->category, k->shown, u->hub, u->id);
            call_free(uc, k);
            continue;
        }
        struct upmsg_conn mc = {.id = u->id,
                                .hub = u->hub,
                                .user = u->user,
                                .claims = u->claims,
                                .query = u->query,
                                .media_type =
                                    k->msgpack ? HUBMSGPACK_MEDIA_TYPE : NULL};
        char **hs = upmsg_headers(&mc, k->category, k->event, uc->keys->keys,
                                  uc->keys->n);
        for (char **h = hs; *h; h++)
            k->headers = curl_slist_append(k->headers, *h);
        k->headers = curl_slist_append(k->headers, "Expect:");
        upmsg_headers_free(hs);
        k->owner = u;
        k->easy = curl_easy_init();
        buf_init(&k->reply, LIMIT_UPSTREAM_REPLY);
        k->started_ms = clock_mono_ms();
        CURL *e = k->easy;
        if (!e || !k->headers) {
            log_error("upstream %s/%s hub=%s id=%s: libcurl out of memory",
                      k->category, k->shown, u->hub, u->id);
            if (k->invocation_id)
                complete_error(u, k->invocation_id,
                               "Invocation failed, status code 500");
            free(url);
            call_free(uc, k);
            continue;
        }
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, k->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)k->body_len);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, k->headers);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
        curl_easy_setopt(e, CURLOPT_PRIVATE, k);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, k->errbuf);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, uc->timeout_ms);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "signalr-emulator");
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        free(url);
        u->inflight = k;
        if (curl_multi_add_handle(uc->multi, e) != CURLM_OK) {
            log_error("upstream %s/%s hub=%s id=%s: libcurl refused the "
                      "call",
                      k->category, k->shown, u->hub, u->id);
            u->inflight = NULL;
            curl_easy_cleanup(e);
            k->easy = NULL;
            if (k->invocation_id)
                complete_error(u, k->invocation_id,
                               "Invocation failed, status code 500");
            call_free(uc, k);
        }
    }
    if (!u->inflight && !u->head && !u->conn) {
        live_remove(uc, u);
        upconn_free(uc, u);
    }
}

static void enqueue(struct upclient *uc, struct upconn *u, const char *category,
                    const char *event, const char *invocation_id, int msgpack,
                    char *body, size_t len)
{
    struct upcall *k = xcalloc(1, sizeof *k);
    k->category = category;
    k->event = xstrdup(event);
    k->shown = upmsg_loggable(event, UPCLIENT_LOG_EVENT_MAX);
    k->invocation_id = invocation_id ? xstrdup(invocation_id) : NULL;
    k->msgpack = msgpack;
    k->body = body;
    k->body_len = len;
    if (u->tail)
        u->tail->next = k;
    else
        u->head = k;
    u->tail = k;
    u->queued++;
    pump(uc, u);
}

/* A finished transfer: answer the client, log, start the next call. */
static void done(struct upclient *uc, CURLMsg *m)
{
    struct upcall *k = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&k);
    if (!k)
        return;
    struct upconn *u = k->owner;
    long status = 0;
    long long ms = clock_mono_ms() - k->started_ms;
    CURLcode rc = m->data.result;
    if (rc == CURLE_OK)
        curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &status);
    if (k->too_large)
        status = -1;
    if (status > 0)
        log_info("upstream %s/%s hub=%s id=%s status=%ld duration=%lldms",
                 k->category, k->shown, u->hub, u->id, status, ms);
    else if (status < 0)
        log_warn("upstream %s/%s hub=%s id=%s failed: answer over %u bytes "
                 "duration=%lldms",
                 k->category, k->shown, u->hub, u->id, LIMIT_UPSTREAM_REPLY,
                 ms);
    else
        log_warn("upstream %s/%s hub=%s id=%s failed: %s duration=%lldms",
                 k->category, k->shown, u->hub, u->id,
                 k->errbuf[0] ? k->errbuf : curl_easy_strerror(rc), ms);
    if (k->invocation_id) {
        struct buf b;
        buf_init(&b, LIMIT_UPSTREAM_REPLY + 4096);
        if (k->msgpack) {
            upmsg_answer_msgpack(&b, k->invocation_id, status, k->reply.data,
                                 k->reply.len);
            if (u->conn && b.len)
                conn_send_native(u->conn, b.data, b.len);
        } else {
            upmsg_answer(&b, k->invocation_id, status, k->reply.data,
                         k->reply.len);
            to_client(u, &b);
        }
        buf_release(&b);
    } else if (status > 0 && status != 200 && status != 204) {
        log_warn("upstream %s/%s hub=%s id=%s: unexpected status %ld",
                 k->category, k->shown, u->hub, u->id, status);
    }
    u->inflight = NULL;
    call_free(uc, k);
    pump(uc, u);
}

static void drain(struct upclient *uc)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(uc->multi, &left)))
        if (m->msg == CURLMSG_DONE)
            done(uc, m);
}

static void on_sock_event(struct loop_watch *w, uint32_t events)
{
    struct upsock *k = (struct upsock *)w;
    struct upclient *uc = k->uc;
    if (k->watch.fd < 0)
        return; /* removed earlier in this turn */
    int flags = 0;
    if (events & (EPOLLIN | EPOLLHUP))
        flags |= CURL_CSELECT_IN;
    if (events & EPOLLOUT)
        flags |= CURL_CSELECT_OUT;
    if (events & EPOLLERR)
        flags |= CURL_CSELECT_ERR;
    int running = 0;
    curl_multi_socket_action(uc->multi, k->watch.fd, flags, &running);
    drain(uc);
    arm_timer(uc);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg,
                     void *sockp)
{
    struct upclient *uc = arg;
    struct upsock *k = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (k) {
            if (k->added)
                loop_unwatch(uc->loop, &k->watch);
            k->watch.fd = -1;
            if (k->prev)
                k->prev->next = k->next;
            else
                uc->socks = k->next;
            if (k->next)
                k->next->prev = k->prev;
            k->prev = NULL;
            k->next = uc->dead;
            uc->dead = k;
            if (!uc->stopping) {
                curl_multi_assign(uc->multi, fd, NULL);
                arm_timer(uc);
            }
        }
        return 0;
    }
    if (!k) {
        k = xcalloc(1, sizeof *k);
        k->watch.fd = fd;
        k->watch.on_event = on_sock_event;
        k->uc = uc;
        k->next = uc->socks;
        if (uc->socks)
            uc->socks->prev = k;
        uc->socks = k;
        curl_multi_assign(uc->multi, fd, k);
    }
    uint32_t ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= EPOLLOUT;
    if (loop_watch_events(uc->loop, &k->watch, ev, k->added) < 0)
        log_warn("upstream: cannot watch a socket of libcurl");
    else
        k->added = 1;
    return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *arg)
{
    struct upclient *uc = arg;
    uc->curl_due_ms = timeout_ms < 0 ? -1 : clock_mono_ms() + timeout_ms;
    arm_timer(uc);
    return 0;
}

static void free_dead(struct upclient *uc)
{
    while (uc->dead) {
        struct upsock *k = uc->dead;
        uc->dead = k->next;
        free(k);
    }
}

static void on_timer(struct loop_timer *t)
{
    struct upclient *uc =
        (struct upclient *)((char *)t - offsetof(struct upclient, timer));
    free_dead(uc);
    if (uc->curl_due_ms >= 0 && uc->curl_due_ms <= uc->loop->now_ms) {
        int running = 0;
        uc->curl_due_ms = -1;
        curl_multi_socket_action(uc->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        drain(uc);
    }
    arm_timer(uc);
}

/* Any template at all? */
static int configured(const struct upclient *uc)
{
    return uc->cli->n + uc->file.n > 0;
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
           a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* (Re)load --settings. A bad file at start is fatal (-1); later it is a
 * warning and the templates in force stay. */
static int load_settings(struct upclient *uc, int at_start)
{
    struct stat st;
    struct upconf fresh;
    char err[512];
    if (stat(uc->settings, &st) < 0) {
        if (at_start)
            return log_error("--settings %s: no such file", uc->settings);
        if (uc->file_st.st_ino) {
            log_warn("--settings %s is gone: keeping its %zu template(s)",
                     uc->settings, uc->file.n);
            memset(&uc->file_st, 0, sizeof uc->file_st);
        }
        return 0;
    }
    if (!at_start && same_file(&st, &uc->file_st))
        return 0;
    uc->file_st = st;
    upconf_init(&fresh);
    if (upconf_load_file(&fresh, uc->settings, err, sizeof err) < 0) {
        upconf_release(&fresh);
        if (at_start)
            return log_error("--settings %s", err);
        log_warn("--settings %s: keeping the %zu template(s) in force", err,
                 uc->file.n);
        return 0;
    }
    upconf_release(&uc->file);
    uc->file = fresh;
    for (size_t i = 0; i < uc->file.n; i++) {
        char *url = upconf_loggable(uc->file.t[i].url);
        log_info("upstream %s hub=%s category=%s event=%s (%s%s)", url,
                 uc->file.t[i].hub, uc->file.t[i].category, uc->file.t[i].event,
                 at_start ? "" : "reloaded from ", uc->settings);
        free(url);
    }
    if (!at_start && !uc->file.n)
        log_info("--settings %s reloaded: no template", uc->settings);
    return 0;
}

static void on_reload_timer(struct loop_timer *t)
{
    struct upclient *uc =
        (struct upclient *)((char *)t - offsetof(struct upclient, reload));
    load_settings(uc, 0);
    t->due_ms = uc->loop->now_ms + 1000;
}

static void hook_connected(void *arg, struct conn *c)
{
    struct upclient *uc = arg;
    if (!configured(uc))
        return;
    struct upconn *u = upconn_of(uc, c);
    enqueue(uc, u, CAT_CONNECTIONS, "connected", NULL, 0,
            upmsg_body_connected(), strlen("{\"type\":10}"));
}

static void hook_disconnected(void *arg, struct conn *c)
{
    struct upclient *uc = arg;
    struct upconn *u = c->up;
    if (!configured(uc) && !u)
        return;
    if (!u)
        u = upconn_of(uc, c);
    u->conn = NULL;
    c->up = NULL;
    char *body = upmsg_body_disconnected(c->error);
    enqueue(uc, u, CAT_CONNECTIONS, "disconnected", NULL, 0, body,
            strlen(body));
}

static void hook_invocation(void *arg, struct conn *c,
                            const struct hubproto_msg *m, const char *raw,
                            size_t len)
{
    struct upclient *uc = arg;
    const char *id = m->invocation_id;
    if (!configured(uc)) {
        if (id)
            complete_error_to(c, id, UPMSG_NO_UPSTREAM);
        /* debug: a client sending in a loop must not flood the log */
        if (log_enabled(LOG_DEBUG)) {
            char *shown = upmsg_loggable(m->target, UPCLIENT_LOG_EVENT_MAX);
            log_debug("invocation %s %s hub=%s id=%s: no upstream is "
                      "configured",
                      shown, id ? "answered with an error" : "dropped", c->hub,
                      c->id);
            free(shown);
        }
        return;
    }
    if (!upmsg_header_safe(m->target)) {
        /* X-ASRS-Event could not carry it (the official emulator's
         * HttpClient throws, and the client is closed) */
        if (id)
            complete_error_to(c, id,
                              "Invocation failed, the target holds "
                              "control characters");
        log_warn("upstream messages hub=%s id=%s: a target with control "
                 "characters, %s",
                 c->hub, c->id, id ? "refused" : "dropped");
        return;
    }
    struct upconn *u = upconn_of(uc, c);
    if (u->queued >= UPCLIENT_MAX_QUEUED) {
        if (id)
            complete_error(u, id,
                           "Invocation failed, too many calls "
                           "waiting for the upstream");
        char *shown = upmsg_loggable(m->target, UPCLIENT_LOG_EVENT_MAX);
        log_warn("upstream messages/%s hub=%s id=%s: %u calls already "
                 "waiting, %s",
                 shown, c->hub, c->id, UPCLIENT_MAX_QUEUED,
                 id ? "refused" : "dropped");
        free(shown);
        return;
    }
    size_t n = 0;
    char *body = c->binary ? upmsg_body_msgpack(raw, len, &n)
                           : upmsg_body_invocation(m, &n);
    enqueue(uc, u, CAT_MESSAGES, m->target, id, c->binary, body, n);
}

static const struct conn_hooks hooks = {
    .on_connected = hook_connected,
    .on_disconnected = hook_disconnected,
    .on_invocation = hook_invocation,
};

struct upclient *upclient_start(struct loop *l, struct conns *t,
                                const struct auth_keys *keys,
                                const struct upconf *conf, const char *settings,
                                long timeout_ms)
{
    struct upclient *uc = xcalloc(1, sizeof *uc);
    uc->loop = l;
    uc->conns = t;
    uc->keys = keys;
    uc->cli = conf;
    upconf_init(&uc->file);
    uc->settings = settings;
    uc->reload.due_ms = -1;
    uc->reload.on_timer = on_reload_timer;
    uc->timeout_ms = timeout_ms > 0 ? timeout_ms : UPCLIENT_TIMEOUT_MS;
    uc->curl_due_ms = -1;
    uc->timer.due_ms = -1;
    uc->timer.on_timer = on_timer;
    /* Both timers or none: nothing is left registered after a failure. */
    if (LOOP_MAX_TIMERS - l->ntimers < (settings ? 2u : 1u)) {
        log_error("upstream: no timer slot left");
        goto fail;
    }
    if (settings && load_settings(uc, 1) < 0)
        goto fail;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("libcurl: global init failed");
        goto fail;
    }
    uc->multi = curl_multi_init();
    if (!uc->multi) {
        log_error("libcurl: no multi handle");
        goto fail;
    }
    curl_multi_setopt(uc->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(uc->multi, CURLMOPT_SOCKETDATA, uc);
    curl_multi_setopt(uc->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(uc->multi, CURLMOPT_TIMERDATA, uc);
    curl_multi_setopt(uc->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)UPCLIENT_MAX_HOST_CONNS);
    /* Keep that many idle connections for reuse (the default, four per
     * handle added at the time, closes most of them between calls). */
    curl_multi_setopt(uc->multi, CURLMOPT_MAXCONNECTS,
                      (long)UPCLIENT_MAX_HOST_CONNS);
    if (settings) {
        uc->reload.due_ms = l->now_ms + 1000;
        loop_timer_add(l, &uc->reload);
    }
    loop_timer_add(l, &uc->timer);
    conns_set_hooks(t, &hooks, uc);
    return uc;
fail:
    upclient_stop(uc);
    return NULL;
}

void upclient_stop(struct upclient *uc)
{
    if (!uc)
        return;
    upconf_release(&uc->file);
    if (!uc->multi) {
        free(uc);
        return;
    }
    conns_set_hooks(uc->conns, NULL, NULL);
    size_t dropped = 0;
    while (uc->nlive) {
        struct upconn *u = uc->live[--uc->nlive];
        dropped += u->queued + (u->inflight != NULL);
        if (u->conn)
            u->conn->up = NULL;
        upconn_free(uc, u);
    }
    if (dropped)
        log_info("upstream: %zu call(s) dropped at shutdown", dropped);
    uc->stopping = 1;
    curl_multi_cleanup(uc->multi);
    uc->multi = NULL;
    free_dead(uc);
    while (uc->socks) {
        struct upsock *k = uc->socks;
        uc->socks = k->next;
        if (k->added)
            loop_unwatch(uc->loop, &k->watch);
        free(k);
    }
    free(uc->live);
    free(uc);
    curl_global_cleanup();
}
