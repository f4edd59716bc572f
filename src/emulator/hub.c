/* hub.c - connections, users and groups of every hub (see hub.h). */
#include "hub.h"

#include <stdlib.h>
#include <ctype.h>
#include <string.h>

#include "emulator/strmap.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* A registered connection. groups: group name -> (void *)1. */
struct rconn {
    char *id;
    char *user; /* NULL when anonymous */
    void *conn;
    struct strmap *groups;
};

/* A user's memberships. groups: group name -> struct umember. conns: id ->
 * struct rconn (borrowed from hub->conns). */
struct umember {
    long expires; /* 0 = never */
};

struct ruser {
    struct strmap *conns;
    struct strmap *groups;
};

/* A group's connections: id -> struct rconn (borrowed). */
struct rgroup {
    struct strmap *conns;
};

struct hub {
    char *name;
    struct strmap *conns;  /* id -> struct rconn (owned) */
    struct strmap *users;  /* user -> struct ruser (owned) */
    struct strmap *groups; /* group -> struct rgroup (owned) */
};

struct registry {
    struct strmap *hubs; /* lower-case name -> struct hub (owned) */
};

static void *const PRESENT = (void *)1;

struct registry *registry_new(void)
{
    struct registry *r = xcalloc(1, sizeof *r);
    r->hubs = strmap_new();
    return r;
}

static void user_free(struct ruser *u)
{
    struct strmap_iter it;
    void *v;
    strmap_iter_init(&it, u->groups);
    while (strmap_iter_next(&it, NULL, &v))
        free(v);
    strmap_free(u->groups);
    strmap_free(u->conns);
    free(u);
}

static void hub_free(struct hub *h)
{
    struct strmap_iter it;
    void *v;
    strmap_iter_init(&it, h->conns);
    while (strmap_iter_next(&it, NULL, &v)) {
        struct rconn *c = v;
        strmap_free(c->groups);
        free(c->id);
        free(c->user);
        free(c);
    }
    strmap_iter_init(&it, h->users);
    while (strmap_iter_next(&it, NULL, &v))
        user_free(v);
    strmap_iter_init(&it, h->groups);
    while (strmap_iter_next(&it, NULL, &v)) {
        struct rgroup *g = v;
        strmap_free(g->conns);
        free(g);
    }
    strmap_free(h->conns);
    strmap_free(h->users);
    strmap_free(h->groups);
    free(h->name);
    free(h);
}

void registry_free(struct registry *r)
{
    if (!r)
        return;
    struct strmap_iter it;
    void *v;
    strmap_iter_init(&it, r->hubs);
    while (strmap_iter_next(&it, NULL, &v))
        hub_free(v);
    strmap_free(r->hubs);
    free(r);
}

struct hub *registry_hub(struct registry *r, const char *name, int create)
{
    char *lower = xstrdup(name);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    struct hub *h = strmap_get(r->hubs, lower);
    if (!h && create) {
        h = xcalloc(1, sizeof *h);
        h->name = lower;
        lower = NULL;
        h->conns = strmap_new();
        h->users = strmap_new();
        h->groups = strmap_new();
        strmap_put(r->hubs, h->name, h);
    }
    free(lower);
    return h;
}

const char *hub_name(const struct hub *h)
{
    return h->name;
}

size_t hub_conn_count(const struct hub *h)
{
    return strmap_count(h->conns);
}

static struct ruser *user_get(struct hub *h, const char *user, int create)
{
    struct ruser *u = strmap_get(h->users, user);
    if (!u && create) {
        u = xcalloc(1, sizeof *u);
        u->conns = strmap_new();
        u->groups = strmap_new();
        strmap_put(h->users, user, u);
    }
    return u;
}

static void user_drop_if_empty(struct hub *h, const char *user)
{
    struct ruser *u = strmap_get(h->users, user);
    if (u && strmap_count(u->conns) == 0 && strmap_count(u->groups) == 0) {
        strmap_del(h->users, user);
        user_free(u);
    }
}

