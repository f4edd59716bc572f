/*
 * route.h - HTTP trigger route templates, as ASP.NET Core routing matches
 * the ones the Functions host registers; the values matched become the
 * request's Params.
 *
 *   "broadcast"        literal segments, compared case-insensitively
 *   "items/{id}"       a parameter: one non-empty segment
 *   "items/{id?}"      an optional trailing parameter (null when absent)
 *   "items/{id:int}"   a constraint: only int, alpha, bool and guid are
 *                      checked; others are accepted and ignored
 *   "index/{*file}"    a catch-all: the rest of the path, maybe empty (null)
 *
 * Pure: no I/O, no logging. Paths are given without the route prefix and
 * without the leading '/', already percent-decoded.
 */
#ifndef HOST_ROUTE_H
#define HOST_ROUTE_H

#include <stddef.h>

#include <json-c/json.h>

/* Check a template's syntax. Returns 0, or -1 with the reason in err. */
int route_check(const char *tmpl, char *err, size_t errlen);

/* Match path against tmpl. Returns 1 and, when params is not NULL, adds
 * each parameter to the params object (string values, or null for absent
 * optional ones); 0 when the path does not match (params unchanged). */
int route_match(const char *tmpl, const char *path, struct json_object *params);

#endif
