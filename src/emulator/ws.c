/* ws.c - server-side WebSocket on a non-blocking socket (see ws.h). */
#include "ws.h"

#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <wslay/wslay.h>

#include "emulator/limits.h"
#include "util/buf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_IOV_MAX 64
/* Largest frame header: 2 bytes + 8 bytes of length (RFC 6455 §5.2). */
#define WS_HEADER_MAX 10

struct qitem {
    struct msg *m;
};

struct ws {
    int fd;
    wslay_event_context_ptr ctx;
    ws_message_fn on_message;
    void *owner;
    struct buf extra; /* bytes read by the HTTP layer, consumed first */
    size_t extra_off;
    struct buf ctrl; /* wslay_event's output of one send call */
    struct qitem *q; /* ring of queued frames */
    size_t qcap, qhead, qcount;
    size_t qoff;   /* bytes of the head frame already written */
    size_t queued; /* bytes not yet written */
    int close_queued;
    int eof;
    int failed;
};

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *data, size_t len,
                       int flags, void *user)
{
    struct ws *w = user;
    if (w->extra_off < w->extra.len) {
        size_t n = w->extra.len - w->extra_off;
        if (n > len)
            n = len;
        memcpy(data, w->extra.data + w->extra_off, n);
        w->extra_off += n;
        return (ssize_t)n;
    }
    ssize_t r;
    do {
        r = read(w->fd, data, len);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (r <= 0) {
        w->eof = 1;
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return r;
}

/* Capture wslay_event's output; ws_flush_ctrl queues it as one item. */
static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data,
                       size_t len, int flags, void *user)
{
    struct ws *w = user;
    if (buf_append(&w->ctrl, data, len) < 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static void msg_cb(wslay_event_context_ptr ctx,
                   const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    struct ws *w = user;
    if (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME)
        w->on_message(w->owner, (const char *)arg->msg, arg->msg_length);
}

static void q_push(struct ws *w, struct msg *m)
{
    if (w->qcount == w->qcap) {
        size_t ncap = w->qcap ? w->qcap * 2 : 4;
        struct qitem *nq = xmalloc(ncap * sizeof *nq);
        for (size_t i = 0; i < w->qcount; i++)
            nq[i] = w->q[(w->qhead + i) % w->qcap];
        free(w->q);
        w->q = nq;
        w->qcap = ncap;
        w->qhead = 0;
    }
    w->q[(w->qhead + w->qcount) % w->qcap].m = m;
    w->qcount++;
    w->queued += m->len;
}

static void q_pop(struct ws *w)
{
    msg_unref(w->q[w->qhead].m);
    w->qhead = (w->qhead + 1) % w->qcap;
    w->qcount--;
    w->qoff = 0;
}

/* Let wslay_event write its pending control frames into ctrl, then queue
 * them as one item. */
static int flush_ctrl(struct ws *w)
{
    if (wslay_event_send(w->ctx) != 0)
        return -1;
    if (w->ctrl.len) {
        q_push(w, msg_new(w->ctrl.data, w->ctrl.len));
        buf_reset(&w->ctrl);
    }
    return 0;
}

static int write_queue(struct ws *w)
{
    while (w->qcount) {
        struct iovec iov[WS_IOV_MAX];
        int n = 0;
        for (size_t i = 0; i < w->qcount && n < WS_IOV_MAX; i++) {
            struct msg *m = w->q[(w->qhead + i) % w->qcap].m;
            size_t off = i == 0 ? w->qoff : 0;
            iov[n].iov_base = m->data + off;
            iov[n].iov_len = m->len - off;
            n++;
        }
        ssize_t r = writev(w->fd, iov, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (r < 0) {
            w->failed = 1;
            return -1;
        }
        size_t left = (size_t)r;
        w->queued -= left;
        while (left) {
            struct msg *m = w->q[w->qhead].m;
            size_t rest = m->len - w->qoff;
            if (left >= rest) {
                left -= rest;
                q_pop(w);
            } else {
                w->qoff += left;
                left = 0;
            }
        }
    }
    return 0;
}

struct ws *ws_new(int fd, const char *extra, size_t extra_len,
                  ws_message_fn on_message, void *owner)
{
    struct ws *w = xcalloc(1, sizeof *w);
    w->fd = fd;
    w->on_message = on_message;
    w->owner = owner;
    buf_init(&w->extra, extra_len + 1);
    if (extra_len)
        buf_append(&w->extra, extra, extra_len);
    buf_init(&w->ctrl, LIMIT_CONN_SENDBUF);
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    struct wslay_event_callbacks cb = {
        .recv_callback = recv_cb,
        .send_callback = send_cb,
        .on_msg_recv_callback = msg_cb,
    };
    if (wslay_event_context_server_init(&w->ctx, &cb, w) != 0)
        abort();
    wslay_event_config_set_max_recv_msg_length(w->ctx, LIMIT_WS_MESSAGE);
    return w;
}

void ws_free(struct ws *w)
{
    if (!w)
        return;
    while (w->qcount)
        q_pop(w);
    free(w->q);
    wslay_event_context_free(w->ctx);
    buf_release(&w->extra);
    buf_release(&w->ctrl);
    free(w);
}

int ws_on_readable(struct ws *w)
{
    int r = wslay_event_recv(w->ctx);
    if (flush_ctrl(w) < 0 || write_queue(w) < 0)
        return -1;
    if (r != 0 || w->eof)
        return -1;
    /* Once the peer's close frame is in, wslay reads no more: end now
     * (after the reply went into the queue above) rather than spin on a
     * socket that stays readable. */
    if (wslay_event_get_close_received(w->ctx))
        return -1;
    return 0;
}

int ws_on_writable(struct ws *w)
{
    return write_queue(w);
}

int ws_want_write(const struct ws *w)
{
    return w->qcount > 0;
}

size_t ws_queued(const struct ws *w)
{
    return w->queued;
}

int ws_queue_frame(struct ws *w, struct msg *frame)
{
    if (w->close_queued || w->failed || wslay_event_get_close_sent(w->ctx))
        return -1;
    if (frame->len > LIMIT_CONN_SENDBUF - w->queued)
        return -1;
    q_push(w, msg_ref(frame));
    return 0;
}

int ws_send_frame(struct ws *w, struct msg *frame)
{
    if (ws_queue_frame(w, frame) < 0)
        return -1;
    return write_queue(w);
}

int ws_send_text(struct ws *w, const char *p, size_t n)
{
    struct msg *f = ws_frame_text(p, n);
    int rc = ws_send_frame(w, f);
    msg_unref(f);
    return rc;
}

int ws_queue_text(struct ws *w, const char *p, size_t n)
{
    struct msg *f = ws_frame_text(p, n);
    int rc = ws_queue_frame(w, f);
    msg_unref(f);
    return rc;
}

void ws_close(struct ws *w, uint16_t code, const char *reason)
{
    if (w->close_queued)
        return;
    w->close_queued = 1;
    wslay_event_queue_close(w->ctx, code, (const uint8_t *)reason,
                            reason ? strlen(reason) : 0);
    if (flush_ctrl(w) == 0)
        write_queue(w);
}

int ws_close_received(const struct ws *w)
{
    return wslay_event_get_close_received(w->ctx) != 0;
}

int ws_closed(const struct ws *w)
{
    if (w->eof || w->failed)
        return 1;
    return wslay_event_get_close_sent(w->ctx) &&
           wslay_event_get_close_received(w->ctx) && w->qcount == 0;
}

static ssize_t capture_cb(const uint8_t *data, size_t len, int flags,
                          void *user)
{
    return msg_append(user, data, len) == 0 ? (ssize_t)len : -1;
}

static struct msg *frame(uint8_t opcode, const char *p, size_t n)
{
    struct msg *m = msg_new_cap(n + WS_HEADER_MAX);
    struct wslay_frame_callbacks cb = {.send_callback = capture_cb};
    wslay_frame_context_ptr fc;
    if (wslay_frame_context_init(&fc, &cb, m) != 0)
        abort();
    struct wslay_frame_iocb io = {
        .fin = 1,
        .opcode = opcode,
        .mask = 0,
        .payload_length = n,
        .data = (const uint8_t *)p,
        .data_length = n,
    };
    ssize_t r = wslay_frame_send(fc, &io);
    wslay_frame_context_free(fc);
    if (r < 0 || (size_t)r != n)
        abort(); /* the capture never refuses bytes it has room for */
    return m;
}

struct msg *ws_frame_text(const char *p, size_t n)
{
    return frame(WSLAY_TEXT_FRAME, p, n);
}

struct msg *ws_frame_binary(const char *p, size_t n)
{
    return frame(WSLAY_BINARY_FRAME, p, n);
}

int ws_accept_key(const char *key, char *out, size_t outlen)
{
    if (!key || strlen(key) != 24 || outlen < 29)
        return -1;
    char in[24 + sizeof WS_GUID];
    memcpy(in, key, 24);
    memcpy(in + 24, WS_GUID, sizeof WS_GUID);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(in, 24 + sizeof WS_GUID - 1, md, &mdlen, EVP_sha1(), NULL))
        return -1;
    EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
    return 0;
}
