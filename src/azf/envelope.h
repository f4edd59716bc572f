/*
 * envelope.h - the invocation envelope {"Data": {...}, "Metadata": {...}}
 * read in one pass, without building a DOM.
 *
 * envelope_parse refuses what jsonx_parse refuses (strict UTF-8, no NUL,
 * depth <= LIMIT_JSON_DEPTH, exactly one value), with the same reason, and
 * also the few non-standard forms json-c lets through (raw control
 * characters in strings, NaN, single quotes): yajl's streaming parser does
 * the tokenizing. On the way it records the members of objects down to
 * ENVELOPE_DEPTH levels (Data.<trigger>.Headers.<name>): key, kind and the
 * byte span of the value in the body. Nothing is decoded until asked:
 * envelope_value parses one member's span with json-c, envelope_text gives
 * a string member's text; both keep what they made until envelope_reset.
 *
 * Members are named by index (int); ENVELOPE_ROOT is the top-level object
 * and -1 "no such member", which every function accepts. Lookups are ASCII
 * case-insensitive with an exact match preferred, and a duplicated key's
 * last value wins, as jsonx_get_ci on json-c's DOM.
 *
 * Ownership: the body is borrowed and must outlive the records; every
 * pointer returned is borrowed from the envelope, valid until
 * envelope_reset. One envelope serves one invocation at a time and keeps
 * its memory for the next (the dispatch step keeps one per thread).
 */
#ifndef AZF_ENVELOPE_H
#define AZF_ENVELOPE_H

#include <stddef.h>

#include <json-c/json.h>

#define ENVELOPE_DEPTH 4
#define ENVELOPE_ROOT (-2)

enum env_kind {
    ENV_NONE, /* no such member */
    ENV_OBJECT,
    ENV_ARRAY,
    ENV_STRING,
    ENV_NUMBER,
    ENV_BOOL,
    ENV_NULL,
};

struct envelope;

struct envelope *envelope_new(void);
void envelope_free(struct envelope *e);

/* Read body[0..len) (reset first). Returns 0, or -1 with the reason in
 * err. */
int envelope_parse(struct envelope *e, const char *body, size_t len, char *err,
                   size_t errlen);
/* Forget the records and everything decoded; keep the memory. */
void envelope_reset(struct envelope *e);

/* The kind of the whole value, of a member (ENV_NONE for -1). */
enum env_kind envelope_kind(const struct envelope *e, int m);
/* Member name of object member parent (ENVELOPE_ROOT for the top level),
 * or -1: absent, parent not an object, or deeper than ENVELOPE_DEPTH. */
int envelope_member(const struct envelope *e, int parent, const char *name);
/* The member's value decoded by json-c (borrowed; NULL for null or -1). */
struct json_object *envelope_value(struct envelope *e, int m);
/* The member's value as a function wants it, made once: the host writes
 * strings, numbers and arrays as JSON text inside a string, up to twice
 * (connection info, Event Grid events): those layers undone (borrowed). */
struct json_object *envelope_decoded(struct envelope *e, int m);
/* A string member's text, NUL-terminated (*len without the NUL; the text
 * holds a NUL only where the JSON had \u0000), or NULL when m is not a
 * string. */
const char *envelope_text(struct envelope *e, int m, size_t *len);

#endif
