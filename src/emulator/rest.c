/* rest.c - the data-plane REST API (see rest.h). */
#include "rest.h"

#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "emulator/conn.h"
#include "emulator/loop.h"
#include "emulator/restpage.h"
#include "proto/hubproto.h"
#include "proto/names.h"
#include "proto/token.h"
#include "util/clock.h"
#include "util/jsonx.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/url.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define REST_MAX_SEGS 8

/* Patterns after /api[/v1]/hubs/: H, U, G, C capture the hub, a user, a
 * group, a connection; every other word is a literal matched without
 * regard to case. "GET" rows also match HEAD. */
struct rest_row {
    const char *method;
    const char *pattern;
    enum rest_op op;
};

static const struct rest_row ROUTES[] = {
    {"POST", "H", REST_SEND_ALL},
    {"POST", "H :send", REST_SEND_ALL},
    {"POST", "H :closeConnections", REST_CLOSE_ALL},
    {"POST", "H :generateToken", REST_GENERATE_TOKEN},
    {"POST", "H users U", REST_SEND_USER},
    {"POST", "H users U :send", REST_SEND_USER},
    {"POST", "H users U :closeConnections", REST_CLOSE_USER},
    {"GET", "H users U", REST_USER_EXISTS},
    {"DELETE", "H users U groups", REST_USER_LEAVE_ALL},
    {"PUT", "H users U groups G", REST_USER_GROUP_ADD},
    {"DELETE", "H users U groups G", REST_USER_GROUP_REMOVE},
    {"GET", "H users U groups G", REST_USER_IN_GROUP},
    {"POST", "H groups G", REST_SEND_GROUP},
    {"POST", "H groups G :send", REST_SEND_GROUP},
    {"POST", "H groups G :closeConnections", REST_CLOSE_GROUP},
    {"GET", "H groups G", REST_GROUP_EXISTS},
    {"GET", "H groups G connections", REST_GROUP_LIST},
    {"PUT", "H groups G connections C", REST_GROUP_ADD_CONN},
    {"DELETE", "H groups G connections C", REST_GROUP_REMOVE_CONN},
    {"PUT", "H groups G users U", REST_USER_GROUP_ADD},
    {"DELETE", "H groups G users U", REST_USER_GROUP_REMOVE},
    {"GET", "H groups G users U", REST_USER_IN_GROUP},
    {"POST", "H connections C", REST_SEND_CONN},
    {"POST", "H connections C :send", REST_SEND_CONN},
    {"GET", "H connections C", REST_CONN_EXISTS},
    {"POST", "H connections C :invoke", REST_CONN_INVOKE},
    {"DELETE", "H connections C", REST_CONN_CLOSE},
    {"DELETE", "H connections C groups", REST_CONN_LEAVE_ALL},
    {"PUT", "H connections C groups G", REST_GROUP_ADD_CONN},
    {"DELETE", "H connections C groups G", REST_GROUP_REMOVE_CONN},
};

void rest_route_release(struct rest_route *rt)
{
    free(rt->hub);
    free(rt->user);
    free(rt->group);
    free(rt->conn);
    memset(rt, 0, sizeof *rt);
}

