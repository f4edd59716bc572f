/* check.c - the preflight check of an app folder (see check.h). */
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fn.h"
#include "proto/connstr.h"
#include "routes.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"


#define BUNDLE_ID "Microsoft.Azure.Functions.ExtensionBundle"
#define CONNSTR_SETTING "AzureSignalRConnectionString"
/* host.json, function.json and local.settings.json are a few KB; anything
 * this large is not one of them. */
#define CHECK_MAX_FILE (1024u * 1024u)
#define CHECK_MAX_SETTINGS 8

struct check {
    const char *root; /* canonical app folder */
    FILE *out;
    unsigned passed;
    unsigned failed;
    /* connectionStringSetting names the SignalR bindings use (owned). */
    char *settings[CHECK_MAX_SETTINGS];
    size_t nsettings;
};

static void report(struct check *c, int ok, const char *fmt, va_list ap)
{
    fputs(ok ? "ok   " : "FAIL ", c->out);
    vfprintf(c->out, fmt, ap);
    fputc('\n', c->out);
    if (ok)
        c->passed++;
    else
        c->failed++;
}

static void pass(struct check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void pass(struct check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, 1, fmt, ap);
    va_end(ap);
}

static void fail(struct check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(struct check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, 0, fmt, ap);
    va_end(ap);
}

/* Parse the file at path as strict JSON (a UTF-8 BOM is skipped, as the
 * host does). Returns 0 with a new reference in *out, 1 when the file does
 * not exist, or -1 with the reason in err. */
static int read_json(const char *path, struct json_object **out, char *err,
                     size_t errlen)
{
    char chunk[4096];
    size_t n;
    int rc = -1;
    struct buf b;
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "cannot read it: %s", strerror(errno));
        return -1;
    }
    buf_init(&b, CHECK_MAX_FILE);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf_append(&b, chunk, n) < 0) {
            snprintf(err, errlen, "larger than %u bytes", CHECK_MAX_FILE);
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

/* A JSON boolean true, or the string "true" (the host's configuration
 * binder accepts both). */
static int is_true(struct json_object *v)
{
    if (json_object_is_type(v, json_type_boolean))
        return json_object_get_boolean(v);
    return json_object_is_type(v, json_type_string) &&
           strcasecmp(json_object_get_string(v), "true") == 0;
}

static int is_exec_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, X_OK) == 0;
}

/* When defaultExecutablePath names nothing, point at an executable that is
 * there (in the app folder or its bin/), so the fix is obvious. */
static void suggest_exe(const struct check *c, char *hint, size_t len)
{
    static const char *const dirs[] = {"bin", ""};
    hint[0] = '\0';
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0] && !hint[0]; d++) {
        char *dir = xasprintf("%s/%s", c->root, dirs[d]);
        struct dirent **ents = NULL;
        int n = scandir(dir, &ents, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            char *p = xasprintf("%s/%s", dir, ents[i]->d_name);
            if (!hint[0] && ents[i]->d_name[0] != '.' && is_exec_file(p))
                snprintf(hint, len, " (there is an executable at '%s%s%s')",
                         dirs[d], dirs[d][0] ? "/" : "", ents[i]->d_name);
            free(p);
            free(ents[i]);
        }
        free(ents);
        free(dir);
    }
}

/* The executable the host will start exists and may be run. (What it
 * needs to start is not checked here: the published handler is one static
 * executable, and the loader names a missing library itself.) */
static void check_exe(struct check *c, const char *rel)
{
    struct stat st;
    char hint[PATH_MAX + 64];
    char *p = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", c->root, rel);
    if (stat(p, &st) < 0) {
        suggest_exe(c, hint, sizeof hint);
        fail(c,
             "executable: defaultExecutablePath '%s' does not exist in the "
             "app folder%s; fix: build it (make publish builds dist/) or "
             "correct customHandler.description.defaultExecutablePath in "
             "host.json",
             rel, hint);
        free(p);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(c,
             "executable: '%s' is not a regular file; fix: point "
             "defaultExecutablePath at the handler binary",
             rel);
        free(p);
        return;
    }
    if (access(p, X_OK) < 0) {
        fail(c,
             "executable: '%s' is not executable (mode %04o): the host "
             "cannot start it; fix: chmod +x %s, and build the zip on Linux "
             "(make publish, then publish from dist/) so it keeps the bit",
             rel, (unsigned)(st.st_mode & 07777), rel);
        free(p);
        return;
    }
    pass(c, "executable: %s exists and is executable", rel);
    free(p);
}

