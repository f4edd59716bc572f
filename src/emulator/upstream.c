/* upstream.c - the emulator's upstream client (see upstream.h). */
#include "upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "emulator/conn.h"
#include "emulator/limits.h"
#include "emulator/upmsg.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define CAT_CONNECTIONS "connections"
#define CAT_MESSAGES "messages"
/* Bytes of a client's target shown in a log line. */
#define UPSTREAM_LOG_EVENT_MAX 128

/* One call waiting for its turn or in flight. */
struct upcall {
    struct upcall *next;
    const char *category; /* static */
    char *event;
    char *shown;         /* event for log lines (upmsg_loggable) */
    char *invocation_id; /* an invocation with an id; else NULL */
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
    struct watch watch; /* first: the loop dispatches on it */
    int added;
    struct upsock *prev, *next; /* U.socks, then U.dead (next only) */
};

static struct {
    struct server *s;
    const struct upconf *cli;   /* --upstream templates, borrowed */
    struct upconf file;         /* --settings templates, owned */
    const char *settings;       /* --settings path, borrowed; or NULL */
    struct stat file_st;        /* the version loaded */
    struct server_timer reload; /* checks the file once a second */
    long timeout_ms;
    CURLM *multi;
    struct server_timer timer; /* libcurl's timeout, and the dead list */
    long long curl_due_ms;     /* < 0: libcurl wants no timeout */
    struct upsock *socks;      /* watched for libcurl */
    struct upsock *dead;       /* removed this turn, freed by on_timer */
    int stopping;
    /* every upconn with a call queued or in flight, for upstream_stop */
    struct upconn **live;
    size_t nlive, live_cap;
} U;

static void arm_timer(void)
{
    long long due = U.curl_due_ms;
    if (U.dead && (due < 0 || due > U.s->now_ms))
        due = U.s->now_ms;
    U.timer.due_ms = due;
}

static void call_free(struct upcall *k)
{
    if (!k)
        return;
    if (k->easy) {
        curl_multi_remove_handle(U.multi, k->easy);
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

static void live_add(struct upconn *u)
{
    if (U.nlive == U.live_cap) {
        U.live_cap = U.live_cap ? U.live_cap * 2 : 64;
        U.live = xrealloc(U.live, U.live_cap * sizeof *U.live);
    }
    U.live[U.nlive++] = u;
}

static void live_remove(struct upconn *u)
{
    for (size_t i = 0; i < U.nlive; i++) {
        if (U.live[i] == u) {
            U.live[i] = U.live[--U.nlive];
            return;
        }
    }
}

static void upconn_free(struct upconn *u)
{
    while (u->head) {
        struct upcall *k = u->head;
        u->head = k->next;
        call_free(k);
    }
    call_free(u->inflight);
    free(u->hub);
    free(u->user);
    free(u->claims);
    free(u->query);
    free(u);
}

/* The upstream state of c, made on first use. */
static struct upconn *upconn_of(struct conn *c)
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
    live_add(u);
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
static void pump(struct upconn *u)
{
    while (!u->inflight && u->head) {
        struct upcall *k = u->head;
        u->head = k->next;
        if (!u->head)
            u->tail = NULL;
        u->queued--;
        k->next = NULL;
        char *url = upconf_url(U.cli, u->hub, k->category, k->event);
        if (!url)
            url = upconf_url(&U.file, u->hub, k->category, k->event);
        if (!url) {
            if (k->invocation_id)
                complete_error(u, k->invocation_id, UPMSG_NO_UPSTREAM);
            log_debug("upstream %s/%s hub=%s id=%s: no upstream template",
                      k->category, k->shown, u->hub, u->id);
            call_free(k);
            continue;
        }
        struct upmsg_conn mc = {.id = u->id,
                                .hub = u->hub,
                                .user = u->user,
                                .claims = u->claims,
                                .query = u->query};
        char **hs = upmsg_headers(&mc, k->category, k->event, U.s->cfg.keys,
                                  U.s->cfg.nkeys);
        for (char **h = hs; *h; h++)
            k->headers = curl_slist_append(k->headers, *h);
        k->headers = curl_slist_append(k->headers, "Expect:");
        upmsg_headers_free(hs);
        k->owner = u;
        k->easy = curl_easy_init();
        buf_init(&k->reply, LIMIT_UPSTREAM_REPLY);
        k->started_ms = server_now_ms();
        CURL *e = k->easy;
        if (!e || !k->headers) {
            log_error("upstream %s/%s hub=%s id=%s: libcurl out of memory",
                      k->category, k->shown, u->hub, u->id);
            if (k->invocation_id)
                complete_error(u, k->invocation_id,
                               "Invocation failed, status code 500");
            free(url);
            call_free(k);
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
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, U.timeout_ms);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "signalr-emulator");
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        free(url);
        u->inflight = k;
        if (curl_multi_add_handle(U.multi, e) != CURLM_OK) {
            log_error("upstream %s/%s hub=%s id=%s: libcurl refused the "
                      "call",
                      k->category, k->shown, u->hub, u->id);
            u->inflight = NULL;
            curl_easy_cleanup(e);
            k->easy = NULL;
            if (k->invocation_id)
                complete_error(u, k->invocation_id,
                               "Invocation failed, status code 500");
            call_free(k);
        }
    }
    if (!u->inflight && !u->head && !u->conn) {
        live_remove(u);
        upconn_free(u);
    }
}

static void enqueue(struct upconn *u, const char *category, const char *event,
                    const char *invocation_id, char *body, size_t len)
{
    struct upcall *k = xcalloc(1, sizeof *k);
    k->category = category;
    k->event = xstrdup(event);
    k->shown = upmsg_loggable(event, UPSTREAM_LOG_EVENT_MAX);
    k->invocation_id = invocation_id ? xstrdup(invocation_id) : NULL;
    k->body = body;
    k->body_len = len;
    if (u->tail)
        u->tail->next = k;
    else
        u->head = k;
    u->tail = k;
    u->queued++;
    pump(u);
}

/* A finished transfer: answer the client, log, start the next call. */
static void done(CURLMsg *m)
{
    struct upcall *k = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&k);
    if (!k)
        return;
    struct upconn *u = k->owner;
    long status = 0;
    long long ms = server_now_ms() - k->started_ms;
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
        upmsg_answer(&b, k->invocation_id, status, k->reply.data, k->reply.len);
        to_client(u, &b);
        buf_release(&b);
    } else if (status > 0 && status != 200 && status != 204) {
        log_warn("upstream %s/%s hub=%s id=%s: unexpected status %ld",
                 k->category, k->shown, u->hub, u->id, status);
    }
    u->inflight = NULL;
    call_free(k);
    pump(u);
}