static int method_eq(const char *row, const char *method)
{
    return strcmp(row, method) == 0 ||
           (strcmp(row, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/* Match segs against one pattern; fills captures into rt on success. */
static int match(const char *pattern, char **segs, int nseg,
                 struct rest_route *rt)
{
    char pat[128];
    snprintf(pat, sizeof pat, "%s", pattern);
    char *words[REST_MAX_SEGS];
    int nw = 0;
    for (char *p = pat; *p && nw < REST_MAX_SEGS;) {
        words[nw++] = p;
        p += strcspn(p, " ");
        if (*p)
            *p++ = '\0';
    }
    if (nw != nseg)
        return 0;
    for (int i = 0; i < nw; i++) {
        const char *w = words[i];
        int capture = w[1] == '\0' && strchr("HUGC", w[0]);
        if (!capture && strcasecmp(w, segs[i]) != 0)
            return 0;
        if (capture && !*segs[i])
            return 0;
    }
    for (int i = 0; i < nw; i++) {
        char **slot = NULL;
        switch (words[i][1] == '\0' ? words[i][0] : 0) {
        case 'H':
            slot = &rt->hub;
            break;
        case 'U':
            slot = &rt->user;
            break;
        case 'G':
            slot = &rt->group;
            break;
        case 'C':
            slot = &rt->conn;
            break;
        default:
            break;
        }
        if (slot)
            *slot = xstrdup(segs[i]);
    }
    return 1;
}

int rest_route_parse(const char *method, const char *path,
                     struct rest_route *rt, int *status, char *err,
                     size_t errlen)
{
    char *segs[REST_MAX_SEGS + 1];
    int nseg = 0, rc = -1;
    memset(rt, 0, sizeof *rt);
    *status = 404;
    if (strncmp(path, "/api/", 5) != 0) {
        snprintf(err, errlen, "not an API path");
        return -1;
    }
    const char *p = path + 5;
    if (strncmp(p, "v1/", 3) == 0) {
        rt->v1 = 1;
        p += 3;
    }
    /* Split on '/', then decode each segment: an encoded "%2F" stays in
     * its segment. A trailing '/' is ignored. */
    while (*p) {
        size_t n = strcspn(p, "/");
        if (nseg == REST_MAX_SEGS) {
            snprintf(err, errlen, "no such API route");
            goto out;
        }
        segs[nseg] = url_decode(p, n, 0);
        if (!segs[nseg]) {
            *status = 400;
            snprintf(err, errlen, "badly percent-encoded path segment");
            goto out;
        }
        nseg++;
        p += n;
        if (*p == '/')
            p++;
    }
    if (nseg == 1 && strcasecmp(segs[0], "usage") == 0) {
        if (strcmp(method, "GET") && strcmp(method, "HEAD") &&
            strcmp(method, "DELETE")) {
            *status = 405;
            snprintf(err, errlen, "usage takes GET, HEAD or DELETE");
            goto out;
        }
        rt->op = strcmp(method, "DELETE") ? REST_USAGE : REST_USAGE_RESET;
        rc = 0;
        goto out;
    }
    if (nseg == 1 && strcasecmp(segs[0], "health") == 0) {
        if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
            *status = 405;
            snprintf(err, errlen, "health takes GET or HEAD");
            goto out;
        }
        rt->op = REST_HEALTH;
        rc = 0;
        goto out;
    }
    if (nseg < 2 || strcasecmp(segs[0], "hubs") != 0) {
        snprintf(err, errlen, "no such API route");
        goto out;
    }
    int path_known = 0;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        struct rest_route tmp;
        memset(&tmp, 0, sizeof tmp);
        if (!match(ROUTES[i].pattern, segs + 1, nseg - 1, &tmp))
            continue;
        path_known = 1;
        if (!method_eq(ROUTES[i].method, method)) {
            rest_route_release(&tmp);
            continue;
        }
        tmp.op = ROUTES[i].op;
        tmp.v1 = rt->v1;
        *rt = tmp;
        rc = 0;
        goto out;
    }
    if (path_known) {
        *status = 405;
        snprintf(err, errlen, "method %s not allowed on this route", method);
    } else {
        snprintf(err, errlen, "no such API route");
    }
out:
    for (int i = 0; i < nseg; i++)
        free(segs[i]);
    if (rc < 0) {
        int v1 = rt->v1;
        rest_route_release(rt);
        rt->v1 = v1;
    }
    return rc;
}

/* --- acting on a route ------------------------------------------------- */

struct excluded {
    char **ids;
    size_t n;
};

static enum MHD_Result collect_excluded(void *cls, enum MHD_ValueKind kind,
                                        const char *key, const char *value)
{
    struct excluded *ex = cls;
    if (key && value && strcmp(key, "excluded") == 0) {
        char *v = url_decode(value, strlen(value), 1);
        if (v) {
            ex->ids = xrealloc(ex->ids, (ex->n + 1) * sizeof *ex->ids);
            ex->ids[ex->n++] = v;
        }
    }
    return MHD_YES;
}

static int is_excluded(const struct excluded *ex, const char *id)
{
    for (size_t i = 0; i < ex->n; i++)
        if (strcmp(ex->ids[i], id) == 0)
            return 1;
    return 0;
}

struct fanout {
    struct hubout out; /* the records, each encoding and frame built once */
    const struct excluded *ex;
    size_t sent;
};

static void send_one(void *conn, const char *id, const char *user, void *arg)
{
    struct fanout *f = arg;
    if (is_excluded(f->ex, id))
        return;
    if (conn_send_out(conn, &f->out) == 0)
        f->sent++;
}

/* Connections gathered first, acted on after: closing changes the maps. */
struct gather {
    struct conn **v;
    size_t n;
    const struct excluded *ex;
};

static void gather_one(void *conn, const char *id, const char *user, void *arg)
{
    struct gather *g = arg;
    if (g->ex && is_excluded(g->ex, id))
        return;
    g->v = xrealloc(g->v, (g->n + 1) * sizeof *g->v);
    g->v[g->n++] = conn;
}

static enum MHD_Result reply_empty(struct http_req *r, unsigned status)
{
    return http_reply(r, status, NULL, "", 0, NULL);
}

/* Parse a PayloadMessage body: returns the parsed object (the caller puts
 * it) with *target and *args (may be NULL) borrowed from it, or NULL with
 * the reason in err. */
static struct json_object *payload_parse(struct http_req *r,
                                         const char **target,
                                         struct json_object **args, char *err,
                                         size_t errlen)
{
    struct json_object *o = NULL;
    char perr[160];
    if (jsonx_parse(r->body.data ? r->body.data : "", r->body.len, &o, perr,
                    sizeof perr) < 0) {
        snprintf(err, errlen, "body is not valid JSON: %s", perr);
        goto bad;
    }
    if (!json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen, "body must be a JSON object");
        goto bad;
    }
    struct json_object *t = jsonx_get_ci(o, "target");
    if (!t || !json_object_is_type(t, json_type_string) ||
        json_object_get_string_len(t) == 0) {
        snprintf(err, errlen, "'target' must be a non-empty string");
        goto bad;
    }
    struct json_object *a = jsonx_get_ci(o, "arguments");
    if (jsonx_has_ci(o, "arguments") && a &&
        !json_object_is_type(a, json_type_array)) {
        snprintf(err, errlen, "'arguments' must be an array");
        goto bad;
    }
    *target = json_object_get_string(t);
    *args = a;
    return o;
bad:
    json_object_put(o);
    return NULL;
}

