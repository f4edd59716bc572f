/* server.c - the emulator's event loop and request dispatch (see server.h). */
#include "server.h"

#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "emulator/client.h"
#include "emulator/conn.h"
#include "emulator/limits.h"
#include "emulator/rest.h"
#include "emulator/ws.h"
#include "proto/hubproto.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/url.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SERVER_MAX_EVENTS 256
#define SERVER_SWEEP_MS 1000
#define SERVER_STOP_GRACE_MS 2000
/* High enough for 10,000+ WebSockets; the real bound is RLIMIT_NOFILE. */
#define SERVER_CONN_LIMIT 200000
#define SERVER_HTTP_TIMEOUT_S 120
#define SERVER_LISTEN_BACKLOG 4096
/* Per-connection memory of libmicrohttpd (headers + I/O buffers); it must
 * hold LIMIT_REST_HEADERS of request headers. A WebSocket gives it back at
 * the upgrade (conn_attach_ws), so only HTTP requests in flight hold it. */
#define SERVER_CONN_MEMORY (LIMIT_REST_HEADERS + 4u * 1024u)

static struct server *the_server;

struct server *server_get(void)
{
    return the_server;
}

long long server_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long server_wall_s(void)
{
    return (long)time(NULL);
}

int server_watch(struct server *s, struct watch *w, int want_out)
{
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0),
                             .data.ptr = w};
    return epoll_ctl(s->epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

int server_watch_mod(struct server *s, struct watch *w, int want_out)
{
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0),
                             .data.ptr = w};
    return epoll_ctl(s->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void server_unwatch(struct server *s, struct watch *w)
{
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int server_watch_events(struct server *s, struct watch *w, uint32_t events,
                        int modify)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(s->epfd, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd,
                     &ev);
}

int server_timer_add(struct server *s, struct server_timer *t)
{
    if (s->ntimers == SERVER_MAX_TIMERS)
        return -1;
    s->timers[s->ntimers++] = t;
    return 0;
}

/* Fire the timers that are due (each disarmed before it runs). */
static void run_timers(struct server *s)
{
    for (size_t i = 0; i < s->ntimers; i++) {
        struct server_timer *t = s->timers[i];
        if (t->due_ms >= 0 && t->due_ms <= s->now_ms) {
            t->due_ms = -1;
            t->on_timer(t);
        }
    }
}

void req_suspend(struct req *r)
{
    if (!r->suspended) {
        r->suspended = 1;
        MHD_suspend_connection(r->mhd);
    }
}

void req_resume(struct req *r)
{
    if (r->suspended) {
        r->suspended = 0;
        MHD_resume_connection(r->mhd);
        the_server->resumed = 1;
    }
}

char *req_query(struct req *r, const char *name)
{
    const char *v =
        MHD_lookup_connection_value(r->mhd, MHD_GET_ARGUMENT_KIND, name);
    return v ? url_decode(v, strlen(v), 1) : NULL;
}

void server_cors(struct req *r, struct MHD_Response *resp)
{
    if (!r->cors)
        return;
    const char *origin =
        MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Origin");
    if (!origin)
        return;
    /* Echo the origin: "*" is not allowed with credentials (§3.7). */
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(resp, "Access-Control-Allow-Credentials", "true");
    MHD_add_response_header(resp, "Vary", "Origin");
}

enum MHD_Result server_reply(struct req *r, unsigned status,
                             const char *content_type, const char *body,
                             size_t len, const char *error_code)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    if (content_type)
        MHD_add_response_header(resp, "Content-Type", content_type);
    if (error_code)
        MHD_add_response_header(resp, "x-ms-error-code", error_code);
    server_cors(r, resp);
    enum MHD_Result ret = MHD_queue_response(r->mhd, status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    return ret;
}

enum MHD_Result server_reply_json(struct req *r, unsigned status,
                                  struct json_object *o)
{
    size_t n = 0;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    return server_reply(r, status, "application/json", s, n, NULL);
}

enum MHD_Result server_reply_error(struct req *r, unsigned status,
                                   const char *error_code, const char *fmt,
                                   ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    if (error_code)
        json_object_object_add(o, "code", json_object_new_string(error_code));
    size_t n = 0;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    if (r->rest)
        memcpy(r->error, msg, sizeof r->error);
    else if (status >= 500)
        log_error("%u %s", status, msg);
    else
        log_info("%u %s", status, msg);
    enum MHD_Result ret =
        server_reply(r, status, "application/json", s, n, error_code);
    json_object_put(o);
    return ret;
}

/* Keep the path as sent: segments are decoded after splitting (rest.c),
 * and query values when read (req_query). */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    if (!log_enabled(LOG_DEBUG))
        return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_debug("libmicrohttpd: %s", line);
}

