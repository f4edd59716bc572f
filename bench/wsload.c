/*
 * wsload.c - the WebSocket load generator of `make bench`: N SignalR clients
 * on one epoll loop, broadcasts through REST, latency from the POST to the
 * receipt at every client.
 *
 *   wsload --url http://127.0.0.1:PORT [--mode service|app] [--hub NAME]
 *          [--key KEY] [--clients 1000,10000] [--broadcasts 20]
 *          [--throughput-s 3] [--window 8] [--batch-us 0] [--pid PID]
 *          [--label NAME] [--protocol json|messagepack]
 *
 * mode service (scripts/bench-emulator.sh): each client negotiates with
 *   POST /client/negotiate?hub=H&negotiateVersion=1 (Bearer client token
 *   minted with proto/token.h), upgrades on /client/?hub=H&id=<token>, sends
 *   the JSON handshake and waits for {}. Broadcasts are SDK-style
 *   POST /api/hubs/H/:send?api-version=2022-06-01 {"target":"bench",
 *   "arguments":[{"t":<send µs>}]}.
 * --protocol messagepack: the clients speak the MessagePack hub protocol
 *   instead (the handshake names it; the service's messages are framed
 *   MessagePack in binary frames, read with proto/hubmsgpack.h).
 * mode app (scripts/bench-e2e.sh): --url is the local Functions host; each
 *   client first POSTs /api/negotiate and follows {url, accessToken} as the
 *   SignalR client does; broadcasts are POST /api/broadcast
 *   {"message":{"t":<send µs>}}.
 * For each client count (stages grow the same set of clients) it measures:
 * connect time, clients held, the server's VmRSS (--pid), a latency phase
 * (--broadcasts, one at a time, each waited for at every client) and a
 * throughput phase (--throughput-s seconds with --window broadcasts in
 * flight: as fast as delivery allows), drops, and the CPU time of this
 * program and of the server. One JSON object on stdout; progress on stderr.
 *
 * Why C: 10,000 clients on 2 shared cores. A client here is a socket, a
 * wslay context and a few counters; a received frame costs one read, one
 * unmasked wslay parse and a memcmp against the last distinct payloads
 * (each distinct payload is parsed once with json-c, not once per client),
 * so the generator costs about what the kernel charges to receive a
 * segment: measured at 10,000 clients against the emulator, 4.8-7.3 µs of
 * CPU per delivered message (mostly kernel: TCP receive and ACKs) against
 * the server's 6.7-8.8 µs, while the server sat at 93-98% of a core. Both
 * CPU times are in the output ("cpu_s") so every run shows whether the
 * generator could have been the limit. --batch-us pauses before each
 * epoll_wait of the throughput phase so each read takes several frames
 * (about a third less generator CPU per message at 500-1000 µs; latencies
 * there are queueing-dominated anyway). The
 * HTTP calls (negotiate, REST) go through libcurl's multi interface on the
 * same epoll loop; only the WebSocket upgrade request is written here, as
 * wslay leaves the opening handshake to its caller.
 * Not a test: no assertions; it reports what it saw.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <wslay/wslay.h>

#include "proto/hubmsgpack.h"
#include "proto/token.h"
#include "util/buf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define MAX_STAGES 8
#define MAX_SETUP 128            /* clients between negotiate and {} at once */
#define CURL_HOST_CONNS 16       /* pooled keep-alive connections per host */
#define PING_EVERY_US 15000000LL /* the JS client's keep-alive interval */
#define BCAST_TIMEOUT_US 10000000LL
#define CONNECT_TIMEOUT_US 120000000LL
#define CACHE_SLOTS 16
#define UPGRADE_MAX 4096
#define MSG_MAX (1 << 20)

enum watch_kind { WATCH_CLIENT, WATCH_CURL };

struct watch {
    enum watch_kind kind;
};

enum cstate {
    C_IDLE,
    C_APPNEG,
    C_NEG,
    C_CONNECTING,
    C_UPGRADE,
    C_HANDSHAKE,
    C_OPEN,
    C_DEAD
};

struct client {
    struct watch w; /* first: epoll dispatches on it */
    struct load *L;
    int fd;
    enum cstate state;
    unsigned evmask;
    char *conn_token;
    char *access;  /* app mode: this client's token (else the shared one) */
    struct buf in; /* the HTTP upgrade response */
    char *pending; /* bytes read past the upgrade response */
    size_t pending_len, pending_off;
    char key[32]; /* Sec-WebSocket-Key */
    wslay_event_context_ptr ws;
    const char *doom; /* set inside wslay callbacks, acted on after them */
    int drained;      /* a short read emptied the socket this wake-up */
    long long last_tx_us;
};

struct curl_sock {
    struct watch w;
    curl_socket_t fd;
};

enum xfer_kind { X_APPNEG, X_NEG, X_POST };

struct xfer {
    enum xfer_kind kind;
    struct client *c;
    size_t bcast; /* X_POST: index in L->bc */
    struct buf body;
    struct curl_slist *hdrs;
    char *url;
    char *payload;
};

struct bcast {
    long long t_us, done_us; /* POST sent; last receipt (0: not all) */
    long expected, received;
    int done;
};

struct cache_entry {
    char *data;
    size_t len;
    int type;
    long long t;
};

struct samples {
    uint32_t *v;
    size_t n, cap;
};

