/* front.c - the local host's HTTP front (see front.h). */
#include "front.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "host/select.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/jsonx.h"
#include "util/limits.h"
#include "util/listen.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SERVER_CONN_LIMIT 1024
#define SERVER_IDLE_TIMEOUT_S 120
#define SERVER_LISTEN_BACKLOG 128
/* A body this far over LIMIT_USER_BODY is not even read. */
#define SERVER_DRAIN_MAX (16u * LIMIT_USER_BODY)

struct front {
    const struct app *app;
    struct dispatch *d;
    struct front_auth auth;
    /* One daemon per listening socket (127.0.0.1 and ::1 by default),
     * sharing every callback and the in-flight count. */
    struct MHD_Daemon *mhd[LISTEN_MAX];
    size_t nmhd;
    char host[LISTEN_MAX][48];
    int port;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int inflight;
    int stopping; /* under lock: new requests are refused with 503 */
};

/* Per request: born in the URI callback, dies in the completed callback. */
struct req {
    struct front *s;
    char *uri; /* raw path and query as received */
    struct buf body;
    int seen;    /* the first access callback has run */
    int too_big; /* over LIMIT_USER_BODY: the rest is read and dropped */
    int refused; /* arrived while stopping: answered 503, not counted */
};

#define STOPPING_BODY "{\"error\":\"the host is stopping\"}"

/* --- request collection ---------------------------------------------- */

struct kvs {
    struct payload_kv *v;
    size_t n, cap;
};

static void kvs_add(struct kvs *k, const char *name, const char *value)
{
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 16;
        k->v = xrealloc(k->v, k->cap * sizeof *k->v);
    }
    size_t len;
    char *n = payload_utf8_text(name, strlen(name), &len);
    char *v =
        value ? payload_utf8_text(value, strlen(value), &len) : xstrdup("");
    k->v[k->n].name = n;
    k->v[k->n].value = v;
    k->n++;
}

static void kvs_release(struct kvs *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free((char *)k->v[i].name);
        free((char *)k->v[i].value);
    }
    free(k->v);
}

static enum MHD_Result collect_cb(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
    (void)kind;
    kvs_add(cls, key, value);
    return MHD_YES;
}

/* --- responses --------------------------------------------------------- */

int front_cors_allow(const struct app *app, const char *origin, char *out,
                     size_t outlen)
{
    if (!origin || !*origin)
        return 0;
    for (size_t i = 0; i < app->ncors; i++) {
        if (strcmp(app->cors[i], "*") == 0) {
            /* A wildcard with credentials must echo the origin. */
            snprintf(out, outlen, "%s", app->cors_credentials ? origin : "*");
            return 1;
        }
        if (strcasecmp(app->cors[i], origin) == 0) {
            snprintf(out, outlen, "%s", origin);
            return 1;
        }
    }
    return 0;
}

static void add_cors(struct front *s, struct MHD_Connection *con,
                     struct MHD_Response *r)
{
    char allow[512];
    const char *origin =
        MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Origin");
    if (!front_cors_allow(s->app, origin, allow, sizeof allow))
        return;
    MHD_add_response_header(r, "Access-Control-Allow-Origin", allow);
    if (strcmp(allow, "*") != 0)
        MHD_add_response_header(r, "Vary", "Origin");
    if (s->app->cors_credentials)
        MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
}