/* host.json, and the executable it names. */
static void check_host(struct check *c)
{
    char err[256];
    struct json_object *h = NULL;
    char *path = xasprintf("%s/host.json", c->root);
    int rc = read_json(path, &h, err, sizeof err);
    if (rc == 1) {
        fail(c,
             "host.json: not found in %s; fix: run from the app folder or "
             "pass --app DIR",
             c->root);
        goto out;
    }
    if (rc < 0) {
        fail(c, "host.json: not valid JSON (%s); fix: correct the file", err);
        goto out;
    }
    if (!json_object_is_type(h, json_type_object)) {
        fail(c, "host.json: not a JSON object; fix: see the app's host.json");
        goto out;
    }

    const char *v = jsonx_str(h, "version");
    if (!v || strcmp(v, "2.0") != 0)
        fail(c,
             "host.json: version is %s%.16s%s, the Functions v4 host needs "
             "\"2.0\"; fix: set \"version\": \"2.0\"",
             v ? "'" : "", v ? v : "missing", v ? "'" : "");
    else
        pass(c, "host.json: valid JSON, version 2.0");

    struct json_object *eb = jsonx_get_ci(h, "extensionBundle");
    const char *id = jsonx_str(eb, "id");
    const char *ver = jsonx_str(eb, "version");
    if (!eb || !id || strcmp(id, BUNDLE_ID) != 0 || !ver || !*ver)
        fail(c,
             "host.json: %s: the host would not load the SignalR "
             "bindings; fix: \"extensionBundle\": {\"id\": \"" BUNDLE_ID
             "\", \"version\": \"[4.*, 5.0.0)\"}",
             !eb   ? "no extensionBundle"
             : !id ? "extensionBundle has no id"
             : strcmp(id, BUNDLE_ID) != 0
                 ? "extensionBundle.id is not " BUNDLE_ID
                 : "extensionBundle has no version");
    else
        pass(c, "host.json: extension bundle %s %.40s", id, ver);

    struct json_object *ch = jsonx_get_ci(h, "customHandler");
    if (!json_object_is_type(ch, json_type_object)) {
        fail(c, "host.json: no customHandler section: the host would not "
                "start the handler; fix: \"customHandler\": {\"description\":"
                " {\"defaultExecutablePath\": \"bin/handler\"}, "
                "\"enableForwardingHttpRequest\": false}");
        goto out;
    }
    if (is_true(jsonx_get_ci(ch, "enableForwardingHttpRequest")))
        fail(c, "host.json: enableForwardingHttpRequest is true: the host "
                "would forward raw HTTP requests to functions with only http "
                "bindings (index), but the handler reads invocation "
                "envelopes; fix: set it to false");
    else
        pass(c, "host.json: enableForwardingHttpRequest is false: every "
                "function gets an invocation envelope");

    const char *rel =
        jsonx_str(jsonx_get_ci(ch, "description"), "defaultExecutablePath");
    if (!rel || !*rel) {
        fail(c, "host.json: customHandler.description.defaultExecutablePath "
                "is missing; fix: set it to \"bin/handler\"");
        goto out;
    }
    check_exe(c, rel);
out:
    json_object_put(h);
    free(path);
}

/* The binding of fj named name (exact), or NULL. */
static struct json_object *binding(struct json_object *bindings,
                                   const char *name)
{
    for (size_t i = 0; i < json_object_array_length(bindings); i++) {
        struct json_object *b = json_object_array_get_idx(bindings, i);
        const char *n = jsonx_str(b, "name");
        if (n && strcmp(n, name) == 0)
            return b;
    }
    return NULL;
}

static int is_negotiate(const struct route *r)
{
    return r->fn == fn_negotiate || r->fn == fn_user_negotiate;
}

/* Check that fj declares binding `name` of `type` and `direction`; add the
 * problem to why when it does not. */