struct load {
    /* configuration */
    const char *url, *mode, *hub, *key, *label;
    const char *code; /* app mode: the function key of /api/broadcast */
    int app;
    int msgpack; /* --protocol messagepack */
    long stages[MAX_STAGES];
    int nstages;
    int broadcasts, window;
    long batch_us; /* throughput phase: pause before each epoll_wait */
    double throughput_s;
    long pid;
    /* tokens and addresses (service mode: shared by every client) */
    char *client_token, *rest_token, *neg_url, *post_url, *ws_path;
    char host_hdr[128];
    struct sockaddr_storage ws_addr;
    socklen_t ws_addrlen;
    /* machinery */
    int epfd;
    CURLM *multi;
    long curl_timeout_ms;
    json_tokener *tok;
    uint64_t rng;
    struct client *cl;
    long ncl, started, setting_up, open, failed, dropped;
    struct bcast *bc;
    size_t nbc, capbc;
    long inflight;
    long long delivered, last_done_us;
    struct samples *lat; /* where receipts go now */
    struct cache_entry cache[CACHE_SLOTS];
    int cache_next;
    long long last_sweep_us;
    char err_first[200];
};

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void note_error(struct load *L, const char *what)
{
    if (!L->err_first[0])
        snprintf(L->err_first, sizeof L->err_first, "%s", what);
}

static void samples_add(struct samples *s, long long us)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Percentile q (0..1) in milliseconds; sorts s. */
static double samples_pct(struct samples *s, double q)
{
    if (!s->n)
        return -1;
    qsort(s->v, s->n, sizeof *s->v, cmp_u32);
    size_t i = (size_t)(q * (double)(s->n - 1) + 0.5);
    return s->v[i] / 1000.0;
}

static long rss_kb(long pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* utime + stime of pid in seconds, or -1. */
static double proc_cpu_s(long pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    char *p = ok ? strrchr(line, ')') : NULL;
    if (!p)
        return -1;
    /* Fields after ")": state is field 3; utime 14, stime 15. */
    p += 2;
    for (int field = 3; field < 14 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (!p)
        return -1;
    char *end;
    long long ut = strtoll(p, &end, 10);
    long long st = strtoll(end, NULL, 10);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* --- epoll ------------------------------------------------------------- */

static void watch_set(struct load *L, int fd, struct watch *w, unsigned ev,
                      unsigned *cur)
{
    struct epoll_event e = {.events = ev, .data.ptr = w};
    if (*cur == ev)
        return;
    if (ev == 0)
        epoll_ctl(L->epfd, EPOLL_CTL_DEL, fd, NULL);
    else
        epoll_ctl(L->epfd, *cur ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e);
    *cur = ev;
}

/* --- libcurl on the loop ------------------------------------------------- */

static int curl_sock_cb(CURL *e, curl_socket_t s, int what, void *userp,
                        void *sockp)
{
    struct load *L = userp;
    struct curl_sock *cs = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (cs) {
            epoll_ctl(L->epfd, EPOLL_CTL_DEL, s, NULL);
            free(cs);
            curl_multi_assign(L->multi, s, NULL);
        }
        return 0;
    }
    unsigned ev = (what & CURL_POLL_IN ? EPOLLIN : 0) |
                  (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    struct epoll_event ee = {.events = ev};
    if (!cs) {
        cs = xcalloc(1, sizeof *cs);
        cs->w.kind = WATCH_CURL;
        cs->fd = s;
        curl_multi_assign(L->multi, s, cs);
        ee.data.ptr = cs;
        epoll_ctl(L->epfd, EPOLL_CTL_ADD, s, &ee);
    } else {
        ee.data.ptr = cs;
        epoll_ctl(L->epfd, EPOLL_CTL_MOD, s, &ee);
    }
    return 0;
}

static int curl_timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    struct load *L = userp;
    L->curl_timeout_ms = timeout_ms;
    return 0;
}

static size_t curl_write_cb(char *p, size_t size, size_t n, void *userp)
{
    struct xfer *x = userp;
    return buf_append(&x->body, p, size * n) == 0 ? size * n : 0;
}

static void xfer_start(struct load *L, struct xfer *x, const char *url,
                       const char *bearer, const char *payload)
{
    CURL *e = curl_easy_init();
    if (!e) {
        fputs("wsload: curl_easy_init failed\n", stderr);
        exit(1);
    }
    buf_init(&x->body, 1 << 20);
    x->url = xstrdup(url);
    x->payload = xstrdup(payload ? payload : "");
    if (bearer) {
        char *h = xasprintf("Authorization: Bearer %s", bearer);
        x->hdrs = curl_slist_append(x->hdrs, h);
        free(h);
    }
    x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
    x->hdrs = curl_slist_append(x->hdrs, "Expect:");
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->payload);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(x->payload));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curl_write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_multi_add_handle(L->multi, e);
}

static void xfer_free(struct xfer *x)
{
    buf_release(&x->body);
    curl_slist_free_all(x->hdrs);
    free(x->url);
    free(x->payload);
    free(x);
}

/* --- one client ---------------------------------------------------------- */

static void client_fail(struct client *c, const char *why)
{
    struct load *L = c->L;
    if (c->state == C_DEAD)
        return;
    if (c->state == C_OPEN) {
        L->open--;
        L->dropped++;
        fprintf(stderr, "wsload: client dropped: %s\n", why);
    } else {
        L->setting_up--;
        L->failed++;
        note_error(L, why);
    }
    c->state = C_DEAD;
    if (c->fd >= 0) {
        watch_set(L, c->fd, &c->w, 0, &c->evmask);
        close(c->fd);
        c->fd = -1;
    }
    if (c->ws) {
        wslay_event_context_free(c->ws);
        c->ws = NULL;
    }
    buf_release(&c->in);
}