static enum MHD_Result send_buf(struct front *s, struct MHD_Connection *con,
                                int status, const char *ct, const char *body,
                                size_t len, const struct result_header *hdrs,
                                size_t nhdrs)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (ct)
        MHD_add_response_header(r, "Content-Type", ct);
    for (size_t i = 0; i < nhdrs; i++)
        if (MHD_add_response_header(r, hdrs[i].name, hdrs[i].value) != MHD_YES)
            log_warn("response header %s dropped", hdrs[i].name);
    add_cors(s, con, r);
    enum MHD_Result ok = MHD_queue_response(con, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_error(struct front *s, struct MHD_Connection *con,
                                  const char *method, const char *url,
                                  int status, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static enum MHD_Result send_error(struct front *s, struct MHD_Connection *con,
                                  const char *method, const char *url,
                                  int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_warn("%s %s: %d %s", method, url, status, msg);
    char *text = jsonx_error_text("%s", msg);
    enum MHD_Result r =
        send_buf(s, con, status, "application/json; charset=utf-8", text,
                 strlen(text), NULL, 0);
    free(text);
    return r;
}

/* --- keys and identity -------------------------------------------------- */

/* The key a request holds: its level and name. */
struct caller_key {
    enum auth_level level;
    char name[64];
};

/* 1 when the request's key opens level need for function fn (NULL: a host
 * endpoint), with what the key is in *ck; else the 401 is sent into *r and
 * 0 returned. */
static int authorized(struct front *s, struct MHD_Connection *con,
                      const char *method, const char *url, const char *fn,
                      enum auth_level need, struct caller_key *ck,
                      enum MHD_Result *r)
{
    ck->level = AUTH_ANONYMOUS;
    ck->name[0] = '\0';
    if (!s->auth.keys)
        return 1;
    const char *key = keys_presented(
        MHD_lookup_connection_value(con, MHD_HEADER_KIND, "x-functions-key"),
        MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "code"));
    char *name = ck->name;
    enum auth_level have = ck->level =
        keys_match(s->auth.keys, key, fn, name, sizeof ck->name);
    if (auth_level_opens(have, need)) {
        log_debug("%s %s: key '%s' (%s)", method, url, name,
                  auth_level_name(have));
        return 1;
    }
    const char *what = need == AUTH_ADMIN ? "the master key" : "a key";
    if (!key || !*key)
        *r = send_error(s, con, method, url, 401,
                        "%s%s%s needs %s: send it in the x-functions-key "
                        "header or ?code=",
                        fn ? "function '" : "this admin endpoint", fn ? fn : "",
                        fn ? "'" : "", what);
    else
        *r = send_error(s, con, method, url, 401,
                        "the key given does not open %s%s%s (authLevel %s)",
                        fn ? "function '" : "this admin endpoint", fn ? fn : "",
                        fn ? "'" : "", auth_level_name(need));
    return 0;
}

/* /.auth/...: the local App Service Authentication, when on. */
static enum MHD_Result easyauth(struct front *s, struct MHD_Connection *con,
                                const char *method, const char *url)
{
    if (!s->auth.ea)
        return send_error(s, con, method, url, 404,
                          "App Service Authentication is off: start "
                          "func-local with --easy-auth");
    struct easyauth_reply out;
#define ARG(n) MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, n)
    easyauth_route(s->auth.ea, method, url, ARG("user"),
                   ARG("post_login_redirect_uri"),
                   ARG("post_logout_redirect_uri"),
                   MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Cookie"),
                   clock_wall_s(), &out);
#undef ARG
    struct result_header h[2];
    size_t nh = 0;
    if (out.location)
        h[nh++] = (struct result_header){(char *)"Location", out.location};
    if (out.set_cookie)
        h[nh++] = (struct result_header){(char *)"Set-Cookie", out.set_cookie};
    if (out.status >= 400)
        log_warn("%s %s: %d", method, url, out.status);
    else
        log_info("%s %s: %d", method, url, out.status);
    enum MHD_Result r = send_buf(s, con, out.status, out.content_type, out.body,
                                 strlen(out.body), h, nh);
    easyauth_reply_release(&out);
    return r;
}

/* The request headers the function gets: as received, but with App
 * Service Authentication on, those only it may set are dropped and, for a
 * signed-in session, set. */
static void request_headers(struct front *s, struct MHD_Connection *con,
                            struct kvs *h, char user[EASYAUTH_USER_MAX + 1])
{
    user[0] = '\0';
    MHD_get_connection_values(con, MHD_HEADER_KIND, collect_cb, h);
    if (!s->auth.ea)
        return;
    size_t w = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (easyauth_reserved_header(h->v[i].name)) {
            free((char *)h->v[i].name);
            free((char *)h->v[i].value);
        } else {
            h->v[w++] = h->v[i];
        }
    }
    h->n = w;
    if (!easyauth_session(
            s->auth.ea,
            MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Cookie"),
            clock_wall_s(), user, NULL)) {
        user[0] = '\0';
        return;
    }
    struct easyauth_headers eh;
    easyauth_headers(user, &eh);
    for (int i = 0; i < 4; i++)
        kvs_add(h, eh.name[i], eh.value[i]);
    easyauth_headers_release(&eh);
}

