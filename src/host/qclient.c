/* qclient.c - the Queue service's REST API (see qclient.h). */
#include "qclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "host/sharedkey.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/url.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define QCLIENT_REPLY_MAX (4 * 1024 * 1024)
#define QCLIENT_FIRST_DELAY_MS 800L

struct request {
    const char *method;
    char *path; /* signed path: the endpoint's path + the resource */
    const struct sharedkey_kv *query;
    size_t nquery;
    const char *body; /* NULL: none */
};

struct reply {
    long status;
    struct buf body;
    char code[64]; /* x-ms-error-code */
    char pop[256]; /* x-ms-popreceipt */
};

static void header_value(const char *p, size_t len, const char *name, char *out,
                         size_t outlen)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(p, name, nl) != 0)
        return;
    const char *v = p + nl;
    size_t vl = len - nl;
    while (vl && (*v == ' ' || *v == '\t')) {
        v++;
        vl--;
    }
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (vl >= outlen)
        vl = outlen - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    header_value(p, size * n, "x-ms-error-code:", r->code, sizeof r->code);
    header_value(p, size * n, "x-ms-popreceipt:", r->pop, sizeof r->pop);
    return size * n;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    return buf_append(&r->body, p, size * n) < 0 ? 0 : size * n;
}

static void rfc1123_now(char out[40])
{
    time_t t = (time_t)clock_wall_s();
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

/* The URL: endpoint origin + path + encoded query. */
static char *make_url(const struct storconn *cs, const struct request *rq)
{
    struct buf b;
    buf_init(&b, (size_t)-1);
    size_t origin = strlen(cs->queue_base) - strlen(cs->queue_path);
    buf_append(&b, cs->queue_base, origin);
    buf_puts(&b, rq->path);
    for (size_t i = 0; i < rq->nquery; i++) {
        char *v = url_encode(rq->query[i].value);
        buf_printf(&b, "%c%s=%s", i ? '&' : '?', rq->query[i].name, v);
        free(v);
    }
    size_t len;
    return buf_take(&b, &len);
}

/* One attempt. Returns 0 when an answer came (any status), -1 when none
 * (err set). */
static int attempt(struct curlpool *pool, const struct storconn *cs,
                   const struct request *rq, struct reply *rp, char *err,
                   size_t errlen)
{
    char date[40], errbuf[CURL_ERROR_SIZE] = "";
    size_t blen = rq->body ? strlen(rq->body) : 0;
    rfc1123_now(date);
    struct sharedkey_kv xms[] = {{"x-ms-date", date},
                                 {"x-ms-version", QCLIENT_API_VERSION}};
    struct sharedkey_req sr = {
        .method = rq->method,
        .content_type = rq->body ? "application/xml" : NULL,
        .content_length = blen,
        .account = cs->account,
        .path = rq->path,
        .query = rq->query,
        .nquery = rq->nquery,
        .xms = xms,
        .nxms = 2,
    };
    char *auth = sharedkey_authorization(cs->key, cs->key_len, &sr);
    char *auth_h = xasprintf("Authorization: %s", auth);
    char *date_h = xasprintf("x-ms-date: %s", date);
    char *url = make_url(cs, rq);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, auth_h);
    h = curl_slist_append(h, date_h);
    h = curl_slist_append(h, "x-ms-version: " QCLIENT_API_VERSION);
    h = curl_slist_append(h, "Expect:");
    h = curl_slist_append(h, rq->body ? "Content-Type: application/xml"
                                      : "Content-Type:");
    int rc = -1;
    CURL *c = curlpool_get(pool);
    if (!c) {
        snprintf(err, errlen, "%s %s: curl_easy_init failed", rq->method,
                 rq->path);
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, QCLIENT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, rp);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, rp);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (strcmp(rq->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s %s: %s", rq->method, rq->path,
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
        curl_easy_cleanup(c);
        c = NULL;
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rp->status);
    rc = 0;
out:
    curlpool_put(pool, c);
    curl_slist_free_all(h);
    free(url);
    free(date_h);
    free(auth_h);
    free(auth);
    return rc;
}

static int transient(long status)
{
    return status == 0 || status == 408 || status == 429 || status == 500 ||
           status == 502 || status == 503 || status == 504;
}

/* The call with its retries. Returns 0 for 2xx (rp holds the answer),
 * else -1 with err and f filled. */