static void client_negotiate(struct client *c)
{
    struct load *L = c->L;
    struct xfer *x = xcalloc(1, sizeof *x);
    x->c = c;
    if (L->app) {
        x->kind = X_APPNEG;
        c->state = C_APPNEG;
        char *u = xasprintf("%s/api/negotiate", L->url);
        xfer_start(L, x, u, NULL, "");
        free(u);
    } else {
        x->kind = X_NEG;
        c->state = C_NEG;
        xfer_start(L, x, L->neg_url, L->client_token, "");
    }
}

/* The client URL {url} of an app negotiate: remember where clients go
 * (every client of the app gets the same one) and return the negotiate
 * URL the SignalR client derives from it, as a new string. */
static char *app_follow(struct load *L, const char *url)
{
    const char *q = strchr(url, '?');
    size_t base = q ? (size_t)(q - url) : strlen(url);
    const char *sl = base && url[base - 1] == '/' ? "" : "/";
    char *neg = xasprintf("%.*s%snegotiate%s%snegotiateVersion=1", (int)base,
                          url, sl, q ? q : "?", q ? "&" : "");
    if (!L->ws_path) {
        const char *hp = strstr(url, "://");
        hp = hp ? hp + 3 : url;
        size_t hl = strcspn(hp, "/?");
        char host[128], port[16] = "80";
        snprintf(host, sizeof host, "%.*s", (int)hl, hp);
        snprintf(L->host_hdr, sizeof L->host_hdr, "%s", host);
        char *colon = strrchr(host, ':');
        if (colon) {
            snprintf(port, sizeof port, "%s", colon + 1);
            *colon = '\0';
        }
        struct addrinfo hints = {.ai_family = AF_INET,
                                 .ai_socktype = SOCK_STREAM},
                        *ai = NULL;
        if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
            fprintf(stderr, "wsload: cannot resolve %s\n", host);
            exit(1);
        }
        memcpy(&L->ws_addr, ai->ai_addr, ai->ai_addrlen);
        L->ws_addrlen = ai->ai_addrlen;
        freeaddrinfo(ai);
        const char *path = hp + hl;
        L->ws_path = xasprintf("%s%s", *path ? path : "/", q ? "" : "?");
    }
    return neg;
}

static void client_connect(struct client *c)
{
    struct load *L = c->L;
    c->fd = socket(L->ws_addr.ss_family,
                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        client_fail(c, "socket() failed (descriptor limit?)");
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&L->ws_addr, L->ws_addrlen) < 0 &&
        errno != EINPROGRESS) {
        client_fail(c, "connect() failed");
        return;
    }
    c->state = C_CONNECTING;
    watch_set(L, c->fd, &c->w, EPOLLOUT, &c->evmask);
}

static void negotiated(struct load *L, struct xfer *x, CURLcode rc, long status)
{
    struct client *c = x->c;
    struct json_object *o = NULL;
    char why[160];
    if (rc != CURLE_OK || status != 200) {
        snprintf(why, sizeof why, "negotiate: %s, HTTP %ld",
                 rc == CURLE_OK ? "refused" : curl_easy_strerror(rc), status);
        client_fail(c, why);
        goto out;
    }
    o = json_tokener_parse(buf_cstr(&x->body));
    struct json_object *v;
    if (x->kind == X_APPNEG) {
        struct json_object *u;
        if (!json_object_object_get_ex(o, "url", &u) ||
            !json_object_object_get_ex(o, "accessToken", &v)) {
            client_fail(c, "app negotiate: no url/accessToken");
            goto out;
        }
        char *neg = app_follow(L, json_object_get_string(u));
        c->access = xstrdup(json_object_get_string(v));
        struct xfer *n = xcalloc(1, sizeof *n);
        n->kind = X_NEG;
        n->c = c;
        c->state = C_NEG;
        xfer_start(L, n, neg, c->access, "");
        free(neg);
        goto out;
    }
    if (!json_object_object_get_ex(o, "connectionToken", &v) &&
        !json_object_object_get_ex(o, "connectionId", &v)) {
        client_fail(c, "negotiate: no connectionToken");
        goto out;
    }
    c->conn_token = xstrdup(json_object_get_string(v));
    client_connect(c);
out:
    json_object_put(o);
}

static void posted(struct load *L, struct xfer *x, CURLcode rc, long status)
{
    struct bcast *b = &L->bc[x->bcast];
    if (rc == CURLE_OK && status >= 200 && status < 300)
        return;
    char why[160];
    snprintf(why, sizeof why, "broadcast POST: %s, HTTP %ld",
             rc == CURLE_OK ? "refused" : curl_easy_strerror(rc), status);
    note_error(L, why);
    if (!b->done) {
        b->done = 1;
        L->inflight--;
    }
}

static void curl_done(struct load *L)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(L->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        long status = 0;
        CURL *e = m->easy_handle;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(L->multi, e);
        curl_easy_cleanup(e);
        if (x->kind == X_POST)
            posted(L, x, rc, status);
        else
            negotiated(L, x, rc, status);
        xfer_free(x);
    }
}

/* --- WebSocket (wslay, client side) --------------------------------------- */

