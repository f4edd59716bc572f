/*
 * select.h - which functions run, and which one a URL calls, as the
 * Functions host decides:
 *
 *   - an allow list (`func start --functions a b`, the host's `functions`
 *     option): the other functions are not loaded at all (names compared
 *     case-insensitively);
 *   - `AzureWebJobs.<name>.Disabled` = "true" or "1" (any case; the
 *     environment, then local.settings.json Values; the setting's name is
 *     case-insensitive like the host's configuration): the function is
 *     listed as disabled, its trigger never fires and its route answers
 *     404;
 *   - route precedence: of the HTTP functions whose route and methods
 *     match, the one whose template ASP.NET Core orders first (literal
 *     segments before parameters, route.h) is called, whatever the folder
 *     names; ties go to the first by name, the host's registration order.
 *
 * Pure over struct app (the environment aside); never logs.
 */
#ifndef HOST_SELECT_H
#define HOST_SELECT_H

#include <stddef.h>

#include <json-c/json.h>

#include "host/app.h"

/* Keep only the functions named in names[0..n) (n == 0: all). Names that
 * match no function are reported through unknown (may be NULL). */
void select_only(struct app *app, char *const *names, size_t n,
                 void (*unknown)(const char *name));

/* Set each function's disabled flag from its AzureWebJobs.<name>.Disabled
 * setting. */
void select_mark_disabled(struct app *app);

/* The HTTP function (disabled ones included: the caller answers 404) for
 * method and path (prefix removed, decoded). Adds its route parameters to
 * params. NULL when none matches; *wrong_method then names a function
 * whose route matched but not the method (or NULL). */
const struct app_function *
select_http(const struct app *app, const char *method, const char *path,
            struct json_object *params,
            const struct app_function **wrong_method);

/* For each pair of HTTP functions where the host in Azure would call a
 * different one than func-local for the same request (it tries routes in
 * function-name order, with no precedence), call cb with func-local's
 * choice, the host's and a path both match. */
void select_order_differences(const struct app *app,
                              void (*cb)(const struct app_function *local,
                                         const struct app_function *azure,
                                         const char *path, void *ctx),
                              void *ctx);

#endif
