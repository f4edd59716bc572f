/* hdesc.c - the handler's description and command line (see hdesc.h). */
#include "hdesc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

static char **free_vec_n(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return NULL;
}

/* A JSON array of strings (key absent: empty). */
static int load_list(struct json_object *desc, const char *key, char ***out,
                     size_t *n, const char *section, char *err, size_t errlen)
{
    struct json_object *a = jsonx_get_ci(desc, key);
    *out = NULL;
    *n = 0;
    if (a && !json_object_is_type(a, json_type_array)) {
        snprintf(err, errlen,
                 "host.json: %s.description.%s: must be an array of "
                 "strings",
                 section, key);
        return -1;
    }
    size_t na = a ? json_object_array_length(a) : 0;
    *out = xcalloc(na + 1, sizeof **out);
    for (size_t i = 0; i < na; i++) {
        struct json_object *s = json_object_array_get_idx(a, i);
        if (!json_object_is_type(s, json_type_string)) {
            snprintf(err, errlen,
                     "host.json: %s.description.%s[%zu]: must be a string",
                     section, key, i);
            *out = free_vec_n(*out, *n);
            *n = 0;
            return -1;
        }
        (*out)[(*n)++] = xstrdup(json_object_get_string(s));
    }
    return 0;
}

/* A folder setting: absolute as written, else under root; default root. */
static char *folder(struct json_object *desc, const char *key, const char *root)
{
    const char *v = jsonx_str(desc, key);
    if (!v || !*v)
        return xstrdup(root);
    if (v[0] == '/')
        return xstrdup(v);
    return xasprintf("%s/%s", root, v);
}

/* enableForwardingHttpRequest: a boolean, or its text as the
 * configuration binder reads it. */
static int load_forwarding(struct json_object *sec, const char *section,
                           int *out, char *err, size_t errlen)
{
    struct json_object *v = jsonx_get_ci(sec, "enableForwardingHttpRequest");
    *out = 0;
    if (!v)
        return 0;
    if (json_object_is_type(v, json_type_boolean)) {
        *out = json_object_get_boolean(v);
        return 0;
    }
    const char *s = json_object_is_type(v, json_type_string)
                        ? json_object_get_string(v)
                        : NULL;
    if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "false"))) {
        *out = !strcasecmp(s, "true");
        return 0;
    }
    snprintf(err, errlen,
             "host.json: %s.enableForwardingHttpRequest: must be true or "
             "false",
             section);
    return -1;
}

int hdesc_load(struct json_object *host_json, const char *root, struct hdesc *d,
               char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    struct json_object *ch = jsonx_get_ci(host_json, "customHandler");
    struct json_object *hw = jsonx_get_ci(host_json, "httpWorker");
    struct json_object *sec = ch ? ch : hw;
    const char *section = ch ? "customHandler" : "httpWorker";
    if (!sec) {
        snprintf(err, errlen,
                 "host.json: customHandler: missing (this host only runs "
                 "custom-handler apps: customHandler, or the legacy "
                 "httpWorker)");
        return -1;
    }
    d->section = ch ? HDESC_CUSTOM_HANDLER : HDESC_HTTP_WORKER;
    d->both_sections = ch && hw;
    struct json_object *desc = jsonx_get_ci(sec, "description");
    if (!desc || !json_object_is_type(desc, json_type_object)) {
        snprintf(err, errlen,
                 "host.json: %s.description: missing (Missing worker "
                 "Description.)",
                 section);
        return -1;
    }
    const char *exe = jsonx_str(desc, "defaultExecutablePath");
    if (!exe || !*exe) {
        snprintf(err, errlen,
                 "host.json: %s.description.defaultExecutablePath: missing "
                 "or empty (WorkerDescription DefaultExecutablePath cannot "
                 "be empty)",
                 section);
        return -1;
    }
    if (jsonx_has_ci(desc, "defaultWorkerPath") &&
        !jsonx_str(desc, "defaultWorkerPath") &&
        !json_object_is_type(jsonx_get_ci(desc, "defaultWorkerPath"),
                             json_type_null)) {
        snprintf(err, errlen,
                 "host.json: %s.description.defaultWorkerPath: must be a "
                 "string",
                 section);
        return -1;
    }
    if (load_forwarding(sec, section, &d->forwarding, err, errlen) < 0)
        return -1;
    if (load_list(desc, "arguments", &d->args, &d->nargs, section, err,
                  errlen) < 0)
        return -1;
    if (load_list(desc, "workerArguments", &d->worker_args, &d->nworker_args,
                  section, err, errlen) < 0) {
        hdesc_release(d);
        return -1;
    }
    d->exe = xstrdup(exe);
    const char *wp = jsonx_str(desc, "defaultWorkerPath");
    d->worker_path = wp && *wp ? xstrdup(wp) : NULL;
    d->worker_dir = folder(desc, "workerDirectory", root);
    d->workdir = folder(desc, "workingDirectory", root);
    return 0;
}

