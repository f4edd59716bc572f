/*
 * routes.h - the table from function name (= function folder name, as the
 * host puts it in the path: POST /{functionName}) to the C function.
 *
 * One row per function folder; a test walks the function.json files and checks that
 * every folder has a row and every row a folder. Adding a function is one
 * folder plus one row.
 */
#ifndef HANDLER_ROUTES_H
#define HANDLER_ROUTES_H

#include <stddef.h>

#include "fn.h"

struct route {
    const char *name;    /* function folder name, case as on disk */
    fn_handler fn;
    const char *trigger; /* binding type of its trigger */
    const char *trigger_name; /* the trigger binding's name it reads */
    const char *outputs; /* output binding names it fills, space-separated */
    /* signalRTrigger only (else NULL): the category and event it handles */
    const char *category;
    const char *event;
};

/* The row for name (exact match first, then ASCII case-insensitive), or
 * NULL. */
const struct route *routes_find(const char *name);
/* All rows; *n receives the count. */
const struct route *routes_all(size_t *n);

#endif
