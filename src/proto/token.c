/* token.c - mint and verify SignalR access tokens (see token.h). */
#include "token.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/jsonx.h"
#include "util/limits.h"
#include "util/xalloc.h"
#include "util/banned.h"

int token_mint(const char *key, const char *aud, const char *uid_claim,
               const char *user_id, long now, long lifetime_s, char **out)
{
    jwt_t *jwt = NULL;
    char *s = NULL;
    int rc = -1;
    *out = NULL;
    if (jwt_new(&jwt) != 0)
        goto out;
    if (user_id && jwt_add_grant(jwt, uid_claim, user_id) != 0)
        goto out;
    if (jwt_add_grant_int(jwt, "nbf", now) != 0 ||
        jwt_add_grant_int(jwt, "exp", now + lifetime_s) != 0 ||
        jwt_add_grant_int(jwt, "iat", now) != 0 ||
        jwt_add_grant(jwt, "aud", aud) != 0)
        goto out;
    if (jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)key,
                    (int)strlen(key)) != 0)
        goto out;
    s = jwt_encode_str(jwt);
    if (!s)
        goto out;
    *out = xstrdup(s);
    rc = 0;
out:
    free(s);
    jwt_free(jwt);
    return rc;
}

/* base64url (no padding) → bytes. Returns the length or -1. */
static int b64url_decode(const char *in, size_t n, unsigned char *outb,
                         size_t cap)
{
    char tmp[LIMIT_TOKEN_LEN + 4];
    if (n + 4 > sizeof tmp)
        return -1;
    size_t i;
    for (i = 0; i < n; i++) {
        char c = in[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!isalnum((unsigned char)c))
            return -1;
        tmp[i] = c;
    }
    size_t pad = (4 - n % 4) % 4;
    if (pad == 3)
        return -1;
    for (size_t k = 0; k < pad; k++)
        tmp[i++] = '=';
    if (i / 4 * 3 > cap)
        return -1;
    int len = EVP_DecodeBlock(outb, (const unsigned char *)tmp, (int)i);
    if (len < 0)
        return -1;
    return len - (int)pad;
}