/* Parse a PayloadMessage body into one Invocation record in out. */
static int payload_record(struct http_req *r, struct buf *out, char *err,
                          size_t errlen)
{
    const char *target = NULL;
    struct json_object *args = NULL;
    struct json_object *o = payload_parse(r, &target, &args, err, errlen);
    if (!o)
        return -1;
    int rc = hubproto_write_invocation(out, NULL, target, args);
    if (rc < 0)
        snprintf(err, errlen, "message too large");
    json_object_put(o);
    return rc;
}

static enum MHD_Result do_send(struct http_req *r, struct hub *h,
                               const struct rest_route *rt,
                               const struct excluded *ex)
{
    struct buf rec;
    char err[256];
    struct fanout f = {.ex = ex};
    buf_init(&rec, LIMIT_USER_BODY + 1024);
    const char *ct =
        MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Content-Type");
    if (ct && strncasecmp(ct, "application/octet-stream", 24) == 0) {
        /* The Management SDK's binary payload: each protocol's bytes. */
        if (hubout_init_payload_map(&f.out, r->body.data ? r->body.data : "",
                                    r->body.len, err, sizeof err) < 0) {
            buf_release(&rec);
            return http_reply_error(r, 400, NULL, "%s", err);
        }
    } else if (payload_record(r, &rec, err, sizeof err) < 0) {
        buf_release(&rec);
        return http_reply_error(r, 400, NULL, "%s", err);
    } else {
        hubout_init(&f.out, rec.data, rec.len);
    }
    switch (rt->op) {
    case REST_SEND_ALL:
        hub_each_conn(h, send_one, &f);
        break;
    case REST_SEND_USER:
        hub_each_user_conn(h, rt->user, send_one, &f);
        break;
    case REST_SEND_GROUP:
        hub_each_group_conn(h, rt->group, send_one, &f);
        break;
    default: {
        struct conn *c = hub_conn_find(h, rt->conn);
        if (c)
            send_one(c, c->id, c->user, &f);
        break;
    }
    }
    hubout_release(&f.out);
    buf_release(&rec);
    log_debug("sent to %zu connection(s)", f.sent);
    return reply_empty(r, 202);
}