static int call(struct curlpool *pool, const struct storconn *cs,
                const struct request *rq, int retries, struct reply *rp,
                struct qclient_fail *f, char *err, size_t errlen)
{
    long delay = QCLIENT_FIRST_DELAY_MS;
    struct qclient_fail dummy;
    if (!f)
        f = &dummy;
    memset(f, 0, sizeof *f);
    for (int n = 0;; n++) {
        buf_release(&rp->body);
        buf_init(&rp->body, QCLIENT_REPLY_MAX);
        rp->status = 0;
        rp->code[0] = rp->pop[0] = '\0';
        if (attempt(pool, cs, rq, rp, err, errlen) == 0) {
            if (rp->status >= 200 && rp->status <= 299)
                return 0;
            char code[64], msg[256];
            qxml_error(rp->body.data, rp->body.len, code, sizeof code, msg,
                       sizeof msg);
            snprintf(err, errlen,
                     "%s %s: the queue service answered %ld %s%s%s", rq->method,
                     rq->path, rp->status, rp->code[0] ? rp->code : code,
                     msg[0] ? ": " : "", msg);
        }
        f->status = rp->status;
        snprintf(f->code, sizeof f->code, "%s", rp->code);
        if (n >= retries || !transient(rp->status))
            return -1;
        log_warn("%s; retry %d of %d in %ld ms", err, n + 1, retries, delay);
        clock_sleep_ms(delay);
        delay *= 2;
    }
}

static char *resource(const struct storconn *cs, const char *queue,
                      const char *rest)
{
    return xasprintf("%s/%s%s", cs->queue_path, queue, rest ? rest : "");
}

int qclient_create(struct curlpool *pool, const struct storconn *cs,
                   const char *queue, int retries, struct qclient_fail *f,
                   char *err, size_t errlen)
{
    struct request rq = {"PUT", resource(cs, queue, NULL), NULL, 0, NULL};
    struct reply rp = {0};
    int rc = call(pool, cs, &rq, retries, &rp, f, err, errlen);
    buf_release(&rp.body);
    free(rq.path);
    return rc;
}

int qclient_put(struct curlpool *pool, const struct storconn *cs,
                const char *queue, const char *text, int retries,
                struct qclient_fail *f, char *err, size_t errlen)
{
    char *body = qxml_put_body(text);
    struct request rq = {"POST", resource(cs, queue, "/messages"), NULL, 0,
                         body};
    struct reply rp = {0};
    int rc = call(pool, cs, &rq, retries, &rp, f, err, errlen);
    buf_release(&rp.body);
    free(rq.path);
    free(body);
    return rc;
}

int qclient_get(struct curlpool *pool, const struct storconn *cs,
                const char *queue, int n, long visibility_s, int retries,
                struct qmsg **msgs, size_t *count, struct qclient_fail *f,
                char *err, size_t errlen)
{
    char num[16], vis[24];
    snprintf(num, sizeof num, "%d", n);
    snprintf(vis, sizeof vis, "%ld", visibility_s);
    struct sharedkey_kv q[] = {{"numofmessages", num},
                               {"visibilitytimeout", vis}};
    struct request rq = {"GET", resource(cs, queue, "/messages"), q, 2, NULL};
    struct reply rp = {0};
    *msgs = NULL;
    *count = 0;
    int rc = call(pool, cs, &rq, retries, &rp, f, err, errlen);
    if (rc == 0 && qxml_messages(rp.body.data ? rp.body.data : "", rp.body.len,
                                 msgs, count, err, errlen) < 0) {
        if (f)
            f->status = rp.status;
        rc = -1;
    }
    buf_release(&rp.body);
    free(rq.path);
    return rc;
}

int qclient_update(struct curlpool *pool, const struct storconn *cs,
                   const char *queue, const char *id, const char *pop,
                   long visibility_s, int retries, char *new_pop,
                   size_t new_pop_len, struct qclient_fail *f, char *err,
                   size_t errlen)
{
    char vis[24];
    snprintf(vis, sizeof vis, "%ld", visibility_s);
    struct sharedkey_kv q[] = {{"popreceipt", pop}, {"visibilitytimeout", vis}};
    char *rest = xasprintf("/messages/%s", id);
    struct request rq = {"PUT", resource(cs, queue, rest), q, 2, NULL};
    struct reply rp = {0};
    int rc = call(pool, cs, &rq, retries, &rp, f, err, errlen);
    if (rc == 0 && new_pop)
        snprintf(new_pop, new_pop_len, "%s", rp.pop);
    buf_release(&rp.body);
    free(rq.path);
    free(rest);
    return rc;
}

int qclient_delete(struct curlpool *pool, const struct storconn *cs,
                   const char *queue, const char *id, const char *pop,
                   int retries, struct qclient_fail *f, char *err,
                   size_t errlen)
{
    struct sharedkey_kv q[] = {{"popreceipt", pop}};
    char *rest = xasprintf("/messages/%s", id);
    struct request rq = {"DELETE", resource(cs, queue, rest), q, 1, NULL};
    struct reply rp = {0};
    int rc = call(pool, cs, &rq, retries, &rp, f, err, errlen);
    buf_release(&rp.body);
    free(rq.path);
    free(rest);
    return rc;
}
