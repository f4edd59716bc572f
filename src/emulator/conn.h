/*
 * conn.h - one client connection: its life, its hub protocol, its output.
 *
 * A connection is born at negotiate (CONN_NEGOTIATED: an id and a token,
 * no transport yet), gets a transport when the client connects
 * (WebSockets, Server-Sent Events or Long Polling), passes the handshake
 * (CONN_HANDSHAKE -> CONN_OPEN, when it joins its hub), and ends in
 * conn_close (graceful: Close message, then the transport's own close,
 * CONN_CLOSING) or conn_abort (at once). It is freed in one place only:
 * conns_reap, after the loop turn in which it ended, so a fan-out that
 * closes a client never frees what it is iterating.
 * The hub protocol rules are here (handshake within 15 s, Ping every 15 s
 * of silence, close after 30 s without input, several records per frame,
 * only complete records); the bytes of each transport are in ws.c and in
 * client.c (SSE and long polling through libmicrohttpd).
 *
 * Every connection belongs to a connection table (struct conns, owned
 * here): the connections by token, the list the timer sweep walks, those
 * ended this turn (freed by conns_reap), the WebSockets with frames queued
 * this turn (written by conns_flush), the hooks, and whether the service
 * is stopping. The table borrows the loop (clock, watches), the HTTP side
 * (woken when an upgraded socket is handed back) and the registry (hubs
 * joined at the handshake, left at the end).
 */
#ifndef EMULATOR_CONN_H
#define EMULATOR_CONN_H

#include <stddef.h>

#include <microhttpd.h>

#include "emulator/hub.h"
#include "emulator/http.h"
#include "emulator/hubout.h"
#include "emulator/loop.h"
#include "emulator/msg.h"
#include "emulator/replay.h"
#include "emulator/ws.h"
#include "proto/hubmsgpack.h"
#include "proto/hubproto.h"
#include "util/buf.h"

/* 16 random bytes, base64url without padding, as ASP.NET Core makes them. */
#define CONN_ID_LEN 22

/* Emulator-local timers, milliseconds. */
#define CONN_NEGOTIATE_TTL_MS 60000 /* negotiated but never connected */
#define CONN_LP_HOLD_MS 90000       /* ASP.NET Core long-poll timeout */
#define CONN_LP_MAX_GAP_MS 5000     /* asrs.s.ttl default: re-poll within */
#define CONN_CLOSE_GRACE_MS 2000    /* wait for the peer's close frame */
/* Stateful reconnect: how long a connection whose WebSocket dropped is
 * kept for the client to come back (ASP.NET Core's
 * ConnectionOptions.DisconnectTimeout default, ConnectionOptionsSetup). */
#define CONN_RECONNECT_WINDOW_MS 15000

enum conn_state {
    CONN_NEGOTIATED, /* id handed out, no transport yet */
    CONN_HANDSHAKE,  /* transport up, waiting for the handshake request */
    CONN_OPEN,       /* handshake done, in the hub */
    CONN_CLOSING,    /* Close sent, waiting for the transport to end */
    CONN_DEAD        /* on the reap list */
};

enum conn_transport { CONN_NONE, CONN_WS, CONN_SSE, CONN_LP };

struct upconn;
struct conns;

