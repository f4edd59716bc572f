/*
 * server.c - libmicrohttpd plumbing for the handler (see server.h).
 *
 * Per-request state is born on the first access callback (into *req_cls)
 * and dies only in the NOTIFY_COMPLETED callback, however the request ends.
 * Bodies arrive chunked from the host (no Content-Length), so they are
 * gathered into a capped buffer before the envelope is decoded once.
 */
#include "server.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fn.h"
#include "proto/invoke.h"
#include "routes.h"
#include "stats.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct server {
    struct MHD_Daemon *daemon;
    struct stats *stats;
    const char *www_root;
    const char *connstr;
    atomic_uint inflight;
    atomic_int stopping; /* new requests get 503 and are not counted */
};

struct request {
    struct buf body;
    int too_large;
    int refused; /* arrived while stopping */
};

static long long usec_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One structured line on stdout per invocation, carrying the invocation id
 * (the host logs stdout lines at Information level). */
static void log_invocation(const char *fname, const char *id, int status,
                           struct json_object *resp, long long us)
{
    char ts[32];
    log_timestamp(ts, sizeof ts);
    struct json_object *line = json_object_new_object();
    struct json_object *res = invoke_resp_output(resp, "res");
    struct json_object *code = jsonx_get_ci(res, "statusCode");
    struct json_object *logs = jsonx_get_ci(resp, "Logs");
    int failed = status >= 400 || (code && json_object_get_int(code) >= 400);
    json_object_object_add(line, "time", json_object_new_string(ts));
    json_object_object_add(line, "level",
                           json_object_new_string(failed ? "warn" : "info"));
    json_object_object_add(line, "function", json_object_new_string(fname));
    json_object_object_add(line, "invocationId",
                           json_object_new_string(id ? id : ""));
    json_object_object_add(line, "status", json_object_new_int(status));
    if (code)
        json_object_object_add(line, "resStatus",
                               json_object_new_int(json_object_get_int(code)));
    json_object_object_add(line, "durationUs", json_object_new_int64(us));
    size_t n = logs ? json_object_array_length(logs) : 0;
    if (n)
        json_object_object_add(
            line, "message",
            json_object_get(json_object_array_get_idx(logs, n - 1)));
    /* One write per line keeps lines whole across worker threads. */
    fprintf(stdout, "%s\n", jsonx_compact(line));
    json_object_put(line);
}

static char *error_body(const char *fmt, const char *detail)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, detail);
    return jsonx_error_text("%s", msg);
}

char *server_dispatch(struct stats *stats, const char *www_root,
                      const char *connstr, const char *name,
                      const char *body, size_t len,
                      const char *invocation_id, int *status)
{
    struct json_object *env = NULL, *resp = NULL;
    char err[200];
    char *out = NULL;
    long long t0 = usec_now();
    const struct route *r = routes_find(name);
    if (!r) {
        *status = 404;
        log_warn("no function named '%.64s' (invocation %s)", name,
                 invocation_id ? invocation_id : "-");
        return error_body("no function named '%.64s'", name);
    }
    if (jsonx_parse(body, len, &env, err, sizeof err) < 0 || !env ||
        !json_object_is_type(env, json_type_object)) {
        *status = 400;
        log_warn("%s: malformed invocation envelope: %s", r->name,
                 env ? "not a JSON object" : err);
        out = error_body("malformed invocation envelope: %s",
                         env ? "not a JSON object" : err);
        goto done;
    }
    struct json_object *data = jsonx_get_ci(env, "Data");
    if (!data || !json_object_is_type(data, json_type_object)) {
        *status = 400;
        log_warn("%s: malformed invocation envelope: no Data object",
                 r->name);
        out = error_body("malformed invocation envelope: %s",
                         "no Data object");
        goto done;
    }
    struct fn_ctx ctx = {.stats = stats,
                         .www_root = www_root,
                         .connstr = connstr,
                         .now = time(NULL)};
    ctx.err[0] = '\0';
    resp = invoke_resp_new();
    int frc = r->fn(&ctx, env, resp);
    if (frc < 0) {
        *status = 400;
        log_warn("%s: malformed invocation envelope: %s", r->name, ctx.err);
        out = error_body("malformed invocation envelope: %s", ctx.err);
        goto done;
    }
    if (frc == FN_FAILED) {
        /* The host fails the invocation on a non-2xx reply. */
        *status = 500;
        out = error_body("%s", ctx.err);
        goto done;
    }
    *status = 200;
    out = xstrdup(jsonx_compact(resp));
done:
    log_invocation(r->name, invocation_id, *status, resp, usec_now() - t0);
    json_object_put(env);
    json_object_put(resp);
    return out;
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct server *s = cls;
    struct request *r = *req_cls;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        buf_init(&r->body, LIMIT_INVOKE_BODY);
        *req_cls = r;
        /* Stopping: a kept-alive connection's next request is not started
         * (it would keep the drain from ever ending under load). */
        r->refused = atomic_load(&s->stopping);
        if (!r->refused)
            atomic_fetch_add(&s->inflight, 1);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > LIMIT_INVOKE_BODY)
            r->too_large = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_large && buf_append(&r->body, upload, *upload_size) < 0)
            r->too_large = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->refused)
        return reply_closing(c);
    if (strcmp(method, "GET") == 0 && strcmp(url, "/") == 0)
        return reply(c, 200, "text/plain", NULL);
    if (r->too_large) {
        log_warn("%s: invocation body over %u bytes refused", url,
                 LIMIT_INVOKE_BODY);
        return reply(c, 413, "application/json",
                     error_body("invocation body is over %s bytes",
                                "4194304"));
    }
    if (strcmp(method, "POST") != 0) {
        log_warn("%s %s: method not allowed", method, url);
        return reply(c, 405, "application/json",
                     error_body("method %s not allowed: invocations are "
                                "POST /{function}", method));
    }
    const char *name = url[0] == '/' ? url + 1 : url;
    const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 INVOKE_HDR_ID);
    int status = 500;
    char *out = server_dispatch(s->stats, s->www_root, s->connstr, name,
                                buf_cstr(&r->body), r->body.len, id, &status);
    return reply(c, status, "application/json", out);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct request *r = *req_cls;
    if (!r)
        return;
    int counted = !r->refused;
    buf_release(&r->body);
    free(r);
    *req_cls = NULL;
    if (counted)
        atomic_fetch_sub(&s->inflight, 1);
}

struct server *server_start(const struct server_config *cfg, char *err,
                            size_t errlen)
{
    struct server *s = xcalloc(1, sizeof *s);
    s->stats = stats_new();
    s->www_root = cfg->www_root;
    s->connstr = cfg->connstr;
    atomic_init(&s->inflight, 0);
    atomic_init(&s->stopping, 0);
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0,
        NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 1,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        /* The host's requests carry a few headers and a streamed body:
         * 8 KiB per connection is plenty, and libmicrohttpd clears the
         * pool on every request (a 32 KiB default cost ~13% of an
         * invocation, measured with callgrind). */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "libmicrohttpd could not start");
        stats_free(s->stats);
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
    stats_free(s->stats);
    free(s);
    return left;
}
