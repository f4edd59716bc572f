/* http.c - libmicrohttpd in the loop, requests and replies (see http.h). */
#include "http.h"

#include <stdlib.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emulator/limits.h"
#include "emulator/tls.h"
#include "util/limits.h"
#include "util/listen.h"
#include "util/log.h"
#include "util/url.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* High enough for 10,000+ WebSockets; the real bound is RLIMIT_NOFILE. */
#define HTTP_CONN_LIMIT 200000
#define HTTP_TIMEOUT_S 120
#define HTTP_LISTEN_BACKLOG 4096
/* Per-connection memory of libmicrohttpd (headers + I/O buffers); it must
 * hold LIMIT_REST_HEADERS of request headers. A WebSocket gives it back at
 * the upgrade (conn_attach_ws), so only HTTP requests in flight hold it. */
#define HTTP_CONN_MEMORY (LIMIT_REST_HEADERS + 4u * 1024u)
/* Runs of the daemons in one turn while they resume requests. */
#define HTTP_MAX_RERUNS 8
/* Connections accepted per readiness of a TLS listening socket, so one
 * busy socket does not starve the turn. */
#define HTTP_ACCEPT_BATCH 64
/* At most this long at shutdown for the TLS relays to send what they hold
 * (a client that does not read is not waited for longer). */
#define HTTP_TLS_DRAIN_MS 1000

struct http;

/* A listening socket of ours in TLS mode (libmicrohttpd gets the
 * decrypted side of each connection, never the socket). */
struct http_listener {
    struct loop_watch watch; /* first: the callback casts back */
    struct http *h;
    size_t i; /* the daemon it feeds */
};

struct http {
    struct loop *loop; /* borrowed */
    http_request_fn on_request;
    http_done_fn on_done;
    void *arg;
    /* One daemon per listening socket, sharing every callback. */
    struct MHD_Daemon *mhd[LISTEN_MAX];
    struct loop_watch watch[LISTEN_MAX];
    char host[LISTEN_MAX][48];
    size_t n;
    int port;
    int woken;       /* work that no descriptor announces: run again at once */
    struct tls *tls; /* NULL: plain HTTP */
    struct http_listener lis[LISTEN_MAX]; /* TLS mode: the sockets */
};

void http_req_suspend(struct http_req *r)
{
    if (!r->suspended) {
        r->suspended = 1;
        MHD_suspend_connection(r->mhd);
    }
}

void http_req_resume(struct http_req *r)
{
    if (r->suspended) {
        r->suspended = 0;
        MHD_resume_connection(r->mhd);
        http_wake(r->http);
    }
}

char *http_req_query(struct http_req *r, const char *name)
{
    const char *v =
        MHD_lookup_connection_value(r->mhd, MHD_GET_ARGUMENT_KIND, name);
    return v ? url_decode(v, strlen(v), 1) : NULL;
}

void http_cors(struct http_req *r, struct MHD_Response *resp)
{
    if (!r->cors)
        return;
    const char *origin =
        MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Origin");
    if (!origin)
        return;
    /* Echo the origin: "*" is not allowed with credentials. */
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(resp, "Access-Control-Allow-Credentials", "true");
    MHD_add_response_header(resp, "Vary", "Origin");
}

enum MHD_Result http_reply(struct http_req *r, unsigned status,
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
    http_cors(r, resp);
    enum MHD_Result ret = MHD_queue_response(r->mhd, status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    return ret;
}

enum MHD_Result http_reply_json(struct http_req *r, unsigned status,
                                struct json_object *o)
{
    size_t n = 0;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    return http_reply(r, status, "application/json", s, n, NULL);
}

enum MHD_Result http_reply_error(struct http_req *r, unsigned status,
                                 const char *error_code, const char *fmt, ...)
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
        http_reply(r, status, "application/json", s, n, error_code);
    json_object_put(o);
    return ret;
}

/* Keep the path as sent: segments are decoded after splitting (rest.c),
 * and query values when read (http_req_query). */
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

