/* conn.c - a client connection's life and hub protocol (see conn.h). */
#include "conn.h"

#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "emulator/limits.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const struct conn_hooks *hooks;

void conn_set_hooks(const struct conn_hooks *h)
{
    hooks = h;
}

const char *conn_transport_name(enum conn_transport t)
{
    switch (t) {
    case CONN_WS:
        return "WebSockets";
    case CONN_SSE:
        return "ServerSentEvents";
    case CONN_LP:
        return "LongPolling";
    default:
        return "none";
    }
}

/* 16 random bytes as base64url without padding: 22 URL-safe chars. */
static int random_id(char out[CONN_ID_LEN + 1])
{
    unsigned char raw[16];
    char b64[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    EVP_EncodeBlock((unsigned char *)b64, raw, sizeof raw);
    for (int i = 0; i < CONN_ID_LEN; i++)
        out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    out[CONN_ID_LEN] = '\0';
    return 0;
}

struct conn *conn_new(struct server *s, const char *hub, const char *user,
                      int same_token)
{
    struct conn *c = xcalloc(1, sizeof *c);
    if (random_id(c->id) < 0 || random_id(c->token) < 0) {
        free(c);
        return NULL;
    }
    if (same_token)
        memcpy(c->token, c->id, sizeof c->token);
    c->watch.fd = -1;
    c->hub = xstrdup(hub);
    for (char *p = c->hub; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    c->user = user ? xstrdup(user) : NULL;
    c->state = CONN_NEGOTIATED;
    c->born_ms = s->now_ms;
    hubproto_reader_init(&c->reader, LIMIT_CLIENT_MESSAGE);
    buf_init(&c->out, LIMIT_CONN_SENDBUF);
    strmap_put(s->by_token, c->token, c);
    c->next = s->all;
    if (s->all)
        s->all->prev = c;
    s->all = c;
    return c;
}

struct conn *conn_by_token(struct server *s, const char *token)
{
    struct conn *c = strmap_get(s->by_token, token);
    return c && c->state != CONN_DEAD ? c : NULL;
}

static void update_watch(struct conn *c)
{
    if (c->transport != CONN_WS || c->state == CONN_DEAD)
        return;
    int want = ws_want_write(c->ws);
    if (want != c->watching_out) {
        server_watch_mod(server_get(), &c->watch, want);
        c->watching_out = want;
    }
}

static void on_ws_event(struct watch *w, uint32_t events)
{
    struct conn *c = (struct conn *)w;
    if (c->state == CONN_DEAD)
        return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (ws_on_readable(c->ws) < 0) {
            conn_abort(c, c->state == CONN_CLOSING ? "closed"
                                                   : "client went away");
            return;
        }
    }
    if (c->state != CONN_DEAD && (events & EPOLLOUT)) {
        if (ws_on_writable(c->ws) < 0) {
            conn_abort(c, "write failed");
            return;
        }
    }
    if (c->state == CONN_CLOSING && ws_closed(c->ws)) {
        conn_abort(c, "closed");
        return;
    }
    update_watch(c);
}

static void on_ws_message(void *owner, const char *p, size_t n)
{
    struct conn *c = owner;
    if (log_enabled(LOG_DEBUG))
        log_debug("frame in id=%s bytes=%zu", c->id, n);
    conn_input(c, p, n);
}

static int attach(struct conn *c, enum conn_transport t)
{
    if (c->state != CONN_NEGOTIATED)
        return -1;
    struct server *s = server_get();
    c->transport = t;
    c->state = CONN_HANDSHAKE;
    c->attached_ms = c->last_in_ms = c->last_out_ms = s->now_ms;
    return 0;
}

int conn_attach_ws(struct conn *c, int fd, const char *extra,
                   size_t extra_len, struct MHD_UpgradeResponseHandle *urh)
{
    if (attach(c, CONN_WS) < 0)
        return -1;
    struct server *s = server_get();
    /* Our own descriptor of the socket, so that libmicrohttpd can free its
     * connection and memory pool now rather than when the client leaves.
     * Its UPGRADE_ACTION_CLOSE (non-TLS) closes its descriptor without
     * shutting the socket down, so ours keeps working. Without a
     * duplicate, keep libmicrohttpd's socket and handle until the reap. */
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (nfd < 0) {
        log_warn("dup of a WebSocket failed (%s): libmicrohttpd keeps it "
                 "id=%s", strerror(errno), c->id);
        c->urh = urh;
        nfd = fd;
    }
    /* Frames are whole messages written once per loop turn: Nagle would
     * only hold a small frame (a Completion right after a broadcast)
     * until the client's delayed ACK, ~40 ms. */
    int one = 1;
    setsockopt(nfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* ws_new copies extra (libmicrohttpd's buffer) before it is freed. */
    c->ws = ws_new(nfd, extra, extra_len, on_ws_message, c);
    if (!c->urh) {
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        s->resumed = 1; /* MHD frees the connection on its next run */
    }
    c->watch.fd = nfd;
    c->watch.on_event = on_ws_event;
    if (server_watch(s, &c->watch, 0) < 0) {
        conn_abort(c, "cannot watch the socket");
        return 0;
    }
    if (extra_len)
        on_ws_event(&c->watch, EPOLLIN);
    return 0;
}

int conn_attach_sse(struct conn *c, struct req *stream)
{
    if (attach(c, CONN_SSE) < 0)
        return -1;
    c->stream = stream;
    stream->conn = c;
    /* A comment line first: some browsers fire onopen only on data. */
    buf_puts(&c->out, ":\r\n");
    return 0;
}

int conn_attach_lp(struct conn *c)
{
    return attach(c, CONN_LP);
}

void conn_wake(struct conn *c)
{
    if (c->stream && c->stream->suspended)
        req_resume(c->stream);
    if (c->poll && c->poll->suspended)
        req_resume(c->poll);
}

/* Queue bytes on the transport whatever the state (Close and handshake
 * replies go out while not open). */
static int send_raw(struct conn *c, const char *rec, size_t n,
                    struct msg **frame)
{
    struct server *s = server_get();
    int rc = 0;
    switch (c->transport) {
    case CONN_WS:
        /* Queued only: conn_flush_all writes each socket once per turn. */
        if (frame && !*frame)
            *frame = ws_frame_text(rec, n);
        rc = frame ? ws_queue_frame(c->ws, *frame)
                   : ws_queue_text(c->ws, rec, n);
        /* Full of this turn's frames: write what the socket takes now and
         * try once more, so that batching never drops a client that the
         * kernel's buffer would have kept (the cap is on what waits). */
        if (rc < 0 && ws_want_write(c->ws) && ws_on_writable(c->ws) == 0)
            rc = frame ? ws_queue_frame(c->ws, *frame)
                       : ws_queue_text(c->ws, rec, n);
        if (rc == 0 && !c->dirty) {
            if (s->ndirty == s->dirty_cap) {
                s->dirty_cap = s->dirty_cap ? s->dirty_cap * 2 : 64;
                s->dirty = xrealloc(s->dirty, s->dirty_cap * sizeof *s->dirty);
            }
            s->dirty[s->ndirty++] = c;
            c->dirty = 1;
        }
        break;
    case CONN_SSE:
        /* SSE framing (ASP.NET Core ServerSentEventsMessageFormatter):
         * records never hold raw newlines, so one data line. */
        if (buf_puts(&c->out, "data: ") < 0 || buf_append(&c->out, rec, n) < 0 ||
            buf_puts(&c->out, "\r\n\r\n") < 0)
            rc = -1;
        conn_wake(c);
        break;
    case CONN_LP:
        rc = buf_append(&c->out, rec, n);
        conn_wake(c);
        break;
    default:
        return -1;
    }
    if (rc < 0) {
        conn_abort(c, "send buffer full (client not reading)");
        return -1;
    }
    c->last_out_ms = s->now_ms;
    if (log_enabled(LOG_DEBUG))
        log_debug("frame out id=%s bytes=%zu", c->id, n);
    return 0;
}

int conn_send(struct conn *c, const char *records, size_t n,
              struct msg **frame)
{
    if (c->state != CONN_OPEN)
        return -1;
    return send_raw(c, records, n, frame);
}

static void unregister(struct conn *c)
{
    if (!c->registered)
        return;
    struct hub *h = registry_hub(server_get()->reg, c->hub, 0);
    if (h)
        hub_conn_remove(h, c->id);
    c->registered = 0;
}

/* The transport's own end once nothing more is to be said. */
static void end_transport(struct conn *c)
{
    struct server *s = server_get();
    c->state = CONN_CLOSING;
    c->closing_ms = s->now_ms;
    switch (c->transport) {
    case CONN_WS:
        ws_close(c->ws, 1000, NULL);
        update_watch(c);
        break;
    case CONN_SSE:
        if (c->stream)
            c->stream->ended = 1;
        conn_wake(c);
        break;
    case CONN_LP:
        conn_wake(c);
        break;
    default:
        conn_abort(c, "closed before connecting");
        break;
    }
}

void conn_close(struct conn *c, const char *error, int allow_reconnect)
{
    if (c->state == CONN_CLOSING || c->state == CONN_DEAD)
        return;
    if (c->state == CONN_NEGOTIATED) {
        conn_abort(c, error ? error : "closed");
        return;
    }
    unregister(c);
    if (error && !c->error && !server_get()->stopping)
        c->error = xstrdup(error);
    if (c->state == CONN_OPEN) {
        struct buf b;
        buf_init(&b, LIMIT_CONN_SENDBUF);
        hubproto_write_close(&b, error, allow_reconnect);
        int rc = send_raw(c, b.data, b.len, NULL);
        buf_release(&b);
        if (rc < 0)
            return;
    }
    log_info("client closing hub=%s id=%s reason=%s", c->hub, c->id,
             error ? error : "none");
    end_transport(c);
}

void conn_abort(struct conn *c, const char *why)
{
    if (c->state == CONN_DEAD)
        return;
    struct server *s = server_get();
    if (c->state != CONN_NEGOTIATED)
        log_info("client disconnected hub=%s id=%s transport=%s reason=%s",
                 c->hub, c->id, conn_transport_name(c->transport), why);
    /* Still in the hub until reaped: a fan-out may be iterating it. */
    c->state = CONN_DEAD;
    if (c->transport == CONN_WS && c->watch.fd >= 0) {
        server_unwatch(s, &c->watch);
        if (!c->urh)
            close(c->watch.fd); /* our dup; MHD's is closed at the reap */
        c->watch.fd = -1;
    }
    if (c->stream) {
        c->stream->conn = NULL;
        c->stream->ended = 1;
        if (c->stream->suspended)
            req_resume(c->stream);
        c->stream = NULL;
    }
    if (c->poll) {
        c->poll->conn = NULL;
        if (c->poll->suspended)
            req_resume(c->poll);
        c->poll = NULL;
    }
    c->reap_next = s->reap;
    s->reap = c;
}

void conn_flush_all(struct server *s)
{
    /* Nothing below queues a frame, so the list does not grow meanwhile;
     * the index is re-read anyway. */
    for (size_t i = 0; i < s->ndirty; i++) {
        struct conn *c = s->dirty[i];
        c->dirty = 0;
        if (c->state == CONN_DEAD)
            continue;
        if (ws_on_writable(c->ws) < 0) {
            conn_abort(c, "write failed");
            continue;
        }
        if (c->state == CONN_CLOSING && ws_closed(c->ws)) {
            conn_abort(c, "closed");
            continue;
        }
        update_watch(c);
    }
    s->ndirty = 0;
}

void conn_reap_all(struct server *s)
{
    /* Empty the dirty list first: it must never hold a freed connection. */
    conn_flush_all(s);
    while (s->reap) {
        struct conn *c = s->reap;
        s->reap = c->reap_next;
        unregister(c);
        if (c->was_open && hooks && hooks->on_disconnected)
            hooks->on_disconnected(c);
        if (strmap_get(s->by_token, c->token) == c)
            strmap_del(s->by_token, c->token);
        if (c->prev)
            c->prev->next = c->next;
        else
            s->all = c->next;
        if (c->next)
            c->next->prev = c->prev;
        ws_free(c->ws);
        if (c->urh) {
            MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
            s->resumed = 1; /* MHD closes the socket on its next run */
        }
        hubproto_reader_release(&c->reader);
        buf_release(&c->out);
        free(c->hub);
        free(c->user);
        free(c->claims);
        free(c->query);
        free(c->error);
        free(c);
    }
}

static void handshake(struct conn *c, const char *rec, size_t len)
{
    char err[256];
    struct buf b;
    buf_init(&b, 1024);
    if (hubproto_handshake_check(rec, len, err, sizeof err) < 0) {
        hubproto_write_handshake(&b, err);
        send_raw(c, b.data, b.len, NULL);
        buf_release(&b);
        log_warn("handshake refused hub=%s id=%s: %s", c->hub, c->id, err);
        if (c->state != CONN_DEAD)
            end_transport(c);
        return;
    }
    hubproto_write_handshake(&b, NULL);
    int rc = send_raw(c, b.data, b.len, NULL);
    buf_release(&b);
    if (rc < 0)
        return;
    struct hub *h = registry_hub(server_get()->reg, c->hub, 1);
    if (hub_conn_add(h, c->id, c->user, c) < 0) {
        conn_abort(c, "duplicate connection id");
        return;
    }
    c->registered = 1;
    c->was_open = 1;
    c->state = CONN_OPEN;
    log_info("client connected hub=%s id=%s user=%s transport=%s", c->hub,
             c->id, c->user ? c->user : "(anonymous)",
             conn_transport_name(c->transport));
    if (hooks && hooks->on_connected)
        hooks->on_connected(c);
}

static void message(struct conn *c, const char *rec, size_t len)
{
    struct hubproto_msg m;
    char err[160];
    if (hubproto_parse(rec, len, &m, err, sizeof err) < 0) {
        log_warn("bad hub message hub=%s id=%s: %s", c->hub, c->id, err);
        conn_close(c, "Connection closed with an error.", 0);
        return;
    }
    switch (m.type) {
    case HUBPROTO_PING:
        break;
    case HUBPROTO_CLOSE:
        unregister(c);
        log_info("client sent close hub=%s id=%s", c->hub, c->id);
        end_transport(c);
        break;
    case HUBPROTO_INVOCATION:
        if (hooks && hooks->on_invocation)
            hooks->on_invocation(c, &m, rec, len);
        else
            log_debug("invocation ignored (no upstream) hub=%s id=%s",
                      c->hub, c->id);
        break;
    default:
        /* Completions, stream items, cancels, acks: consumed silently, as
         * the service does in serverless mode (§3.6). Unknown numeric
         * types are tolerated for forward compatibility. */
        break;
    }
    hubproto_msg_release(&m);
}

void conn_input(struct conn *c, const char *p, size_t n)
{
    if (c->state != CONN_HANDSHAKE && c->state != CONN_OPEN)
        return;
    c->last_in_ms = server_get()->now_ms;
    if (hubproto_reader_feed(&c->reader, p, n) < 0) {
        log_warn("client message over %u bytes hub=%s id=%s",
                 LIMIT_CLIENT_MESSAGE, c->hub, c->id);
        conn_close(c, "Message too large.", 0);
        return;
    }
    const char *rec;
    size_t len;
    while ((c->state == CONN_HANDSHAKE || c->state == CONN_OPEN) &&
           hubproto_reader_next(&c->reader, &rec, &len)) {
        if (c->state == CONN_HANDSHAKE)
            handshake(c, rec, len);
        else
            message(c, rec, len);
    }
}

void conn_sweep(struct server *s)
{
    static const char ping[] = "{\"type\":6}" HUBPROTO_RS_STR;
    long long now = s->now_ms;
    for (struct conn *c = s->all; c; c = c->next) {
        switch (c->state) {
        case CONN_NEGOTIATED:
            if (now - c->born_ms > CONN_NEGOTIATE_TTL_MS)
                conn_abort(c, "never connected");
            break;
        case CONN_HANDSHAKE:
            if (now - c->attached_ms > LIMIT_HANDSHAKE_MS)
                conn_abort(c, "no handshake within 15 s");
            break;
        case CONN_OPEN:
            if (c->transport == CONN_LP) {
                if (!c->poll && now - c->poll_end_ms > CONN_LP_MAX_GAP_MS)
                    conn_abort(c, "long polling client stopped polling");
                else if (c->poll && now - c->poll->started_ms >= CONN_LP_HOLD_MS)
                    conn_wake(c);
                break;
            }
            if (now - c->last_in_ms > LIMIT_CLIENT_TIMEOUT_MS) {
                conn_close(c, "Server timeout elapsed without receiving a "
                              "message from the client.", 0);
                break;
            }
            if (now - c->last_out_ms >= LIMIT_KEEPALIVE_MS) {
                if (c->transport == CONN_WS) {
                    struct msg *f = s->ping_frame;
                    send_raw(c, ping, sizeof ping - 1, &f);
                } else {
                    send_raw(c, ping, sizeof ping - 1, NULL);
                }
            }
            break;
        case CONN_CLOSING:
            if (now - c->closing_ms > CONN_CLOSE_GRACE_MS)
                conn_abort(c, "closed");
            break;
        case CONN_DEAD:
            break;
        }
    }
}