/* --- routes ------------------------------------------------------------ */

static enum MHD_Result preflight(struct front *s, struct MHD_Connection *con)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    char allow[512];
    const char *origin =
        MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Origin");
    if (front_cors_allow(s->app, origin, allow, sizeof allow)) {
        const char *m = MHD_lookup_connection_value(
            con, MHD_HEADER_KIND, "Access-Control-Request-Method");
        const char *h = MHD_lookup_connection_value(
            con, MHD_HEADER_KIND, "Access-Control-Request-Headers");
        add_cors(s, con, r);
        if (m)
            MHD_add_response_header(r, "Access-Control-Allow-Methods", m);
        if (h && *h)
            MHD_add_response_header(r, "Access-Control-Allow-Headers", h);
    }
    enum MHD_Result ok = MHD_queue_response(con, MHD_HTTP_NO_CONTENT, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result admin_function(struct front *s,
                                      struct MHD_Connection *con,
                                      struct req *rq, const char *method,
                                      const char *url, const char *name)
{
    struct json_object *body = NULL;
    char err[200] = "";
    enum MHD_Result r;
    if (strcmp(method, "POST") != 0)
        return send_error(s, con, method, url, 405,
                          "use POST /admin/functions/{name}");
    const struct app_function *fn = app_find(s->app, name);
    if (!fn)
        return send_error(s, con, method, url, 404, "no function named '%s'",
                          name);
    if (fn->kind == APP_FN_ERROR) /* the host lists it only among errors */
        return send_error(s, con, method, url, 404,
                          "function '%s' is in error: %s", fn->name, fn->error);
    if (fn->kind == APP_FN_HTTP)
        return send_error(s, con, method, url, 400,
                          "'%s' is HTTP-triggered: call its route /%s/%s",
                          fn->name, s->app->route_prefix, fn->route);
    const char *input = NULL;
    if (rq->body.len > 0) {
        int bad = jsonx_parse(rq->body.data, rq->body.len, &body, err,
                              sizeof err) < 0;
        if (bad || !json_object_is_type(body, json_type_object)) {
            json_object_put(body);
            return send_error(s, con, method, url, 400,
                              "the body must be a JSON object "
                              "{\"input\": \"...\"}%s%s",
                              bad ? ": " : "", bad ? err : "");
        }
        struct json_object *in = jsonx_get_ci(body, "input");
        if (in && !json_object_is_type(in, json_type_string)) {
            json_object_put(body);
            return send_error(s, con, method, url, 400,
                              "\"input\" must be a string");
        }
        input = in ? json_object_get_string(in) : NULL;
    }
    if (dispatch_spawn(s->d, fn, 0, input) < 0)
        r = send_error(s, con, method, url, 503, "the host is shutting down");
    else
        r = send_buf(s, con, 202, NULL, "", 0, NULL, 0);
    json_object_put(body);
    return r;
}

static enum MHD_Result http_function(struct front *s,
                                     struct MHD_Connection *con, struct req *rq,
                                     const char *method, const char *url,
                                     const char *rest)
{
    const struct app_function *wrong_method = NULL;
    struct json_object *params = json_object_new_object();
    const struct app_function *fn =
        select_http(s->app, method, rest, params, &wrong_method);
    if (fn && fn->disabled) {
        /* 404, as the host answers a disabled function's route
         * (FunctionInvocationMiddleware: NotFoundResult, empty there). */
        json_object_put(params);
        return send_error(s, con, method, url, 404,
                          "function '%s' is disabled "
                          "(AzureWebJobs.%s.Disabled)",
                          fn->name, fn->name);
    }
    if (!fn) {
        json_object_put(params);
        if (wrong_method) {
            char m[80];
            app_methods_text(wrong_method->methods, m, sizeof m);
            return send_error(s, con, method, url, 404,
                              "function '%s' accepts %s, not %s",
                              wrong_method->name, m, method);
        }
        return send_error(s, con, method, url, 404, "no function at %s", url);
    }
    enum MHD_Result denied;
    struct caller_key ck;
    if (!authorized(s, con, method, url, fn->name, fn->auth_level, &ck,
                    &denied)) {
        json_object_put(params);
        return denied;
    }
    struct kvs q = {0}, h = {0};
    char user[EASYAUTH_USER_MAX + 1];
    MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, collect_cb, &q);
    request_headers(s, con, &h, user);
    const char *host =
        MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Host");
    char hostbuf[64];
    if (!host || !*host) {
        snprintf(hostbuf, sizeof hostbuf, "%s:%d", s->host[0], s->port);
        host = hostbuf;
    }
    char *full = xasprintf("http://%s%s", host, rq->uri);
    const char *cl =
        MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Length");
    struct payload_http ph = {
        .method = method,
        .url = full,
        .query = q.v,
        .nquery = q.n,
        .headers = h.v,
        .nheaders = h.n,
        .body = rq->body.data,
        .body_len = rq->body.len,
        .content_length = cl ? strtoll(cl, NULL, 10) : -1,
        .key_level =
            ck.level != AUTH_ANONYMOUS ? auth_level_name(ck.level) : NULL,
        .key_name = ck.name,
        .user = user[0] ? user : NULL,
        .idp = EASYAUTH_IDP,
    };
    struct result_http out;
    dispatch_http(s->d, fn, &ph, params, &out);
    enum MHD_Result r = send_buf(s, con, out.status, out.content_type, out.body,
                                 out.body_len, out.headers, out.nheaders);
    result_http_release(&out);
    free(full);
    kvs_release(&q);
    kvs_release(&h);
    json_object_put(params);
    return r;
}

