/*
 * jsonfile.h - read a small JSON configuration file (host.json,
 * function.json, local.settings.json, settings.json) the way .NET reads
 * them: an optional UTF-8 byte order mark, then one strict JSON value
 * (jsonx_parse: UTF-8 validated, depth capped), the file capped in size.
 */
#ifndef UTIL_JSONFILE_H
#define UTIL_JSONFILE_H

#include <stddef.h>

#include <json-c/json.h>

/* Configuration files are a few KB; anything this large is not one. */
#define JSONFILE_MAX (1024u * 1024u)

/* Read path. Returns 0 with a new reference in *out (NULL for the literal
 * null), 1 when the file does not exist (nor a folder on its path; *out
 * NULL), -1 with a reason in
 * err ("cannot read it: ...", "larger than ... bytes", a parse error). */
int jsonfile_read(const char *path, struct json_object **out, char *err,
                  size_t errlen);

#endif
