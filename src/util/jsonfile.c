/* jsonfile.c - small JSON configuration files (see jsonfile.h). */
#include "jsonfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonx.h"
#include "util/banned.h"

int jsonfile_read(const char *path, struct json_object **out, char *err,
                  size_t errlen)
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
    const char *s = buf_cstr(&b);
    size_t len = b.len;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        len -= 3;
    }
    rc = jsonx_parse(s, len, out, err, errlen);
out:
    buf_release(&b);
    fclose(f);
    return rc;
}