static void drain(void)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(U.multi, &left)))
        if (m->msg == CURLMSG_DONE)
            done(m);
}

static void on_sock_event(struct watch *w, uint32_t events)
{
    struct upsock *k = (struct upsock *)w;
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
    curl_multi_socket_action(U.multi, k->watch.fd, flags, &running);
    drain();
    arm_timer();
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg,
                     void *sockp)
{
    struct upsock *k = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (k) {
            if (k->added)
                server_unwatch(U.s, &k->watch);
            k->watch.fd = -1;
            if (k->prev)
                k->prev->next = k->next;
            else
                U.socks = k->next;
            if (k->next)
                k->next->prev = k->prev;
            k->prev = NULL;
            k->next = U.dead;
            U.dead = k;
            if (!U.stopping) {
                curl_multi_assign(U.multi, fd, NULL);
                arm_timer();
            }
        }
        return 0;
    }
    if (!k) {
        k = xcalloc(1, sizeof *k);
        k->watch.fd = fd;
        k->watch.on_event = on_sock_event;
        k->next = U.socks;
        if (U.socks)
            U.socks->prev = k;
        U.socks = k;
        curl_multi_assign(U.multi, fd, k);
    }
    uint32_t ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= EPOLLOUT;
    if (server_watch_events(U.s, &k->watch, ev, k->added) < 0)
        log_warn("upstream: cannot watch a socket of libcurl");
    else
        k->added = 1;
    return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *arg)
{
    U.curl_due_ms = timeout_ms < 0 ? -1 : server_now_ms() + timeout_ms;
    arm_timer();
    return 0;
}

static void free_dead(void)
{
    while (U.dead) {
        struct upsock *k = U.dead;
        U.dead = k->next;
        free(k);
    }
}

static void on_timer(struct server_timer *t)
{
    free_dead();
    if (U.curl_due_ms >= 0 && U.curl_due_ms <= U.s->now_ms) {
        int running = 0;
        U.curl_due_ms = -1;
        curl_multi_socket_action(U.multi, CURL_SOCKET_TIMEOUT, 0, &running);
        drain();
    }
    arm_timer();
}

