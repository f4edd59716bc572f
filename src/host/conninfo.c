/* conninfo.c - signalRConnectionInfo and binding expressions (see .h). */
#include "conninfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/result.h"
#include "proto/token.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define CONNINFO_DEFAULT_SETTING "AzureSignalRConnectionString"

const char *conninfo_setting_name(struct json_object *binding)
{
    const char *s = jsonx_str(binding, "connectionStringSetting");
    if (!s || !*s)
        s = jsonx_str(binding, "connection");
    return s && *s ? s : CONNINFO_DEFAULT_SETTING;
}

/* All values of a header, joined with ','; NULL when absent. */
static char *header_values(const struct payload_http *req, const char *name)
{
    struct buf b;
    int found = 0;
    buf_init(&b, (size_t)-1);
    for (size_t i = 0; req && i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) != 0)
            continue;
        if (found)
            buf_puts(&b, ",");
        buf_puts(&b, req->headers[i].value ? req->headers[i].value : "");
        found = 1;
    }
    if (!found) {
        buf_release(&b);
        return NULL;
    }
    return buf_take(&b, NULL);
}

static char *query_values(const struct payload_http *req, const char *name)
{
    struct buf b;
    int found = 0;
    buf_init(&b, (size_t)-1);
    for (size_t i = 0; req && i < req->nquery; i++) {
        if (strcasecmp(req->query[i].name, name) != 0)
            continue;
        if (found)
            buf_puts(&b, ",");
        buf_puts(&b, req->query[i].value ? req->query[i].value : "");
        found = 1;
    }
    if (!found) {
        buf_release(&b);
        return NULL;
    }
    return buf_take(&b, NULL);
}

/* Resolve one "{expr}" (without braces) to a new string, or NULL. */
static char *resolve_token(const char *expr, const struct payload_http *req,
                           struct json_object *params, const char **missing)
{
    const char *dot = strchr(expr, '.');
    *missing = dot ? dot + 1 : expr;
    if (dot && (size_t)(dot - expr) == 7 &&
        strncasecmp(expr, "headers", 7) == 0)
        return header_values(req, dot + 1);
    if (dot && (size_t)(dot - expr) == 5 && strncasecmp(expr, "query", 5) == 0)
        return query_values(req, dot + 1);
    if (!dot) {
        struct json_object *v = jsonx_get_ci(params, expr);
        if (v)
            return xstrdup(json_object_get_string(v));
        return query_values(req, expr);
    }
    return NULL;
}

int conninfo_expand(const char *tmpl, const struct payload_http *req,
                    struct json_object *params, const struct app *app,
                    char **out, char *err, size_t errlen)
{
    struct buf b;
    const char *p = tmpl;
    buf_init(&b, (size_t)-1);
    *out = NULL;
    while (*p) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (!end) {
                snprintf(err, errlen,
                         "Invalid template '%s': missing "
                         "closing brace",
                         tmpl);
                goto fail;
            }
            char *expr = xstrndup(p + 1, (size_t)(end - p - 1));
            const char *missing = NULL;
            char *v = resolve_token(expr, req, params, &missing);
            if (!v) {
                snprintf(err, errlen,
                         "Error while accessing '%s': property "
                         "doesn't exist.",
                         missing);
                free(expr);
                goto fail;
            }
            buf_puts(&b, v);
            free(v);
            free(expr);
            p = end + 1;
        } else if (*p == '%' && strchr(p + 1, '%')) {
            const char *end = strchr(p + 1, '%');
            char *name = xstrndup(p + 1, (size_t)(end - p - 1));
            const char *v = app ? app_setting(app, name) : NULL;
            if (!v) {
                snprintf(err, errlen, "'%%%s%%' does not resolve to a value.",
                         name);
                free(name);
                goto fail;
            }
            buf_puts(&b, v);
            free(name);
            p = end + 1;
        } else {
            buf_append(&b, p, 1);
            p++;
        }
    }
    *out = buf_take(&b, NULL);
    return 0;
fail:
    buf_release(&b);
    return -1;
}

int conninfo_text(const struct connstr *cs, const char *hub,
                  const char *user_id, long now, char **out, char *err,
                  size_t errlen)
{
    char *url = connstr_client_url(cs, hub);
    char *aud = connstr_client_aud(cs, hub);
    char *tok = NULL;
    int rc = -1;
    *out = NULL;
    if (token_mint(cs->access_key, aud, TOKEN_CLAIM_UID, user_id, now,
                   TOKEN_LIFETIME_S, &tok) < 0) {
        snprintf(err, errlen, "cannot mint the client access token");
        goto out;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "url", json_object_new_string(url));
    json_object_object_add(o, "accessToken", json_object_new_string(tok));
    *out = result_indent(o);
    json_object_put(o);
    rc = 0;
out:
    free(url);
    free(aud);
    free(tok);
    return rc;
}

int conninfo_resolve(struct json_object *binding,
                     const struct payload_http *req, struct json_object *params,
                     const struct app *app, long now,
                     struct json_object **value, char *err, size_t errlen)
{
    char *hub = NULL, *user = NULL, *text = NULL;
    char cerr[200];
    struct connstr cs;
    int have_cs = 0, rc = -1;
    *value = NULL;
    const char *hub_t = jsonx_str(binding, "hubName");
    const char *user_t = jsonx_str(binding, "userId");
    const char *setting = conninfo_setting_name(binding);
    if (conninfo_expand(hub_t ? hub_t : "", req, params, app, &hub, err,
                        errlen) < 0)
        goto out;
    if (user_t &&
        conninfo_expand(user_t, req, params, app, &user, err, errlen) < 0)
        goto out;
    const char *cstr = app_setting(app, setting);
    if (!cstr || !*cstr) {
        snprintf(err, errlen,
                 "The SignalR Service connection string must "
                 "be set either via an '%s' app setting, via "
                 "an '%s' environment variable, or directly in "
                 "code",
                 setting, setting);
        goto out;
    }
    if (connstr_parse(cstr, &cs, cerr, sizeof cerr) < 0) {
        snprintf(err, errlen, "app setting %s: %s", setting, cerr);
        goto out;
    }
    have_cs = 1;
    if (conninfo_text(&cs, hub, user, now, &text, err, errlen) < 0)
        goto out;
    *value = payload_encode(json_object_new_string(text));
    rc = 0;
out:
    if (have_cs)
        connstr_release(&cs);
    free(hub);
    free(user);
    free(text);
    return rc;
}
