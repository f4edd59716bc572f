/* connstr.c - Azure SignalR connection strings (see connstr.h). */
#include "connstr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/kvpairs.h"
#include "util/xalloc.h"
#include "util/banned.h"

enum {
    K_ENDPOINT,
    K_ACCESSKEY,
    K_VERSION,
    K_PORT,
    K_CLIENT,
    K_SERVER,
    K_AUTHTYPE,
    K_COUNT
};

static const char *const key_names[K_COUNT] = {
    "endpoint",       "accesskey",      "version", "port",
    "clientendpoint", "serverendpoint", "authtype"};

/* Split an absolute http(s) URI into scheme, host, port (0 if absent) and
 * path (without trailing '/'). Returns 0 or -1. */
static int split_uri(const char *uri, char **scheme, char **host, int *port,
                     char **path)
{
    const char *p = strstr(uri, "://");
    if (!p)
        return -1;
    char *sch = xstrndup(uri, (size_t)(p - uri));
    for (char *c = sch; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (strcmp(sch, "http") != 0 && strcmp(sch, "https") != 0) {
        free(sch);
        return -1;
    }
    const char *h = p + 3;
    size_t hl = strcspn(h, ":/?#");
    if (hl == 0) {
        free(sch);
        return -1;
    }
    const char *rest = h + hl;
    int prt = 0;
    if (*rest == ':') {
        char *end;
        long v = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || v <= 0 || v > 65535) {
            free(sch);
            return -1;
        }
        prt = (int)v;
        rest = end;
    }
    if (*rest && *rest != '/') {
        free(sch);
        return -1;
    }
    size_t pl = strcspn(rest, "?#");
    while (pl && rest[pl - 1] == '/')
        pl--;
    *scheme = sch;
    *host = xstrndup(h, hl);
    *port = prt;
    *path = xstrndup(rest, pl);
    return 0;
}

static char *base_of(const char *scheme, const char *host, int port,
                     const char *path)
{
    int def = strcmp(scheme, "https") == 0 ? 443 : 80;
    if (port == def)
        return xasprintf("%s://%s%s", scheme, host, path);
    return xasprintf("%s://%s:%d%s", scheme, host, port, path);
}

/* A value fit for an error message: a short word or number as it is,
 * anything else (a lost ';' may have joined it to the key) not shown. */
static const char *shown(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 16)
        return "(not shown)";
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)v[i]) && v[i] != '.')
            return "(not shown)";
    return v;
}

int connstr_parse(const char *s, struct connstr *cs, char *err, size_t errlen)
{
    char *val[K_COUNT] = {0};
    int rc = -1;
    char *cl_scheme = NULL, *cl_host = NULL, *cl_path = NULL;
    memset(cs, 0, sizeof *cs);

    if (!s || !*s) {
        snprintf(err, errlen, "connection string is empty");
        goto out;
    }
    int pairs = kvpairs_split(s, key_names, K_COUNT, val, err, errlen);
    if (pairs < 0)
        goto out;
    if (pairs < 2) {
        snprintf(err, errlen,
                 "connection string needs at least 2 "
                 "key=value pairs");
        goto out;
    }
    if (!val[K_ENDPOINT] || !*val[K_ENDPOINT]) {
        snprintf(err, errlen, "connection string has no Endpoint");
        goto out;
    }
    if (val[K_AUTHTYPE] && *val[K_AUTHTYPE] &&
        strcasecmp(val[K_AUTHTYPE], "accesskey") != 0) {
        snprintf(err, errlen,
                 "AuthType=%s uses Microsoft Entra ID, which needs no "
                 "AccessKey and is not supported here",
                 shown(val[K_AUTHTYPE]));
        goto out;
    }
    if (!val[K_ACCESSKEY] || !*val[K_ACCESSKEY]) {
        snprintf(err, errlen, "connection string has no AccessKey");
        goto out;
    }
    if (val[K_VERSION]) {
        const char *v = val[K_VERSION];
        if (!(v[0] == '1' && v[1] == '.' && isdigit((unsigned char)v[2]))) {
            snprintf(err, errlen, "Version %s is not supported (must be 1.x)",
                     shown(v));
            goto out;
        }
    }
    int uri_port = 0;
    if (split_uri(val[K_ENDPOINT], &cs->scheme, &cs->host, &uri_port,
                  &cs->path) < 0) {
        snprintf(err, errlen, "Endpoint must be an absolute http or https URI");
        goto out;
    }
    cs->port =
        uri_port ? uri_port : (strcmp(cs->scheme, "https") == 0 ? 443 : 80);
    if (val[K_PORT]) {
        char *end;
        long p = strtol(val[K_PORT], &end, 10);
        if (!*val[K_PORT] || *end || p <= 0 || p > 65535) {
            snprintf(err, errlen, "Port must be an integer in (0, 65536)");
            goto out;
        }
        cs->port = (int)p;
    }
    char *ep_base = base_of(cs->scheme, cs->host, cs->port, cs->path);
    if (val[K_CLIENT] && *val[K_CLIENT]) {
        int cp = 0;
        if (split_uri(val[K_CLIENT], &cl_scheme, &cl_host, &cp, &cl_path) < 0) {
            free(ep_base);
            snprintf(err, errlen,
                     "ClientEndpoint must be an absolute http or https URI");
            goto out;
        }
        if (!cp)
            cp = strcmp(cl_scheme, "https") == 0 ? 443 : 80;
        char *b = base_of(cl_scheme, cl_host, cp, cl_path);
        cs->client_base = xasprintf("%s/", b);
        free(b);
    } else {
        cs->client_base = xasprintf("%s/", ep_base);
    }
    if (val[K_SERVER] && *val[K_SERVER]) {
        char *sv = xstrdup(val[K_SERVER]);
        size_t l = strlen(sv);
        while (l && sv[l - 1] == '/')
            sv[--l] = '\0';
        if (strncasecmp(sv, "http://", 7) != 0 &&
            strncasecmp(sv, "https://", 8) != 0) {
            free(sv);
            free(ep_base);
            snprintf(err, errlen,
                     "ServerEndpoint must be an absolute http or https URI");
            goto out;
        }
        cs->server_base = sv;
        free(ep_base);
    } else {
        cs->server_base = ep_base;
    }
    cs->aud_base = xasprintf("%s://%s/", cs->scheme, cs->host);
    cs->access_key = val[K_ACCESSKEY];
    val[K_ACCESSKEY] = NULL;
    rc = 0;
out:
    kvpairs_release(val, K_COUNT);
    free(cl_scheme);
    free(cl_host);
    free(cl_path);
    if (rc < 0)
        connstr_release(cs);
    return rc;
}

void connstr_release(struct connstr *cs)
{
    free(cs->scheme);
    free(cs->host);
    free(cs->path);
    free(cs->access_key);
    free(cs->client_base);
    free(cs->server_base);
    free(cs->aud_base);
    memset(cs, 0, sizeof *cs);
}

char *connstr_hub_lower(const char *hub)
{
    char *h = xstrdup(hub);
    for (char *c = h; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return h;
}

char *connstr_client_url(const struct connstr *cs, const char *hub)
{
    char *h = connstr_hub_lower(hub);
    char *u = xasprintf("%sclient/?hub=%s", cs->client_base, h);
    free(h);
    return u;
}

char *connstr_client_aud(const struct connstr *cs, const char *hub)
{
    char *h = connstr_hub_lower(hub);
    char *u = xasprintf("%sclient/?hub=%s", cs->aud_base, h);
    free(h);
    return u;
}