static void want_binding(struct json_object *bindings, const char *name,
                         const char *type, const char *direction,
                         struct buf *why)
{
    struct json_object *b = binding(bindings, name);
    const char *t = jsonx_str(b, "type");
    const char *d = jsonx_str(b, "direction");
    if (!b)
        buf_printf(why, "%sno %s binding named '%s' (the handler %s %s.%s)",
                   why->len ? "; " : "", direction, name,
                   strcmp(direction, "in") == 0 ? "reads" : "fills",
                   strcmp(direction, "in") == 0 ? "Data" : "Outputs", name);
    else if (!t || strcasecmp(t, type) != 0)
        buf_printf(why, "%sbinding '%s' has type '%.40s', the handler needs "
                        "'%s'",
                   why->len ? "; " : "", name, t ? t : "(none)", type);
    else if (!d || strcasecmp(d, direction) != 0)
        buf_printf(why, "%sbinding '%s' has direction '%.16s', the handler "
                        "needs '%s'",
                   why->len ? "; " : "", name, d ? d : "(none)", direction);
}

static void add_setting(struct check *c, const char *name)
{
    for (size_t i = 0; i < c->nsettings; i++)
        if (strcmp(c->settings[i], name) == 0)
            return;
    if (c->nsettings < CHECK_MAX_SETTINGS)
        c->settings[c->nsettings++] = xstrdup(name);
}

/* What route r needs from its function.json, for the fix text. */
static void describe_route(const struct route *r, struct buf *b)
{
    char outs[128];
    int signalr = is_negotiate(r);
    buf_printf(b, "%s '%s' in", r->trigger, r->trigger_name);
    if (r->category)
        buf_printf(b, " (category '%s', event '%s')", r->category, r->event);
    if (is_negotiate(r))
        buf_puts(b, ", signalRConnectionInfo 'connectionInfo' in");
    snprintf(outs, sizeof outs, "%s", r->outputs);
    for (char *save = NULL, *o = strtok_r(outs, " ", &save); o;
         o = strtok_r(NULL, " ", &save)) {
        signalr |= strcmp(o, "res") != 0;
        buf_printf(b, ", %s '%s' out",
                   strcmp(o, "res") == 0 ? "http" : "signalR", o);
    }
    if (signalr)
        buf_printf(b, ", hub '%s'", FN_HUB);
}