static ssize_t ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *data,
                          size_t len, int flags, void *user)
{
    struct client *c = user;
    if (c->pending_off < c->pending_len) {
        size_t n = c->pending_len - c->pending_off;
        if (n > len)
            n = len;
        memcpy(data, c->pending + c->pending_off, n);
        c->pending_off += n;
        if (c->pending_off == c->pending_len) {
            free(c->pending);
            c->pending = NULL;
            c->pending_len = c->pending_off = 0;
        }
        return (ssize_t)n;
    }
    /* A short read drained the socket: skip the read that would only say
     * EAGAIN (epoll is level-triggered, so nothing is missed). */
    if (c->drained) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    ssize_t r;
    do {
        r = read(c->fd, data, len);
    } while (r < 0 && errno == EINTR);
    if (r >= 0 && (size_t)r < len)
        c->drained = 1;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (r <= 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return r;
}

static ssize_t ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data,
                          size_t len, int flags, void *user)
{
    struct client *c = user;
    ssize_t r;
    do {
        r = send(c->fd, data, len, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK
                                       ? WSLAY_ERR_WOULDBLOCK
                                       : WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return r;
}

/* Masks need not be secret here, only present: a cheap xorshift. */
static int ws_genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                         void *user)
{
    struct client *c = user;
    uint64_t *s = &c->L->rng;
    for (size_t i = 0; i < len; i++) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        buf[i] = (uint8_t)*s;
    }
    return 0;
}

static struct bcast *bcast_by_t(struct load *L, long long t)
{
    for (size_t i = L->nbc; i > 0; i--)
        if (L->bc[i - 1].t_us == t)
            return &L->bc[i - 1];
    return NULL;
}

/* Type and t of one record; each distinct payload is parsed once. */
static void classify(struct load *L, const char *p, size_t n, int *type,
                     long long *t)
{
    for (int i = 0; i < CACHE_SLOTS; i++) {
        struct cache_entry *e = &L->cache[i];
        if (e->len == n && e->data && memcmp(e->data, p, n) == 0) {
            *type = e->type;
            *t = e->t;
            return;
        }
    }
    *type = -1;
    *t = -1;
    struct json_object *o = NULL;
    if (L->msgpack) {
        struct hubproto_msg m;
        char err[160];
        if (hubmsgpack_parse(p, n, &m, err, sizeof err) == 0) {
            o = json_object_get(m.obj);
            hubproto_msg_release(&m);
        }
    } else {
        json_tokener_reset(L->tok);
        o = json_tokener_parse_ex(L->tok, p, (int)n);
    }
    struct json_object *v, *a;
    if (o && json_object_object_get_ex(o, "type", &v))
        *type = json_object_get_int(v);
    if (*type == 1 && json_object_object_get_ex(o, "arguments", &a) &&
        json_object_is_type(a, json_type_array) &&
        json_object_array_length(a) > 0 &&
        json_object_object_get_ex(json_object_array_get_idx(a, 0), "t", &v))
        *t = json_object_get_int64(v);
    json_object_put(o);
    struct cache_entry *e = &L->cache[L->cache_next];
    L->cache_next = (L->cache_next + 1) % CACHE_SLOTS;
    free(e->data);
    e->data = xstrndup(p, n);
    e->len = n;
    e->type = *type;
    e->t = *t;
}

static void on_record(struct client *c, const char *p, size_t n)
{
    struct load *L = c->L;
    if (c->state == C_HANDSHAKE) {
        if (n == 2 && memcmp(p, "{}", 2) == 0) {
            c->state = C_OPEN;
            L->setting_up--;
            L->open++;
        } else {
            c->doom = "handshake refused";
        }
        return;
    }
    int type;
    long long t;
    classify(L, p, n, &type, &t);
    if (type == 7) {
        c->doom = "Close message from the server";
        return;
    }
    if (type != 1 || t < 0)
        return;
    long long now = now_us();
    L->delivered++;
    if (L->lat)
        samples_add(L->lat, now - t);
    struct bcast *b = bcast_by_t(L, t);
    if (b && ++b->received >= b->expected && !b->done) {
        b->done = 1;
        b->done_us = now;
        L->inflight--;
        L->last_done_us = now;
    }
}

static void ws_msg_cb(wslay_event_context_ptr ctx,
                      const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    struct client *c = user;
    if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
        c->doom = "WebSocket closed by the server";
        return;
    }
    if (arg->opcode != WSLAY_TEXT_FRAME && arg->opcode != WSLAY_BINARY_FRAME)
        return;
    const char *p = (const char *)arg->msg, *end = p + arg->msg_length;
    if (c->L->msgpack && c->state == C_OPEN) {
        /* framed MessagePack messages, whole ones per WebSocket message */
        size_t hdr = 0, len = 0;
        char err[160];
        while (p < end && !c->doom &&
               hubmsgpack_frame(p, (size_t)(end - p), MSG_MAX, &hdr, &len, err,
                                sizeof err) == 1) {
            on_record(c, p + hdr, len);
            p += hdr + len;
        }
        return;
    }
    while (p < end && !c->doom) {
        const char *rs = memchr(p, 0x1e, (size_t)(end - p));
        if (!rs)
            break; /* the JSON protocol sends whole records per message */
        on_record(c, p, (size_t)(rs - p));
        p = rs + 1;
    }
}

static void ws_update(struct client *c)
{
    if (c->state == C_DEAD)
        return;
    if (c->doom) {
        client_fail(c, c->doom);
        return;
    }
    if (!wslay_event_want_read(c->ws) && !wslay_event_want_write(c->ws)) {
        client_fail(c, "WebSocket ended");
        return;
    }
    watch_set(c->L, c->fd, &c->w,
              EPOLLIN | (wslay_event_want_write(c->ws) ? EPOLLOUT : 0),
              &c->evmask);
}

