/*
 * index.c - serve the demo page from www/ (route index/{*file}).
 *
 * index.html when no file is named; a file name may hold only letters,
 * digits and . _ - / with no empty, "." or ".." segment and no segment
 * starting with '.', so nothing outside www/ can be named; the resolved
 * path is also checked to stay under www/ (symbolic links). Only text types
 * are served (the http output's body is a string); anything else is a 404.
 */
#include "app.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/banned.h"

#define MAX_FILE (4u * 1024u * 1024u)

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

static int name_ok(const char *f)
{
    size_t n = strlen(f);
    if (n == 0 || n > 200 || f[0] == '/')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = f[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
                 c == '/';
        if (!ok)
            return 0;
        /* Each segment: not empty, not starting with '.'. */
        if ((i == 0 || f[i - 1] == '/') && (c == '/' || c == '.'))
            return 0;
    }
    return f[n - 1] != '/';
}

/* The file's bytes into b; 0, or an HTTP status with the reason. */
static int read_file(const char *root, const char *file, struct buf *b)
{
    char path[PATH_MAX + 256], real[PATH_MAX]; /* a name is <= 200 */
    snprintf(path, sizeof path, "%s/%s", root, file);
    if (!realpath(path, real) || strncmp(real, root, strlen(root)) != 0 ||
        real[strlen(root)] != '/')
        return 404;
    struct stat st;
    FILE *f = fopen(real, "rb");
    if (!f || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        if (f)
            fclose(f);
        return 404;
    }
    char chunk[8192];
    size_t r;
    int rc = 0;
    while (rc == 0 && (r = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(b, chunk, r) < 0)
            rc = 500;
    fclose(f);
    return rc;
}

static azf_status index_page(azf_inv *inv)
{
    char www[PATH_MAX], root[PATH_MAX];
    const char *file = azf_param(inv, "file");
    if (!file || !*file)
        file = "index.html";
    const char *type = name_ok(file) ? type_of(file) : NULL;
    snprintf(www, sizeof www, "%s/www", azf_app_root(inv));
    if (!type || !realpath(www, root))
        return azf_reply_error(inv, 404, "no such file");
    struct buf b;
    buf_init(&b, MAX_FILE);
    int rc = read_file(root, file, &b);
    if (rc == 0) {
        azf_reply_text(inv, 200, type, buf_cstr(&b), b.len);
        azf_reply_header(inv, "Cache-Control", "no-cache");
        azf_reply_header(inv, "X-Content-Type-Options", "nosniff");
        azf_info(inv, "served %s (%zu bytes)", file, b.len);
    } else if (rc == 500) {
        azf_reply_error(inv, 500, "file is over %u bytes", MAX_FILE);
    } else {
        azf_reply_error(inv, 404, "no such file");
    }
    buf_release(&b);
    return AZF_DONE;
}

AZF_FUNCTION("index", AZF_HTTP, index_page)