/* Put connection c into group (both directions). */
static void join(struct hub *h, struct rconn *c, const char *group)
{
    struct rgroup *g = strmap_get(h->groups, group);
    if (!g) {
        g = xcalloc(1, sizeof *g);
        g->conns = strmap_new();
        strmap_put(h->groups, group, g);
    }
    strmap_put(g->conns, c->id, c);
    strmap_put(c->groups, group, PRESENT);
}

static void leave(struct hub *h, struct rconn *c, const char *group)
{
    struct rgroup *g = strmap_get(h->groups, group);
    if (g) {
        strmap_del(g->conns, c->id);
        if (strmap_count(g->conns) == 0) {
            strmap_del(h->groups, group);
            strmap_free(g->conns);
            free(g);
        }
    }
    strmap_del(c->groups, group);
}

int hub_conn_add(struct hub *h, const char *id, const char *user, void *conn)
{
    if (strmap_get(h->conns, id))
        return -1;
    struct rconn *c = xcalloc(1, sizeof *c);
    c->id = xstrdup(id);
    c->user = user ? xstrdup(user) : NULL;
    c->conn = conn;
    c->groups = strmap_new();
    strmap_put(h->conns, c->id, c);
    if (user) {
        struct ruser *u = user_get(h, user, 1);
        strmap_put(u->conns, c->id, c);
        struct strmap_iter it;
        const char *g;
        strmap_iter_init(&it, u->groups);
        while (strmap_iter_next(&it, &g, NULL))
            join(h, c, g);
    }
    return 0;
}

void hub_conn_remove(struct hub *h, const char *id)
{
    struct rconn *c = strmap_get(h->conns, id);
    if (!c)
        return;
    hub_conn_leave_all(h, id);
    if (c->user) {
        struct ruser *u = strmap_get(h->users, c->user);
        if (u)
            strmap_del(u->conns, c->id);
        user_drop_if_empty(h, c->user);
    }
    strmap_del(h->conns, id);
    strmap_free(c->groups);
    free(c->id);
    free(c->user);
    free(c);
}

void *hub_conn_find(const struct hub *h, const char *id)
{
    struct rconn *c = strmap_get(h->conns, id);
    return c ? c->conn : NULL;
}

int hub_group_add_conn(struct hub *h, const char *group, const char *id)
{
    struct rconn *c = strmap_get(h->conns, id);
    if (!c)
        return -1;
    join(h, c, group);
    return 0;
}

int hub_group_remove_conn(struct hub *h, const char *group, const char *id)
{
    struct rconn *c = strmap_get(h->conns, id);
    if (!c)
        return -1;
    leave(h, c, group);
    return 0;
}

int hub_conn_leave_all(struct hub *h, const char *id)
{
    struct rconn *c = strmap_get(h->conns, id);
    if (!c)
        return -1;
    struct strmap_iter it;
    const char *g;
    strmap_iter_init(&it, c->groups);
    while (strmap_iter_next(&it, &g, NULL))
        leave(h, c, g); /* deletes the entry just returned: allowed */
    return 0;
}

void hub_user_group_add(struct hub *h, const char *user, const char *group,
                        long expires)
{
    struct ruser *u = user_get(h, user, 1);
    struct umember *m = strmap_get(u->groups, group);
    if (!m) {
        m = xcalloc(1, sizeof *m);
        strmap_put(u->groups, group, m);
    }
    m->expires = expires;
    struct strmap_iter it;
    void *v;
    strmap_iter_init(&it, u->conns);
    while (strmap_iter_next(&it, NULL, &v))
        join(h, v, group);
}

void hub_user_group_remove(struct hub *h, const char *user, const char *group)
{
    struct ruser *u = strmap_get(h->users, user);
    if (!u)
        return;
    free(strmap_del(u->groups, group));
    struct strmap_iter it;
    void *v;
    strmap_iter_init(&it, u->conns);
    while (strmap_iter_next(&it, NULL, &v))
        leave(h, v, group);
    user_drop_if_empty(h, user);
}

