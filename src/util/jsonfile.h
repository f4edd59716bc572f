/*
 * jsonfile.h - read a small JSON configuration file (host.json,
 * function.json, local.settings.json, settings.json) the way .NET reads
 * them: an optional UTF-8 byte order mark, then one JSON value, the file
 * capped in size. Strict by default (jsonx_parse: UTF-8 validated, depth
 * capped); JSONFILE_LENIENT also accepts what .NET configuration files
 * accept: comments and trailing commas.
 */
#ifndef UTIL_JSONFILE_H
#define UTIL_JSONFILE_H

#include <stddef.h>

#include <json-c/json.h>

/* Configuration files are a few KB; anything this large is not one. */
#define JSONFILE_MAX (1024u * 1024u)

/* Flags of jsonfile_load and jsonfile_parse. */
#define JSONFILE_LENIENT 1 /* comments and trailing commas allowed */

/* What jsonfile_load returns when the file was read but holds no JSON. */
#define JSONFILE_SYNTAX (-2)

/* Read path. Returns 0 with a new reference in *out (NULL for the literal
 * null), 1 when the file does not exist (nor a folder on its path; *out
 * NULL), -1 with a reason in
 * err ("cannot read it: ...", "larger than ... bytes", a parse error). */
int jsonfile_read(const char *path, struct json_object **out, char *err,
                  size_t errlen);

/* jsonfile_read with flags, telling the failures apart: -1 when the file
 * cannot be read or is too large, JSONFILE_SYNTAX when its text is not
 * JSON (err holds the parse error alone). */
int jsonfile_load(const char *path, int flags, struct json_object **out,
                  char *err, size_t errlen);

/* Parse len bytes of text as a file's content (BOM skipped, at most
 * JSONFILE_MAX bytes, nothing but white space after the value). Returns 0
 * with a new reference in *out (NULL for the literal null), or -1 with the
 * reason in err. */
int jsonfile_parse(const char *text, size_t len, int flags,
                   struct json_object **out, char *err, size_t errlen);

#endif
