/* forward.c - forwarding HTTP-only functions raw (see forward.h). */
#include "forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "host/invoker.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define FORWARD_MAX_REDIRECTS                                                  \
    50L /* HttpClientHandler.MaxAutomaticRedirections */

int forward_applies(const struct app *app, const struct app_function *fn)
{
    return fn->http_in_out && (app->handler.section == HDESC_HTTP_WORKER ||
                               app->handler.forwarding);
}

/* .NET's UrlEncoder.Default: what it leaves as it is. */
static int url_safe(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || (c && strchr("-._~!$()*,;@", c));
}

static void put_encoded(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (url_safe(*p)) {
            buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(b, e, 3);
        }
    }
}

char *forward_query(const struct payload_kv *q, size_t n)
{
    struct buf b;
    buf_init(&b, (size_t)-1);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < i && strcasecmp(q[k].name, q[i].name) != 0)
            k++;
        if (k < i)
            continue; /* already written with the first of its name */
        buf_puts(&b, b.len ? "&" : "?");
        put_encoded(&b, q[i].name);
        buf_puts(&b, "=");
        struct buf v;
        buf_init(&v, (size_t)-1);
        for (size_t j = i; j < n; j++)
            if (strcasecmp(q[j].name, q[i].name) == 0) {
                if (j != i)
                    buf_puts(&v, ",");
                buf_puts(&v, q[j].value ? q[j].value : "");
            }
        put_encoded(&b, buf_cstr(&v));
        buf_release(&v);
    }
    buf_puts(&b, "");
    return buf_take(&b, NULL);
}

char *forward_target(const struct app *app, const struct app_function *fn,
                     const char *url, const struct payload_kv *q, size_t n)
{
    char *query = forward_query(q, n), *t;
    if (app->handler.section == HDESC_HTTP_WORKER || !app->handler.forwarding) {
        t = xasprintf("/%s%s", fn->name, query);
    } else {
        const char *p = strstr(url, "://");
        p = p ? strchr(p + 3, '/') : NULL;
        size_t len = p ? strcspn(p, "?#") : 0;
        t = p ? xasprintf("%.*s%s", (int)len, p, query)
              : xasprintf("/%s", query);
    }
    free(query);
    return t;
}

static int in_list(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp(name, list[i]) == 0)
            return 1;
    return 0;
}

/* .NET's content headers (HttpContentHeaders): not request headers. */
static const char *const content_headers[] = {"Allow",
                                              "Content-Disposition",
                                              "Content-Encoding",
                                              "Content-Language",
                                              "Content-Length",
                                              "Content-Location",
                                              "Content-MD5",
                                              "Content-Range",
                                              "Content-Type",
                                              "Expires",
                                              "Last-Modified",
                                              NULL};
/* The connection's own: libcurl and libmicrohttpd manage them. */
static const char *const hop_headers[] = {
    "Connection", "Keep-Alive", "Transfer-Encoding",
    "Expect",     "Upgrade",    "Proxy-Connection",
    "TE",         NULL};
/* Set by the host itself. */
static const char *const host_headers[] = {
    "User-Agent", "X-Azure-Functions-HostVersion",
    "X-Azure-Functions-InvocationId", NULL};

int forward_request_header(const char *name)
{
    return !in_list(name, content_headers) && !in_list(name, hop_headers) &&
           !in_list(name, host_headers);
}

int forward_reply_header(const char *name, const char *value)
{
    if (!strcasecmp(name, "Transfer-Encoding"))
        return strcasecmp(value, "chunked") != 0;
    return strcasecmp(name, "Content-Length") &&
           strcasecmp(name, "Connection") && strcasecmp(name, "Keep-Alive");
}