static enum MHD_Result do_close_many(struct http_req *r, struct hub *h,
                                     const struct rest_route *rt,
                                     const struct excluded *ex)
{
    struct gather g = {NULL, 0, ex};
    char *reason = http_req_query(r, "reason");
    if (rt->op == REST_CLOSE_ALL)
        hub_each_conn(h, gather_one, &g);
    else if (rt->op == REST_CLOSE_USER)
        hub_each_user_conn(h, rt->user, gather_one, &g);
    else
        hub_each_group_conn(h, rt->group, gather_one, &g);
    for (size_t i = 0; i < g.n; i++)
        conn_close(g.v[i], reason, 1);
    free(g.v);
    free(reason);
    return reply_empty(r, 204);
}

static enum MHD_Result not_found(struct http_req *r, const char *code,
                                 const char *what)
{
    return http_reply_error(r, 404, code, "%s", what);
}

static int by_id(const void *a, const void *b)
{
    const struct conn *x = *(struct conn *const *)a;
    const struct conn *y = *(struct conn *const *)b;
    return strcmp(x->id, y->id);
}

/* A query parameter that must be an integer in lo..hi when present:
 * 0 with *v set (def when absent), -1 after answering 400. */
static int int_query(struct http_req *r, const char *name, long lo, long hi,
                     long def, long *v, enum MHD_Result *ret)
{
    char *s = http_req_query(r, name);
    *v = def;
    if (!s)
        return 0;
    char *end = NULL;
    errno = 0;
    long n = strtol(s, &end, 10);
    int bad = errno || !*s || *end || n < lo || n > hi;
    free(s);
    if (bad) {
        *ret = http_reply_error(
            r, 400, NULL, "%s must be an integer, %ld to %ld", name, lo, hi);
        return -1;
    }
    *v = n;
    return 0;
}

/* 2024-12-01 listing of a group's connections, in pages (restpage.h). */
static enum MHD_Result list_group(struct http_req *r, struct hub *h,
                                  const struct rest_route *rt)
{
    enum MHD_Result ret;
    long maxpage, top;
    if (int_query(r, "maxpagesize", 1, RESTPAGE_MAX, RESTPAGE_MAX, &maxpage,
                  &ret) < 0 ||
        int_query(r, "top", 1, 2147483647L, 0, &top, &ret) < 0)
        return ret;
    struct restpage_pos pos = {0, NULL};
    char *tok = http_req_query(r, "continuationToken");
    if (tok && restpage_token_parse(tok, &pos) < 0) {
        free(tok);
        return http_reply_error(r, 400, NULL, "invalid continuationToken");
    }
    free(tok);
    struct gather g = {NULL, 0, NULL};
    hub_each_group_conn(h, rt->group, gather_one, &g);
    if (g.n > 1)
        qsort(g.v, g.n, sizeof *g.v, by_id);
    size_t first = 0;
    while (pos.after && first < g.n && strcmp(g.v[first]->id, pos.after) <= 0)
        first++;
    size_t take = restpage_count(g.n - first, maxpage, top, pos.returned);
    struct json_object *o = json_object_new_object();
    struct json_object *arr = json_object_new_array();
    for (size_t i = first; i < first + take; i++) {
        struct json_object *e = json_object_new_object();
        json_object_object_add(e, "connectionId",
                               json_object_new_string(g.v[i]->id));
        json_object_object_add(
            e, "userId",
            g.v[i]->user ? json_object_new_string(g.v[i]->user) : NULL);
        json_object_array_add(arr, e);
    }
    json_object_object_add(o, "value", arr);
    char *next = NULL;
    if (first + take < g.n && (!top || pos.returned + (long)take < top)) {
        struct restpage_pos np = {pos.returned + (long)take,
                                  g.v[first + take - 1]->id};
        char *app = http_req_query(r, "application");
        char *ver = http_req_query(r, "api-version");
        const char *host =
            MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Host");
        next = restpage_next_link(http_conn_scheme(r->mhd), host, rt->hub,
                                  rt->group, app, ver, top, maxpage, &np);
        free(app);
        free(ver);
    }
    json_object_object_add(o, "nextLink",
                           next ? json_object_new_string(next) : NULL);
    ret = http_reply_json(r, 200, o);
    json_object_put(o);
    free(next);
    free(g.v);
    restpage_pos_release(&pos);
    return ret;
}

