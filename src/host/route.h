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

/* ASP.NET Core's inbound route precedence, compared: segment by segment,
 * a literal (1) before a constrained parameter (2), a parameter (3), a
 * constrained catch-all (4) and a catch-all (5); a template that ends
 * first comes first. Returns < 0 when a is tried before b, 0 when they tie.
 * Both must pass route_check(). */
int route_precedence_cmp(const char *a, const char *b);

/* A path tmpl matches (literals kept, each parameter a value its constraint
 * accepts), written into out. Returns 0, or -1 when out is too small. */
int route_sample(const char *tmpl, char *out, size_t outlen);

#endif
