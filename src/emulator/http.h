/*
 * http.h - the emulator's HTTP side: libmicrohttpd in the event loop, one
 * request's state, and the replies.
 *
 * One daemon per listening socket (127.0.0.1 and ::1 by default, or the
 * --bind address; util/listen.h), all with the same callbacks, each in
 * external-poll epoll mode: its epoll descriptor sits in the loop's set and
 * the loop's owner calls http_run once per turn, after the events. A
 * request's body is collected here (capped at LIMIT_USER_BODY: too_big);
 * then the owner's on_request handler answers it with the http_reply
 * helpers, and on_done runs when libmicrohttpd is finished with it, just
 * before it is freed. What each route does is the handler's business
 * (client.c, rest.c); the WebSocket bytes after an upgrade are ws.c's.
 * With TLS the listening sockets are ours, not the daemons': each
 * connection accepted gets a TLS relay (tls.h) and the daemon its
 * decrypted side (MHD_add_connection), so everything above this module
 * works the same in both modes. Owns the daemons, the TLS relays and every
 * struct http_req; borrows the loop.
 */
#ifndef EMULATOR_HTTP_H
#define EMULATOR_HTTP_H

#include <stddef.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "emulator/loop.h"
#include "util/buf.h"

struct conn;
struct http;

/* One HTTP request's state: born on the first access-handler call, freed
 * in the request-completed callback (http.c), nowhere else. */
enum http_req_kind { HTTP_REQ_PLAIN, HTTP_REQ_SSE, HTTP_REQ_POLL };

struct http_req {
    enum http_req_kind kind;
    struct MHD_Connection *mhd;
    struct http *http; /* the daemons' owner, told of resumes */
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

/* The request's final access-handler call (body complete, or a suspended
 * request resumed): answer it or suspend it. */
typedef enum MHD_Result (*http_request_fn)(void *arg, struct http_req *r,
                                           const char *url, const char *method);
/* libmicrohttpd is done with r (answered, or the client went away). */
typedef void (*http_done_fn)(void *arg, struct http_req *r);

/* The certificate chain and private key files (PEM) that make the port
 * speak TLS (tls.h); the strings are borrowed for the call. */
struct http_tls_files {
    const char *cert;
    const char *key;
};

/* Listen (bind NULL: both loopbacks) on port (0: a free one) and register
 * the daemons with l; with tls (not NULL), every connection is TLS:
 * accepted here, decrypted by a relay (tls.h) and handed to the daemons.
 * Returns NULL after logging why (port in use, bad address, a certificate
 * or key that does not load). */
struct http *http_start(struct loop *l, const char *bind, int port,
                        const struct http_tls_files *tls,
                        http_request_fn on_request, http_done_fn on_done,
                        void *arg);
/* Stop the daemons (closing every connection left; with TLS, the relays
 * get up to HTTP_TLS_DRAIN_MS to send what they hold) and free h. */
void http_stop(struct http *h);

/* The port bound, and the addresses listened on as in a URL
 * ("127.0.0.1", "[::1]"); the first is the one to print. */
int http_port(const struct http *h);
size_t http_hosts(const struct http *h);
const char *http_host(const struct http *h, size_t i);

/* "https" with TLS, else "http": the scheme of every URL naming us (the
 * connection string, tokens' audiences, links). http_conn_scheme: the
 * same for a connection of h's daemons. */
const char *http_scheme(const struct http *h);
const char *http_conn_scheme(struct MHD_Connection *mc);

/* libmicrohttpd has work that no descriptor will announce (a resume, an
 * upgraded connection handed back): the next turn must not sleep. */
void http_wake(struct http *h);
/* Milliseconds the loop may sleep as far as libmicrohttpd is concerned,
 * at most bound (0 after http_wake). */
long long http_timeout(const struct http *h, long long bound);
/* Run every daemon, and again while a run resumed requests (a resume is
 * only acted on by the next run), at most a few times. */
void http_run(struct http *h);
/* Run every daemon once (at shutdown). */
void http_run_once(struct http *h);

/* Suspend/resume a request's connection, tracking the state in r. */
void http_req_suspend(struct http_req *r);
void http_req_resume(struct http_req *r);
/* The first query parameter called name, percent-decoded: a new string
 * (caller frees), or NULL when absent or badly encoded. */
char *http_req_query(struct http_req *r, const char *name);

/* Replies. Each queues a response on r's connection (adding the CORS
 * headers on /client requests) and returns what MHD_queue_response did.
 * error_code, when not NULL, goes out as x-ms-error-code. */
enum MHD_Result http_reply(struct http_req *r, unsigned status,
                           const char *content_type, const char *body,
                           size_t len, const char *error_code);
/* {"error":"<message>"[,"code":error_code]} with a log line (for an /api
 * request the message is kept in r->error for the caller's line). */
enum MHD_Result http_reply_error(struct http_req *r, unsigned status,
                                 const char *error_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* o serialized (borrowed). */
enum MHD_Result http_reply_json(struct http_req *r, unsigned status,
                                struct json_object *o);
/* Add the CORS headers for r's Origin to resp (no-op unless r->cors and
 * an Origin header). */
void http_cors(struct http_req *r, struct MHD_Response *resp);

#endif