static const char *req_header(const struct payload_http *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* The request headers libcurl sends (it adds none of its own). */
static struct curl_slist *request_headers(const struct payload_http *r,
                                          const char *id, int with_body)
{
    struct curl_slist *h = NULL;
    char *line;
    for (size_t i = 0; i < r->nheaders; i++) {
        if (!forward_request_header(r->headers[i].name))
            continue;
        line = xasprintf("%s: %s", r->headers[i].name, r->headers[i].value);
        h = curl_slist_append(h, line);
        free(line);
    }
    const char *ua = req_header(r, "User-Agent");
    line = xasprintf("User-Agent: %s%sAzure-Functions-Host/%s", ua ? ua : "",
                     ua && *ua ? " " : "", INVOKER_HOST_VERSION);
    h = curl_slist_append(h, line);
    free(line);
    h = curl_slist_append(
        h, "X-Azure-Functions-HostVersion: " INVOKER_HOST_VERSION);
    line = xasprintf("X-Azure-Functions-InvocationId: %s", id);
    h = curl_slist_append(h, line);
    free(line);
    const char *ct = with_body ? req_header(r, "Content-Type") : NULL;
    line = ct ? xasprintf("Content-Type: %s", ct) : xstrdup("Content-Type:");
    h = curl_slist_append(h, line);
    free(line);
    if (!req_header(r, "Accept"))
        h = curl_slist_append(h, "Accept:");
    h = curl_slist_append(h, "Expect:");
    return h;
}

struct reply_headers {
    struct result_header *v;
    size_t n, cap;
};

static void headers_clear(struct reply_headers *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].name);
        free(h->v[i].value);
    }
    h->n = 0;
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
    struct reply_headers *h = ud;
    size_t len = size * n, nl = 0;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        headers_clear(h); /* a new response (after a redirect) */
        return len;
    }
    while (nl < len && p[nl] != ':')
        nl++;
    if (nl == 0 || nl == len)
        return len; /* the blank line, or not a header */
    size_t vs = nl + 1, ve = len;
    while (vs < ve && (p[vs] == ' ' || p[vs] == '\t'))
        vs++;
    while (ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n' ||
                       p[ve - 1] == ' ' || p[ve - 1] == '\t'))
        ve--;
    char *name = xstrndup(p, nl), *value = xstrndup(p + vs, ve - vs);
    if (!forward_reply_header(name, value)) {
        free(name);
        free(value);
        return len;
    }
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->v = xrealloc(h->v, h->cap * sizeof *h->v);
    }
    h->v[h->n].name = name;
    h->v[h->n].value = value;
    h->n++;
    return len;
}

static size_t body_cb(char *p, size_t size, size_t n, void *ud)
{
    return buf_append(ud, p, size * n) < 0 ? 0 : size * n;
}

int forward_call(struct curlpool *pool, int port, const struct app *app,
                 const struct app_function *fn, const char *invocation_id,
                 const struct payload_http *req, long timeout_ms,
                 struct result_http *out, int *body_dropped, char *err,
                 size_t errlen)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct reply_headers rh = {0};
    struct buf body;
    int rc = -1;
    memset(out, 0, sizeof *out);
    int with_body = req->content_length > 0;
    *body_dropped = !with_body && req->body_len > 0;
    char *target = forward_target(app, fn, req->url, req->query, req->nquery);
    char *url = xasprintf("http://127.0.0.1:%d%s", port, target);
    struct curl_slist *hdrs = request_headers(req, invocation_id, with_body);
    buf_init(&body, LIMIT_INVOKE_REPLY);
    CURL *h = curlpool_get(pool);
    if (!h) {
        snprintf(err, errlen, "curl_easy_init failed");
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    /* GET, HEAD and POST as libcurl's own, so that a 301/302/303 to a POST
     * is followed with a GET, as .NET's HttpClient does; a custom method
     * string would be sent again on the redirect. */
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD") &&
        strcmp(req->method, "POST"))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    if (!strcmp(req->method, "HEAD"))
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    else if (with_body || !strcmp(req->method, "POST") ||
             !strcmp(req->method, "PUT") || !strcmp(req->method, "PATCH")) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, with_body ? req->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(with_body ? req->body_len : 0));
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &rh);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curlpool_handler_opts(h, errbuf, timeout_ms);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http");
    if (!app->handler.forwarding) {
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, FORWARD_MAX_REDIRECTS);
    }
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        if (cc == CURLE_WRITE_ERROR)
            snprintf(err, errlen, "the handler's reply is over %u bytes",
                     LIMIT_INVOKE_REPLY);
        else
            /* the path only: a query may carry a key (?code=) */
            snprintf(err, errlen, "%s %.*s to the handler: %s", req->method,
                     (int)strcspn(target, "?"), target,
                     errbuf[0] ? errbuf : curl_easy_strerror(cc));
        curl_easy_cleanup(h);
        h = NULL;
        if (cc == CURLE_OPERATION_TIMEDOUT)
            rc = INVOKER_TIMEOUT;
        goto out;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    out->status = (int)status;
    out->headers = rh.v;
    out->nheaders = rh.n;
    rh.v = NULL;
    rh.n = 0;
    out->body = buf_take(&body, &out->body_len);
    rc = 0;
out:
    curlpool_put(pool, h);
    headers_clear(&rh);
    free(rh.v);
    curl_slist_free_all(hdrs);
    buf_release(&body);
    free(url);
    free(target);
    return rc;
}