struct conn {
    struct loop_watch watch; /* first: the loop dispatches on it (WS only) */
    struct conns *table;     /* the table it belongs to */
    char id[CONN_ID_LEN + 1];
    char token[CONN_ID_LEN + 1];
    char *hub;  /* lower-case hub name */
    char *user; /* NULL when anonymous */
    enum conn_state state;
    enum conn_transport transport;
    int registered; /* in the hub's registry */
    int was_open;   /* passed the handshake once */
    int watching_out;
    int dirty; /* on the table's dirty list: frames queued this turn */
    long long born_ms, attached_ms, last_in_ms, last_out_ms, closing_ms;
    struct hubproto_reader reader;
    /* The MessagePack hub protocol (proto/hubmsgpack.h), chosen at the
     * handshake: what follows it is read by mpreader, and every record
     * sent is transcoded (WebSocket binary frames, binary poll bodies). */
    int binary;
    struct hubmsgpack_reader mpreader;
    /* WebSockets. watch.fd is our dup of the upgraded socket, owned here
     * and closed by conn_abort; libmicrohttpd let go of its own at the
     * upgrade (urh NULL). Only when the dup failed is urh set: the socket
     * is then libmicrohttpd's, closed by MHD_upgrade_action at the reap. */
    struct ws *ws;
    struct MHD_UpgradeResponseHandle *urh;
    /* SSE and long polling: bytes waiting for the stream or the next poll */
    struct buf out;
    struct http_req *stream; /* SSE: the GET carrying the event stream */
    struct http_req *poll;   /* LP: the poll being held, or NULL */
    int polled;              /* LP: the first (immediate) poll was answered */
    long long poll_end_ms;   /* LP: when the last poll was answered */
    /* upstream (upclient.h): what the X-ASRS-* headers say about this
     * connection, set at the connect request; owned, may be NULL */
    char *claims;      /* X-ASRS-User-Claims */
    char *query;       /* X-ASRS-Client-Query, without access_token */
    char *error;       /* why the service closed it, for disconnected */
    struct upconn *up; /* upclient.c's state; that module clears it */
    /* Stateful reconnect (replay.h). stateful_asked: negotiate was asked
     * for it (?useStatefulReconnect=true) and answered yes; stateful: on,
     * once the handshake asked for hub protocol version 2 or more over
     * WebSockets (the only transport the JS client resumes). detached:
     * the WebSocket dropped without a close (ws is NULL), the connection
     * stays OPEN, in its hub and groups, sends are kept in replay only,
     * until a new WebSocket with the same token resumes it or the window
     * ends (then it ends as any other). */
    int stateful_asked;
    int stateful;
    int detached;
    long long detached_ms;
    struct replay replay;
    /* the table's lists */
    struct conn *prev, *next; /* every connection */
    struct conn *reap_next;   /* ended this turn */
};

/* The seam where the upstream client (upclient.h) plugs in. Every hook
 * may be NULL; each gets the arg given with them. on_connected runs after
 * a successful handshake, on_disconnected once the connection is gone
 * (just before it is freed), on_invocation for each client Invocation
 * (raw: the record without 0x1E; for a MessagePack client the message
 * without its length prefix, m holding its JSON form). With no hooks (the
 * default) client invocations are ignored, as the service does without upstream
 */
struct conn_hooks {
    void (*on_connected)(void *arg, struct conn *c);
    void (*on_disconnected)(void *arg, struct conn *c);
    void (*on_invocation)(void *arg, struct conn *c,
                          const struct hubproto_msg *m, const char *raw,
                          size_t len);
};

/* An empty table; l, h and reg are borrowed for its life. Never NULL. */
struct conns *conns_new(struct loop *l, struct http *h, struct registry *reg);
/* Free the table; every connection must have been reaped (conns_reap
 * after conns_abort_all). NULL is a no-op. */
void conns_free(struct conns *t);
/* Install hooks (borrowed, with arg, until replaced), or NULL for none. */
void conns_set_hooks(struct conns *t, const struct conn_hooks *hooks,
                     void *arg);

/* REST 2024-12-01 and the tier simulation (clientres.h, tier.h): each
 * client Completion goes to on_completion; every message conn_send is
 * asked to send goes through meter first (bytes of the records), which
 * returns -1 to drop it (a used-up daily quota). NULL: none. */
struct conn_extras {
    void (*on_completion)(void *arg, struct conn *c,
                          const struct hubproto_msg *m);
    void *completion_arg;
    int (*meter)(void *arg, size_t bytes);
    void *meter_arg;
};
/* Install extras (borrowed until replaced), or NULL for none. */
void conns_set_extras(struct conns *t, const struct conn_extras *x);
/* Connections with a transport that have not ended yet (what the
 * service counts as connected). */
size_t conns_connected(const struct conns *t);

/* The service is stopping: every open client gets a Close message with
 * allowReconnect (conn_close), the others end at once; no error is kept
 * for upstream from now on. */
void conns_stop(struct conns *t);
int conns_stopping(const struct conns *t);
/* Connections not yet ended. */
size_t conns_live(const struct conns *t);
/* Close every open connection (conn_close with error). */
void conns_close_open(struct conns *t, const char *error, int allow_reconnect);
/* End every connection at once (conn_abort with why). */
void conns_abort_all(struct conns *t, const char *why);