/* The SignalR extension's webhook: the service's upstream calls. The
 * system key in ?code= is accepted and not checked: the upstream
 * signature is (sigtrigger.h). */
static enum MHD_Result signalr_webhook(struct front *s,
                                       struct MHD_Connection *con,
                                       struct req *rq, const char *method,
                                       const char *url)
{
    if (strcmp(method, "POST") != 0)
        return send_error(s, con, method, url, 405,
                          "the SignalR webhook takes POST only");
    struct kvs h = {0};
    MHD_get_connection_values(con, MHD_HEADER_KIND, collect_cb, &h);
    struct sigtrigger_req sr = {
        .content_type =
            MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type"),
        .headers = h.v,
        .nheaders = h.n,
        .body = rq->body.data ? rq->body.data : "",
        .body_len = rq->body.len,
    };
    struct result_http out;
    dispatch_upstream(s->d, &sr, &out);
    enum MHD_Result r = send_buf(s, con, out.status, out.content_type, out.body,
                                 out.body_len, out.headers, out.nheaders);
    result_http_release(&out);
    kvs_release(&h);
    return r;
}

static enum MHD_Result route_request(struct front *s,
                                     struct MHD_Connection *con, struct req *rq,
                                     const char *method, const char *url)
{
    const char *pfx = s->app->route_prefix;
    size_t pl = strlen(pfx);
    /* libmicrohttpd decodes the path in place, so an encoded NUL would cut
     * it short ("/api/index/index.html%00.txt" → index.html): refuse it
     * from the raw request line instead. */
    size_t rawlen = strcspn(rq->uri, "?");
    for (size_t i = 0; i + 2 < rawlen; i++)
        if (rq->uri[i] == '%' && rq->uri[i + 1] == '0' && rq->uri[i + 2] == '0')
            return send_error(s, con, method, url, 400,
                              "the path holds an encoded NUL byte (%%00)");
    if (strcmp(method, "OPTIONS") == 0 &&
        MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Origin") &&
        MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                    "Access-Control-Request-Method"))
        return preflight(s, con);
    if (strcmp(url, "/") == 0 && !strcmp(method, "GET")) {
        static const char page[] = "func-local: the Functions host is "
                                   "running.\n";
        return send_buf(s, con, 200, "text/plain; charset=utf-8", page,
                        sizeof page - 1, NULL, 0);
    }
    if (strncmp(url, "/.auth/", 7) == 0)
        return easyauth(s, con, method, url);
    char who[EASYAUTH_USER_MAX + 1];
    if (s->auth.ea && easyauth_required(s->auth.ea, url) &&
        !easyauth_session(
            s->auth.ea,
            MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Cookie"),
            clock_wall_s(), who, NULL))
        return send_error(s, con, method, url, 401,
                          "sign in first (App Service Authentication): "
                          "/.auth/login/dev?user=NAME");
    enum MHD_Result denied;
    struct caller_key ck;
    if (strncmp(url, "/admin/", 7) == 0 &&
        !authorized(s, con, method, url, NULL, AUTH_ADMIN, &ck, &denied))
        return denied;
    if (strcmp(url, "/admin/host/status") == 0) {
        static const char st[] = "{\"state\":\"Running\"}";
        return send_buf(s, con, 200, "application/json; charset=utf-8", st,
                        sizeof st - 1, NULL, 0);
    }
    if (strcasecmp(url, SIGTRIGGER_PATH) == 0)
        return signalr_webhook(s, con, rq, method, url);
    if (strncmp(url, "/admin/functions/", 17) == 0 && url[17])
        return admin_function(s, con, rq, method, url, url + 17);
    if (pl == 0)
        return http_function(s, con, rq, method, url, url + 1);
    if (url[0] == '/' && strncasecmp(url + 1, pfx, pl) == 0 &&
        (url[1 + pl] == '/' || url[1 + pl] == '\0'))
        return http_function(s, con, rq, method, url,
                             url[1 + pl] ? url + 2 + pl : "");
    return send_error(s, con, method, url, 404, "no function at %s", url);
}

