/*
 * jsonx.h - the few json-c helpers every program needs.
 *
 * Strict parsing with a depth cap and UTF-8 validation, case-insensitive
 * member lookup (the .NET side matches property names that way), and the
 * "JSON string holding JSON" unwrapping that the Functions host applies to
 * binding values. json-c ownership rules apply: a returned object is a new
 * reference the caller puts, unless the comment says borrowed.
 */
#ifndef UTIL_JSONX_H
#define UTIL_JSONX_H

#include <stddef.h>

#include <json-c/json.h>

/* Parse exactly len bytes as one JSON value (strict, UTF-8 validated, depth
 * <= LIMIT_JSON_DEPTH, no trailing bytes, no NUL byte). Returns 0 and a new
 * reference in *out (which may be NULL for the JSON literal null), or -1
 * with a reason in err. */
int jsonx_parse(const char *s, size_t len, struct json_object **out, char *err,
                size_t errlen);

/* The checks jsonx_parse makes before parsing: not empty, no NUL byte,
 * strict UTF-8, under 2 GiB. Returns 0, or -1 with a reason in err. */
int jsonx_check_text(const char *s, size_t len, char *err, size_t errlen);

/* Member lookup by name, ASCII case-insensitive, exact match preferred.
 * Returns a borrowed reference or NULL when obj is not an object or the key
 * is absent. A present JSON null also yields NULL: use jsonx_has_ci. */
struct json_object *jsonx_get_ci(struct json_object *obj, const char *key);
int jsonx_has_ci(struct json_object *obj, const char *key);

/* Borrowed string value of a member, or NULL when absent or not a string. */
const char *jsonx_str(struct json_object *obj, const char *key);

/* Undo up to max_layers of "JSON text stored in a JSON string": while v is a
 * string whose content parses as JSON, replace it by the parsed value.
 * Returns a new reference (the deepest value reached; v itself, with a new
 * reference, when no layer could be removed). NULL in → NULL out. */
struct json_object *jsonx_unwrap(struct json_object *v, int max_layers);

/* The JSON error body every program answers a bad request with:
 * {"error": "<printf of fmt>"}, compact. New string, caller frees. */
char *jsonx_error_text(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Compact serialization of v; borrowed from v (valid until v changes). */
const char *jsonx_compact(struct json_object *v);

struct buf;
/* Append s[0..n) to b as a JSON string literal, escaped as jsonx_compact
 * escapes it (so either may write a reply). Returns 0, or -1 when b is
 * full. */
int jsonx_append_string(struct buf *b, const char *s, size_t n);

#endif
