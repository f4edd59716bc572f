/*
 * easyauth.h - a local identity provider in the shape of App Service
 * Authentication ("Easy Auth"), for func-local --easy-auth. LOCAL ONLY:
 * anyone may sign in as anyone; it exists so that code reading the
 * principal headers is exercised as it will be in Azure.
 *
 *   GET /.auth/login/dev?user=NAME[&post_login_redirect_uri=/path]
 *       signs in as NAME: sets the session cookie AppServiceAuthSession
 *       and redirects (302) to the path, else to /.auth/login/done;
 *   GET /.auth/me       [{"user_id", "provider_name": "dev",
 *                         "user_claims": [...], ...}] for the session,
 *                       401 without one;
 *   GET /.auth/logout[?post_logout_redirect_uri=/path]
 *       clears the cookie and redirects (to /.auth/logout/complete).
 *
 * For every other request the front drops the headers only App Service
 * may set (x-ms-client-principal*, x-ms-token-*) and, with a session,
 * adds X-MS-CLIENT-PRINCIPAL-ID, -NAME, -IDP and X-MS-CLIENT-PRINCIPAL
 * (base64 of {"auth_typ", "claims": [{"typ", "val"}], "name_typ",
 * "role_typ"}), as Azure does.
 *
 * With the app's file-based configuration (auth.json in the app folder,
 * App Service's authsettingsV2 shape) saying globalValidation
 * .requireAuthentication with unauthenticatedClientAction "Return401", a
 * request without a session to any path but /.auth/... and the
 * globalValidation.excludedPaths (an entry "/p" is that path exactly; one
 * ending in a slash and a star, that path and everything under it; case
 * does not matter) is answered 401 before
 * any function runs, as App Service does; "AllowAnonymous" lets it
 * through.
 *
 * The session cookie is self-contained (user, expiry, HMAC-SHA256 with
 * the key given to easyauth_new), so a session outlives a restart of the
 * host as App Service's does; it expires after EASYAUTH_SESSION_S.
 * Everything here is pure but for reading the clock passed in.
 */
#ifndef HOST_EASYAUTH_H
#define HOST_EASYAUTH_H

#include <stddef.h>

#include <json-c/json.h>

#define EASYAUTH_COOKIE "AppServiceAuthSession"
#define EASYAUTH_SESSION_S (8 * 3600) /* App Service's default: 8 hours */
#define EASYAUTH_USER_MAX 64
#define EASYAUTH_IDP "dev"

struct easyauth;

/* key (any length, copied) signs the session cookies. */
struct easyauth *easyauth_new(const void *key, size_t keylen);
void easyauth_free(struct easyauth *ea);

/* Take the file-based configuration cfg (borrowed; NULL: none, every
 * request is let through). Returns 0, or -1 with "field: problem" in
 * err. */
int easyauth_configure(struct easyauth *ea, struct json_object *cfg, char *err,
                       size_t errlen);

/* 1 when a request for path (no query) needs a session. */
int easyauth_required(const struct easyauth *ea, const char *path);

/* 1 when a request header named name is one only App Service may set. */
int easyauth_reserved_header(const char *name);

/* 1 when user is a name one may sign in as: 1..EASYAUTH_USER_MAX bytes of
 * letters, digits and . _ @ + - */
int easyauth_valid_user(const char *user);

/* The signed-in user of a request's Cookie header (NULL: none) at time
 * now (epoch seconds) into user[EASYAUTH_USER_MAX + 1], and the session's
 * expiry into *expires (may be NULL): 1, or 0 when it has no valid,
 * unexpired session. */
int easyauth_session(const struct easyauth *ea, const char *cookie, long now,
                     char *user, long *expires);

/* The headers App Service sets for a signed-in user, values owned. */
struct easyauth_headers {
    const char *name[4];
    char *value[4];
};
void easyauth_headers(const char *user, struct easyauth_headers *h);
void easyauth_headers_release(struct easyauth_headers *h);

/* The answer to a /.auth/... request. */
struct easyauth_reply {
    int status;
    const char *content_type; /* static */
    char *body;               /* owned; "" at least */
    char *location;           /* owned; NULL: no redirect */
    char *set_cookie;         /* owned; NULL: none */
};

/* Answer method path (from "/.auth/" on, no query) with the query
 * parameters user, post_login_redirect_uri and post_logout_redirect_uri
 * (each NULL when absent) and the request's Cookie header, at now. */
void easyauth_route(const struct easyauth *ea, const char *method,
                    const char *path, const char *user, const char *login_to,
                    const char *logout_to, const char *cookie, long now,
                    struct easyauth_reply *out);
void easyauth_reply_release(struct easyauth_reply *r);

#endif
