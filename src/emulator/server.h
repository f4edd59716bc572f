/*
 * server.h - the emulator's one thread: epoll, libmicrohttpd, timers.
 *
 * libmicrohttpd runs in external-poll epoll mode: its epoll fd sits in our
 * epoll set and MHD_run is called when it is readable, after our own
 * events, and when MHD_get_timeout expires. Upgraded WebSockets, the
 * signalfd and MHD all run on this thread, so the registry needs no locks.
 * This module owns the daemon, the loop, the request dispatch (client
 * endpoint, REST, CORS, health) and the once-a-second timer sweep; what
 * happens on each route lives in client.c and rest.c, and the connection's
 * life in conn.c. Not reentrant: one server per process.
 */
#ifndef EMULATOR_SERVER_H
#define EMULATOR_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "emulator/hub.h"
#include "emulator/strmap.h"

#define SERVER_MAX_KEYS 4

#include "util/buf.h"
#include "util/listen.h"

struct conn;
struct msg;

/* One HTTP request's state: born on the first access-handler call, freed
 * in the request-completed callback (server.c), nowhere else. */
enum req_kind { REQ_PLAIN, REQ_SSE, REQ_POLL };

struct req {
    enum req_kind kind;
    struct MHD_Connection *mhd;
    struct buf body;   /* request body, capped */
    int too_big;       /* the body passed its cap: answer 413 */
    int suspended;     /* MHD_suspend_connection is in effect */
    int superseded;    /* LP: a newer poll took over: answer 204 */
    int ended;         /* SSE: end of stream after what is buffered */
    int cors;          /* a /client request: CORS headers on replies */
    char token[32];    /* WebSocket: connectionToken awaiting the upgrade */
    int rest;          /* an /api request: one log line after the reply */
    unsigned status;   /* the status queued, for that line */
    char error[512];   /* the error message sent, for that line */
    struct conn *conn; /* SSE stream / LP poll owner; NULL when gone */
    long long started_ms;
};

/* Suspend/resume a request's connection, tracking the state in req. */
void req_suspend(struct req *r);
void req_resume(struct req *r);

/* An object watched by the loop's epoll set; embedded first in owners. */
struct watch {
    void (*on_event)(struct watch *w, uint32_t events);
    int fd;
};

/* A timer on the loop: on_timer runs once due_ms (monotonic) is reached,
 * after the turn's events; due_ms < 0 when not armed. Embedded in its
 * owner, registered once with server_timer_add. */
struct server_timer {
    long long due_ms;
    void (*on_timer)(struct server_timer *t);
};

#define SERVER_MAX_TIMERS 4

struct server_config {
    const char *bind;   /* NULL: 127.0.0.1 and ::1 (util/listen.h) */
    int port;           /* 0 picks a free port */
    const char *keys[SERVER_MAX_KEYS];
    size_t nkeys;
    int verbose;
};

struct server {
    struct server_config cfg;
    /* One daemon per listening socket (127.0.0.1 and ::1 by default),
     * sharing the handlers; every one is run each loop turn. */
    struct MHD_Daemon *mhd[LISTEN_MAX];
    struct watch mhd_watch[LISTEN_MAX];
    size_t nmhd;
    char host[LISTEN_MAX][48]; /* each daemon's address, as in a URL */
    int port;           /* the port actually bound (shared) */
    int epfd;
    struct watch sig_watch;
    struct registry *reg;
    struct strmap *by_token; /* connectionToken -> struct conn (owned) */
    struct conn *all;        /* every live conn, for the timer sweep */
    struct conn *reap;       /* conns ended this turn, freed after it */
    struct conn **dirty;     /* WebSockets with frames queued this turn */
    size_t ndirty, dirty_cap;
    long long now_ms;        /* monotonic, updated every loop turn */
    long long last_sweep_ms;
    int stopping;
    int resumed;             /* MHD has work (a resume, an upgrade to
                              * close): run it again at once */
    long long stop_deadline_ms;
    struct msg *ping_frame;  /* shared WebSocket frame of {"type":6} */
    struct server_timer *timers[SERVER_MAX_TIMERS]; /* borrowed */
    size_t ntimers;
};

/* The server of this process (set by server_start); borrowed. */
struct server *server_get(void);

/* Bind and start listening. Returns 0, or -1 after logging why (port in
 * use, bad address). cfg's strings are borrowed for the server's life. */
int server_start(struct server *s, const struct server_config *cfg);
/* Run until SIGTERM/SIGINT, then close every client (Close message with
 * allowReconnect, WebSocket close 1000) and return 0. */
int server_run(struct server *s);
/* Release everything. */
void server_stop(struct server *s);

/* Watch fd for events (EPOLLIN, plus EPOLLOUT when want_out). */
int server_watch(struct server *s, struct watch *w, int want_out);
int server_watch_mod(struct server *s, struct watch *w, int want_out);
void server_unwatch(struct server *s, struct watch *w);
/* Watch fd for exactly events (EPOLLIN and/or EPOLLOUT; 0 keeps it in
 * the set but asleep): added when !modify, else changed. */
int server_watch_events(struct server *s, struct watch *w, uint32_t events,
                        int modify);
/* Register a timer (borrowed for the server's life). Returns 0, or -1
 * when SERVER_MAX_TIMERS are taken. */
int server_timer_add(struct server *s, struct server_timer *t);

/* Replies. Each queues a response on r's connection (adding the CORS
 * headers on /client requests) and returns what MHD_queue_response did.
 * error_code, when not NULL, goes out as x-ms-error-code. */
enum MHD_Result server_reply(struct req *r, unsigned status,
                             const char *content_type, const char *body,
                             size_t len, const char *error_code);
/* {"error":"<message>"[,"code":error_code]} with a log line. */
enum MHD_Result server_reply_error(struct req *r, unsigned status,
                                   const char *error_code, const char *fmt,
                                   ...) __attribute__((format(printf, 4, 5)));
/* o serialized (borrowed). */
enum MHD_Result server_reply_json(struct req *r, unsigned status,
                                  struct json_object *o);
/* Add the CORS headers for r's Origin to resp (no-op without Origin). */
void server_cors(struct req *r, struct MHD_Response *resp);
/* The first query parameter called name, percent-decoded: a new string
 * (caller frees), or NULL when absent or badly encoded. */
char *req_query(struct req *r, const char *name);

/* Monotonic milliseconds and wall-clock seconds. */
long long server_now_ms(void);
long server_wall_s(void);

#endif