static const EVP_MD *md_for(jwt_alg_t alg)
{
    switch (alg) {
    case JWT_ALG_HS256:
        return EVP_sha256();
    case JWT_ALG_HS384:
        return EVP_sha384();
    case JWT_ALG_HS512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

/* Constant-time check of the HMAC over "header.payload". */
static int hmac_ok(const EVP_MD *md, const char *key, const char *token,
                   size_t signed_len, const char *sig, size_t sig_len)
{
    unsigned char want[EVP_MAX_MD_SIZE];
    unsigned int want_len = 0;
    unsigned char got[EVP_MAX_MD_SIZE + 4];
    if (!HMAC(md, key, (int)strlen(key), (const unsigned char *)token,
              signed_len, want, &want_len))
        return 0;
    int got_len = b64url_decode(sig, sig_len, got, sizeof got);
    if (got_len != (int)want_len)
        return 0;
    return CRYPTO_memcmp(want, got, want_len) == 0;
}

static long claim_long(struct json_object *all, const char *name, int *present)
{
    struct json_object *v = NULL;
    *present = json_object_object_get_ex(all, name, &v) && v &&
               (json_object_is_type(v, json_type_int) ||
                json_object_is_type(v, json_type_double));
    return *present ? (long)json_object_get_int64(v) : 0;
}

int token_verify(const char *token, const char *const *keys, size_t nkeys,
                 long now, long skew, struct token_claims *out, char *err,
                 size_t errlen)
{
    jwt_t *jwt = NULL;
    char *grants = NULL;
    int rc = -1;
    memset(out, 0, sizeof *out);

    size_t len = strlen(token);
    if (len == 0) {
        snprintf(err, errlen, "token is empty");
        goto out;
    }
    if (len > LIMIT_TOKEN_LEN) {
        snprintf(err, errlen, "token is longer than %u characters",
                 LIMIT_TOKEN_LEN);
        goto out;
    }
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
        snprintf(err, errlen, "token is not a compact JWS (three parts)");
        goto out;
    }
    if (dot2[1] == '\0') {
        snprintf(err, errlen, "token is unsigned (alg none is refused)");
        goto out;
    }
    size_t k;
    for (k = 0; k < nkeys; k++) {
        if (jwt_decode(&jwt, token, (const unsigned char *)keys[k],
                       (int)strlen(keys[k])) == 0)
            break;
        jwt = NULL;
    }
    if (!jwt) {
        snprintf(err, errlen,
                 "token signature is invalid for every "
                 "configured key, or its alg is not HS256, "
                 "HS384 or HS512");
        goto out;
    }
    const EVP_MD *md = md_for(jwt_get_alg(jwt));
    if (!md) {
        snprintf(err, errlen, "token alg is not HS256, HS384 or HS512");
        goto out;
    }
    if (!hmac_ok(md, keys[k], token, (size_t)(dot2 - token), dot2 + 1,
                 strlen(dot2 + 1))) {
        snprintf(err, errlen, "token signature is invalid");
        goto out;
    }
    grants = jwt_get_grants_json(jwt, NULL);
    if (!grants ||
        jsonx_parse(grants, strlen(grants), &out->all, err, errlen) < 0 ||
        !json_object_is_type(out->all, json_type_object)) {
        snprintf(err, errlen, "token claims are not a JSON object");
        goto out;
    }
    int has_exp, has_nbf, has_iat;
    out->exp = claim_long(out->all, "exp", &has_exp);
    out->nbf = claim_long(out->all, "nbf", &has_nbf);
    out->iat = claim_long(out->all, "iat", &has_iat);
    if (!has_exp) {
        snprintf(err, errlen, "token has no exp claim");
        goto out;
    }
    if (out->exp + skew < now) {
        snprintf(err, errlen, "token expired at %ld (now %ld)", out->exp, now);
        goto out;
    }
    if (has_nbf && out->nbf - skew > now) {
        snprintf(err, errlen, "token not valid before %ld (now %ld)", out->nbf,
                 now);
        goto out;
    }
    const char *aud = jsonx_str(out->all, "aud");
    if (aud)
        out->aud = xstrdup(aud);
    static const char *const uid_claims[] = {TOKEN_CLAIM_UID, "nameid", "sub"};
    for (size_t i = 0; i < 3 && !out->user_id; i++) {
        struct json_object *v = NULL;
        if (json_object_object_get_ex(out->all, uid_claims[i], &v) && v &&
            json_object_is_type(v, json_type_string))
            out->user_id = xstrdup(json_object_get_string(v));
    }
    rc = 0;
out:
    free(grants);
    jwt_free(jwt);
    if (rc < 0)
        token_claims_release(out);
    return rc;
}

void token_claims_release(struct token_claims *c)
{
    free(c->user_id);
    free(c->aud);
    json_object_put(c->all);
    memset(c, 0, sizeof *c);
}

/* Split "scheme://host[:port]/path?query" into lower-case "scheme://host",
 * the path (trailing '/' dropped, "" for the root) and the query. */
static int split_url(const char *url, char **sh, char **path, char **query)
{
    const char *p = strstr(url, "://");
    if (!p)
        return -1;
    const char *h = p + 3;
    size_t hl = strcspn(h, ":/?#");
    const char *rest = h + hl;
    if (*rest == ':')
        rest += 1 + strspn(rest + 1, "0123456789");
    *sh = xstrndup(url, (size_t)(h + hl - url));
    for (char *c = *sh; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    size_t pl = strcspn(rest, "?#");
    size_t keep = pl;
    while (keep && rest[keep - 1] == '/')
        keep--;
    *path = xstrndup(rest, keep);
    *query = xstrdup(rest[pl] == '?' ? rest + pl + 1 : "");
    return 0;
}

static int query_hub_eq(const char *query, const char *hub)
{
    for (const char *q = query; *q;) {
        size_t n = strcspn(q, "&");
        if (n > 4 && strncasecmp(q, "hub=", 4) == 0)
            return strlen(hub) == n - 4 && strncasecmp(q + 4, hub, n - 4) == 0;
        q += n;
        if (*q == '&')
            q++;
    }
    return 0;
}

int token_aud_match(const char *aud, const char *scheme_host, const char *path,
                    const char *hub)
{
    char *a_sh = NULL, *a_path = NULL, *a_q = NULL;
    char *r_sh = NULL, *r_path = NULL, *r_q = NULL;
    int ok = 0;
    if (!aud || split_url(aud, &a_sh, &a_path, &a_q) < 0)
        goto out;
    char *req = xasprintf("%s%s", scheme_host, path);
    int r = split_url(req, &r_sh, &r_path, &r_q);
    free(req);
    if (r < 0)
        goto out;
    if (strcmp(a_sh, r_sh) != 0 || strcasecmp(a_path, r_path) != 0)
        goto out;
    if (hub && !query_hub_eq(a_q, hub))
        goto out;
    ok = 1;
out:
    free(a_sh);
    free(a_path);
    free(a_q);
    free(r_sh);
    free(r_path);
    free(r_q);
    return ok;
}
