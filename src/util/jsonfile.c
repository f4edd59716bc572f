/* jsonfile.c - small JSON configuration files (see jsonfile.h). */
#include "jsonfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonx.h"
#include "util/limits.h"
#include "util/banned.h"

/* json-c's non-strict mode (comments, trailing commas), depth capped and
 * UTF-8 validated as jsonx_parse does. */
static int parse_lenient(const char *text, size_t len, struct json_object **out,
                         char *err, size_t errlen)
{
    if (memchr(text, '\0', len)) {
        snprintf(err, errlen, "JSON text contains a NUL byte");
        return -1;
    }
    struct json_tokener *tok = json_tokener_new_ex(LIMIT_JSON_DEPTH);
    json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (e != json_tokener_success) {
        snprintf(err, errlen, "%s",
                 e == json_tokener_continue ? "unexpected end of the text"
                                            : json_tokener_error_desc(e));
        json_object_put(o);
        return -1;
    }
    for (; end < len; end++) {
        if (!strchr(" \t\r\n", text[end])) {
            snprintf(err, errlen, "unexpected text after the JSON value");
            json_object_put(o);
            return -1;
        }
    }
    *out = o;
    return 0;
}

int jsonfile_parse(const char *text, size_t len, int flags,
                   struct json_object **out, char *err, size_t errlen)
{
    *out = NULL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    if (len > JSONFILE_MAX) {
        snprintf(err, errlen, "larger than %u bytes", JSONFILE_MAX);
        return -1;
    }
    if (flags & JSONFILE_LENIENT)
        return parse_lenient(text, len, out, err, errlen);
    return jsonx_parse(text, len, out, err, errlen);
}

int jsonfile_load(const char *path, int flags, struct json_object **out,
                  char *err, size_t errlen)
{
    char chunk[4096];
    size_t n;
    int rc = -1;
    struct buf b;
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        snprintf(err, errlen, "cannot read it: %s", strerror(errno));
        return -1;
    }
    buf_init(&b, JSONFILE_MAX);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf_append(&b, chunk, n) < 0) {
            snprintf(err, errlen, "larger than %u bytes", JSONFILE_MAX);
            goto out;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read it: %s", strerror(errno));
        goto out;
    }
    if (jsonfile_parse(buf_cstr(&b), b.len, flags, out, err, errlen) < 0)
        rc = JSONFILE_SYNTAX;
    else
        rc = 0;
out:
    buf_release(&b);
    fclose(f);
    return rc;
}

int jsonfile_read(const char *path, struct json_object **out, char *err,
                  size_t errlen)
{
    int rc = jsonfile_load(path, 0, out, err, errlen);
    return rc < 0 ? -1 : rc;
}
