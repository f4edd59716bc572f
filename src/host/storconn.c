/* storconn.c - Azure Storage connection strings (see storconn.h). */
#include "storconn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "proto/kvpairs.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Azurite's well-known account key (the storage emulator's, documented). */
static const char dev_key[] = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu"
                              "Fq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

enum {
    K_DEV,
    K_PROXY,
    K_PROTO,
    K_NAME,
    K_KEY,
    K_SUFFIX,
    K_QUEUE,
    K_SAS,
    K_COUNT
};

static const char *const key_names[K_COUNT] = {"usedevelopmentstorage",
                                               "developmentstorageproxyuri",
                                               "defaultendpointsprotocol",
                                               "accountname",
                                               "accountkey",
                                               "endpointsuffix",
                                               "queueendpoint",
                                               "sharedaccesssignature"};

/* "scheme://host[:port]" of a URI, into new strings. */
static int uri_origin(const char *uri, char **scheme, char **host)
{
    const char *p = strstr(uri, "://");
    if (!p || p == uri)
        return -1;
    *scheme = xstrndup(uri, (size_t)(p - uri));
    for (char *c = *scheme; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (strcmp(*scheme, "http") && strcmp(*scheme, "https")) {
        free(*scheme);
        return -1;
    }
    size_t hl = strcspn(p + 3, ":/?#");
    if (!hl) {
        free(*scheme);
        return -1;
    }
    *host = xstrndup(p + 3, hl);
    return 0;
}

static int decode_key(const char *k, struct storconn *cs, char *err,
                      size_t errlen)
{
    size_t n = strlen(k);
    if (n == 0 || n % 4 != 0 || n > 1024) {
        snprintf(err, errlen, "AccountKey: not a base64 key");
        return -1;
    }
    cs->key = xmalloc(n);
    int got = EVP_DecodeBlock(cs->key, (const unsigned char *)k, (int)n);
    if (got < 0) {
        snprintf(err, errlen, "AccountKey: not a base64 key");
        return -1;
    }
    while (n && k[n - 1] == '=') { /* EVP counts the padding as bytes */
        n--;
        got--;
    }
    cs->key_len = (size_t)got;
    return 0;
}

/* The endpoint's path part: what follows "scheme://host[:port]". */
static void set_base(struct storconn *cs, const char *base)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    cs->queue_base = xstrndup(base, n);
    const char *p = strstr(cs->queue_base, "://");
    const char *path = p ? strchr(p + 3, '/') : NULL;
    cs->queue_path = xstrdup(path ? path : "");
}

static int parse_dev(char **v, struct storconn *cs, char *err, size_t errlen)
{
    if (strcasecmp(v[K_DEV], "true") != 0) {
        snprintf(err, errlen,
                 "UseDevelopmentStorage: only \"true\" is "
                 "supported");
        return -1;
    }
    char *scheme = NULL, *host = NULL;
    if (v[K_PROXY] && uri_origin(v[K_PROXY], &scheme, &host) < 0) {
        snprintf(err, errlen,
                 "DevelopmentStorageProxyUri: not an absolute "
                 "http(s) URI");
        return -1;
    }
    char *base = xasprintf("%s://%s:%d/%s", scheme ? scheme : "http",
                           host ? host : "127.0.0.1", STORCONN_DEV_QUEUE_PORT,
                           STORCONN_DEV_ACCOUNT);
    set_base(cs, base);
    free(base);
    free(scheme);
    free(host);
    cs->account = xstrdup(STORCONN_DEV_ACCOUNT);
    cs->development = 1;
    return decode_key(dev_key, cs, err, errlen);
}

static int parse_account(char **v, struct storconn *cs, char *err,
                         size_t errlen)
{
    if (v[K_SAS] && !v[K_KEY]) {
        snprintf(err, errlen,
                 "SharedAccessSignature connection strings are "
                 "not supported (func-local signs with "
                 "AccountKey)");
        return -1;
    }
    if (!v[K_NAME] || !*v[K_NAME]) {
        snprintf(err, errlen, "AccountName: missing");
        return -1;
    }
    if (!v[K_KEY] || !*v[K_KEY]) {
        snprintf(err, errlen, "AccountKey: missing");
        return -1;
    }
    if (decode_key(v[K_KEY], cs, err, errlen) < 0)
        return -1;
    cs->account = xstrdup(v[K_NAME]);
    if (v[K_QUEUE] && *v[K_QUEUE]) {
        char *scheme = NULL, *host = NULL;
        if (uri_origin(v[K_QUEUE], &scheme, &host) < 0) {
            snprintf(err, errlen, "QueueEndpoint: not an absolute http(s) URI");
            return -1;
        }
        free(scheme);
        free(host);
        set_base(cs, v[K_QUEUE]);
        return 0;
    }
    const char *proto = v[K_PROTO] ? v[K_PROTO] : "https";
    if (strcasecmp(proto, "http") && strcasecmp(proto, "https")) {
        snprintf(err, errlen,
                 "DefaultEndpointsProtocol: must be http or "
                 "https");
        return -1;
    }
    char *base = xasprintf("%s://%s.queue.%s", proto, v[K_NAME],
                           v[K_SUFFIX] && *v[K_SUFFIX] ? v[K_SUFFIX]
                                                       : "core.windows.net");
    for (char *c = base; *c && *c != ':'; c++)
        *c = (char)tolower((unsigned char)*c);
    set_base(cs, base);
    free(base);
    return 0;
}

int storconn_parse(const char *s, struct storconn *cs, char *err, size_t errlen)
{
    char *v[K_COUNT] = {0};
    int rc = -1;
    memset(cs, 0, sizeof *cs);
    if (!s || !*s) {
        snprintf(err, errlen, "empty connection string");
        return -1;
    }
    if (kvpairs_split(s, key_names, K_COUNT, v, err, errlen) < 0)
        goto out;
    if (v[K_DEV])
        rc = parse_dev(v, cs, err, errlen);
    else
        rc = parse_account(v, cs, err, errlen);
out:
    kvpairs_release(v, K_COUNT); /* the key, among others */
    if (rc < 0)
        storconn_release(cs);
    return rc;
}

void storconn_release(struct storconn *cs)
{
    free(cs->account);
    if (cs->key)
        memset(cs->key, 0, cs->key_len);
    free(cs->key);
    free(cs->queue_base);
    free(cs->queue_path);
    memset(cs, 0, sizeof *cs);
}

const char *storconn_setting(const char *connection, storconn_lookup lookup,
                             const void *ctx, char *used, size_t usedlen)
{
    const char *name = connection && *connection ? connection : "Storage";
    char prefixed[256];
    snprintf(prefixed, sizeof prefixed, "AzureWebJobs%s", name);
    const char *v = lookup(ctx, prefixed);
    if (v && *v) {
        snprintf(used, usedlen, "%s", prefixed);
        return v;
    }
    v = lookup(ctx, name);
    snprintf(used, usedlen, "%s", v && *v ? name : prefixed);
    return v && *v ? v : NULL;
}
