/*
 * catalog.h - the app folder's functions as their function.json files
 * declare them, read once at start (as the host reads them): each
 * function's trigger, its outputs by type and name.
 *
 * A function.json that cannot be read or has no trigger is kept with the
 * reason in `error`, so the function answers with it instead of the app
 * failing to start. Everything is owned by the catalog.
 */
#ifndef AZF_CATALOG_H
#define AZF_CATALOG_H

#include <stddef.h>

struct catalog_binding {
    char *name;
    char *type;
    int out; /* direction out (or inout) */
};

struct catalog_fn {
    char *name;         /* the folder's name */
    char *error;        /* why it cannot be served, or NULL */
    char *trigger_type; /* e.g. "httpTrigger"; NULL with error set */
    char *trigger_name; /* the trigger binding's name */
    char *category;     /* signalRTrigger: "messages" or "connections" */
    char *event;        /* signalRTrigger: the event */
    struct catalog_binding *bindings;
    size_t nbindings;
};

struct catalog {
    struct catalog_fn *fns;
    size_t n;
};

/* Read app_root/<folder>/function.json for every folder that has one.
 * Returns 0, or -1 with err when the folder itself cannot be read. */
int catalog_load(const char *app_root, struct catalog *c, char *err,
                 size_t errlen);
void catalog_free(struct catalog *c);

/* The function named name (exact match first, then ASCII
 * case-insensitive), or NULL. */
const struct catalog_fn *catalog_find(const struct catalog *c,
                                      const char *name);

/* The output binding of fn with this type (case-insensitive) and, when
 * name is not NULL, this name. *count receives how many outputs of the
 * type there are (when count is not NULL). NULL when none matches. */
const struct catalog_binding *catalog_output(const struct catalog_fn *fn,
                                             const char *type, const char *name,
                                             size_t *count);

#endif