/* Any template at all? */
static int configured(void)
{
    return U.cli->n + U.file.n > 0;
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
           a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* (Re)load --settings. A bad file at start is fatal (-1); later it is a
 * warning and the templates in force stay. */
static int load_settings(int at_start)
{
    struct stat st;
    struct upconf fresh;
    char err[512];
    if (stat(U.settings, &st) < 0) {
        if (at_start)
            return log_error("--settings %s: no such file", U.settings);
        if (U.file_st.st_ino) {
            log_warn("--settings %s is gone: keeping its %zu template(s)",
                     U.settings, U.file.n);
            memset(&U.file_st, 0, sizeof U.file_st);
        }
        return 0;
    }
    if (!at_start && same_file(&st, &U.file_st))
        return 0;
    U.file_st = st;
    upconf_init(&fresh);
    if (upconf_load_file(&fresh, U.settings, err, sizeof err) < 0) {
        upconf_release(&fresh);
        if (at_start)
            return log_error("--settings %s", err);
        log_warn("--settings %s: keeping the %zu template(s) in force", err,
                 U.file.n);
        return 0;
    }
    upconf_release(&U.file);
    U.file = fresh;
    for (size_t i = 0; i < U.file.n; i++) {
        char *url = upconf_loggable(U.file.t[i].url);
        log_info("upstream %s hub=%s category=%s event=%s (%s%s)", url,
                 U.file.t[i].hub, U.file.t[i].category, U.file.t[i].event,
                 at_start ? "" : "reloaded from ", U.settings);
        free(url);
    }
    if (!at_start && !U.file.n)
        log_info("--settings %s reloaded: no template", U.settings);
    return 0;
}

static void on_reload_timer(struct server_timer *t)
{
    load_settings(0);
    t->due_ms = U.s->now_ms + 1000;
}

static void hook_connected(struct conn *c)
{
    if (!configured())
        return;
    struct upconn *u = upconn_of(c);
    enqueue(u, CAT_CONNECTIONS, "connected", NULL, upmsg_body_connected(),
            strlen("{\"type\":10}"));
}

static void hook_disconnected(struct conn *c)
{
    struct upconn *u = c->up;
    if (!configured() && !u)
        return;
    if (!u)
        u = upconn_of(c);
    u->conn = NULL;
    c->up = NULL;
    char *body = upmsg_body_disconnected(c->error);
    enqueue(u, CAT_CONNECTIONS, "disconnected", NULL, body, strlen(body));
}

static void hook_invocation(struct conn *c, const struct hubproto_msg *m,
                            const char *raw, size_t len)
{
    const char *id = m->invocation_id;
    if (!configured()) {
        if (id)
            complete_error_to(c, id, UPMSG_NO_UPSTREAM);
        /* debug: a client sending in a loop must not flood the log */
        if (log_enabled(LOG_DEBUG)) {
            char *shown = upmsg_loggable(m->target, UPSTREAM_LOG_EVENT_MAX);
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
    struct upconn *u = upconn_of(c);
    if (u->queued >= UPSTREAM_MAX_QUEUED) {
        if (id)
            complete_error(u, id,
                           "Invocation failed, too many calls "
                           "waiting for the upstream");
        char *shown = upmsg_loggable(m->target, UPSTREAM_LOG_EVENT_MAX);
        log_warn("upstream messages/%s hub=%s id=%s: %u calls already "
                 "waiting, %s",
                 shown, c->hub, c->id, UPSTREAM_MAX_QUEUED,
                 id ? "refused" : "dropped");
        free(shown);
        return;
    }
    size_t n = 0;
    char *body = upmsg_body_invocation(m, &n);
    enqueue(u, CAT_MESSAGES, m->target, id, body, n);
}

static const struct conn_hooks hooks = {
    .on_connected = hook_connected,
    .on_disconnected = hook_disconnected,
    .on_invocation = hook_invocation,
};

int upstream_start(struct server *s, const struct upconf *conf,
                   const char *settings, long timeout_ms)
{
    memset(&U, 0, sizeof U);
    U.s = s;
    U.cli = conf;
    upconf_init(&U.file);
    U.settings = settings;
    U.reload.due_ms = -1;
    U.reload.on_timer = on_reload_timer;
    if (settings) {
        if (load_settings(1) < 0)
            return -1;
        U.reload.due_ms = s->now_ms + 1000;
        if (server_timer_add(s, &U.reload) < 0)
            return log_error("upstream: no timer slot left");
    }
    U.timeout_ms = timeout_ms > 0 ? timeout_ms : UPSTREAM_TIMEOUT_MS;
    U.curl_due_ms = -1;
    U.timer.due_ms = -1;
    U.timer.on_timer = on_timer;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return log_error("libcurl: global init failed");
    U.multi = curl_multi_init();
    if (!U.multi)
        return log_error("libcurl: no multi handle");
    curl_multi_setopt(U.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(U.multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(U.multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)UPSTREAM_MAX_HOST_CONNS);
    /* Keep that many idle connections for reuse (the default, four per
     * handle added at the time, closes most of them between calls). */
    curl_multi_setopt(U.multi, CURLMOPT_MAXCONNECTS,
                      (long)UPSTREAM_MAX_HOST_CONNS);
    if (server_timer_add(s, &U.timer) < 0)
        return log_error("upstream: no timer slot left");
    conn_set_hooks(&hooks);
    return 0;
}

void upstream_stop(void)
{
    upconf_release(&U.file);
    if (!U.multi)
        return;
    conn_set_hooks(NULL);
    size_t dropped = 0;
    while (U.nlive) {
        struct upconn *u = U.live[--U.nlive];
        dropped += u->queued + (u->inflight != NULL);
        if (u->conn)
            u->conn->up = NULL;
        upconn_free(u);
    }
    if (dropped)
        log_info("upstream: %zu call(s) dropped at shutdown", dropped);
    U.stopping = 1;
    curl_multi_cleanup(U.multi);
    U.multi = NULL;
    free_dead();
    while (U.socks) {
        struct upsock *k = U.socks;
        U.socks = k->next;
        if (k->added)
            server_unwatch(U.s, &k->watch);
        free(k);
    }
    free(U.live);
    U.live = NULL;
    U.live_cap = 0;
    curl_global_cleanup();
}