void hdesc_release(struct hdesc *d)
{
    free(d->exe);
    free(d->worker_path);
    free_vec_n(d->args, d->nargs);
    free_vec_n(d->worker_args, d->nworker_args);
    free(d->worker_dir);
    free(d->workdir);
    memset(d, 0, sizeof *d);
}

char *hdesc_expand(const char *s, hdesc_getenv env, void *ctx)
{
    struct buf out;
    size_t len = strlen(s), last = 0;
    buf_init(&out, (size_t)-1);
    while (last < len) {
        const char *next = strchr(s + last + 1, '%');
        if (!next)
            break;
        size_t pos = (size_t)(next - s);
        if (s[last] == '%') {
            char *name = xstrndup(s + last + 1, pos - last - 1);
            const char *v = env(ctx, name);
            free(name);
            if (v) {
                buf_puts(&out, v);
                last = pos + 1;
                continue;
            }
        }
        buf_append(&out, s + last, pos - last);
        last = pos;
    }
    buf_puts(&out, s + last);
    return buf_take(&out, NULL);
}

/* Remove what the regex %(.+?)% matches: the host drops variables it
 * could not resolve. */
static char *drop_unresolved(const char *s)
{
    struct buf out;
    buf_init(&out, (size_t)-1);
    for (size_t i = 0; s[i];) {
        size_t j = i + 2;
        if (s[i] == '%' && s[i + 1] && s[i + 1] != '\n') {
            while (s[j] && s[j] != '%' && s[j] != '\n')
                j++;
            if (s[j] == '%') {
                i = j + 1;
                continue;
            }
        }
        buf_append(&out, s + i, 1);
        i++;
    }
    return buf_take(&out, NULL);
}

char **hdesc_split(const char *line, size_t *n)
{
    size_t cap = 8, len = strlen(line);
    char **v = xcalloc(cap, sizeof *v);
    *n = 0;
    for (size_t i = 0; i < len; i++) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            break;
        struct buf arg;
        int quoted = 0;
        buf_init(&arg, (size_t)-1);
        while (i < len) {
            size_t bs = 0;
            while (i < len && line[i] == '\\') {
                i++;
                bs++;
            }
            if (bs) {
                size_t lit = (i < len && line[i] == '"') ? bs / 2 : bs;
                for (size_t k = 0; k < lit; k++)
                    buf_append(&arg, "\\", 1);
                if (i < len && line[i] == '"' && bs % 2) {
                    buf_append(&arg, "\"", 1);
                    i++;
                }
                continue;
            }
            char c = line[i];
            if (c == '"') {
                if (quoted && i + 1 < len && line[i + 1] == '"') {
                    buf_append(&arg, "\"", 1);
                    i++;
                } else {
                    quoted = !quoted;
                }
                i++;
                continue;
            }
            if ((c == ' ' || c == '\t') && !quoted)
                break;
            buf_append(&arg, &c, 1);
            i++;
        }
        if (*n + 2 > cap) {
            cap *= 2;
            v = xrealloc(v, cap * sizeof *v);
        }
        v[(*n)++] = buf_take(&arg, NULL);
    }
    v[*n] = NULL;
    return v;
}

char *hdesc_executable(const struct hdesc *d, const char *exe, hdesc_getenv env,
                       void *ctx)
{
    char *x = hdesc_expand(exe, env, ctx);
    if (x[0] == '/')
        return x;
    char *full = xasprintf("%s/%s", d->worker_dir, x);
    struct stat st;
    if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
        free(x);
        return full;
    }
    free(full);
    return x;
}

/* " " + piece with %NAME% expanded, as the host appends each one. */
static void put_expanded(struct buf *line, const char *pre, const char *piece,
                         const char *post, hdesc_getenv env, void *ctx)
{
    char *x = hdesc_expand(piece, env, ctx);
    buf_puts(line, pre);
    buf_puts(line, x);
    buf_puts(line, post);
    free(x);
}

char **hdesc_arguments(const struct hdesc *d, hdesc_getenv env, void *ctx)
{
    struct buf line;
    buf_init(&line, (size_t)-1);
    for (size_t i = 0; i < d->nargs; i++)
        put_expanded(&line, " ", d->args[i], "", env, ctx);
    if (d->worker_path)
        put_expanded(&line, " \"", d->worker_path, "\"", env, ctx);
    for (size_t i = 0; i < d->nworker_args; i++)
        put_expanded(&line, " ", d->worker_args[i], "", env, ctx);
    char *raw = buf_take(&line, NULL);
    char *clean = drop_unresolved(raw);
    size_t n;
    char **argv = hdesc_split(clean, &n);
    free(raw);
    free(clean);
    return argv;
}

void hdesc_free_argv(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}
