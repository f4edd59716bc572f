/* sigrest.c - SignalR REST calls with libcurl (see sigrest.h). */
#include "sigrest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "host/payload.h"
#include "proto/token.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SIGREST_USER_AGENT                                                     \
    "Microsoft.Azure.WebJobs.Extensions.SignalRService/1.14.0 (func-local; "   \
    "Linux) [func=custom]"

static pthread_once_t name_once = PTHREAD_ONCE_INIT;
static char server_name[128];

static void make_name(void)
{
    char host[64] = "localhost";
    char guid[37], hex[33];
    size_t k = 0;
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    payload_guid(guid);
    for (size_t i = 0; guid[i]; i++)
        if (guid[i] != '-')
            hex[k++] = guid[i];
    hex[k] = '\0';
    snprintf(server_name, sizeof server_name, "%s_%s", host, hex);
}

const char *sigrest_server_name(void)
{
    pthread_once(&name_once, make_name);
    return server_name;
}

char *sigrest_token(const struct connstr *cs, const char *path, long now)
{
    char *aud =
        xasprintf("%s%s", cs->aud_base, path[0] == '/' ? path + 1 : path);
    char *tok = NULL;
    if (token_mint(cs->access_key, aud, "nameid", sigrest_server_name(), now,
                   TOKEN_LIFETIME_S, &tok) < 0)
        tok = NULL;
    free(aud);
    return tok;
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    /* Keep what fits for the error message; drain the rest. */
    buf_append(b, p, size * n);
    return size * n;
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
    char *code = ud;
    size_t len = size * n;
    static const char name[] = "x-ms-error-code:";
    if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1;
        size_t vl = len - (sizeof name - 1);
        while (vl && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl &&
               (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl > 63)
            vl = 63;
        memcpy(code, v, vl);
        code[vl] = '\0';
    }
    return len;
}

static const char *exception_name(long status)
{
    switch (status) {
    case 400:
        return "AzureSignalRInvalidArgumentException";
    case 401:
        return "AzureSignalRUnauthorizedException";
    case 404:
        return "AzureSignalRInaccessibleEndpointException";
    default:
        return "AzureSignalRRuntimeException";
    }
}

int sigrest_call(struct curlpool *pool, const struct connstr *cs,
                 const struct sigout_call *call, long timeout_ms, long *status,
                 char *err, size_t errlen)
{
    CURL *h = NULL;
    struct curl_slist *hdrs = NULL;
    char *url = NULL, *tok = NULL, *auth = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    char code[64] = "";
    struct buf reply;
    struct curlpool_body up = {0};
    long st = 0;
    int rc = -1;
    buf_init(&reply, 4096);
    if (status)
        *status = 0;
    url = xasprintf("%s%s", cs->server_base, call->path);
    tok = sigrest_token(cs, call->path, clock_wall_s());
    if (!tok) {
        snprintf(err, errlen, "%s %s: cannot sign the REST token", call->method,
                 call->path);
        goto out;
    }
    auth = xasprintf("Authorization: Bearer %s", tok);
    h = curlpool_get(pool);
    if (!h) {
        snprintf(err, errlen, "%s %s: curl_easy_init failed", call->method,
                 call->path);
        goto out;
    }
    hdrs = curl_slist_append(hdrs, auth);
    hdrs = curl_slist_append(hdrs, "Asrs-User-Agent: " SIGREST_USER_AGENT);
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     timeout_ms < 5000 ? timeout_ms : 5000L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, code);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* The trust store as the Functions host (.NET on OpenSSL) reads it on
     * Linux: SSL_CERT_FILE and SSL_CERT_DIR replace the system's CAs (an
     * emulator's test CA, --tls-cert); libcurl itself reads neither. */
    const char *ca_file = getenv("SSL_CERT_FILE");
    const char *ca_dir = getenv("SSL_CERT_DIR");
    if (ca_file && *ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    if (ca_dir && *ca_dir)
        curl_easy_setopt(h, CURLOPT_CAPATH, ca_dir);
    if (call->body) {
        /* The SDK streams the body: chunked, no Content-Length. */
        up.p = call->body;
        up.left = strlen(call->body);
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json; "
                                       "charset=utf-8");
        hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, curlpool_read_body);
        curl_easy_setopt(h, CURLOPT_READDATA, &up);
        if (strcmp(call->method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call->method);
    } else if (strcmp(call->method, "PUT") == 0) {
        hdrs = curl_slist_append(hdrs, "Content-Type:");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call->method);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s %s: %s", call->method, call->path,
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
        curl_easy_cleanup(h); /* the connection state is unknown */
        h = NULL;
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    if (status)
        *status = st;
    if (st >= 200 && st <= 299) {
        rc = 0;
        goto out;
    }
    if (st == 404 && call->not_existed_ok &&
        strcmp(code, "Error.Connection.NotExisted") == 0) {
        rc = 0;
        goto out;
    }
    snprintf(err, errlen, "%s %s: %s: the service answered %ld%s%s",
             call->method, call->path, exception_name(st), st,
             code[0] ? " " : "", code);
out:
    curl_slist_free_all(hdrs);
    curlpool_put(pool, h);
    buf_release(&reply);
    free(url);
    free(tok);
    free(auth);
    return rc;
}
