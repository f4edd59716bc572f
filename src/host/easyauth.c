/* easyauth.c - the local App Service Authentication (see easyauth.h). */
#include "easyauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define CLAIM_NAMEID                                                           \
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
#define CLAIM_NAME "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
#define CLAIM_ROLE                                                             \
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
#define REDIRECT_MAX 1024
#define MAC_LEN 32

struct easyauth {
    unsigned char *key;
    size_t keylen;
    int require;     /* requireAuthentication with Return401 */
    char **excluded; /* globalValidation.excludedPaths */
    size_t nexcluded;
};

struct easyauth *easyauth_new(const void *key, size_t keylen)
{
    struct easyauth *ea = xcalloc(1, sizeof *ea);
    ea->key = xmalloc(keylen ? keylen : 1);
    memcpy(ea->key, key, keylen);
    ea->keylen = keylen;
    return ea;
}

void easyauth_free(struct easyauth *ea)
{
    if (!ea)
        return;
    OPENSSL_clear_free(ea->key, ea->keylen ? ea->keylen : 1);
    for (size_t i = 0; i < ea->nexcluded; i++)
        free(ea->excluded[i]);
    free(ea->excluded);
    free(ea);
}

int easyauth_configure(struct easyauth *ea, struct json_object *cfg, char *err,
                       size_t errlen)
{
    struct json_object *gv = cfg ? jsonx_get_ci(cfg, "globalValidation") : NULL;
    if (!gv)
        return 0;
    struct json_object *req = jsonx_get_ci(gv, "requireAuthentication");
    const char *action = jsonx_str(gv, "unauthenticatedClientAction");
    struct json_object *ex = jsonx_get_ci(gv, "excludedPaths");
    if (req && !json_object_is_type(req, json_type_boolean)) {
        snprintf(err, errlen,
                 "globalValidation.requireAuthentication: must be true or "
                 "false");
        return -1;
    }
    if (!req || !json_object_get_boolean(req))
        return 0;
    if (action && strcasecmp(action, "AllowAnonymous") == 0)
        return 0;
    if (action && strcasecmp(action, "Return401") != 0) {
        snprintf(err, errlen,
                 "globalValidation.unauthenticatedClientAction: \"%.40s\" "
                 "is not served locally (Return401 or AllowAnonymous)",
                 action);
        return -1;
    }
    if (ex && !json_object_is_type(ex, json_type_array)) {
        snprintf(err, errlen,
                 "globalValidation.excludedPaths: must be an "
                 "array of paths");
        return -1;
    }
    size_t n = ex ? json_object_array_length(ex) : 0;
    ea->excluded = xcalloc(n ? n : 1, sizeof *ea->excluded);
    for (size_t i = 0; i < n; i++) {
        struct json_object *p = json_object_array_get_idx(ex, i);
        const char *v = json_object_is_type(p, json_type_string)
                            ? json_object_get_string(p)
                            : NULL;
        if (!v || v[0] != '/') {
            snprintf(err, errlen,
                     "globalValidation.excludedPaths[%zu]: must be a path "
                     "(/...)",
                     i);
            return -1;
        }
        ea->excluded[ea->nexcluded++] = xstrdup(v);
    }
    ea->require = 1;
    return 0;
}

int easyauth_required(const struct easyauth *ea, const char *path)
{
    if (!ea->require || strncmp(path, "/.auth/", 7) == 0)
        return 0;
    for (size_t i = 0; i < ea->nexcluded; i++) {
        const char *x = ea->excluded[i];
        size_t n = strlen(x);
        if (n >= 2 && strcmp(x + n - 2, "/*") == 0) {
            if (strncasecmp(path, x, n - 2) == 0 &&
                (path[n - 2] == '\0' || path[n - 2] == '/'))
                return 0;
        } else if (strcasecmp(path, x) == 0) {
            return 0;
        }
    }
    return 1;
}

int easyauth_reserved_header(const char *name)
{
    return strncasecmp(name, "x-ms-client-principal", 21) == 0 ||
           strncasecmp(name, "x-ms-token-", 11) == 0;
}

int easyauth_valid_user(const char *user)
{
    size_t n = user ? strlen(user) : 0;
    if (n == 0 || n > EASYAUTH_USER_MAX)
        return 0;
    for (const char *p = user; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || strchr("._@+-", *p)))
            return 0;
    return 1;
}

/* --- the session cookie: <user>.<expiry>.<base64url HMAC> ----------------
 * (a user name may hold dots: the MAC and the expiry are taken from the
 * right) */