static enum MHD_Result on_access(void *cls, struct MHD_Connection *mc,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **req_cls)
{
    struct http *h = cls;
    struct http_req *r = *req_cls;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        r->mhd = mc;
        r->http = h;
        r->started_ms = h->loop->now_ms;
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
    return h->on_request(h->arg, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http *h = cls;
    struct http_req *r = *req_cls;
    if (!r)
        return;
    h->on_done(h->arg, r);
    buf_release(&r->body);
    free(r);
    *req_cls = NULL;
}

static void on_mhd_event(struct loop_watch *w, uint32_t events)
{
    /* http_run is called once per loop turn after all events. */
}

/* Which scheme a connection came in by: its socket context is its
 * daemons' struct http (set when libmicrohttpd takes the connection). */
static void on_connection(void *cls, struct MHD_Connection *mc,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        *socket_context = cls;
}

const char *http_scheme(const struct http *h)
{
    return h->tls ? "https" : "http";
}

const char *http_conn_scheme(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const struct http *h = ci ? ci->socket_context : NULL;
    return h ? http_scheme(h) : "http";
}

/* One daemon on a listening socket of ours (util/listen.h), or, with TLS
 * (fd < 0), on none: it is handed each connection's decrypted side. */
static struct MHD_Daemon *start_daemon(struct http *h, int fd)
{
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_UPGRADE |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (fd < 0)
        return MHD_start_daemon(
            flags | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, on_access, h,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_LIMIT,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
            MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, h, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
}

/* "ADDR:PORT" of a peer, for log lines. */
static void peer_name(const struct sockaddr_storage *ss, char *out, size_t len)
{
    char a[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)ss;
        inet_ntop(AF_INET, &in->sin_addr, a, sizeof a);
        port = ntohs(in->sin_port);
        snprintf(out, len, "%s:%d", a, port);
    } else {
        const struct sockaddr_in6 *in6 = (const void *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
        port = ntohs(in6->sin6_port);
        snprintf(out, len, "[%s]:%d", a, port);
    }
}

/* TLS mode: accept what is waiting, put a relay (tls.h) in front of each
 * connection and hand its decrypted side to the daemon. */
static void on_listen_event(struct loop_watch *w, uint32_t events)
{
    struct http_listener *li = (struct http_listener *)w;
    struct http *h = li->h;
    for (int k = 0; k < HTTP_ACCEPT_BATCH; k++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(w->fd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED)
                log_warn("accept: %s", strerror(errno));
            return;
        }
        char peer[80];
        peer_name(&ss, peer, sizeof peer);
        int pfd = tls_accept(h->tls, fd, peer);
        if (pfd < 0)
            continue;
        /* On failure libmicrohttpd closes pfd; the relay sees its end. */
        if (MHD_add_connection(h->mhd[li->i], pfd, (struct sockaddr *)&ss,
                               sl) != MHD_YES)
            log_warn("libmicrohttpd refused a connection from %s", peer);
        http_wake(h);
    }
}

/* Start a daemon on ls's socket i and watch it; the socket is the
 * daemon's once started. */
static int add_daemon(struct http *h, struct listen_set *ls, size_t i)
{
    struct MHD_Daemon *d = start_daemon(h, h->tls ? -1 : ls->fd[i]);
    if (!d)
        return log_error("libmicrohttpd cannot start on %s:%d", ls->host[i],
                         ls->port);
    if (h->tls) {
        struct http_listener *li = &h->lis[h->n];
        li->h = h;
        li->i = h->n;
        li->watch.fd = ls->fd[i];
        li->watch.on_event = on_listen_event;
        if (loop_watch(h->loop, &li->watch, 0) < 0) {
            MHD_stop_daemon(d);
            li->watch.fd = -1;
            return log_error("epoll_ctl: %s", strerror(errno));
        }
    }
    ls->fd[i] = -1;
    h->mhd[h->n] = d;
    snprintf(h->host[h->n], sizeof h->host[h->n], "%s", ls->host[i]);
    struct loop_watch *w = &h->watch[h->n];
    h->n++;
    const union MHD_DaemonInfo *ei =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!ei)
        return log_error("libmicrohttpd gave no epoll fd");
    w->fd = ei->epoll_fd;
    w->on_event = on_mhd_event;
    if (loop_watch(h->loop, w, 0) < 0)
        return log_error("epoll_ctl: %s", strerror(errno));
    return 0;
}

struct http *http_start(struct loop *l, const char *bind, int port,
                        const struct http_tls_files *tls,
                        http_request_fn on_request, http_done_fn on_done,
                        void *arg)
{
    struct listen_set ls;
    char err[256];
    struct tls *t = NULL;
    if (tls && !(t = tls_new(l, tls->cert, tls->key)))
        return NULL;
    if (listen_open(&ls, bind, port, HTTP_LISTEN_BACKLOG, err, sizeof err) <
        0) {
        log_error("%s", err);
        tls_free(t);
        return NULL;
    }
    if (ls.note[0])
        log_info("%s", ls.note);
    struct http *h = xcalloc(1, sizeof *h);
    h->loop = l;
    h->on_request = on_request;
    h->on_done = on_done;
    h->arg = arg;
    h->port = ls.port;
    h->tls = t;
    for (size_t i = 0; i < LISTEN_MAX; i++)
        h->lis[i].watch.fd = -1;
    for (size_t i = 0; i < ls.n; i++) {
        if (add_daemon(h, &ls, i) < 0) {
            listen_close(&ls);
            http_stop(h);
            return NULL;
        }
    }
    return h;
}

void http_stop(struct http *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < LISTEN_MAX; i++) {
        if (h->lis[i].watch.fd >= 0) {
            loop_unwatch(h->loop, &h->lis[i].watch);
            close(h->lis[i].watch.fd);
        }
    }
    for (size_t i = 0; i < h->n; i++)
        MHD_stop_daemon(h->mhd[i]);
    /* What the daemons wrote last (a stream's end, a Close) is still in
     * the relays. */
    tls_drain(h->tls, HTTP_TLS_DRAIN_MS);
    tls_free(h->tls);
    free(h);
}

int http_port(const struct http *h)
{
    return h->port;
}

size_t http_hosts(const struct http *h)
{
    return h->n;
}

const char *http_host(const struct http *h, size_t i)
{
    return h->host[i];
}

void http_wake(struct http *h)
{
    h->woken = 1;
}

long long http_timeout(const struct http *h, long long bound)
{
    if (h->woken)
        return 0;
    for (size_t i = 0; i < h->n; i++) {
        MHD_UNSIGNED_LONG_LONG mt = 0;
        if (MHD_get_timeout(h->mhd[i], &mt) == MHD_YES && (long long)mt < bound)
            bound = (long long)mt;
    }
    return bound;
}

void http_run_once(struct http *h)
{
    for (size_t i = 0; i < h->n; i++)
        MHD_run(h->mhd[i]);
}

void http_run(struct http *h)
{
    /* Relays that ended in the turn's events are freed before the
     * daemons run (none of them is named by an event any more). */
    tls_reap(h->tls);
    http_run_once(h);
    /* A resume inside MHD_run is only acted on by the next one. */
    for (int i = 0; h->woken && i < HTTP_MAX_RERUNS; i++) {
        h->woken = 0;
        http_run_once(h);
    }
}