void hub_user_groups_clear(struct hub *h, const char *user)
{
    struct ruser *u = strmap_get(h->users, user);
    if (!u)
        return;
    struct strmap_iter it;
    const char *g;
    strmap_iter_init(&it, u->groups);
    while (strmap_iter_next(&it, &g, NULL)) {
        struct strmap_iter ci;
        void *v;
        strmap_iter_init(&ci, u->conns);
        while (strmap_iter_next(&ci, NULL, &v))
            leave(h, v, g);
        free(strmap_del(u->groups, g));
    }
    user_drop_if_empty(h, user);
}

int hub_user_in_group(const struct hub *h, const char *user, const char *group)
{
    struct ruser *u = strmap_get(h->users, user);
    if (!u)
        return 0;
    if (strmap_get(u->groups, group))
        return 1;
    struct strmap_iter it;
    void *v;
    strmap_iter_init(&it, u->conns);
    while (strmap_iter_next(&it, NULL, &v)) {
        struct rconn *c = v;
        if (strmap_get(c->groups, group))
            return 1;
    }
    return 0;
}

int hub_user_exists(const struct hub *h, const char *user)
{
    struct ruser *u = strmap_get(h->users, user);
    return u && strmap_count(u->conns) > 0;
}

int hub_group_exists(const struct hub *h, const char *group)
{
    struct rgroup *g = strmap_get(h->groups, group);
    return g && strmap_count(g->conns) > 0;
}

static size_t visit(const struct strmap *conns, hub_visit_fn fn, void *arg)
{
    size_t n = 0;
    struct strmap_iter it;
    void *v;
    strmap_iter_init(&it, conns);
    while (strmap_iter_next(&it, NULL, &v)) {
        struct rconn *c = v;
        fn(c->conn, c->id, c->user, arg);
        n++;
    }
    return n;
}

size_t hub_each_conn(const struct hub *h, hub_visit_fn fn, void *arg)
{
    return visit(h->conns, fn, arg);
}

size_t hub_each_user_conn(const struct hub *h, const char *user,
                          hub_visit_fn fn, void *arg)
{
    struct ruser *u = strmap_get(h->users, user);
    return u ? visit(u->conns, fn, arg) : 0;
}

size_t hub_each_group_conn(const struct hub *h, const char *group,
                           hub_visit_fn fn, void *arg)
{
    struct rgroup *g = strmap_get(h->groups, group);
    return g ? visit(g->conns, fn, arg) : 0;
}

void registry_expire(struct registry *r, long now)
{
    struct strmap_iter hi;
    void *hv;
    strmap_iter_init(&hi, r->hubs);
    while (strmap_iter_next(&hi, NULL, &hv)) {
        struct hub *h = hv;
        struct strmap_iter ui;
        const char *user;
        void *uv;
        strmap_iter_init(&ui, h->users);
        while (strmap_iter_next(&ui, &user, &uv)) {
            struct ruser *u = uv;
            struct strmap_iter gi;
            const char *g;
            void *gv;
            int dropped = 0;
            strmap_iter_init(&gi, u->groups);
            while (strmap_iter_next(&gi, &g, &gv)) {
                struct umember *m = gv;
                if (m->expires && m->expires <= now) {
                    struct strmap_iter ci;
                    void *cv;
                    strmap_iter_init(&ci, u->conns);
                    while (strmap_iter_next(&ci, NULL, &cv))
                        leave(h, cv, g);
                    free(strmap_del(u->groups, g));
                    dropped = 1;
                }
            }
            /* Dropping the user itself would break this iteration unless
             * it is the entry just returned, which it is. */
            if (dropped)
                user_drop_if_empty(h, user);
        }
    }
}