static void ws_send_frame(struct client *c, uint8_t opcode, const char *s,
                          size_t n)
{
    struct wslay_event_msg m = {opcode, (const uint8_t *)s, n};
    wslay_event_queue_msg(c->ws, &m);
    c->last_tx_us = now_us();
    if (wslay_event_send(c->ws) < 0) {
        client_fail(c, "WebSocket send failed");
        return;
    }
    ws_update(c);
}

static void ws_send_text(struct client *c, const char *s)
{
    ws_send_frame(c, WSLAY_TEXT_FRAME, s, strlen(s));
}

static void ws_send_binary(struct client *c, const char *s, size_t n)
{
    ws_send_frame(c, WSLAY_BINARY_FRAME, s, n);
}

static const struct wslay_event_callbacks WS_CALLBACKS = {
    ws_recv_cb, ws_send_cb, ws_genmask_cb, NULL, NULL, NULL, ws_msg_cb};

static void ws_key(struct client *c)
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1)
        ws_genmask_cb(NULL, raw, sizeof raw, c);
    EVP_EncodeBlock((unsigned char *)c->key, raw, sizeof raw);
}

static int accept_ok(const struct client *c, const char *resp)
{
    char src[96], want[40];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    snprintf(src, sizeof src, "%s%s", c->key, WS_GUID);
    EVP_Digest(src, strlen(src), md, &mdlen, EVP_sha1(), NULL);
    EVP_EncodeBlock((unsigned char *)want, md, (int)mdlen);
    for (const char *p = strchr(resp, '\n'); p; p = strchr(p + 1, '\n'))
        if (strncasecmp(p + 1, "Sec-WebSocket-Accept:", 21) == 0) {
            const char *v = p + 22;
            while (*v == ' ')
                v++;
            return strncmp(v, want, strlen(want)) == 0;
        }
    return 0;
}

static void send_upgrade(struct client *c)
{
    struct load *L = c->L;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr) {
        client_fail(c, "WebSocket connect refused");
        return;
    }
    ws_key(c);
    char *req = xasprintf(
        "GET %s&id=%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
        "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
        L->ws_path, c->conn_token, L->host_hdr, c->key,
        c->access ? c->access : L->client_token);
    size_t n = strlen(req);
    ssize_t w = send(c->fd, req, n, MSG_NOSIGNAL);
    free(req);
    if (w != (ssize_t)n) {
        client_fail(c, "upgrade request not sent whole");
        return;
    }
    c->state = C_UPGRADE;
    buf_init(&c->in, UPGRADE_MAX);
    watch_set(L, c->fd, &c->w, EPOLLIN, &c->evmask);
}

static void read_upgrade(struct client *c)
{
    char tmp[UPGRADE_MAX];
    ssize_t r = read(c->fd, tmp, sizeof tmp);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0 || buf_append(&c->in, tmp, (size_t)r) < 0) {
        client_fail(c, "upgrade: connection closed or reply too long");
        return;
    }
    const char *s = buf_cstr(&c->in);
    const char *end = strstr(s, "\r\n\r\n");
    if (!end)
        return;
    if (strncmp(s, "HTTP/1.1 101", 12) != 0 || !accept_ok(c, s)) {
        client_fail(c, "upgrade refused");
        return;
    }
    size_t hl = (size_t)(end + 4 - s);
    if (c->in.len > hl) {
        c->pending_len = c->in.len - hl;
        c->pending = xmalloc(c->pending_len);
        memcpy(c->pending, s + hl, c->pending_len);
    }
    buf_release(&c->in);
    if (wslay_event_context_client_init(&c->ws, &WS_CALLBACKS, c) != 0) {
        client_fail(c, "wslay init failed");
        return;
    }
    wslay_event_config_set_max_recv_msg_length(c->ws, MSG_MAX);
    c->state = C_HANDSHAKE;
    ws_send_text(c, c->L->msgpack
                        ? "{\"protocol\":\"messagepack\",\"version\":1}\x1e"
                        : "{\"protocol\":\"json\",\"version\":1}\x1e");
    if (c->state != C_DEAD && wslay_event_recv(c->ws) < 0)
        client_fail(c, "WebSocket read failed");
    ws_update(c);
}

static void client_event(struct client *c, unsigned ev)
{
    switch (c->state) {
    case C_CONNECTING:
        send_upgrade(c);
        break;
    case C_UPGRADE:
        read_upgrade(c);
        break;
    case C_HANDSHAKE:
    case C_OPEN:
        c->drained = 0;
        if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) &&
            wslay_event_recv(c->ws) < 0) {
            client_fail(c, "WebSocket read failed (server closed?)");
            break;
        }
        if ((ev & EPOLLOUT) && wslay_event_send(c->ws) < 0) {
            client_fail(c, "WebSocket write failed");
            break;
        }
        ws_update(c);
        break;
    default:
        break;
    }
}

/* --- the loop --------------------------------------------------------- */

