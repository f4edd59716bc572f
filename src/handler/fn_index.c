/*
 * fn_index.c - serve the demo page from www/ (route index/{*file}).
 *
 * index.html when no file is named; a file name may hold only letters,
 * digits and . _ - / with no empty, "." or ".." segment and no segment
 * starting with '.', so nothing outside www/ can be named; the resolved
 * path is also checked to stay under www/ (symbolic links). Only text types
 * are served (the http output's body is a string); anything else is a 404.
 */
#include "fn.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/invoke.h"
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
                 (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                 c == '-' || c == '/';
        if (!ok)
            return 0;
        /* Each segment: not empty, not starting with '.'. */
        if ((i == 0 || f[i - 1] == '/') && (c == '/' || c == '.'))
            return 0;
    }
    return f[n - 1] != '/';
}

int fn_index(struct fn_ctx *ctx, struct json_object *env,
             struct json_object *resp)
{
    static const char fname[] = "index";
    struct json_object *req = NULL;
    char path[PATH_MAX], real[PATH_MAX], root[PATH_MAX];
    FILE *f = NULL;
    struct buf b;
    buf_init(&b, MAX_FILE);
    if (fn_http_req(ctx, env, &req) < 0)
        return -1;
    const char *file = invoke_req_param(req, "file");
    if (!file || !*file)
        file = "index.html";
    if (!name_ok(file)) {
        fn_fail(resp, fname, 404, "no such file");
        goto out;
    }
    const char *type = type_of(file);
    if (!type) {
        fn_fail(resp, fname, 404, "no such file");
        goto out;
    }
    snprintf(path, sizeof path, "%s/%s", ctx->www_root, file);
    if (!realpath(ctx->www_root, root) || !realpath(path, real) ||
        strncmp(real, root, strlen(root)) != 0 ||
        real[strlen(root)] != '/') {
        fn_fail(resp, fname, 404, "no such file");
        goto out;
    }
    struct stat st;
    f = fopen(real, "rb");
    if (!f || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        fn_fail(resp, fname, 404, "no such file");
        goto out;
    }
    char chunk[8192];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf_append(&b, chunk, r) < 0) {
            fn_fail(resp, fname, 500, "file is over %u bytes", MAX_FILE);
            goto out;
        }
    }
    struct json_object *res = invoke_http_res(200, type, buf_cstr(&b), b.len);
    struct json_object *hdrs = json_object_object_get(res, "headers");
    json_object_object_add(hdrs, "Cache-Control",
                           json_object_new_string("no-cache"));
    json_object_object_add(hdrs, "X-Content-Type-Options",
                           json_object_new_string("nosniff"));
    invoke_resp_set_output(resp, "res", res);
    invoke_resp_log(resp, "%s: served %s (%zu bytes)", fname, file, b.len);
out:
    if (f)
        fclose(f);
    buf_release(&b);
    return 0;
}