/* --- libmicrohttpd callbacks ------------------------------------------ */

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
    struct front *s = cls;
    (void)con;
    struct req *rq = xcalloc(1, sizeof *rq);
    rq->s = s;
    rq->uri = xstrdup(uri ? uri : "/");
    buf_init(&rq->body, LIMIT_USER_BODY);
    pthread_mutex_lock(&s->lock);
    rq->refused = s->stopping;
    if (!rq->refused)
        s->inflight++;
    pthread_mutex_unlock(&s->lock);
    return rq;
}

static void completed_cb(void *cls, struct MHD_Connection *con, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct front *s = cls;
    struct req *rq = *req_cls;
    (void)con;
    (void)toe;
    if (!rq)
        return;
    int counted = !rq->refused;
    buf_release(&rq->body);
    free(rq->uri);
    free(rq);
    *req_cls = NULL;
    if (!counted)
        return;
    pthread_mutex_lock(&s->lock);
    s->inflight--;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *con,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **req_cls)
{
    struct front *s = cls;
    struct req *rq = *req_cls;
    (void)version;
    if (rq->refused) {
        /* Stopping: a keep-alive client's next request is not started,
         * and its connection is closed after this answer. */
        struct MHD_Response *r = MHD_create_response_from_buffer(
            sizeof STOPPING_BODY - 1, (void *)STOPPING_BODY,
            MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, "Content-Type", "application/json");
        MHD_add_response_header(r, "Connection", "close");
        enum MHD_Result ok =
            MHD_queue_response(con, MHD_HTTP_SERVICE_UNAVAILABLE, r);
        MHD_destroy_response(r);
        return ok;
    }
    if (!rq->seen) {
        rq->seen = 1;
        const char *cl =
            MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Length");
        unsigned long long n = cl ? strtoull(cl, NULL, 10) : 0;
        /* Far over the limit: answer now (the connection then closes).
         * Moderately over: read and drop the body so the client, still
         * sending, gets to read the 413. */
        if (n > SERVER_DRAIN_MAX)
            return send_error(s, con, method, url, 413,
                              "request body over %u bytes", LIMIT_USER_BODY);
        rq->too_big = n > LIMIT_USER_BODY;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_big && buf_append(&rq->body, upload, *upload_size) < 0)
            rq->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_big)
        return send_error(s, con, method, url, 413,
                          "request body over %u bytes", LIMIT_USER_BODY);
    return route_request(s, con, rq, method, url);
}