static void sweep(struct load *L, long long now)
{
    if (now - L->last_sweep_us < 1000000)
        return;
    L->last_sweep_us = now;
    for (long i = 0; i < L->ncl; i++) {
        struct client *c = &L->cl[i];
        if (c->state == C_OPEN && now - c->last_tx_us >= PING_EVERY_US) {
            if (L->msgpack)
                ws_send_binary(c, "\x02\x91\x06", 3);
            else
                ws_send_text(c, "{\"type\":6}\x1e");
        }
    }
    for (size_t i = 0; i < L->nbc; i++) {
        struct bcast *b = &L->bc[i];
        if (!b->done && now - b->t_us > BCAST_TIMEOUT_US) {
            b->done = 1;
            L->inflight--;
            fprintf(stderr, "wsload: broadcast lost: %ld of %ld received\n",
                    b->received, b->expected);
        }
    }
}

static void loop_once(struct load *L, int max_ms)
{
    struct epoll_event evs[256];
    int wait = max_ms;
    if (L->curl_timeout_ms >= 0 && L->curl_timeout_ms < wait)
        wait = (int)L->curl_timeout_ms;
    int n = epoll_wait(L->epfd, evs, 256, wait);
    int running;
    for (int i = 0; i < n; i++) {
        struct watch *w = evs[i].data.ptr;
        if (w->kind == WATCH_CURL) {
            struct curl_sock *cs = (struct curl_sock *)w;
            int fl =
                (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(L->multi, cs->fd, fl, &running);
        } else {
            client_event((struct client *)w, evs[i].events);
        }
    }
    curl_multi_socket_action(L->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    curl_done(L);
    sweep(L, now_us());
}

/* Connect clients until target are open (or none is left setting up). */
static int grow(struct load *L, long target)
{
    long long t0 = now_us();
    while (L->open < target && now_us() - t0 < CONNECT_TIMEOUT_US) {
        while (L->started < target && L->setting_up < MAX_SETUP) {
            struct client *c = &L->cl[L->started++];
            L->setting_up++;
            client_negotiate(c);
        }
        if (L->started >= target && L->setting_up == 0)
            break;
        loop_once(L, 10);
    }
    return L->open >= target ? 0 : -1;
}

static void post_bcast(struct load *L)
{
    if (L->nbc == L->capbc) {
        L->capbc = L->capbc ? L->capbc * 2 : 256;
        L->bc = xrealloc(L->bc, L->capbc * sizeof *L->bc);
    }
    struct bcast *b = &L->bc[L->nbc];
    long long t = now_us();
    if (L->nbc && t <= L->bc[L->nbc - 1].t_us)
        t = L->bc[L->nbc - 1].t_us + 1; /* t identifies the broadcast */
    b->t_us = t;
    b->expected = L->open;
    b->received = 0;
    b->done = 0;
    b->done_us = 0;
    struct xfer *x = xcalloc(1, sizeof *x);
    x->kind = X_POST;
    x->bcast = L->nbc++;
    L->inflight++;
    char *body = L->app ? xasprintf("{\"message\":{\"t\":%lld}}", t)
                        : xasprintf("{\"target\":\"bench\",\"arguments\":"
                                    "[{\"t\":%lld}]}",
                                    t);
    xfer_start(L, x, L->post_url, L->app ? NULL : L->rest_token, body);
    free(body);
}

static void drain(struct load *L, long long limit_us)
{
    long long t0 = now_us();
    while (L->inflight > 0 && now_us() - t0 < limit_us)
        loop_once(L, 5);
}

static struct json_object *jnum(double v, int decimals)
{
    char txt[64];
    if (v < 0)
        return NULL;
    snprintf(txt, sizeof txt, "%.*f", decimals, v);
    return json_object_new_double_s(strtod(txt, NULL), txt);
}

/* One broadcast at a time, each waited for at every client. */
static struct json_object *latency_phase(struct load *L)
{
    struct samples lat = {0};
    struct json_object *lo = json_object_new_object();
    struct json_object *each = json_object_new_array();
    int complete = 0, posted = 0;
    fprintf(stderr, "wsload[%s]: %d broadcasts to %ld clients\n", L->label,
            L->broadcasts, L->open);
    L->lat = &lat;
    for (int i = 0; i < L->broadcasts && L->open > 0; i++) {
        size_t k = L->nbc;
        post_bcast(L);
        posted++;
        drain(L, BCAST_TIMEOUT_US + 1000000);
        struct bcast *b = &L->bc[k];
        complete += b->received >= b->expected;
        /* from the POST to the last receipt of this broadcast */
        json_object_array_add(
            each, b->done_us ? jnum((b->done_us - b->t_us) / 1000.0, 1) : NULL);
        long long gap = now_us();
        while (now_us() - gap < 20000)
            loop_once(L, 5);
    }
    L->lat = NULL;
    json_object_object_add(lo, "broadcasts", json_object_new_int(posted));
    json_object_object_add(lo, "complete", json_object_new_int(complete));
    json_object_object_add(lo, "deliveries",
                           json_object_new_int64((long long)lat.n));
    json_object_object_add(lo, "p50_ms", jnum(samples_pct(&lat, 0.50), 2));
    json_object_object_add(lo, "p99_ms", jnum(samples_pct(&lat, 0.99), 2));
    json_object_object_add(lo, "max_ms", jnum(samples_pct(&lat, 1.0), 2));
    json_object_object_add(lo, "each_ms", each);
    free(lat.v);
    return lo;
}

/* window broadcasts in flight for throughput_s seconds, then drained. */
static struct json_object *throughput_phase(struct load *L)
{
    struct samples lat = {0};
    fprintf(stderr, "wsload[%s]: throughput for %.1f s, window %d\n", L->label,
            L->throughput_s, L->window);
    L->lat = &lat;
    long long d0 = L->delivered;
    size_t b0 = L->nbc;
    double cpu0 = self_cpu_s(), scpu0 = L->pid ? proc_cpu_s(L->pid) : -1;
    long long start = now_us();
    long long stop = start + (long long)(L->throughput_s * 1e6);
    long peak_kb = -1;
    long long last_rss = 0;
    L->last_done_us = start;
    while (now_us() < stop && L->open > 0) {
        while (L->inflight < L->window)
            post_bcast(L);
        if (L->batch_us)
            usleep((useconds_t)L->batch_us);
        loop_once(L, 2);
        if (L->pid && now_us() - last_rss > 200000) {
            long kb = rss_kb(L->pid);
            peak_kb = kb > peak_kb ? kb : peak_kb;
            last_rss = now_us();
        }
    }
    drain(L, BCAST_TIMEOUT_US + 1000000);
    L->lat = NULL;
    double elapsed = (L->last_done_us - start) / 1e6;
    long long delivered = L->delivered - d0;
    double cpu = self_cpu_s() - cpu0;
    double scpu = L->pid ? proc_cpu_s(L->pid) - scpu0 : -1;
    long lost = 0;
    for (size_t i = b0; i < L->nbc; i++)
        lost += L->bc[i].received < L->bc[i].expected;
    struct json_object *to = json_object_new_object();
    json_object_object_add(to, "seconds", jnum(elapsed, 3));
    json_object_object_add(to, "broadcasts",
                           json_object_new_int64((long long)(L->nbc - b0)));
    json_object_object_add(to, "incomplete", json_object_new_int64(lost));
    json_object_object_add(to, "delivered", json_object_new_int64(delivered));
    json_object_object_add(to, "delivered_per_s",
                           jnum(elapsed > 0 ? delivered / elapsed : 0, 0));
    json_object_object_add(to, "p50_ms", jnum(samples_pct(&lat, 0.50), 2));
    json_object_object_add(to, "p99_ms", jnum(samples_pct(&lat, 0.99), 2));
    json_object_object_add(to, "peak_rss_kb", json_object_new_int64(peak_kb));
    struct json_object *co = json_object_new_object();
    json_object_object_add(co, "wsload", jnum(cpu, 3));
    json_object_object_add(co, "server", jnum(scpu, 3));
    json_object_object_add(to, "cpu_s", co);
    free(lat.v);
    return to;
}

/* Grow to target clients, then measure memory, latency, throughput. */
static struct json_object *run_stage(struct load *L, long target)
{
    struct json_object *st = json_object_new_object();
    long dropped0 = L->dropped;
    long long t0 = now_us();
    fprintf(stderr, "wsload[%s]: connecting %ld clients\n", L->label, target);
    grow(L, target);
    json_object_object_add(st, "clients", json_object_new_int64(target));
    json_object_object_add(st, "connected", json_object_new_int64(L->open));
    json_object_object_add(st, "failed", json_object_new_int64(L->failed));
    json_object_object_add(st, "connect_s", jnum((now_us() - t0) / 1e6, 2));
    if (L->err_first[0])
        json_object_object_add(st, "first_error",
                               json_object_new_string(L->err_first));
    /* Let the server settle, then its resident memory with target held. */
    long long settle = now_us();
    while (now_us() - settle < 500000)
        loop_once(L, 50);
    json_object_object_add(st, "rss_kb",
                           json_object_new_int64(L->pid ? rss_kb(L->pid) : -1));
    json_object_object_add(st, "latency", latency_phase(L));
    if (L->throughput_s > 0)
        json_object_object_add(st, "throughput", throughput_phase(L));
    json_object_object_add(st, "held", json_object_new_int64(L->open));
    json_object_object_add(st, "dropped",
                           json_object_new_int64(L->dropped - dropped0));
    json_object_object_add(st, "rss_kb_after",
                           json_object_new_int64(L->pid ? rss_kb(L->pid) : -1));
    return st;
}

/* --- set-up -------------------------------------------------------------- */

static void usage(void)
{
    fputs("usage: wsload --url http://127.0.0.1:PORT [--mode service|app] "
          "[--hub NAME] [--key KEY] [--code FUNCTION_KEY]\n"
          "              [--clients 1000,10000] [--broadcasts N] "
          "[--throughput-s S] [--window W]\n"
          "              [--pid SERVER_PID] [--label NAME] "
          "[--protocol json|messagepack]\n",
          stderr);
    exit(2);
}

static void parse_args(struct load *L, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        i++;
        if (strcmp(a, "--url") == 0) {
            L->url = v;
        } else if (strcmp(a, "--mode") == 0) {
            L->mode = v;
        } else if (strcmp(a, "--hub") == 0) {
            L->hub = v;
        } else if (strcmp(a, "--key") == 0) {
            L->key = v;
        } else if (strcmp(a, "--code") == 0) {
            L->code = v;
        } else if (strcmp(a, "--label") == 0) {
            L->label = v;
        } else if (strcmp(a, "--protocol") == 0) {
            if (strcmp(v, "messagepack") != 0 && strcmp(v, "json") != 0)
                usage();
            L->msgpack = strcmp(v, "messagepack") == 0;
        } else if (strcmp(a, "--clients") == 0) {
            const char *p = v;
            L->nstages = 0;
            while (*p && L->nstages < MAX_STAGES) {
                char *end;
                long n = strtol(p, &end, 10);
                if (end == p || n < 1)
                    usage();
                L->stages[L->nstages++] = n;
                p = *end == ',' ? end + 1 : end;
            }
        } else if (strcmp(a, "--broadcasts") == 0) {
            L->broadcasts = (int)strtol(v, NULL, 10);
        } else if (strcmp(a, "--window") == 0) {
            L->window = (int)strtol(v, NULL, 10);
        } else if (strcmp(a, "--throughput-s") == 0) {
            L->throughput_s = strtod(v, NULL);
        } else if (strcmp(a, "--batch-us") == 0) {
            L->batch_us = strtol(v, NULL, 10);
        } else if (strcmp(a, "--pid") == 0) {
            L->pid = strtol(v, NULL, 10);
        } else {
            usage();
        }
    }
    if (!L->url || L->nstages == 0 || L->window < 1)
        usage();
    L->app = strcmp(L->mode, "app") == 0;
}

static void raise_nofile(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (long)rl.rlim_cur < need + 64)
        fprintf(stderr, "wsload: descriptor limit %ld is below %ld clients\n",
                (long)rl.rlim_cur, need);
}

