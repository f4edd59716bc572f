/* conn.c - a client connection's life and hub protocol (see conn.h). */
#include "conn.h"

#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "emulator/limits.h"
#include "emulator/strmap.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct conns {
    struct loop *loop;              /* borrowed: the clock, the watches */
    struct http *http;              /* borrowed: woken after a hand-back */
    struct registry *reg;           /* borrowed: the hubs */
    const struct conn_hooks *hooks; /* borrowed, may be NULL */
    void *hooks_arg;                /* given to every hook */
    struct strmap *by_token;        /* connectionToken -> struct conn (owned) */
    struct conn *all;               /* every live conn, for the timer sweep */
    struct conn *reap;              /* conns ended this turn, freed after it */
    struct conn **dirty; /* WebSockets with frames queued this turn */
    size_t ndirty, dirty_cap;
    struct msg *ping_frame;    /* shared WebSocket frame of {"type":6} */
    struct msg *mp_ping_frame; /* the same in MessagePack, a binary frame */
    int stopping;              /* conns_stop ran: no error kept for upstream */
    const struct conn_extras *extras; /* borrowed, may be NULL */
    long long reconnect_window_ms;    /* stateful reconnect's window */
    size_t replay_bytes;              /* and its buffer's byte bound */
};

static void transport_lost(struct conn *c, const char *why);
static int send_out(struct conn *c, struct hubout *o, int meter);
static void end_transport(struct conn *c);

static const char PING[] = "{\"type\":6}" HUBPROTO_RS_STR;
/* [6] with its length prefix: the MessagePack Ping. */
static const char MP_PING[] = "\x02\x91\x06";

struct conns *conns_new(struct loop *l, struct http *h, struct registry *reg)
{
    struct conns *t = xcalloc(1, sizeof *t);
    t->loop = l;
    t->http = h;
    t->reg = reg;
    t->by_token = strmap_new();
    t->ping_frame = ws_frame_text(PING, sizeof PING - 1);
    t->mp_ping_frame = ws_frame_binary(MP_PING, sizeof MP_PING - 1);
    t->reconnect_window_ms = CONN_RECONNECT_WINDOW_MS;
    t->replay_bytes = REPLAY_MAX_BYTES;
    return t;
}

void conns_free(struct conns *t)
{
    if (!t)
        return;
    msg_unref(t->ping_frame);
    msg_unref(t->mp_ping_frame);
    free(t->dirty);
    strmap_free(t->by_token);
    free(t);
}

void conns_set_hooks(struct conns *t, const struct conn_hooks *hooks, void *arg)
{
    t->hooks = hooks;
    t->hooks_arg = arg;
}

void conns_set_stateful(struct conns *t, long long window_ms, size_t max_bytes)
{
    t->reconnect_window_ms =
        window_ms > 0 ? window_ms : CONN_RECONNECT_WINDOW_MS;
    t->replay_bytes = max_bytes ? max_bytes : REPLAY_MAX_BYTES;
}

void conns_set_extras(struct conns *t, const struct conn_extras *x)
{
    t->extras = x;
}

size_t conns_connected(const struct conns *t)
{
    size_t n = 0;
    for (const struct conn *c = t->all; c; c = c->next)
        n += c->transport != CONN_NONE && c->state != CONN_DEAD;
    return n;
}

int conns_stopping(const struct conns *t)
{
    return t->stopping;
}

void conns_stop(struct conns *t)
{
    t->stopping = 1;
    for (struct conn *c = t->all; c; c = c->next) {
        if (c->state == CONN_OPEN)
            conn_close(c, "Service is shutting down.", 1);
        else if (c->state != CONN_CLOSING)
            conn_abort(c, "service stopping");
    }
}

size_t conns_live(const struct conns *t)
{
    size_t n = 0;
    for (const struct conn *c = t->all; c; c = c->next)
        n += c->state != CONN_DEAD;
    return n;
}