struct front *front_start(const struct app *app, struct dispatch *d,
                          const struct front_auth *auth, const char *bind,
                          int port, char *err, size_t errlen)
{
    struct listen_set ls;
    char why[256];
    if (listen_open(&ls, bind, port, SERVER_LISTEN_BACKLOG, why, sizeof why) <
        0) {
        snprintf(err, errlen, "%s%s", why,
                 strstr(why, "in use") ? " (try --port 0)" : "");
        return NULL;
    }
    if (ls.note[0])
        log_info("%s", ls.note);
    struct front *s = xcalloc(1, sizeof *s);
    s->app = app;
    s->d = d;
    if (auth)
        s->auth = *auth;
    s->port = ls.port;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    for (size_t i = 0; i < ls.n; i++) {
        struct MHD_Daemon *mhd = MHD_start_daemon(
            MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                MHD_USE_ITC,
            0, NULL, NULL, access_cb, s, MHD_OPTION_LISTEN_SOCKET, ls.fd[i],
            MHD_OPTION_URI_LOG_CALLBACK, uri_cb, s, MHD_OPTION_NOTIFY_COMPLETED,
            completed_cb, s, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned)SERVER_CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)SERVER_IDLE_TIMEOUT_S, MHD_OPTION_END);
        if (!mhd) {
            snprintf(err, errlen, "libmicrohttpd cannot start on %s:%d",
                     ls.host[i], ls.port);
            listen_close(&ls);
            front_stop(s, 0);
            return NULL;
        }
        ls.fd[i] = -1; /* the daemon's now */
        s->mhd[s->nmhd] = mhd;
        snprintf(s->host[s->nmhd], sizeof s->host[s->nmhd], "%s", ls.host[i]);
        s->nmhd++;
    }
    return s;
}

int front_port(const struct front *s)
{
    return s->port;
}

size_t front_hosts(const struct front *s)
{
    return s->nmhd;
}

const char *front_host(const struct front *s, size_t i)
{
    return s->host[i];
}

void front_stop(struct front *s, long drain_ms)
{
    struct timespec ts;
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_mutex_unlock(&s->lock);
    MHD_socket fds[LISTEN_MAX];
    for (size_t i = 0; i < s->nmhd; i++)
        fds[i] = MHD_quiesce_daemon(s->mhd[i]);
    clock_deadline(&ts, drain_ms);
    pthread_mutex_lock(&s->lock);
    while (s->inflight > 0)
        if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) != 0)
            break;
    if (s->inflight > 0)
        log_warn("%d request(s) still running at shutdown", s->inflight);
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < s->nmhd; i++) {
        MHD_stop_daemon(s->mhd[i]);
        if (fds[i] != MHD_INVALID_SOCKET)
            close(fds[i]);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