/* Service mode: the tokens an SDK would mint and where clients go. */
static void service_setup(struct load *L)
{
    char *hub = xstrdup(L->hub);
    for (char *p = hub; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    char *caud = xasprintf("http://localhost/client/?hub=%s", hub);
    char *raud = xasprintf(
        "http://localhost/api/hubs/%s/:send?api-version=2022-06-01", hub);
    long now = (long)time(NULL);
    if (token_mint(L->key, caud, NULL, NULL, now, 3600, &L->client_token) < 0 ||
        token_mint(L->key, raud, NULL, NULL, now, 3600, &L->rest_token) < 0) {
        fputs("wsload: cannot mint tokens\n", stderr);
        exit(1);
    }
    L->neg_url =
        xasprintf("%s/client/negotiate?hub=%s&negotiateVersion=1", L->url, hub);
    L->post_url =
        xasprintf("%s/api/hubs/%s/:send?api-version=2022-06-01", L->url, hub);
    char *cu = xasprintf("%s/client/?hub=%s", L->url, hub);
    char *neg = app_follow(L, cu); /* fills ws_addr, ws_path, host_hdr */
    free(neg);
    free(cu);
    free(caud);
    free(raud);
    free(hub);
}

int main(int argc, char **argv)
{
    struct load L = {.mode = "service",
                     .hub = "bench",
                     .label = "wsload",
                     .key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH",
                     .broadcasts = 20,
                     .window = 8,
                     .throughput_s = 3,
                     .curl_timeout_ms = -1};
    parse_args(&L, argc, argv);
    long max = 0;
    for (int i = 0; i < L.nstages; i++)
        max = L.stages[i] > max ? L.stages[i] : max;
    raise_nofile(max);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    L.epfd = epoll_create1(EPOLL_CLOEXEC);
    L.multi = curl_multi_init();
    L.tok = json_tokener_new();
    L.rng = (uint64_t)now_us() | 1;
    curl_multi_setopt(L.multi, CURLMOPT_SOCKETFUNCTION, curl_sock_cb);
    curl_multi_setopt(L.multi, CURLMOPT_SOCKETDATA, &L);
    curl_multi_setopt(L.multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
    curl_multi_setopt(L.multi, CURLMOPT_TIMERDATA, &L);
    curl_multi_setopt(L.multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)CURL_HOST_CONNS);
    if (L.app) {
        L.post_url = xasprintf("%s/api/broadcast%s%s", L.url,
                               L.code ? "?code=" : "", L.code ? L.code : "");
    } else {
        service_setup(&L);
    }
    L.cl = xcalloc((size_t)max, sizeof *L.cl);
    L.ncl = max;
    for (long i = 0; i < max; i++) {
        L.cl[i].w.kind = WATCH_CLIENT;
        L.cl[i].L = &L;
        L.cl[i].fd = -1;
    }
    struct json_object *out = json_object_new_object();
    struct json_object *stages = json_object_new_array();
    json_object_object_add(out, "label", json_object_new_string(L.label));
    json_object_object_add(
        out, "protocol",
        json_object_new_string(L.msgpack ? "messagepack" : "json"));
    json_object_object_add(out, "mode", json_object_new_string(L.mode));
    for (int i = 0; i < L.nstages; i++)
        json_object_array_add(stages, run_stage(&L, L.stages[i]));
    json_object_object_add(out, "stages", stages);
    json_object_object_add(out, "dropped", json_object_new_int64(L.dropped));
    json_object_object_add(out, "failed", json_object_new_int64(L.failed));
    puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
    fflush(stdout);
    json_object_put(out);
    for (long i = 0; i < L.ncl; i++) {
        struct client *c = &L.cl[i];
        if (c->fd >= 0)
            close(c->fd);
        if (c->ws)
            wslay_event_context_free(c->ws);
        buf_release(&c->in);
        free(c->pending);
        free(c->conn_token);
        free(c->access);
    }
    for (int i = 0; i < CACHE_SLOTS; i++)
        free(L.cache[i].data);
    free(L.cl);
    free(L.bc);
    json_tokener_free(L.tok);
    curl_multi_cleanup(L.multi);
    curl_global_cleanup();
    free(L.client_token);
    free(L.rest_token);
    free(L.neg_url);
    free(L.post_url);
    free(L.ws_path);
    close(L.epfd);
    return L.failed || L.dropped ? 3 : 0;
}