void conns_close_open(struct conns *t, const char *error, int allow_reconnect)
{
    for (struct conn *c = t->all; c; c = c->next)
        if (c->state == CONN_OPEN)
            conn_close(c, error, allow_reconnect);
}

void conns_abort_all(struct conns *t, const char *why)
{
    for (struct conn *c = t->all; c; c = c->next)
        conn_abort(c, why);
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

struct conn *conn_new(struct conns *t, const char *hub, const char *user,
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
    c->table = t;
    c->born_ms = t->loop->now_ms;
    hubproto_reader_init(&c->reader, LIMIT_CLIENT_MESSAGE);
    hubmsgpack_reader_init(&c->mpreader, LIMIT_CLIENT_MESSAGE);
    buf_init(&c->out, LIMIT_CONN_SENDBUF);
    replay_init(&c->replay, t->replay_bytes, 0);
    strmap_put(t->by_token, c->token, c);
    c->next = t->all;
    if (t->all)
        t->all->prev = c;
    t->all = c;
    return c;
}

struct conn *conn_by_token(struct conns *t, const char *token)
{
    struct conn *c = strmap_get(t->by_token, token);
    return c && c->state != CONN_DEAD ? c : NULL;
}

static void update_watch(struct conn *c)
{
    if (c->transport != CONN_WS || c->state == CONN_DEAD || !c->ws)
        return;
    int want = ws_want_write(c->ws);
    if (want != c->watching_out) {
        loop_watch_mod(c->table->loop, &c->watch, want);
        c->watching_out = want;
    }
}

static void on_ws_event(struct loop_watch *w, uint32_t events)
{
    struct conn *c = (struct conn *)w;
    if (c->state == CONN_DEAD)
        return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (ws_on_readable(c->ws) < 0) {
            if (c->state == CONN_CLOSING)
                conn_abort(c, "closed");
            else
                transport_lost(c, "client went away");
            return;
        }
    }
    if (c->state != CONN_DEAD && (events & EPOLLOUT)) {
        if (ws_on_writable(c->ws) < 0) {
            transport_lost(c, "write failed");
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
    c->transport = t;
    c->state = CONN_HANDSHAKE;
    c->attached_ms = c->last_in_ms = c->last_out_ms = c->table->loop->now_ms;
    return 0;
}

/* Take the upgraded socket (conn_attach_ws's contract); extra is copied
 * into the new ws, not read yet. Returns 0, or -1 when c was aborted. */
static int take_socket(struct conn *c, int fd, const char *extra,
                       size_t extra_len, struct MHD_UpgradeResponseHandle *urh)
{
    struct conns *t = c->table;
    /* Our own descriptor of the socket, so that libmicrohttpd can free its
     * connection and memory pool now rather than when the client leaves.
     * Its UPGRADE_ACTION_CLOSE (non-TLS) closes its descriptor without
     * shutting the socket down, so ours keeps working. Without a
     * duplicate, keep libmicrohttpd's socket and handle until the reap. */
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (nfd < 0) {
        log_warn("dup of a WebSocket failed (%s): libmicrohttpd keeps it "
                 "id=%s",
                 strerror(errno), c->id);
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
        http_wake(t->http); /* MHD frees the connection on its next run */
    }
    c->watch.fd = nfd;
    c->watch.on_event = on_ws_event;
    c->watching_out = 0;
    if (loop_watch(t->loop, &c->watch, 0) < 0) {
        conn_abort(c, "cannot watch the socket");
        return -1;
    }
    return 0;
}

int conn_attach_ws(struct conn *c, int fd, const char *extra, size_t extra_len,
                   struct MHD_UpgradeResponseHandle *urh)
{
    if (attach(c, CONN_WS) < 0)
        return -1;
    if (take_socket(c, fd, extra, extra_len, urh) == 0 && extra_len)
        on_ws_event(&c->watch, EPOLLIN);
    return 0;
}

/* Let the WebSocket go (a drop, or superseded by a resume): the socket is
 * closed, the queue with it; the connection stays as it is. */
static void detach_ws(struct conn *c)
{
    struct conns *t = c->table;
    if (c->watch.fd >= 0) {
        loop_unwatch(t->loop, &c->watch);
        if (!c->urh)
            close(c->watch.fd);
        c->watch.fd = -1;
    }
    if (c->urh) {
        MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
        http_wake(t->http);
        c->urh = NULL;
    }
    ws_free(c->ws);
    c->ws = NULL;
    c->watching_out = 0;
}

/* The WebSocket failed or ended without the peer's close frame: a
 * stateful connection waits for the client to come back (detached),
 * any other ends. */
static void transport_lost(struct conn *c, const char *why)
{
    if (!c->stateful || c->state != CONN_OPEN || c->detached ||
        c->table->stopping || (c->ws && ws_close_received(c->ws))) {
        conn_abort(c, why);
        return;
    }
    detach_ws(c);
    c->detached = 1;
    c->detached_ms = c->table->loop->now_ms;
    log_info("client transport lost hub=%s id=%s reason=%s: kept %lld ms "
             "for a stateful reconnect, %zu messages unacknowledged",
             c->hub, c->id, why, c->table->reconnect_window_ms,
             c->replay.messages);
}

int conn_resumable(const struct conn *c)
{
    return c->stateful && c->state == CONN_OPEN && c->transport == CONN_WS &&
           !c->table->stopping;
}

static void mark_dirty(struct conn *c);

int conn_resume_ws(struct conn *c, int fd, const char *extra, size_t extra_len,
                   struct MHD_UpgradeResponseHandle *urh)
{
    if (!conn_resumable(c))
        return -1;
    struct conns *t = c->table;
    int was_detached = c->detached;
    if (!was_detached)
        detach_ws(c); /* the old socket has not failed here yet */
    c->detached = 0;
    /* What the old socket left half-read is gone with it. */
    hubproto_reader_release(&c->reader);
    hubproto_reader_init(&c->reader, LIMIT_CLIENT_MESSAGE);
    hubmsgpack_reader_release(&c->mpreader);
    hubmsgpack_reader_init(&c->mpreader, LIMIT_CLIENT_MESSAGE);
    if (take_socket(c, fd, extra, extra_len, urh) < 0)
        return 0;
    c->last_in_ms = c->last_out_ms = t->loop->now_ms;
    replay_resumed(&c->replay);
    log_info("client resumed hub=%s id=%s: sequence %lld, %zu messages sent "
             "again%s",
             c->hub, c->id, replay_first(&c->replay), c->replay.messages,
             was_detached ? "" : " (the old WebSocket let go)");
    struct buf b;
    buf_init(&b, 256);
    hubproto_write_sequence_id(&b, HUBPROTO_SEQUENCE, replay_first(&c->replay));
    struct hubout o;
    hubout_init(&o, b.data, b.len);
    int rc = send_out(c, &o, 0);
    hubout_release(&o);
    buf_release(&b);
    for (size_t i = 0; rc == 0 && i < c->replay.n; i++) {
        struct msg *f = replay_at(&c->replay, i)->frame;
        if (ws_queue_frame(c->ws, f) < 0 &&
            (ws_on_writable(c->ws) < 0 || ws_queue_frame(c->ws, f) < 0)) {
            conn_abort(c, "send buffer full (replaying)");
            return 0;
        }
        mark_dirty(c);
    }
    if (rc == 0 && extra_len)
        on_ws_event(&c->watch, EPOLLIN);
    return 0;
}

int conn_attach_sse(struct conn *c, struct http_req *stream)
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
        http_req_resume(c->stream);
    if (c->poll && c->poll->suspended)
        http_req_resume(c->poll);
}

static void mark_dirty(struct conn *c)
{
    struct conns *t = c->table;
    if (c->dirty)
        return;
    if (t->ndirty == t->dirty_cap) {
        t->dirty_cap = t->dirty_cap ? t->dirty_cap * 2 : 64;
        t->dirty = xrealloc(t->dirty, t->dirty_cap * sizeof *t->dirty);
    }
    t->dirty[t->ndirty++] = c;
    c->dirty = 1;
}

/* How many numbered (replay.h) hub messages the bytes in c's protocol
 * hold. */
static unsigned sequenced(const struct conn *c, const char *p, size_t n)
{
    unsigned k = 0;
    struct hubproto_msg m;
    char err[160];
    size_t hdr, len;
    while (n) {
        if (c->binary) {
            if (hubmsgpack_frame(p, n, LIMIT_CONN_SENDBUF, &hdr, &len, err,
                                 sizeof err) != 1)
                break;
        } else {
            const char *rs = memchr(p, HUBPROTO_RS, n);
            hdr = 0;
            len = rs ? (size_t)(rs - p) : n;
        }
        if ((c->binary ? hubmsgpack_parse : hubproto_parse)(
                p + hdr, len, &m, err, sizeof err) == 0) {
            k += (unsigned)replay_sequenced(m.type);
            hubproto_msg_release(&m);
        }
        size_t step = hdr + len + (c->binary ? 0 : 1);
        if (step >= n)
            break;
        p += step;
        n -= step;
    }
    return k;
}

/* More unacknowledged messages than the replay buffer holds: the promise
 * of stateful reconnect cannot be kept, the connection ends. */
static void replay_full(struct conn *c)
{
    static const char why[] = "Connection closed: more unacknowledged "
                              "messages than the stateful reconnect buffer "
                              "holds.";
    log_warn("stateful reconnect buffer full hub=%s id=%s messages=%zu "
             "bytes=%zu: closing",
             c->hub, c->id, c->replay.messages, c->replay.bytes);
    if (!c->error && !c->table->stopping)
        c->error = xstrdup(why);
    if (c->detached) {
        conn_abort(c, "stateful reconnect buffer full");
        return;
    }
    struct buf b;
    buf_init(&b, 1024);
    hubproto_write_close(&b, why, 0);
    struct hubout o;
    hubout_init(&o, b.data, b.len);
    send_out(c, &o, 0);
    hubout_release(&o);
    buf_release(&b);
    if (c->state != CONN_DEAD)
        end_transport(c);
}

/* Queue bytes on the transport whatever the state (Close and handshake
 * replies go out while not open). A stateful connection keeps the frame
 * of numbered messages for a resume; detached, it only keeps them. */
static int send_raw(struct conn *c, const char *rec, size_t n,
                    struct msg **frame)
{
    struct conns *t = c->table;
    struct msg *one = NULL; /* a binary frame for this call only */
    int rc = 0;
    if (c->stateful && c->transport == CONN_WS) {
        unsigned k = c->state == CONN_OPEN ? sequenced(c, rec, n) : 0;
        if (k) {
            if (!frame)
                frame = &one;
            if (!*frame)
                *frame =
                    c->binary ? ws_frame_binary(rec, n) : ws_frame_text(rec, n);
            if (replay_push(&c->replay, *frame, n, k) < 0) {
                msg_unref(one);
                replay_full(c);
                return -1;
            }
        }
        if (c->detached) {
            msg_unref(one);
            return 0;
        }
    }
    switch (c->transport) {
    case CONN_WS:
        /* Queued only: conns_flush writes each socket once per turn. A
         * MessagePack client's frames are binary. */
        if (c->binary && !frame)
            frame = &one;
        if (frame && !*frame)
            *frame =
                c->binary ? ws_frame_binary(rec, n) : ws_frame_text(rec, n);
        rc = frame ? ws_queue_frame(c->ws, *frame)
                   : ws_queue_text(c->ws, rec, n);
        /* Full of this turn's frames: write what the socket takes now and
         * try once more, so that batching never drops a client that the
         * kernel's buffer would have kept (the cap is on what waits). */
        if (rc < 0 && ws_want_write(c->ws) && ws_on_writable(c->ws) == 0)
            rc = frame ? ws_queue_frame(c->ws, *frame)
                       : ws_queue_text(c->ws, rec, n);
        if (rc == 0)
            mark_dirty(c);
        msg_unref(one);
        break;
    case CONN_SSE:
        /* SSE framing (ASP.NET Core ServerSentEventsMessageFormatter):
         * records never hold raw newlines, so one data line. */
        if (buf_puts(&c->out, "data: ") < 0 ||
            buf_append(&c->out, rec, n) < 0 ||
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
    c->last_out_ms = t->loop->now_ms;
    if (log_enabled(LOG_DEBUG))
        log_debug("frame out id=%s bytes=%zu", c->id, n);
    return 0;
}

/* JSON records to c in its protocol, whatever the state. */
/* The tier's message count (conn_extras.meter): -1 drops the message. */
static int metered(struct conn *c, size_t n)
{
    const struct conn_extras *x = c->table->extras;
    return x && x->meter && x->meter(x->meter_arg, n) < 0 ? -1 : 0;
}

/* JSON records to c in its protocol, whatever the state; counted by the
 * meter (the bytes this client gets) when meter is set. */
static int send_out(struct conn *c, struct hubout *o, int meter)
{
    if (!c->binary && !o->json) {
        log_debug("not sent hub=%s id=%s: the payload has no json part", c->hub,
                  c->id);
        return -1;
    }
    if (!c->binary) {
        if (meter && metered(c, o->json_len) < 0)
            return -1;
        return send_raw(c, o->json, o->json_len, &o->text_frame);
    }
    char err[160];
    const struct msg *mp = hubout_msgpack(o, err, sizeof err);
    if (!mp) {
        if (o->given)
            log_debug("not sent hub=%s id=%s: %s", c->hub, c->id, err);
        else
            log_warn("not sent to a MessagePack client hub=%s id=%s: %s",
                     c->hub, c->id, err);
        return -1;
    }
    if (meter && metered(c, mp->len) < 0)
        return -1;
    return send_raw(c, mp->data, mp->len, &o->mp_frame);
}

int conn_send_out(struct conn *c, struct hubout *o)
{
    if (c->state != CONN_OPEN)
        return -1;
    return send_out(c, o, 1);
}

int conn_send_native(struct conn *c, const char *p, size_t n)
{
    if (c->state != CONN_OPEN || metered(c, n) < 0)
        return -1;
    return send_raw(c, p, n, NULL);
}

int conn_send(struct conn *c, const char *records, size_t n, struct msg **frame)
{
    if (c->state != CONN_OPEN)
        return -1;
    if (!c->binary)
        return metered(c, n) < 0 ? -1 : send_raw(c, records, n, frame);
    struct hubout o;
    hubout_init(&o, records, n);
    int rc = send_out(c, &o, 1);
    hubout_release(&o);
    return rc;
}

static void unregister(struct conn *c)
{
    if (!c->registered)
        return;
    struct hub *h = registry_hub(c->table->reg, c->hub, 0);
    if (h)
        hub_conn_remove(h, c->id);
    c->registered = 0;
}

/* The transport's own end once nothing more is to be said. */
static void end_transport(struct conn *c)
{
    c->state = CONN_CLOSING;
    c->closing_ms = c->table->loop->now_ms;
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
    if (error && !c->error && !c->table->stopping)
        c->error = xstrdup(error);
    if (c->detached) { /* no transport to say it on */
        conn_abort(c, error ? error : "closed while detached");
        return;
    }
    if (c->state == CONN_OPEN) {
        struct buf b;
        buf_init(&b, LIMIT_CONN_SENDBUF);
        hubproto_write_close(&b, error, allow_reconnect);
        struct hubout o;
        hubout_init(&o, b.data, b.len);
        int rc = send_out(c, &o, 0);
        hubout_release(&o);
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
    struct conns *t = c->table;
    if (c->state != CONN_NEGOTIATED)
        log_info("client disconnected hub=%s id=%s transport=%s reason=%s",
                 c->hub, c->id, conn_transport_name(c->transport), why);
    /* Still in the hub until reaped: a fan-out may be iterating it. */
    c->state = CONN_DEAD;
    if (c->transport == CONN_WS && c->watch.fd >= 0) {
        loop_unwatch(t->loop, &c->watch);
        if (!c->urh)
            close(c->watch.fd); /* our dup; MHD's is closed at the reap */
        c->watch.fd = -1;
    }
    if (c->stream) {
        c->stream->conn = NULL;
        c->stream->ended = 1;
        if (c->stream->suspended)
            http_req_resume(c->stream);
        c->stream = NULL;
    }
    if (c->poll) {
        c->poll->conn = NULL;
        if (c->poll->suspended)
            http_req_resume(c->poll);
        c->poll = NULL;
    }
    c->reap_next = t->reap;
    t->reap = c;
}

void conns_flush(struct conns *t)
{
    /* Nothing below queues a frame, so the list does not grow meanwhile;
     * the index is re-read anyway. */
    for (size_t i = 0; i < t->ndirty; i++) {
        struct conn *c = t->dirty[i];
        c->dirty = 0;
        if (c->state == CONN_DEAD || !c->ws)
            continue;
        if (ws_on_writable(c->ws) < 0) {
            transport_lost(c, "write failed");
            continue;
        }
        if (c->state == CONN_CLOSING && ws_closed(c->ws)) {
            conn_abort(c, "closed");
            continue;
        }
        update_watch(c);
    }
    t->ndirty = 0;
}

void conns_reap(struct conns *t)
{
    /* Empty the dirty list first: it must never hold a freed connection. */
    conns_flush(t);
    while (t->reap) {
        struct conn *c = t->reap;
        t->reap = c->reap_next;
        unregister(c);
        if (c->was_open && t->hooks && t->hooks->on_disconnected)
            t->hooks->on_disconnected(t->hooks_arg, c);
        if (strmap_get(t->by_token, c->token) == c)
            strmap_del(t->by_token, c->token);
        if (c->prev)
            c->prev->next = c->next;
        else
            t->all = c->next;
        if (c->next)
            c->next->prev = c->prev;
        ws_free(c->ws);
        if (c->urh) {
            MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
            http_wake(t->http); /* MHD closes the socket on its next run */
        }
        hubproto_reader_release(&c->reader);
        hubmsgpack_reader_release(&c->mpreader);
        buf_release(&c->out);
        replay_release(&c->replay);
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
    int proto = hubmsgpack_handshake_check(rec, len, err, sizeof err);
    if (proto == 1 && c->transport == CONN_SSE) {
        snprintf(err, sizeof err, "%s", HUBMSGPACK_TEXT_ONLY);
        proto = -1;
    }
    if (proto < 0) {
        hubproto_write_handshake(&b, err);
        send_raw(c, b.data, b.len, NULL);
        buf_release(&b);
        log_warn("handshake refused hub=%s id=%s: %s", c->hub, c->id, err);
        if (c->state != CONN_DEAD)
            end_transport(c);
        return;
    }
    c->binary = proto == 1; /* the reply is already a binary frame */
    hubproto_write_handshake(&b, NULL);
    int rc = send_raw(c, b.data, b.len, NULL);
    buf_release(&b);
    if (rc < 0)
        return;
    struct hub *h = registry_hub(c->table->reg, c->hub, 1);
    if (hub_conn_add(h, c->id, c->user, c) < 0) {
        conn_abort(c, "duplicate connection id");
        return;
    }
    c->registered = 1;
    c->was_open = 1;
    c->state = CONN_OPEN;
    /* Stateful reconnect needs hub protocol 2 (the JS client asks for 1
     * when it will not resume) and a WebSocket (ASP.NET Core's
     * HubConnectionContext and HttpConnection). */
    c->stateful = c->stateful_asked && c->transport == CONN_WS &&
                  hubproto_handshake_version(rec, len) >= 2;
    log_info("client connected hub=%s id=%s user=%s transport=%s "
             "protocol=%s",
             c->hub, c->id, c->user ? c->user : "(anonymous)",
             conn_transport_name(c->transport),
             c->binary ? HUBMSGPACK_NAME : "json");
    if (c->stateful)
        log_info("stateful reconnect on hub=%s id=%s window=%lld ms "
                 "buffer=%zu bytes",
                 c->hub, c->id, c->table->reconnect_window_ms,
                 c->replay.max_bytes);
    const struct conns *t = c->table;
    if (t->hooks && t->hooks->on_connected)
        t->hooks->on_connected(t->hooks_arg, c);
}

/* The client's Ack (what it received) or Sequence (what it sends next,
 * after a resume). */
static void sequence_message(struct conn *c, const struct hubproto_msg *m)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(m->obj, "sequenceId", &v) ||
        !json_object_is_type(v, json_type_int)) {
        log_warn("bad hub message hub=%s id=%s: no integer sequenceId", c->hub,
                 c->id);
        conn_close(c, "Connection closed with an error.", 0);
        return;
    }
    long long id = json_object_get_int64(v);
    if (m->type == HUBPROTO_ACK) {
        replay_ack(&c->replay, id);
        return;
    }
    if (replay_reset_sequence(&c->replay, id) < 0) {
        log_warn("client sequence %lld past what it sent hub=%s id=%s", id,
                 c->hub, c->id);
        conn_close(c,
                   "Sequence ID greater than amount of messages we've "
                   "received.",
                   0);
    }
}

/* Ack what the client sent since the last one (once a second, as ASP.NET
 * Core's MessageBuffer timer). */
static void send_ack(struct conn *c)
{
    long long id = replay_ack_due(&c->replay);
    if (!id)
        return;
    struct buf b;
    buf_init(&b, 256);
    hubproto_write_sequence_id(&b, HUBPROTO_ACK, id);
    struct hubout o;
    hubout_init(&o, b.data, b.len);
    send_out(c, &o, 0);
    hubout_release(&o);
    buf_release(&b);
}

static void message(struct conn *c, const char *rec, size_t len)
{
    struct hubproto_msg m;
    char err[160];
    if ((c->binary ? hubmsgpack_parse : hubproto_parse)(rec, len, &m, err,
                                                        sizeof err) < 0) {
        log_warn("bad hub message hub=%s id=%s: %s", c->hub, c->id, err);
        conn_close(c, "Connection closed with an error.", 0);
        return;
    }
    if (c->stateful && !replay_should_process(&c->replay, m.type)) {
        hubproto_msg_release(&m);
        return;
    }
    switch (m.type) {
    case HUBPROTO_PING:
        break;
    case HUBPROTO_ACK:
    case HUBPROTO_SEQUENCE:
        if (c->stateful)
            sequence_message(c, &m);
        break;
    case HUBPROTO_CLOSE:
        unregister(c);
        log_info("client sent close hub=%s id=%s", c->hub, c->id);
        end_transport(c);
        break;
    case HUBPROTO_INVOCATION:
        if (c->table->hooks && c->table->hooks->on_invocation)
            c->table->hooks->on_invocation(c->table->hooks_arg, c, &m, rec,
                                           len);
        else
            log_debug("invocation ignored (no upstream) hub=%s id=%s", c->hub,
                      c->id);
        break;
    case HUBPROTO_COMPLETION:
        if (c->table->extras && c->table->extras->on_completion)
            c->table->extras->on_completion(c->table->extras->completion_arg, c,
                                            &m);
        break;
    default:
        /* Stream items, cancels, acks: consumed silently, as the
         * service does in serverless mode. Unknown numeric
         * types are tolerated for forward compatibility. */
        break;
    }
    hubproto_msg_release(&m);
}

/* A MessagePack client's bytes after the handshake: framed messages. */
static void binary_input(struct conn *c, const char *p, size_t n)
{
    char err[160];
    const char *m;
    size_t len;
    int rc;
    if (hubmsgpack_reader_feed(&c->mpreader, p, n) < 0) {
        log_warn("client message over %u bytes hub=%s id=%s",
                 LIMIT_CLIENT_MESSAGE, c->hub, c->id);
        conn_close(c, "Message too large.", 0);
        return;
    }
    while (c->state == CONN_OPEN &&
           (rc = hubmsgpack_reader_next(&c->mpreader, &m, &len, err,
                                        sizeof err)) != 0) {
        if (rc < 0) {
            log_warn("bad hub message hub=%s id=%s: %s", c->hub, c->id, err);
            conn_close(c, "Connection closed with an error.", 0);
            return;
        }
        message(c, m, len);
    }
}

void conn_input(struct conn *c, const char *p, size_t n)
{
    if (c->state != CONN_HANDSHAKE && c->state != CONN_OPEN)
        return;
    c->last_in_ms = c->table->loop->now_ms;
    if (c->binary) {
        binary_input(c, p, n);
        return;
    }
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
        if (c->state == CONN_HANDSHAKE) {
            handshake(c, rec, len);
            /* What came after the handshake is MessagePack. */
            if (c->binary) {
                size_t left = hubproto_reader_pending(&c->reader);
                const char *rest = c->reader.in.data + c->reader.pos;
                if (left && c->state == CONN_OPEN)
                    binary_input(c, rest, left);
                hubproto_reader_release(&c->reader); /* not read again */
                return;
            }
        } else
            message(c, rec, len);
    }
}

void conns_sweep(struct conns *t)
{
    long long now = t->loop->now_ms;
    for (struct conn *c = t->all; c; c = c->next) {
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
            if (c->detached) {
                if (now - c->detached_ms > t->reconnect_window_ms)
                    conn_abort(c, "no stateful reconnect within the window");
                break;
            }
            if (c->stateful)
                send_ack(c);
            if (c->state != CONN_OPEN)
                break;
            if (c->transport == CONN_LP) {
                if (!c->poll && now - c->poll_end_ms > CONN_LP_MAX_GAP_MS)
                    conn_abort(c, "long polling client stopped polling");
                else if (c->poll &&
                         now - c->poll->started_ms >= CONN_LP_HOLD_MS)
                    conn_wake(c);
                break;
            }
            if (now - c->last_in_ms > LIMIT_CLIENT_TIMEOUT_MS) {
                /* A silent stateful client may be behind a dead network:
                 * ASP.NET Core's client timeout aborts the transport and
                 * still allows the reconnect (AbortAllowReconnect). */
                if (c->stateful) {
                    transport_lost(c, "client timeout");
                    break;
                }
                conn_close(c,
                           "Server timeout elapsed without receiving a "
                           "message from the client.",
                           0);
                break;
            }
            if (now - c->last_out_ms >= LIMIT_KEEPALIVE_MS) {
                if (c->binary) {
                    struct msg *f = t->mp_ping_frame;
                    send_raw(c, MP_PING, sizeof MP_PING - 1,
                             c->transport == CONN_WS ? &f : NULL);
                } else if (c->transport == CONN_WS) {
                    struct msg *f = t->ping_frame;
                    send_raw(c, PING, sizeof PING - 1, &f);
                } else {
                    send_raw(c, PING, sizeof PING - 1, NULL);
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
