/* auth.c - access tokens on client and REST calls (see auth.h). */
#include "auth.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "emulator/limits.h"
#include "emulator/loop.h"
#include "util/clock.h"
#include "util/limits.h"
#include "util/url.h"
#include "util/xalloc.h"
#include "util/banned.h"

static char *token_of(struct MHD_Connection *mc)
{
    const char *h =
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization");
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        h += 7;
        while (*h == ' ')
            h++;
        return xstrdup(h);
    }
    const char *q =
        MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "access_token");
    if (q)
        return url_decode(q, strlen(q), 0);
    return NULL;
}

/* This service's scheme and host as the request names it. */
static char *scheme_host(struct MHD_Connection *mc)
{
    const char *host = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Host");
    return xasprintf("http://%s", host && *host ? host : "localhost");
}

char *auth_client_audience(struct MHD_Connection *mc, const char *hub)
{
    char *sh = scheme_host(mc);
    char *enc = url_encode(hub);
    char *aud = xasprintf("%s/client/?hub=%s", sh, enc);
    free(enc);
    free(sh);
    return aud;
}

int auth_check(const struct auth_keys *k, struct MHD_Connection *mc,
               const char *path, const char *hub, struct token_claims *claims,
               char *err, size_t errlen)
{
    char *tok = token_of(mc);
    char *sh = NULL;
    int rc = -1;
    memset(claims, 0, sizeof *claims);
    if (!tok || !*tok) {
        snprintf(err, errlen,
                 "missing access token (Authorization: Bearer "
                 "or access_token)");
        goto out;
    }
    if (strlen(tok) > LIMIT_TOKEN_LEN) {
        snprintf(err, errlen, "access token longer than %u characters",
                 LIMIT_TOKEN_LEN);
        goto out;
    }
    char why[200];
    if (token_verify(tok, k->keys, k->n, clock_wall_s(), LIMIT_TOKEN_SKEW_S,
                     claims, why, sizeof why) < 0) {
        snprintf(err, errlen, "invalid access token: %s", why);
        goto out;
    }
    sh = scheme_host(mc);
    /* The printed connection string says Endpoint=http://localhost, so
     * tokens minted from it name localhost whatever address the client
     * used to reach us: the loopback names are accepted as well. */
    static const char *const loopback[] = {"http://localhost",
                                           "http://127.0.0.1", "http://[::1]"};
    int ok = token_aud_match(claims->aud, sh, path, hub);
    for (size_t i = 0; !ok && i < sizeof loopback / sizeof loopback[0]; i++)
        ok = token_aud_match(claims->aud, loopback[i], path, hub);
    if (!ok) {
        token_claims_release(claims);
        snprintf(err, errlen,
                 "access token audience does not match this "
                 "request");
        goto out;
    }
    rc = 0;
out:
    free(tok);
    free(sh);
    return rc;
}
