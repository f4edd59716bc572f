/* tls.c - TLS relays in front of libmicrohttpd (see tls.h). */
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Bytes held in each direction; one TLS record's worth of plaintext. */
#define TLS_RELAY_BUF 16384

/* What a plain HTTP request to the TLS port gets before the close. */
#define TLS_PLAIN_BODY                                                         \
    "{\"error\":\"this port speaks TLS: use https:// (wss:// for "             \
    "WebSockets)\"}"

struct relay {
    struct loop_watch net;   /* the client's TCP socket, under TLS */
    struct loop_watch plain; /* our end of the socketpair */
    struct tls *t;
    SSL *ssl;
    struct relay *prev, *next; /* t->all, or t->dead once ended */
    uint32_t net_ev, plain_ev; /* the events watched now */
    uint32_t ssl_wants;        /* EPOLLIN/EPOLLOUT the SSL object waits for */
    int handshaken;
    int net_eof;    /* the client sent close_notify or went away */
    int net_broken; /* nothing more can be written to the client */
    int plain_eof;  /* libmicrohttpd closed its end */
    int plain_shut; /* we shut the socketpair down for writing */
    int dead;
    size_t wpending; /* an SSL_write to repeat with this length */
    size_t up_len, down_len;
    unsigned char up[TLS_RELAY_BUF];   /* from the socketpair, to TLS */
    unsigned char down[TLS_RELAY_BUF]; /* from TLS, to the socketpair */
    char peer[64];
};

struct tls {
    struct loop *loop; /* borrowed */
    SSL_CTX *ctx;
    struct relay *all;  /* open relays */
    struct relay *dead; /* ended, freed by tls_reap */
    size_t n;
};

#define RELAY_OF(w, member)                                                    \
    ((struct relay *)(void *)((char *)(w)-offsetof(struct relay, member)))

/* OpenSSL's first queued error as text ("" when none), queue cleared. */
static void ssl_reason(char *out, size_t len)
{
    unsigned long e = ERR_get_error();
    const char *why = e ? ERR_reason_error_string(e) : NULL;
    snprintf(out, len, "%s", why ? why : "");
    ERR_clear_error();
}