/* Stateful reconnect's bounds for connections that start from now:
 * window_ms the reconnect window (0: CONN_RECONNECT_WINDOW_MS), max_bytes
 * the replay buffer (0: REPLAY_MAX_BYTES). */
void conns_set_stateful(struct conns *t, long long window_ms, size_t max_bytes);

/* A negotiated connection for hub (lower-cased here) and user (may be
 * NULL), registered by token in t, which owns it. With same_token
 * (negotiate version 0) the token is the connection id. Returns NULL when
 * random bytes are unavailable. */
struct conn *conn_new(struct conns *t, const char *hub, const char *user,
                      int same_token);
/* The connection for a connectionToken, or NULL (also when ended). */
struct conn *conn_by_token(struct conns *t, const char *token);

/* Give the connection its transport. For WebSockets fd and urh come from
 * the upgrade (extra: bytes read past the HTTP request, copied): the
 * connection takes a duplicate of fd and hands urh back to libmicrohttpd
 * at once (MHD_UPGRADE_ACTION_CLOSE), so neither fd nor urh is used after
 * it returns 0. Return 0, or -1 when already attached (then the caller
 * still owns urh). */
int conn_attach_ws(struct conn *c, int fd, const char *extra, size_t extra_len,
                   struct MHD_UpgradeResponseHandle *urh);
/* A new WebSocket for a stateful connection (conn_resumable), with the
 * same arguments and ownership as conn_attach_ws: the old WebSocket, if
 * the emulator has not seen it drop yet, is let go; the client gets a
 * Sequence message and every message it has not acknowledged, in order;
 * what it sends is ignored until its own Sequence. No handshake, no
 * connected event. Returns 0, or -1 when c cannot resume. */
int conn_resume_ws(struct conn *c, int fd, const char *extra, size_t extra_len,
                   struct MHD_UpgradeResponseHandle *urh);
/* 1 when a new WebSocket with c's token resumes c (conn_resume_ws). */
int conn_resumable(const struct conn *c);
int conn_attach_sse(struct conn *c, struct http_req *stream);
int conn_attach_lp(struct conn *c);

/* Hub protocol bytes from the client (a WebSocket message or the body of
 * a POST). Complete records are acted on; a partial one waits. */
void conn_input(struct conn *c, const char *p, size_t n);

/* Send complete JSON records (ending in 0x1E) to an open connection (a
 * MessagePack client gets them transcoded). frame, if
 * not NULL, caches the WebSocket frame of these records across the
 * recipients of one fan-out (built on first use; the caller unrefs it).
 * A client whose queue would pass LIMIT_CONN_SENDBUF is aborted. Returns
 * 0 when queued, -1 when the connection is not open or was aborted.
 * WebSocket frames are only queued and the connection marked dirty: the
 * loop writes them with conns_flush before it sleeps again. */
int conn_send(struct conn *c, const char *records, size_t n,
              struct msg **frame);

/* conn_send for a message built for a fan-out in both encodings: a JSON
 * client gets o->json, a MessagePack one the transcoded bytes; each
 * encoding's frame is built once in o and shared. Same returns. */
int conn_send_out(struct conn *c, struct hubout *o);
/* Send bytes already in the connection's own protocol (JSON records, or
 * framed MessagePack messages for a binary client) as they are. Same
 * returns as conn_send. */
int conn_send_native(struct conn *c, const char *p, size_t n);

/* End gracefully: Close message (error may be NULL), then the transport's
 * close (WebSocket 1000). Leaves the hub at once. error (unless the
 * service is stopping) is kept for the upstream disconnected event. */
void conn_close(struct conn *c, const char *error, int allow_reconnect);
/* End at once (peer gone, protocol error, queue full). why is logged. */
void conn_abort(struct conn *c, const char *why);

/* Once per loop turn after every event and http_run: write what each
 * WebSocket queued this turn (one writev per socket; a write error aborts
 * that client; dead ones are skipped), timers once a second, free what
 * ended this turn. conns_reap flushes first, so no connection on the
 * dirty list is ever freed. */
void conns_flush(struct conns *t);
void conns_sweep(struct conns *t);
void conns_reap(struct conns *t);

/* SSE/LP: bytes waiting, and the request holding the stream/poll woke. */
void conn_wake(struct conn *c);

const char *conn_transport_name(enum conn_transport t);

#endif
