/* catalog.c - the app's function.json files (see catalog.h). */
#include "catalog.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/jsonfile.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static int ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Fill fn from a parsed function.json. */
static void read_bindings(struct catalog_fn *fn, struct json_object *fj)
{
    struct json_object *bs = jsonx_get_ci(fj, "bindings");
    if (!bs || !json_object_is_type(bs, json_type_array)) {
        fn->error = xstrdup("function.json has no \"bindings\" array");
        return;
    }
    size_t n = json_object_array_length(bs);
    fn->bindings = xcalloc(n ? n : 1, sizeof *fn->bindings);
    for (size_t i = 0; i < n; i++) {
        struct json_object *b = json_object_array_get_idx(bs, i);
        const char *type = jsonx_str(b, "type");
        const char *name = jsonx_str(b, "name");
        const char *dir = jsonx_str(b, "direction");
        if (!type || !name)
            continue;
        struct catalog_binding *cb = &fn->bindings[fn->nbindings++];
        cb->name = xstrdup(name);
        cb->type = xstrdup(type);
        cb->out = dir && (strcasecmp(dir, "out") == 0 ||
                          strcasecmp(dir, "inout") == 0);
        if (!cb->out && !fn->trigger_type && ends_with_ci(type, "Trigger")) {
            fn->trigger_type = xstrdup(type);
            fn->trigger_name = xstrdup(name);
            fn->category = dup_or_null(jsonx_str(b, "category"));
            fn->event = dup_or_null(jsonx_str(b, "event"));
        }
    }
    if (!fn->trigger_type)
        fn->error = xstrdup("function.json has no trigger binding");
}

int catalog_load(const char *app_root, struct catalog *c, char *err,
                 size_t errlen)
{
    struct dirent **ents = NULL;
    c->fns = NULL;
    c->n = 0;
    int n = scandir(app_root, &ents, NULL, alphasort);
    if (n < 0) {
        snprintf(err, errlen, "cannot read the app folder %.200s", app_root);
        return -1;
    }
    c->fns = xcalloc((size_t)n + 1, sizeof *c->fns);
    for (int i = 0; i < n; i++) {
        const char *d = ents[i]->d_name;
        char path[4096], why[256];
        struct json_object *fj = NULL;
        if (d[0] != '.') {
            snprintf(path, sizeof path, "%s/%s/function.json", app_root, d);
            int rc = jsonfile_read(path, &fj, why, sizeof why);
            if (rc != 1) {
                struct catalog_fn *fn = &c->fns[c->n++];
                fn->name = xstrdup(d);
                if (rc < 0)
                    fn->error = xasprintf("%s/function.json: %s", d, why);
                else
                    read_bindings(fn, fj);
            }
            json_object_put(fj);
        }
        free(ents[i]);
    }
    free(ents);
    return 0;
}

void catalog_free(struct catalog *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct catalog_fn *fn = &c->fns[i];
        for (size_t j = 0; j < fn->nbindings; j++) {
            free(fn->bindings[j].name);
            free(fn->bindings[j].type);
        }
        free(fn->bindings);
        free(fn->name);
        free(fn->error);
        free(fn->trigger_type);
        free(fn->trigger_name);
        free(fn->category);
        free(fn->event);
    }
    free(c->fns);
    c->fns = NULL;
    c->n = 0;
}

const struct catalog_fn *catalog_find(const struct catalog *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->fns[i].name, name) == 0)
            return &c->fns[i];
    for (size_t i = 0; i < c->n; i++)
        if (strcasecmp(c->fns[i].name, name) == 0)
            return &c->fns[i];
    return NULL;
}

const struct catalog_binding *catalog_output(const struct catalog_fn *fn,
                                             const char *type, const char *name,
                                             size_t *count)
{
    const struct catalog_binding *found = NULL;
    size_t k = 0;
    for (size_t i = 0; i < fn->nbindings; i++) {
        const struct catalog_binding *b = &fn->bindings[i];
        if (!b->out || strcasecmp(b->type, type) != 0)
            continue;
        k++;
        if (!found && (!name || strcmp(b->name, name) == 0))
            found = b;
    }
    if (count)
        *count = k;
    return found;
}