static int is_client_path(const char *url)
{
    return strncmp(url, "/client", 7) == 0 && (url[7] == '/' || !url[7]);
}

static enum MHD_Result dispatch(struct server *s, struct req *r,
                                const char *url, const char *method)
{
    if (is_client_path(url))
        return client_handle(s, r, url, method);
    if (strncmp(url, "/api/", 5) == 0) {
        r->rest = 1;
        enum MHD_Result ret = rest_handle(s, r, url, method);
        if (r->error[0])
            log_info("REST %s %s %u: %s", method, url, r->status, r->error);
        else
            log_info("REST %s %s %u", method, url, r->status);
        return ret;
    }
    return server_reply_error(r, 404, NULL, "no such endpoint: %s", url);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *mc,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **req_cls)
{
    struct server *s = cls;
    struct req *r = *req_cls;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        r->mhd = mc;
        r->cors = is_client_path(url);
        r->started_ms = s->now_ms;
        buf_init(&r->body, LIMIT_USER_BODY);
        *req_cls = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_big && buf_append(&r->body, upload, *upload_size) < 0) {
            r->too_big = 1;
            buf_release(&r->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(s, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct req *r = *req_cls;
    if (!r)
        return;
    struct conn *c = r->conn;
    if (c) {
        if (c->stream == r) {
            c->stream = NULL;
            conn_abort(c, "event stream closed");
        }
        if (c->poll == r) {
            c->poll = NULL;
            c->poll_end_ms = s->now_ms;
        }
    }
    buf_release(&r->body);
    free(r);
    *req_cls = NULL;
}

static void on_mhd_event(struct watch *w, uint32_t events)
{
    /* MHD_run is called once per loop turn after all events. */
}

static void on_signal(struct watch *w, uint32_t events)
{
    struct signalfd_siginfo si;
    struct server *s = the_server;
    while (read(w->fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (!s->stopping) {
            log_info("signal %u: closing clients and stopping",
                     (unsigned)si.ssi_signo);
            s->stopping = 1;
            s->stop_deadline_ms = s->now_ms + SERVER_STOP_GRACE_MS;
            for (struct conn *c = s->all; c; c = c->next) {
                if (c->state == CONN_OPEN)
                    conn_close(c, "Service is shutting down.", 1);
                else if (c->state != CONN_CLOSING)
                    conn_abort(c, "service stopping");
            }
        }
    }
}

/* One daemon on a listening socket we opened (util/listen.h). */
static struct MHD_Daemon *start_daemon(struct server *s, int fd)
{
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_UPGRADE |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, s, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVER_CONN_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVER_HTTP_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_CONN_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
}

int server_start(struct server *s, const struct server_config *cfg)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->epfd = -1;
    s->sig_watch.fd = -1;
    the_server = s;
    s->now_ms = server_now_ms();
    s->last_sweep_ms = s->now_ms;

    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    s->sig_watch.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    s->sig_watch.on_event = on_signal;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0 || s->sig_watch.fd < 0)
        return log_error("epoll/signalfd: %s", strerror(errno));
    if (server_watch(s, &s->sig_watch, 0) < 0)
        return log_error("epoll_ctl: %s", strerror(errno));

    struct listen_set ls;
    char err[256];
    if (listen_open(&ls, cfg->bind, cfg->port, SERVER_LISTEN_BACKLOG, err,
                    sizeof err) < 0)
        return log_error("%s", err);
    if (ls.note[0])
        log_info("%s", ls.note);
    s->port = ls.port;
    for (size_t i = 0; i < ls.n; i++) {
        struct MHD_Daemon *d = start_daemon(s, ls.fd[i]);
        if (!d) {
            listen_close(&ls);
            return log_error("libmicrohttpd cannot start on %s:%d",
                             ls.host[i], ls.port);
        }
        ls.fd[i] = -1; /* the daemon's now */
        s->mhd[s->nmhd] = d;
        snprintf(s->host[s->nmhd], sizeof s->host[s->nmhd], "%s",
                 ls.host[i]);
        s->nmhd++;
        const union MHD_DaemonInfo *ei =
            MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
        if (!ei) {
            listen_close(&ls);
            return log_error("libmicrohttpd gave no epoll fd");
        }
        struct watch *w = &s->mhd_watch[s->nmhd - 1];
        w->fd = ei->epoll_fd;
        w->on_event = on_mhd_event;
        if (server_watch(s, w, 0) < 0) {
            listen_close(&ls);
            return log_error("epoll_ctl: %s", strerror(errno));
        }
    }

    s->reg = registry_new();
    s->by_token = strmap_new();
    static const char ping[] = "{\"type\":6}" HUBPROTO_RS_STR;
    s->ping_frame = ws_frame_text(ping, sizeof ping - 1);
    return 0;
}

/* Run every daemon once. */
static void run_mhd(struct server *s)
{
    for (size_t i = 0; i < s->nmhd; i++)
        MHD_run(s->mhd[i]);
}

static int next_timeout(struct server *s)
{
    if (s->resumed)
        return 0;
    long long until_sweep = SERVER_SWEEP_MS - (s->now_ms - s->last_sweep_ms);
    if (until_sweep < 0)
        until_sweep = 0;
    for (size_t i = 0; i < s->nmhd; i++) {
        MHD_UNSIGNED_LONG_LONG mt = 0;
        if (MHD_get_timeout(s->mhd[i], &mt) == MHD_YES &&
            (long long)mt < until_sweep)
            until_sweep = (long long)mt;
    }
    for (size_t i = 0; i < s->ntimers; i++) {
        long long due = s->timers[i]->due_ms;
        if (due >= 0 && due - s->now_ms < until_sweep)
            until_sweep = due > s->now_ms ? due - s->now_ms : 0;
    }
    return (int)until_sweep;
}

int server_run(struct server *s)
{
    struct epoll_event evs[SERVER_MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(s->epfd, evs, SERVER_MAX_EVENTS, next_timeout(s));
        if (n < 0 && errno != EINTR)
            return log_error("epoll_wait: %s", strerror(errno));
        s->now_ms = server_now_ms();
        for (int i = 0; i < n; i++) {
            struct watch *w = evs[i].data.ptr;
            w->on_event(w, evs[i].events);
        }
        run_timers(s);
        run_mhd(s);
        /* A resume inside MHD_run is only acted on by the next one. */
        for (int i = 0; s->resumed && i < 8; i++) {
            s->resumed = 0;
            run_mhd(s);
        }
        /* Everything this turn queued on WebSockets: one writev each. */
        conn_flush_all(s);
        if (s->now_ms - s->last_sweep_ms >= SERVER_SWEEP_MS) {
            s->last_sweep_ms = s->now_ms;
            conn_sweep(s);
            registry_expire(s->reg, server_wall_s());
        }
        conn_reap_all(s); /* flushes what the sweep queued (pings, Close) */
        if (s->stopping) {
            int open = 0;
            for (struct conn *c = s->all; c; c = c->next)
                open += c->state != CONN_DEAD;
            if (!open || s->now_ms > s->stop_deadline_ms)
                break;
        }
    }
    /* Whatever is left ends now; let MHD finish the resumed requests. */
    for (struct conn *c = s->all; c; c = c->next)
        conn_abort(c, "service stopped");
    conn_reap_all(s);
    for (int i = 0; i < 3; i++)
        run_mhd(s);
    /* Those last runs may have ended requests that held connections. */
    for (struct conn *c = s->all; c; c = c->next)
        conn_abort(c, "service stopped");
    conn_reap_all(s);
    return 0;
}

void server_stop(struct server *s)
{
    for (size_t i = 0; i < s->nmhd; i++)
        MHD_stop_daemon(s->mhd[i]);
    s->nmhd = 0;
    msg_unref(s->ping_frame);
    s->ping_frame = NULL;
    free(s->dirty);
    s->dirty = NULL;
    s->ndirty = s->dirty_cap = 0;
    registry_free(s->reg);
    s->reg = NULL;
    strmap_free(s->by_token);
    s->by_token = NULL;
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->sig_watch.fd >= 0)
        close(s->sig_watch.fd);
    s->epfd = s->sig_watch.fd = -1;
}