/* 2022-11-01+ :generateToken: a client token for the hub. */
static enum MHD_Result generate_token(struct rest_env *e, struct http_req *r,
                                      const char *hubname)
{
    enum MHD_Result ret;
    long minutes;
    if (int_query(r, "minutesToExpire", 1, REST_TOKEN_MAX_MINUTES, 60, &minutes,
                  &ret) < 0)
        return ret;
    char *user = http_req_query(r, "userId");
    char why[160];
    if (user && *user && names_check_user(user, why, sizeof why) < 0) {
        free(user);
        return http_reply_error(r, 400, NULL, "bad userId: %s", why);
    }
    char *aud = auth_client_audience(r->mhd, hubname);
    char *tok = NULL;
    if (token_mint(e->keys->keys[0], aud, TOKEN_CLAIM_UID,
                   user && *user ? user : NULL, clock_wall_s(), minutes * 60,
                   &tok) < 0) {
        ret = http_reply_error(r, 500, NULL, "could not sign a token");
    } else {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "token", json_object_new_string(tok));
        ret = http_reply_json(r, 200, o);
        json_object_put(o);
    }
    free(tok);
    free(aud);
    free(user);
    return ret;
}

/* 2024-12-01 :invoke: the client's result, held in clientres.c. */
static enum MHD_Result invoke_conn(struct rest_env *e, struct http_req *r,
                                   struct conn *c)
{
    const char *target = NULL;
    struct json_object *args = NULL;
    char err[256];
    struct json_object *o = payload_parse(r, &target, &args, err, sizeof err);
    if (!o)
        return http_reply_error(r, 400, NULL, "%s", err);
    enum MHD_Result ret =
        clientres_start(e->cr, r, c, target, args, e->loop->now_ms);
    json_object_put(o);
    return ret;
}

static enum MHD_Result user_group_add(struct http_req *r, struct hub *h,
                                      const struct rest_route *rt)
{
    char *ttl_s = http_req_query(r, "ttl");
    long expires = 0;
    if (ttl_s) {
        char *end = NULL;
        errno = 0;
        long ttl = strtol(ttl_s, &end, 10);
        if (errno || !*ttl_s || *end || ttl < 0 || ttl > 366L * 86400) {
            free(ttl_s);
            return http_reply_error(r, 400, NULL,
                                    "ttl must be whole seconds, 0 to a "
                                    "year");
        }
        free(ttl_s);
        if (ttl == 0) {
            /* Only the user's current connections. */
            struct gather g = {NULL, 0, NULL};
            hub_each_user_conn(h, rt->user, gather_one, &g);
            for (size_t i = 0; i < g.n; i++)
                hub_group_add_conn(h, rt->group, g.v[i]->id);
            free(g.v);
            return reply_empty(r, rt->v1 ? 202 : 200);
        }
        expires = clock_wall_s() + ttl;
    }
    hub_user_group_add(h, rt->user, rt->group, expires);
    return reply_empty(r, rt->v1 ? 202 : 200);
}

