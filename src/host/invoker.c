/* invoker.c - host → handler HTTP calls with libcurl (see invoker.h). */
#include "invoker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "host/curlpool.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct invoker {
    struct curlpool *pool; /* kept-alive connections to the handler */
};

struct invoker *invoker_new(void)
{
    struct invoker *iv = xcalloc(1, sizeof *iv);
    iv->pool = curlpool_new();
    return iv;
}

void invoker_free(struct invoker *iv)
{
    if (!iv)
        return;
    curlpool_free(iv->pool);
    free(iv);
}

struct curlpool *invoker_pool(struct invoker *iv)
{
    return iv->pool;
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    if (buf_append(b, p, size * n) < 0)
        return 0; /* over the cap: abort the transfer */
    return size * n;
}

int invoker_post(struct invoker *iv, int port, const char *fn,
                 const char *invocation_id, const char *body, size_t len,
                 long timeout_ms, struct invoker_reply *out, char *err,
                 size_t errlen)
{
    struct curl_slist *hdrs = NULL;
    char *url = xasprintf("http://127.0.0.1:%d/%s", port, fn);
    char *idh = xasprintf("X-Azure-Functions-InvocationId: %s", invocation_id);
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curlpool_body up = {body, len};
    struct buf reply;
    int rc = -1;
    memset(out, 0, sizeof *out);
    buf_init(&reply, LIMIT_INVOKE_REPLY);
    CURL *h = curlpool_get(iv->pool);
    if (!h) {
        snprintf(err, errlen, "curl_easy_init failed");
        goto out;
    }
    hdrs = curl_slist_append(
        hdrs, "User-Agent: Azure-Functions-Host/" INVOKER_HOST_VERSION);
    hdrs = curl_slist_append(
        hdrs, "X-Azure-Functions-HostVersion: " INVOKER_HOST_VERSION);
    hdrs = curl_slist_append(hdrs, idh);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json; "
                                   "charset=utf-8");
    hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
    hdrs = curl_slist_append(hdrs, "Accept:");
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, curlpool_read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &up);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curlpool_handler_opts(h, errbuf, timeout_ms);
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        if (cc == CURLE_WRITE_ERROR)
            snprintf(err, errlen, "the handler's reply is over %u bytes",
                     LIMIT_INVOKE_REPLY);
        else
            snprintf(err, errlen, "POST /%s to the handler: %s", fn,
                     errbuf[0] ? errbuf : curl_easy_strerror(cc));
        curl_easy_cleanup(h); /* the connection state is unknown */
        h = NULL;
        if (cc == CURLE_OPERATION_TIMEDOUT)
            rc = INVOKER_TIMEOUT;
        goto out;
    }
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    out->content_type = ct ? xstrdup(ct) : NULL;
    out->body = buf_take(&reply, &out->len);
    rc = 0;
out:
    curlpool_put(iv->pool, h);
    curl_slist_free_all(hdrs);
    buf_release(&reply);
    free(url);
    free(idh);
    return rc;
}

void invoker_reply_release(struct invoker_reply *r)
{
    free(r->content_type);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static size_t discard_cb(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

int invoker_probe(int port, long timeout_ms)
{
    char url[64];
    CURL *h = curl_easy_init();
    if (!h)
        return 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    return cc == CURLE_OK;
}