static void b64url(const unsigned char *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    char *w = out;
    for (char *p = out; *p && *p != '='; p++)
        *w++ = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    *w = '\0';
}

static void session_mac(const struct easyauth *ea, const char *user, long exp,
                        char out[48])
{
    char msg[EASYAUTH_USER_MAX + 32];
    unsigned char mac[MAC_LEN];
    unsigned int maclen = 0;
    int n = snprintf(msg, sizeof msg, "%s|%ld", user, exp);
    HMAC(EVP_sha256(), ea->key, (int)ea->keylen, (unsigned char *)msg,
         (size_t)n, mac, &maclen);
    b64url(mac, maclen, out);
}

static char *session_value(const struct easyauth *ea, const char *user,
                           long exp)
{
    char mac[48];
    session_mac(ea, user, exp, mac);
    return xasprintf("%s.%ld.%s", user, exp, mac);
}

/* The value of cookie name in a Cookie header, copied into out. */
static int cookie_value(const char *header, const char *name, char *out,
                        size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = header;
    while (p && *p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            if (len - nl - 1 >= outlen)
                return 0;
            memcpy(out, p + nl + 1, len - nl - 1);
            out[len - nl - 1] = '\0';
            return 1;
        }
        p = end;
    }
    return 0;
}

int easyauth_session(const struct easyauth *ea, const char *cookie, long now,
                     char *user, long *expires)
{
    char v[EASYAUTH_USER_MAX + 96];
    if (!cookie || !cookie_value(cookie, EASYAUTH_COOKIE, v, sizeof v))
        return 0;
    char *mac = strrchr(v, '.');
    if (!mac)
        return 0;
    *mac++ = '\0';
    char *dot = strrchr(v, '.');
    if (!dot)
        return 0;
    *dot = '\0';
    char *end = NULL;
    long exp = strtol(dot + 1, &end, 10);
    if (end == dot + 1 || *end || exp <= now || !easyauth_valid_user(v))
        return 0;
    char want[48];
    session_mac(ea, v, exp, want);
    if (strlen(want) != strlen(mac) ||
        CRYPTO_memcmp(want, mac, strlen(want)) != 0)
        return 0;
    memcpy(user, v, strlen(v) + 1);
    if (expires)
        *expires = exp;
    return 1;
}

/* --- what App Service tells the app --------------------------------------
 */

static struct json_object *claim(const char *typ, const char *val)
{
    struct json_object *c = json_object_new_object();
    json_object_object_add(c, "typ", json_object_new_string(typ));
    json_object_object_add(c, "val", json_object_new_string(val));
    return c;
}

static struct json_object *claims(const char *user)
{
    struct json_object *a = json_object_new_array();
    json_object_array_add(a, claim(CLAIM_NAMEID, user));
    json_object_array_add(a, claim(CLAIM_NAME, user));
    return a;
}

void easyauth_headers(const char *user, struct easyauth_headers *h)
{
    struct json_object *p = json_object_new_object();
    json_object_object_add(p, "auth_typ", json_object_new_string(EASYAUTH_IDP));
    json_object_object_add(p, "claims", claims(user));
    json_object_object_add(p, "name_typ", json_object_new_string(CLAIM_NAME));
    json_object_object_add(p, "role_typ", json_object_new_string(CLAIM_ROLE));
    const char *text =
        json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
    size_t n = strlen(text);
    char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)text, (int)n);
    json_object_put(p);
    h->name[0] = "X-MS-CLIENT-PRINCIPAL-ID";
    h->value[0] = xstrdup(user);
    h->name[1] = "X-MS-CLIENT-PRINCIPAL-NAME";
    h->value[1] = xstrdup(user);
    h->name[2] = "X-MS-CLIENT-PRINCIPAL-IDP";
    h->value[2] = xstrdup(EASYAUTH_IDP);
    h->name[3] = "X-MS-CLIENT-PRINCIPAL";
    h->value[3] = b64;
}

void easyauth_headers_release(struct easyauth_headers *h)
{
    for (int i = 0; i < 4; i++)
        free(h->value[i]);
}

/* --- /.auth/... ------------------------------------------------------------
 */

static void reply(struct easyauth_reply *r, int status, const char *type,
                  char *body)
{
    r->status = status;
    r->content_type = type;
    r->body = body;
}

static void fail_reply(struct easyauth_reply *r, int status, const char *msg)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    reply(r, status, "application/json; charset=utf-8",
          xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)));
    json_object_put(o);
}

/* Only a path of this host: "/..." but not "//host" or "/\host", no
 * control characters (it goes into a Location header). */