static enum MHD_Result act(struct rest_env *e, struct http_req *r,
                           const struct rest_route *rt,
                           const struct excluded *ex)
{
    int need_body = rt->op == REST_SEND_ALL || rt->op == REST_SEND_USER ||
                    rt->op == REST_SEND_GROUP || rt->op == REST_SEND_CONN ||
                    rt->op == REST_CONN_INVOKE;
    if (need_body) {
        const char *ct = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND,
                                                     "Content-Type");
        if (ct && strncasecmp(ct, "application/x-msgpack", 21) == 0)
            return http_reply_error(r, 415, NULL,
                                    "application/x-msgpack payloads are not "
                                    "supported: send application/json or "
                                    "the SDK's application/octet-stream");
    }
    char *app = http_req_query(r, "application");
    char *hubname = app ? xasprintf("%s_%s", app, rt->hub) : xstrdup(rt->hub);
    free(app);
    if (rt->op == REST_GENERATE_TOKEN) {
        enum MHD_Result ret = generate_token(e, r, hubname);
        free(hubname);
        return ret;
    }
    struct hub *h = registry_hub(e->reg, hubname, 1);
    free(hubname);
    struct conn *c = rt->conn ? hub_conn_find(h, rt->conn) : NULL;
    if (c && c->state != CONN_OPEN)
        c = NULL; /* ended this turn, not yet reaped */
    switch (rt->op) {
    case REST_SEND_ALL:
    case REST_SEND_USER:
    case REST_SEND_GROUP:
    case REST_SEND_CONN:
        return do_send(r, h, rt, ex);
    case REST_CLOSE_ALL:
    case REST_CLOSE_USER:
    case REST_CLOSE_GROUP:
        return do_close_many(r, h, rt, ex);
    case REST_CONN_EXISTS:
        return c ? reply_empty(r, 200)
                 : not_found(r, "Warning.Connection.NotExisted",
                             "connection does not exist");
    case REST_CONN_CLOSE: {
        if (!c)
            return not_found(r, "Warning.Connection.NotExisted",
                             "connection does not exist");
        char *reason = http_req_query(r, "reason");
        /* As the official emulator: the client may reconnect. */
        conn_close(c, reason, 1);
        free(reason);
        return reply_empty(r, rt->v1 ? 202 : 200);
    }
    case REST_CONN_LEAVE_ALL:
        hub_conn_leave_all(h, rt->conn);
        return reply_empty(r, 200);
    case REST_USER_EXISTS:
        return hub_user_exists(h, rt->user)
                   ? reply_empty(r, 200)
                   : not_found(r, "Warning.User.NotExisted",
                               "user has no connection");
    case REST_GROUP_EXISTS:
        return hub_group_exists(h, rt->group)
                   ? reply_empty(r, 200)
                   : not_found(r, "Warning.Group.NotExisted",
                               "group has no connection");
    case REST_GROUP_LIST:
        return list_group(r, h, rt);
    case REST_CONN_INVOKE:
        return invoke_conn(e, r, c);
    case REST_GROUP_ADD_CONN:
        return hub_group_add_conn(h, rt->group, rt->conn) == 0
                   ? reply_empty(r, 200)
                   : not_found(r, "Error.Connection.NotExisted",
                               "connection does not exist");
    case REST_GROUP_REMOVE_CONN:
        return hub_group_remove_conn(h, rt->group, rt->conn) == 0
                   ? reply_empty(r, 200)
                   : not_found(r, "Warning.Connection.NotExisted",
                               "connection does not exist");
    case REST_USER_IN_GROUP:
        return hub_user_in_group(h, rt->user, rt->group)
                   ? reply_empty(r, 200)
                   : not_found(r, "Info.User.NotInGroup",
                               "user is not in the group");
    case REST_USER_GROUP_ADD:
        return user_group_add(r, h, rt);
    case REST_USER_GROUP_REMOVE:
        hub_user_group_remove(h, rt->user, rt->group);
        return reply_empty(r, rt->v1 ? 202 : 204);
    case REST_USER_LEAVE_ALL:
        hub_user_groups_clear(h, rt->user);
        return reply_empty(r, rt->v1 ? 200 : 204);
    case REST_HEALTH:
    case REST_USAGE:
    case REST_USAGE_RESET:
    case REST_GENERATE_TOKEN:
        break;
    }
    return reply_empty(r, 200);
}