/* One function folder against its route. */
static void check_function(struct check *c, const char *name,
                           const struct route *r, const char *path)
{
    char err[256], outs[128];
    struct json_object *fj = NULL;
    struct buf why, want;
    buf_init(&why, 4096);
    buf_init(&want, 1024);
    int rc = read_json(path, &fj, err, sizeof err);
    if (rc != 0) {
        fail(c, "function %s: %s/function.json is not valid JSON (%s); fix: "
                "correct the file",
             name, name, rc == 1 ? "vanished" : err);
        goto out;
    }
    if (!r) {
        fail(c,
             "function %s: no route in the handler: the host would call "
             "POST /%s and get 404; fix: add a row to src/handler/routes.c "
             "or remove the folder",
             name, name);
        goto out;
    }
    struct json_object *bindings = jsonx_get_ci(fj, "bindings");
    describe_route(r, &want);
    if (!json_object_is_type(bindings, json_type_array)) {
        fail(c, "function %s: function.json has no \"bindings\" array; fix: "
                "declare %s",
             name, buf_cstr(&want));
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(bindings); i++) {
        struct json_object *b = json_object_array_get_idx(bindings, i);
        if (!jsonx_str(b, "name") || !jsonx_str(b, "type") ||
            !jsonx_str(b, "direction"))
            buf_printf(&why, "%sbinding #%zu lacks a name, type or direction",
                       why.len ? "; " : "", i + 1);
    }

    want_binding(bindings, r->trigger_name, r->trigger, "in", &why);
    if (r->category) {
        /* The service's upstream call reaches this function only when its
         * trigger names the same category and event (case-insensitive). */
        struct json_object *tb = binding(bindings, r->trigger_name);
        const char *cat = jsonx_str(tb, "category");
        const char *ev = jsonx_str(tb, "event");
        if (tb && (!cat || strcasecmp(cat, r->category) != 0))
            buf_printf(&why, "%sbinding '%s' has category '%.40s', the "
                             "handler handles '%s'",
                       why.len ? "; " : "", r->trigger_name,
                       cat ? cat : "(none)", r->category);
        if (tb && (!ev || strcasecmp(ev, r->event) != 0))
            buf_printf(&why, "%sbinding '%s' has event '%.40s', the "
                             "handler handles '%s'",
                       why.len ? "; " : "", r->trigger_name,
                       ev ? ev : "(none)", r->event);
    }
    snprintf(outs, sizeof outs, "%s", r->outputs);
    for (char *save = NULL, *o = strtok_r(outs, " ", &save); o;
         o = strtok_r(NULL, " ", &save))
        want_binding(bindings, o, strcmp(o, "res") == 0 ? "http" : "signalR",
                     "out", &why);
    if (is_negotiate(r)) {
        want_binding(bindings, "connectionInfo", "signalRConnectionInfo",
                     "in", &why);
        const char *uid = jsonx_str(binding(bindings, "connectionInfo"),
                                    "userId");
        if (r->fn == fn_user_negotiate && (!uid || !*uid))
            buf_printf(&why, "%sbinding 'connectionInfo' has no userId, so "
                             "user-targeted messages never reach its "
                             "clients (use "
                             "\"{headers.x-ms-client-principal-id}\")",
                       why.len ? "; " : "");
    }
    /* Every SignalR binding talks to the hub the handler's messages are
     * for, through a connection string setting checked below. */
    for (size_t i = 0; i < json_object_array_length(bindings); i++) {
        struct json_object *b = json_object_array_get_idx(bindings, i);
        const char *t = jsonx_str(b, "type");
        if (!t || strncasecmp(t, "signalR", 7) != 0)
            continue;
        const char *hub = jsonx_str(b, "hubName");
        const char *set = jsonx_str(b, "connectionStringSetting");
        if (!hub || strcasecmp(hub, FN_HUB) != 0)
            buf_printf(&why, "%sbinding '%.40s' has hubName '%.40s', the "
                             "handler's hub is '%s'",
                       why.len ? "; " : "", jsonx_str(b, "name"),
                       hub ? hub : "(none)", FN_HUB);
        add_setting(c, set && *set ? set : CONNSTR_SETTING);
    }

    if (why.len)
        fail(c, "function %s: %s; fix: %s/function.json must declare %s",
             name, buf_cstr(&why), name, buf_cstr(&want));
    else
        pass(c, "function %s: route and bindings match (%s)", name,
             buf_cstr(&want));
out:
    buf_release(&why);
    buf_release(&want);
    json_object_put(fj);
}

/* Every top-level folder with a function.json has a route, and every
 * route a folder. */
static void check_functions(struct check *c)
{
    size_t nroutes = 0;
    const struct route *rows = routes_all(&nroutes);
    unsigned char *seen = xcalloc(nroutes ? nroutes : 1, 1);
    struct dirent **ents = NULL;
    struct stat st;
    int n = scandir(c->root, &ents, NULL, alphasort);
    if (n < 0)
        fail(c, "app folder: cannot list %s: %s", c->root, strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        char *fjpath = xasprintf("%s/%s/function.json", c->root, name);
        if (name[0] != '.' && stat(fjpath, &st) == 0 && S_ISREG(st.st_mode)) {
            const struct route *r = routes_find(name);
            if (r)
                seen[r - rows] = 1;
            check_function(c, name, r, fjpath);
        }
        free(fjpath);
        free(ents[i]);
    }
    free(ents);
    for (size_t i = 0; i < nroutes; i++)
        if (!seen[i])
            fail(c,
                 "function %s: the handler has a route but there is no "
                 "%s/function.json, so the host never calls it; fix: restore "
                 "the folder (or remove the route)",
                 rows[i].name, rows[i].name);
    free(seen);
}

static void check_connstr(struct check *c, const char *where,
                          const char *name, const char *value)
{
    char err[256];
    struct connstr cs;
    /* connstr_parse never puts the key in err; we never print value. */
    if (connstr_parse(value, &cs, err, sizeof err) < 0) {
        fail(c,
             "%s: %s does not parse: %s; fix: copy it from `az signalr key "
             "list --query primaryConnectionString`",
             where, name, err);
        return;
    }
    char *url = connstr_client_url(&cs, FN_HUB);
    pass(c, "%s: %s parses; clients will connect to %s", where, name, url);
    free(url);
    connstr_release(&cs);
}