static int local_path(const char *to)
{
    if (!to || to[0] != '/' || to[1] == '/' || to[1] == '\\' ||
        strlen(to) > REDIRECT_MAX)
        return 0;
    for (const unsigned char *p = (const unsigned char *)to; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static void redirect(struct easyauth_reply *r, const char *to)
{
    reply(r, 302, "text/plain; charset=utf-8", xstrdup(""));
    r->location = xstrdup(to);
}

static void me(const struct easyauth *ea, const char *cookie, long now,
               struct easyauth_reply *r)
{
    char user[EASYAUTH_USER_MAX + 1];
    long until = 0;
    if (!easyauth_session(ea, cookie, now, user, &until)) {
        fail_reply(r, 401,
                   "not signed in: GET /.auth/login/dev?user=NAME first");
        return;
    }
    char exp[32];
    time_t t = until;
    struct tm tm;
    strftime(exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    struct json_object *e = json_object_new_object();
    json_object_object_add(e, "access_token", json_object_new_string(""));
    json_object_object_add(e, "expires_on", json_object_new_string(exp));
    json_object_object_add(e, "provider_name",
                           json_object_new_string(EASYAUTH_IDP));
    json_object_object_add(e, "user_claims", claims(user));
    json_object_object_add(e, "user_id", json_object_new_string(user));
    struct json_object *a = json_object_new_array();
    json_object_array_add(a, e);
    reply(r, 200, "application/json; charset=utf-8",
          xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN)));
    json_object_put(a);
}

static const char done_page[] =
    "<!doctype html><meta charset=utf-8><title>Signed in</title>"
    "<p>You are signed in (local App Service Authentication, provider "
    "'dev').";
static const char logout_page[] =
    "<!doctype html><meta charset=utf-8><title>Signed out</title>"
    "<p>You are signed out.";

void easyauth_route(const struct easyauth *ea, const char *method,
                    const char *path, const char *user, const char *login_to,
                    const char *logout_to, const char *cookie, long now,
                    struct easyauth_reply *out)
{
    *out = (struct easyauth_reply){0};
    int get = strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0;
    if (!get) {
        fail_reply(out, 405, "/.auth endpoints take GET or POST");
    } else if (strcmp(path, "/.auth/me") == 0) {
        me(ea, cookie, now, out);
    } else if (strcmp(path, "/.auth/login/dev") == 0) {
        if (!easyauth_valid_user(user)) {
            fail_reply(out, 400,
                       "user=NAME is required: 1 to 64 letters, digits or . _ "
                       "@ + -");
        } else if (login_to && !local_path(login_to)) {
            fail_reply(out, 400,
                       "post_login_redirect_uri must be a path of this host "
                       "(/...)");
        } else {
            long exp = now + EASYAUTH_SESSION_S;
            char *v = session_value(ea, user, exp);
            redirect(out, login_to ? login_to : "/.auth/login/done");
            out->set_cookie = xasprintf("%s=%s; Path=/; Max-Age=%d; HttpOnly; "
                                        "SameSite=Lax",
                                        EASYAUTH_COOKIE, v, EASYAUTH_SESSION_S);
            OPENSSL_clear_free(v, strlen(v));
        }
    } else if (strncmp(path, "/.auth/login/", 13) == 0 &&
               strcmp(path, "/.auth/login/done") != 0) {
        fail_reply(out, 404,
                   "only the local provider 'dev' is here: "
                   "/.auth/login/dev?user=NAME");
    } else if (strcmp(path, "/.auth/login/done") == 0) {
        reply(out, 200, "text/html; charset=utf-8", xstrdup(done_page));
    } else if (strcmp(path, "/.auth/logout") == 0) {
        if (logout_to && !local_path(logout_to)) {
            fail_reply(out, 400,
                       "post_logout_redirect_uri must be a path of this host "
                       "(/...)");
        } else {
            redirect(out, logout_to ? logout_to : "/.auth/logout/complete");
            out->set_cookie =
                xasprintf("%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
                          EASYAUTH_COOKIE);
        }
    } else if (strcmp(path, "/.auth/logout/complete") == 0) {
        reply(out, 200, "text/html; charset=utf-8", xstrdup(logout_page));
    } else {
        fail_reply(out, 404, "no such App Service Authentication endpoint");
    }
}

void easyauth_reply_release(struct easyauth_reply *r)
{
    free(r->body);
    free(r->location);
    free(r->set_cookie);
    *r = (struct easyauth_reply){0};
}