/* GET /api/usage: the tier's limits and the day's usage (tier.h);
 * DELETE: start a new day (the 00:00 UTC reset, on demand). */
static enum MHD_Result usage(struct rest_env *e, struct http_req *r, int reset)
{
    if (reset) {
        if (!e->tier)
            return http_reply_error(r, 409, NULL,
                                    "no tier simulated (start with --tier)");
        tier_reset_day(e->tier, clock_wall_s());
        log_info("tier %s: usage reset: messages 0/%lld", tier_name(e->tier),
                 e->tier->msgs_day);
        return reply_empty(r, 204);
    }
    size_t connected = e->conns ? conns_connected(e->conns) : 0;
    struct json_object *o = tier_usage(e->tier, connected, clock_wall_s());
    enum MHD_Result ret = http_reply_json(r, 200, o);
    json_object_put(o);
    return ret;
}

static int check_names(struct http_req *r, const struct rest_route *rt,
                       char *err, size_t errlen)
{
    char why[160];
    char *app = http_req_query(r, "application");
    int rc = -1;
    if (app && names_check_hub(app, why, sizeof why) < 0) {
        snprintf(err, errlen, "bad application name: %s", why);
        goto out;
    }
    if (names_check_hub(rt->hub, why, sizeof why) < 0) {
        snprintf(err, errlen, "bad hub name: %s", why);
        goto out;
    }
    if (rt->user && names_check_user(rt->user, why, sizeof why) < 0) {
        snprintf(err, errlen, "bad user id: %s", why);
        goto out;
    }
    if (rt->group && names_check_group(rt->group, why, sizeof why) < 0) {
        snprintf(err, errlen, "bad group name: %s", why);
        goto out;
    }
    if (rt->conn && names_check_connection(rt->conn, why, sizeof why) < 0) {
        snprintf(err, errlen, "bad connection id: %s", why);
        goto out;
    }
    rc = 0;
out:
    free(app);
    return rc;
}

enum MHD_Result rest_handle(struct rest_env *e, struct http_req *r,
                            const char *url, const char *method)
{
    struct rest_route rt;
    struct token_claims claims;
    struct excluded ex = {NULL, 0};
    char err[320];
    int status = 404;
    enum MHD_Result ret;
    memset(&claims, 0, sizeof claims);
    if (e->cr && clientres_resumed(e->cr, r, &ret))
        return ret;
    if (rest_route_parse(method, url, &rt, &status, err, sizeof err) < 0) {
        ret = http_reply_error(r, (unsigned)status, NULL, "%s", err);
        goto out;
    }
    if (rt.op == REST_HEALTH) {
        ret = reply_empty(r, 200);
        goto out;
    }
    if (rt.op == REST_USAGE) { /* anonymous: it only reads */
        ret = usage(e, r, 0);
        goto out;
    }
    if (rt.op == REST_USAGE_RESET) { /* a new day: a REST token, as REST */
        if (auth_check(e->keys, r->mhd, url, NULL, &claims, err, sizeof err) <
            0)
            ret = http_reply_error(r, 401, NULL, "%s", err);
        else
            ret = usage(e, r, 1);
        goto out;
    }
    if (r->too_big) {
        ret = http_reply_error(r, 413, NULL, "body over the %u-byte limit",
                               LIMIT_USER_BODY);
        goto out;
    }
    if (check_names(r, &rt, err, sizeof err) < 0) {
        ret = http_reply_error(r, 400, NULL, "%s", err);
        goto out;
    }
    if (auth_check(e->keys, r->mhd, url, NULL, &claims, err, sizeof err) < 0) {
        ret = http_reply_error(r, 401, NULL, "%s", err);
        goto out;
    }
    MHD_get_connection_values(r->mhd, MHD_GET_ARGUMENT_KIND, collect_excluded,
                              &ex);
    ret = act(e, r, &rt, &ex);
out:
    for (size_t i = 0; i < ex.n; i++)
        free(ex.ids[i]);
    free(ex.ids);
    token_claims_release(&claims);
    rest_route_release(&rt);
    return ret;
}