/* local.settings.json when present; else the environment, which is where
 * app settings are in Azure. */
static void check_settings(struct check *c)
{
    char err[256];
    struct json_object *ls = NULL;
    char *path = xasprintf("%s/local.settings.json", c->root);
    if (c->nsettings == 0)
        add_setting(c, CONNSTR_SETTING);
    int rc = read_json(path, &ls, err, sizeof err);
    if (rc == 1) {
        for (size_t i = 0; i < c->nsettings; i++) {
            const char *v = getenv(c->settings[i]);
            if (v)
                check_connstr(c, "environment", c->settings[i], v);
            else
                pass(c,
                     "settings: no local.settings.json and no %s in the "
                     "environment (in Azure, set it as an app setting)",
                     c->settings[i]);
        }
        goto out;
    }
    if (rc < 0) {
        fail(c, "local.settings.json: not valid JSON (%s); fix: correct the "
                "file",
             err);
        goto out;
    }
    struct json_object *values = jsonx_get_ci(ls, "Values");
    if (!json_object_is_type(values, json_type_object)) {
        fail(c, "local.settings.json: no \"Values\" object; fix: add "
                "\"Values\": {\"FUNCTIONS_WORKER_RUNTIME\": \"custom\", ...}");
        goto out;
    }
    const char *rt = jsonx_str(values, "FUNCTIONS_WORKER_RUNTIME");
    if (!rt || strcasecmp(rt, "custom") != 0)
        fail(c,
             "local.settings.json: FUNCTIONS_WORKER_RUNTIME is %s%.32s%s, a "
             "custom handler needs 'custom'; fix: set it to \"custom\"",
             rt ? "'" : "", rt ? rt : "missing", rt ? "'" : "");
    else
        pass(c, "local.settings.json: FUNCTIONS_WORKER_RUNTIME is custom");
    for (size_t i = 0; i < c->nsettings; i++) {
        const char *v = jsonx_str(values, c->settings[i]);
        if (!v)
            fail(c,
                 "local.settings.json: %s is not set, and the SignalR "
                 "bindings read it; fix: add it to Values",
                 c->settings[i]);
        else
            check_connstr(c, "local.settings.json", c->settings[i], v);
    }
out:
    json_object_put(ls);
    free(path);
}

unsigned check_app(const char *root, FILE *out)
{
    char real[PATH_MAX];
    struct check c = {.root = real, .out = out};
    if (!realpath(root, real)) {
        c.root = root;
        fail(&c, "app folder %s: %s; fix: pass --app DIR with the folder "
                 "that holds host.json",
             root, strerror(errno));
        return c.failed;
    }
    check_host(&c);
    check_functions(&c);
    check_settings(&c);
    for (size_t i = 0; i < c.nsettings; i++)
        free(c.settings[i]);
    fprintf(out, "%u passed, %u failed\n", c.passed, c.failed);
    return c.failed;
}

int check_default_root(char *dir, size_t dirlen, char *err, size_t errlen)
{
    const char *env = getenv("FUNCTIONS_APP_ROOT_PATH");
    if (env && *env) {
        snprintf(dir, dirlen, "%s", env);
        return 0;
    }
    if (access("host.json", F_OK) == 0 && getcwd(dir, dirlen))
        return 0;
    snprintf(err, errlen,
             "no app folder: FUNCTIONS_APP_ROOT_PATH is not set and the "
             "current directory has no host.json (pass --app DIR)");
    return -1;
}

int check_main(int argc, char **argv)
{
    char dir[PATH_MAX], err[256];
    const char *root = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--app") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (strncmp(argv[i], "--app=", 6) == 0)
            root = argv[i] + 6;
        else {
            log_error("--check: unexpected argument '%.64s' (usage: handler "
                      "--check [--app DIR])",
                      argv[i]);
            return 1;
        }
    }
    if (!root) {
        if (check_default_root(dir, sizeof dir, err, sizeof err) < 0) {
            log_error("--check: %s", err);
            return 1;
        }
        root = dir;
    }
    printf("checking the app folder %s\n", root);
    return check_app(root, stdout) ? 1 : 0;
}
