/* select.c - allow list, disabled functions, route choice (see select.h). */
#include "select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/route.h"
#include "util/xalloc.h"
#include "util/banned.h"

extern char **environ;

struct only {
    char *const *names;
    size_t n;
};

static int in_list(const struct app_function *fn, void *ctx)
{
    const struct only *o = ctx;
    for (size_t i = 0; i < o->n; i++)
        if (strcasecmp(o->names[i], fn->name) == 0)
            return 1;
    return 0;
}

void select_only(struct app *app, char *const *names, size_t n,
                 void (*unknown)(const char *name))
{
    if (n == 0)
        return;
    for (size_t i = 0; unknown && i < n; i++) {
        size_t k = 0;
        while (k < app->nfns && strcasecmp(app->fns[k].name, names[i]) != 0)
            k++;
        if (k == app->nfns)
            unknown(names[i]);
    }
    struct only o = {names, n};
    app_keep(app, in_list, &o);
}

/* A setting by name, any case: the environment first, then Values. */
static const char *setting_ci(const struct app *app, const char *name)
{
    size_t nl = strlen(name);
    for (char **e = environ; *e; e++)
        if (strncasecmp(*e, name, nl) == 0 && (*e)[nl] == '=')
            return *e + nl + 1;
    for (size_t i = 0; i < app->nvalues; i++)
        if (strcasecmp(app->values[i].name, name) == 0)
            return app->values[i].value;
    return NULL;
}

void select_mark_disabled(struct app *app)
{
    for (size_t i = 0; i < app->nfns; i++) {
        struct app_function *f = &app->fns[i];
        char *name = xasprintf("AzureWebJobs.%s.Disabled", f->name);
        const char *v = setting_ci(app, name);
        f->disabled = v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
        free(name);
    }
}

static int methods_overlap(unsigned a, unsigned b)
{
    return !a || !b || (a & b);
}

/* Is a tried before b? Precedence, then the host's name order. */
static int before(const struct app_function *a, const struct app_function *b)
{
    int c = route_precedence_cmp(a->route, b->route);
    if (c)
        return c < 0;
    return strcasecmp(a->name, b->name) < 0;
}

const struct app_function *select_http(const struct app *app,
                                       const char *method, const char *path,
                                       struct json_object *params,
                                       const struct app_function **wrong_method)
{
    const struct app_function *best = NULL;
    unsigned bit = app_method_bit(method);
    *wrong_method = NULL;
    for (size_t i = 0; i < app->nfns; i++) {
        const struct app_function *f = &app->fns[i];
        if (f->kind != APP_FN_HTTP || !f->route)
            continue;
        if ((best && !before(f, best)) || !route_match(f->route, path, NULL))
            continue;
        if (f->methods == 0 || (f->methods & bit))
            best = f;
        else if (!*wrong_method)
            *wrong_method = f;
    }
    if (best)
        route_match(best->route, path, params);
    return best;
}

void select_order_differences(const struct app *app,
                              void (*cb)(const struct app_function *local,
                                         const struct app_function *azure,
                                         const char *path, void *ctx),
                              void *ctx)
{
    char path[1024];
    for (size_t i = 0; i < app->nfns; i++) {
        const struct app_function *a = &app->fns[i];
        if (a->kind != APP_FN_HTTP || !a->route)
            continue;
        for (size_t j = 0; j < app->nfns; j++) {
            const struct app_function *b = &app->fns[j];
            /* a wins here; the host tries b first (its name sorts first) */
            if (b == a || b->kind != APP_FN_HTTP || !b->route ||
                strcasecmp(b->name, a->name) >= 0 || !before(a, b) ||
                !methods_overlap(a->methods, b->methods))
                continue;
            if (route_sample(a->route, path, sizeof path) == 0 &&
                route_match(b->route, path, NULL))
                cb(a, b, path, ctx);
        }
    }
}
