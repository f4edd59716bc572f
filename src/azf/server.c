/*
 * server.c - libmicrohttpd plumbing for the runtime (see server.h).
 *
 * Each connection has its state (struct conn) from the moment it opens
 * to the moment it closes (NOTIFY_CONNECTION): the request's state and
 * buffers, reused by every request the kept-alive connection carries, so
 * a request costs no allocation of ours. A request starts on the first
 * access callback (*req_cls set) and ends in the NOTIFY_COMPLETED
 * callback, however it ends. Bodies arrive chunked from the host (no
 * Content-Length), so they are gathered into a capped buffer before the
 * envelope is decoded once; the reply is written into the connection's
 * response buffer, which libmicrohttpd sends from without a copy (the
 * connection's next request starts only after it is sent).
 */
#include "server.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "dispatch.h"
#include "proto/invoke.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct server {
    struct MHD_Daemon *daemon;
    struct dispatcher *dispatcher; /* borrowed */
    atomic_uint inflight;
    atomic_int stopping; /* new requests get 503 and are not counted */
};

/* A buffer that grew past this is freed when its request ends: an idle
 * connection keeps no more than a few of the host's envelopes' worth. */
#define CONN_KEEP ((size_t)16 * 1024)

struct conn {
    struct buf body;     /* the request's */
    struct buf response; /* the reply being sent */
    int too_large;
    int refused;    /* arrived while stopping */
    int in_request; /* from its first access callback to NOTIFY_COMPLETED */
    int closed;     /* closed while in a request: freed when it completes */
};

static void conn_free(struct conn *k)
{
    buf_release(&k->body);
    buf_release(&k->response);
    free(k);
}

static char *error_body(const char *fmt, const char *detail)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, detail);
    return jsonx_error_text("%s", msg);
}

static enum MHD_Result reply(struct MHD_Connection *c, int status,
                             const char *type, char *body)
{
    size_t len = body ? strlen(body) : 0;
    struct MHD_Response *rsp = MHD_create_response_from_buffer(
        len, body ? body : (char *)"",
        body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!rsp) {
        free(body);
        return MHD_NO;
    }
    if (type)
        MHD_add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, rsp);
    MHD_destroy_response(rsp);
    return ret;
}

/* 503 with Connection: close, for requests that arrive while stopping. */
static enum MHD_Result reply_closing(struct MHD_Connection *c)
{
    static const char body[] = "{\"error\":\"the handler is stopping\"}";
    struct MHD_Response *rsp = MHD_create_response_from_buffer(
        sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!rsp)
        return MHD_NO;
    MHD_add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    MHD_add_response_header(rsp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret =
        MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, rsp);
    MHD_destroy_response(rsp);
    return ret;
}

/* The invocation's reply, sent from the connection's buffer; a reply
 * larger than CONN_KEEP is handed over (and freed by libmicrohttpd). */
static enum MHD_Result reply_invocation(struct MHD_Connection *c, int status,
                                        struct buf *response)
{
    if (response->len > CONN_KEEP)
        return reply(c, status, "application/json", buf_take(response, NULL));
    struct MHD_Response *rsp = MHD_create_response_from_buffer(
        response->len, (void *)buf_cstr(response), MHD_RESPMEM_PERSISTENT);
    if (!rsp)
        return MHD_NO;
    MHD_add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, rsp);
    MHD_destroy_response(rsp);
    return ret;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **conn_cls,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct conn *k = *conn_cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        k = xcalloc(1, sizeof *k);
        buf_init(&k->body, LIMIT_INVOKE_BODY);
        buf_init(&k->response, DISPATCH_RESPONSE_MAX);
        *conn_cls = k;
        return;
    }
    *conn_cls = NULL;
    if (k && k->in_request)
        k->closed = 1; /* NOTIFY_COMPLETED frees it */
    else if (k)
        conn_free(k);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct server *s = cls;
    struct conn *k = *req_cls;
    if (!k) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        k = ci ? ci->socket_context : NULL;
        if (!k)
            return MHD_NO; /* never: each connection gets one on start */
        buf_reset(&k->body);
        k->too_large = 0;
        k->in_request = 1;
        *req_cls = k;
        /* Stopping: a kept-alive connection's next request is not started
         * (it would keep the drain from ever ending under load). */
        k->refused = atomic_load(&s->stopping);
        if (!k->refused)
            atomic_fetch_add(&s->inflight, 1);
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > LIMIT_INVOKE_BODY)
            k->too_large = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!k->too_large && buf_append(&k->body, upload, *upload_size) < 0)
            k->too_large = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (k->refused)
        return reply_closing(c);
    if (strcmp(method, "GET") == 0 && strcmp(url, "/") == 0)
        return reply(c, 200, "text/plain", NULL);
    if (k->too_large) {
        log_warn("%s: invocation body over %u bytes refused", url,
                 LIMIT_INVOKE_BODY);
        return reply(c, 413, "application/json",
                     error_body("invocation body is over %s bytes", "4194304"));
    }
    if (strcmp(method, "POST") != 0) {
        log_warn("%s %s: method not allowed", method, url);
        return reply(c, 405, "application/json",
                     error_body("method %s not allowed: invocations are "
                                "POST /{function}",
                                method));
    }
    const char *name = url[0] == '/' ? url + 1 : url;
    const char *id =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, INVOKE_HDR_ID);
    int status = dispatch_into(s->dispatcher, name, buf_cstr(&k->body),
                               k->body.len, id, &k->response);
    return reply_invocation(c, status, &k->response);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct conn *k = *req_cls;
    if (!k)
        return;
    int counted = !k->refused;
    *req_cls = NULL;
    k->in_request = 0;
    if (k->closed)
        conn_free(k);
    else if (k->body.cap > CONN_KEEP)
        buf_release(&k->body);
    if (counted)
        atomic_fetch_sub(&s->inflight, 1);
}

struct server *server_start(const struct server_config *cfg, char *err,
                            size_t errlen)
{
    struct server *s = xcalloc(1, sizeof *s);
    s->dispatcher = cfg->dispatcher;
    atomic_init(&s->inflight, 0);
    atomic_init(&s->stopping, 0);
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0, NULL,
        NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 1,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        /* The host's requests carry a few headers and a streamed body:
         * 8 KiB per connection is plenty, and libmicrohttpd clears the
         * pool on every request (a 32 KiB default cost ~13% of an
         * invocation, measured with callgrind). */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "libmicrohttpd could not start");
        free(s);
        return NULL;
    }
    return s;
}

unsigned server_stop(struct server *s, unsigned grace_ms)
{
    atomic_store(&s->stopping, 1);
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    for (unsigned waited = 0;
         atomic_load(&s->inflight) > 0 && waited < grace_ms; waited += 10)
        usleep(10 * 1000);
    unsigned left = atomic_load(&s->inflight);
    MHD_stop_daemon(s->daemon);
    free(s);
    return left;
}