struct tls *tls_new(struct loop *l, const char *cert_file, const char *key_file)
{
    char why[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ssl_reason(why, sizeof why);
        log_error("TLS: cannot make a context: %s", why);
        return NULL;
    }
    const char *step = NULL;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        step = "cannot require TLS 1.2";
    else if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
        step = "--tls-cert: cannot load the certificate chain (PEM)";
    else if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1)
        step =
            ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH
                ? "--tls-key is not the key of --tls-cert"
                : "--tls-key: cannot load the private key (PEM)";
    else if (SSL_CTX_check_private_key(ctx) != 1)
        step = "--tls-key is not the key of --tls-cert";
    if (step) {
        ssl_reason(why, sizeof why);
        log_error("TLS: %s%s%s", step, why[0] ? ": " : "", why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    /* Records go out as soon as they are made, from our own buffer; an
     * idle connection (a WebSocket) gives back OpenSSL's buffers. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    struct tls *t = xcalloc(1, sizeof *t);
    t->loop = l;
    t->ctx = ctx;
    return t;
}

static void unlink_relay(struct relay **head, struct relay *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        *head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static void push_relay(struct relay **head, struct relay *r)
{
    r->prev = NULL;
    r->next = *head;
    if (*head)
        (*head)->prev = r;
    *head = r;
}

static void free_relay(struct relay *r)
{
    SSL_free(r->ssl);
    if (r->net.fd >= 0)
        close(r->net.fd);
    if (r->plain.fd >= 0)
        close(r->plain.fd);
    free(r);
}

/* End r: no more events; freed by the next tls_reap. close_notify is
 * sent (best effort) when the session is sound. */
static void relay_end(struct relay *r)
{
    if (r->dead)
        return;
    struct tls *t = r->t;
    r->dead = 1;
    if (r->handshaken && !r->net_broken) {
        ERR_clear_error();
        SSL_shutdown(r->ssl);
    }
    ERR_clear_error();
    loop_unwatch(t->loop, &r->net);
    loop_unwatch(t->loop, &r->plain);
    close(r->net.fd);
    close(r->plain.fd);
    r->net.fd = r->plain.fd = -1;
    unlink_relay(&t->all, r);
    push_relay(&t->dead, r);
    t->n--;
}

/* A plain HTTP request on the TLS port: what it sent is read and dropped
 * (up to 64 KiB, so the close does not reset the connection under our
 * answer), then a 400 naming the problem. Best effort: the socket is
 * non-blocking. */
static void answer_plain_http(int fd)
{
    static const char reply[] = "HTTP/1.1 400 Bad Request\r\n"
                                "Content-Type: application/json\r\n"
                                "Connection: close\r\n"
                                "Content-Length: %zu\r\n\r\n" TLS_PLAIN_BODY;
    char head[512];
    char sink[4096];
    for (int i = 0; i < 16 && recv(fd, sink, sizeof sink, 0) > 0; i++)
        ;
    int n = snprintf(head, sizeof head, reply, sizeof TLS_PLAIN_BODY - 1);
    if (n > 0 && (size_t)n < sizeof head &&
        send(fd, head, (size_t)n, MSG_NOSIGNAL) == n)
        shutdown(fd, SHUT_WR);
}

static void handshake_failed(struct relay *r, int err)
{
    unsigned long e = ERR_peek_error();
    char why[256];
    if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
        ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST) {
        ERR_clear_error();
        log_info("TLS: plain HTTP from %s on the TLS port: answered 400 and "
                 "closed",
                 r->peer);
        answer_plain_http(r->net.fd);
    } else {
        ssl_reason(why, sizeof why);
        if (!why[0])
            snprintf(why, sizeof why, "%s",
                     err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN
                         ? "the client closed the connection"
                         : "no reason given");
        log_info("TLS: handshake with %s failed: %s; closed", r->peer, why);
    }
    r->net_broken = 1;
    relay_end(r);
}

/* Watch what r can make progress on now. */
static void rearm(struct relay *r)
{
    uint32_t net = r->ssl_wants;
    if (r->handshaken && !r->net_eof && r->down_len < TLS_RELAY_BUF)
        net |= EPOLLIN;
    uint32_t plain = r->down_len ? EPOLLOUT : 0;
    if (!r->plain_eof && r->up_len < TLS_RELAY_BUF)
        plain |= EPOLLIN;
    struct loop *l = r->t->loop;
    if (net != r->net_ev && loop_watch_events(l, &r->net, net, 1) == 0)
        r->net_ev = net;
    if (plain != r->plain_ev && loop_watch_events(l, &r->plain, plain, 1) == 0)
        r->plain_ev = plain;
}

/* Returns 1 when bytes moved, 0 when blocked, -1 when r must end. */
static int tls_to_plain(struct relay *r)
{
    int moved = 0;
    while (!r->net_eof && r->down_len < TLS_RELAY_BUF) {
        ERR_clear_error();
        int n = SSL_read(r->ssl, r->down + r->down_len,
                         (int)(TLS_RELAY_BUF - r->down_len));
        if (n > 0) {
            r->down_len += (size_t)n;
            moved = 1;
            continue;
        }
        int e = SSL_get_error(r->ssl, n);
        if (e == SSL_ERROR_WANT_READ) {
            r->ssl_wants |= EPOLLIN;
        } else if (e == SSL_ERROR_WANT_WRITE) {
            r->ssl_wants |= EPOLLOUT;
        } else {
            /* close_notify, the socket's end, or a TLS error. Browsers
             * often leave without close_notify: a debug line only. */
            if (e != SSL_ERROR_ZERO_RETURN) {
                char why[256];
                ssl_reason(why, sizeof why);
                log_debug("TLS: connection from %s ended: %s", r->peer,
                          why[0] ? why : "without close_notify");
                r->net_broken = 1;
            }
            r->net_eof = 1;
            moved = 1;
        }
        break;
    }
    while (r->down_len) {
        ssize_t w = send(r->plain.fd, r->down, r->down_len, MSG_NOSIGNAL);
        if (w > 0) {
            r->down_len -= (size_t)w;
            memmove(r->down, r->down + w, r->down_len);
            moved = 1;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        return -1; /* libmicrohttpd's end is gone */
    }
    if (r->net_eof && !r->down_len && !r->plain_shut) {
        shutdown(r->plain.fd, SHUT_WR);
        r->plain_shut = 1;
    }
    return moved;
}

static int plain_to_tls(struct relay *r)
{
    int moved = 0;
    while (!r->plain_eof && r->up_len < TLS_RELAY_BUF) {
        ssize_t n =
            recv(r->plain.fd, r->up + r->up_len, TLS_RELAY_BUF - r->up_len, 0);
        if (n > 0) {
            r->up_len += (size_t)n;
            moved = 1;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        r->plain_eof = 1;
        moved = 1;
    }
    while (r->up_len && !r->net_broken) {
        size_t len = r->wpending ? r->wpending : r->up_len;
        ERR_clear_error();
        int n = SSL_write(r->ssl, r->up, (int)len);
        if (n > 0) {
            r->wpending = 0;
            r->up_len -= (size_t)n;
            memmove(r->up, r->up + n, r->up_len);
            moved = 1;
            continue;
        }
        int e = SSL_get_error(r->ssl, n);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
            /* Repeated later with the same length, as OpenSSL wants. */
            r->wpending = len;
            r->ssl_wants |= e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN;
        } else {
            ERR_clear_error();
            r->net_broken = 1;
        }
        break;
    }
    return moved;
}

/* Everything r can do now, then the events it waits for. */
static void pump(struct relay *r)
{
    if (r->dead)
        return;
    r->ssl_wants = 0;
    if (!r->handshaken) {
        /* libmicrohttpd sends nothing before a request: a readable end is
         * its close (its idle timeout over a stalled handshake, or it
         * refused the connection). */
        char c;
        if (recv(r->plain.fd, &c, 1, MSG_PEEK) == 0) {
            log_info("TLS: handshake with %s unfinished when the HTTP side "
                     "closed (idle timeout); closed",
                     r->peer);
            r->net_broken = 1;
            return relay_end(r);
        }
        ERR_clear_error();
        int rc = SSL_accept(r->ssl);
        if (rc != 1) {
            int e = SSL_get_error(r->ssl, rc);
            if (e == SSL_ERROR_WANT_READ)
                r->ssl_wants = EPOLLIN;
            else if (e == SSL_ERROR_WANT_WRITE)
                r->ssl_wants = EPOLLOUT;
            else
                return handshake_failed(r, e);
            return rearm(r);
        }
        r->handshaken = 1;
        log_debug("TLS: %s from %s", SSL_get_version(r->ssl), r->peer);
    }
    for (int moved = 1; moved;) {
        r->ssl_wants = 0;
        int a = tls_to_plain(r);
        if (a < 0)
            return relay_end(r);
        int b = plain_to_tls(r);
        moved = a || b;
    }
    if (r->net_broken || (r->plain_eof && !r->up_len) ||
        (r->net_eof && r->plain_eof))
        return relay_end(r);
    rearm(r);
}

static void on_net(struct loop_watch *w, uint32_t events)
{
    pump(RELAY_OF(w, net));
}

static void on_plain(struct loop_watch *w, uint32_t events)
{
    pump(RELAY_OF(w, plain));
}

int tls_accept(struct tls *t, int fd, const char *peer)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) <
        0) {
        log_warn("TLS: socketpair: %s; closed %s", strerror(errno), peer);
        close(fd);
        return -1;
    }
    struct relay *r = xcalloc(1, sizeof *r);
    r->t = t;
    r->net.fd = fd;
    r->net.on_event = on_net;
    r->plain.fd = sv[0];
    r->plain.on_event = on_plain;
    snprintf(r->peer, sizeof r->peer, "%s", peer);
    /* Records go out as the relay makes them: Nagle would hold a small
     * one (a Completion after a broadcast) for the client's delayed ACK,
     * as conn.c says of plain WebSockets (its own setting then lands on
     * the socketpair, where it does nothing). */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    r->ssl = SSL_new(t->ctx);
    if (!r->ssl || SSL_set_fd(r->ssl, fd) != 1) {
        ERR_clear_error();
        log_warn("TLS: cannot make a session; closed %s", peer);
        close(sv[1]);
        free_relay(r);
        return -1;
    }
    /* Nothing is watched yet: the first pump arms both watches. */
    r->net_ev = r->plain_ev = 0;
    if (loop_watch_events(t->loop, &r->net, 0, 0) < 0 ||
        loop_watch_events(t->loop, &r->plain, 0, 0) < 0) {
        log_warn("TLS: epoll_ctl: %s; closed %s", strerror(errno), peer);
        loop_unwatch(t->loop, &r->net);
        close(sv[1]);
        free_relay(r);
        return -1;
    }
    push_relay(&t->all, r);
    t->n++;
    pump(r);
    return sv[1];
}

void tls_reap(struct tls *t)
{
    if (!t)
        return;
    while (t->dead) {
        struct relay *r = t->dead;
        unlink_relay(&t->dead, r);
        free_relay(r);
    }
}

void tls_drain(struct tls *t, long long bound_ms)
{
    if (!t)
        return;
    long long end = t->loop->now_ms + bound_ms;
    /* Each relay sees its plain end closed; those that can end do. */
    for (struct relay *r = t->all, *next; r; r = next) {
        next = r->next;
        pump(r);
    }
    tls_reap(t);
    while (t->all && t->loop->now_ms < end &&
           loop_wait(t->loop, end - t->loop->now_ms) == 0)
        tls_reap(t);
}

void tls_free(struct tls *t)
{
    if (!t)
        return;
    while (t->all) {
        struct relay *r = t->all;
        r->net_broken = 1; /* no close_notify at shutdown */
        relay_end(r);
    }
    tls_reap(t);
    SSL_CTX_free(t->ctx);
    free(t);
}
