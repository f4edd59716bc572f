/* preflight.c - the preflight check of an app folder (see preflight.h). */
#include "host/preflight.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "proto/connstr.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/jsonfile.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define BUNDLE_ID "Microsoft.Azure.Functions.ExtensionBundle"
#define CONNSTR_SETTING "AzureSignalRConnectionString"
#define CHECK_MAX_SETTINGS 8
/* handler --describe: its answer is a few hundred bytes, at once. */
#define PREFLIGHT_DESCRIBE_MAX (1024u * 1024u)
#define PREFLIGHT_DESCRIBE_MS 5000

struct check {
    const char *root; /* canonical app folder */
    FILE *out;
    unsigned passed;
    unsigned failed;
    /* connectionStringSetting names the SignalR bindings use (owned). */
    char *settings[CHECK_MAX_SETTINGS];
    size_t nsettings;
    char hub[128]; /* the hub the app's SignalR bindings name, or "" */
    char *exe;     /* the handler, when it exists and may be run */
    int has_args;  /* host.json gives it arguments (node server.js, ...) */
    /* What the handler says it serves (--describe): its functions and the
     * trigger each is written for; NULL when it cannot say. */
    struct json_object *described;
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
    c->exe = p;
}

/* host.json, and the executable it names. */
static void check_host(struct check *c)
{
    char err[256];
    struct json_object *h = NULL;
    char *path = xasprintf("%s/host.json", c->root);
    int rc = jsonfile_read(path, &h, err, sizeof err);
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
    struct json_object *args =
        jsonx_get_ci(jsonx_get_ci(ch, "description"), "arguments");
    c->has_args = json_object_is_type(args, json_type_array) &&
                  json_object_array_length(args) > 0;
    check_exe(c, rel);
out:
    json_object_put(h);
    free(path);
}

static void add_setting(struct check *c, const char *name)
{
    for (size_t i = 0; i < c->nsettings; i++)
        if (strcmp(c->settings[i], name) == 0)
            return;
    if (c->nsettings < CHECK_MAX_SETTINGS)
        c->settings[c->nsettings++] = xstrdup(name);
}

/* A SignalR binding names its hub (one hub for the app), and its
 * connection string setting is checked with the settings. */
static void check_signalr_binding(struct check *c, struct json_object *b,
                                  struct buf *why)
{
    const char *hub = jsonx_str(b, "hubName");
    const char *set = jsonx_str(b, "connectionStringSetting");
    if (!hub || !*hub)
        buf_printf(why, "%sbinding '%.40s' has no hubName",
                   why->len ? "; " : "", jsonx_str(b, "name"));
    else if (!c->hub[0])
        snprintf(c->hub, sizeof c->hub, "%s", hub);
    else if (strcasecmp(hub, c->hub) != 0)
        buf_printf(why,
                   "%sbinding '%.40s' has hubName '%.40s', the app's "
                   "other SignalR bindings use '%s'",
                   why->len ? "; " : "", jsonx_str(b, "name"), hub, c->hub);
    add_setting(c, set && *set ? set : CONNSTR_SETTING);
}

/* A signalRTrigger reaches the function only when it names its category
 * and event (the service's upstream calls carry both). */
static void check_signalr_trigger(struct json_object *b, struct buf *why)
{
    const char *cat = jsonx_str(b, "category");
    const char *ev = jsonx_str(b, "event");
    if (!cat || (strcasecmp(cat, "messages") && strcasecmp(cat, "connections")))
        buf_printf(why,
                   "%sbinding '%.40s' has category '%.40s': it must be "
                   "'messages' or 'connections'",
                   why->len ? "; " : "", jsonx_str(b, "name"),
                   cat ? cat : "(none)");
    if (!ev || !*ev)
        buf_printf(why,
                   "%sbinding '%.40s' names no event (a hub method, or "
                   "connected/disconnected)",
                   why->len ? "; " : "", jsonx_str(b, "name"));
}

/* What the handler says it serves: `handler --describe` (the runtime's
 * {"functions": [{"name", "trigger"}]}), run in the app folder with a
 * clean environment, bounded in time and size. NULL when it cannot say:
 * it takes arguments (an interpreter), it is not ours, it fails. */
static struct json_object *describe(const char *root, const char *exe)
{
    int p[2], status = 0;
    pid_t pid;
    char *const argv[] = {(char *)exe, (char *)"--describe", NULL};
    char *const envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    if (pipe2(p, O_CLOEXEC) < 0)
        return NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, root);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    /* Its own process group: whatever it starts is stopped with it. */
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    int e = posix_spawn(&pid, exe, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(p[1]);
    if (e) {
        close(p[0]);
        return NULL;
    }
    struct buf out;
    buf_init(&out, PREFLIGHT_DESCRIBE_MAX);
    long long t0 = clock_mono_ms();
    int ok = 1, exited = 0;
    for (;;) {
        char chunk[4096];
        long left = PREFLIGHT_DESCRIBE_MS - (clock_mono_ms() - t0);
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        int r = left > 0 ? poll(&pf, 1, (int)left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        ssize_t n = r > 0 ? read(p[0], chunk, sizeof chunk) : -1;
        if (n < 0 && r > 0 && errno == EINTR)
            continue;
        if (r <= 0 || n < 0 ||
            (n > 0 && buf_append(&out, chunk, (size_t)n) < 0)) {
            ok = 0; /* too slow, unreadable or too large */
            break;
        }
        if (n == 0)
            break;
    }
    close(p[0]);
    /* It closed its output: it has the rest of the time to exit. */
    while (ok && !exited && (clock_mono_ms() - t0) < PREFLIGHT_DESCRIBE_MS) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            exited = 1;
        else if (w < 0 && errno != EINTR)
            break;
        else
            clock_sleep_ms(5);
    }
    if (!exited) {
        ok = 0;
        kill(-pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    struct json_object *d = NULL;
    char err[160];
    if (ok && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
        jsonx_parse(buf_cstr(&out), out.len, &d, err, sizeof err) == 0 &&
        !json_object_is_type(jsonx_get_ci(d, "functions"), json_type_array)) {
        json_object_put(d);
        d = NULL;
    }
    buf_release(&out);
    return d;
}

/* The trigger the handler's code for name is written for (exact name,
 * then case-insensitive, as the host matches names), or NULL. */
static const char *described_trigger(const struct check *c, const char *name,
                                     size_t *index)
{
    struct json_object *fns = jsonx_get_ci(c->described, "functions");
    size_t n = fns ? json_object_array_length(fns) : 0;
    for (int pass_ = 0; pass_ < 2; pass_++)
        for (size_t i = 0; i < n; i++) {
            struct json_object *f = json_object_array_get_idx(fns, i);
            const char *fname = jsonx_str(f, "name");
            if (fname &&
                (pass_ ? strcasecmp(fname, name) : strcmp(fname, name)) == 0) {
                *index = i;
                return jsonx_str(f, "trigger");
            }
        }
    return NULL;
}

/* One function folder: well-formed bindings and, when the handler
 * describes itself, the code registered under its name (want: the trigger
 * that code is written for; NULL when there is none). */
static void check_function(struct check *c, const char *name, const char *want,
                           const char *path)
{
    char err[256];
    struct json_object *fj = NULL, *trigger = NULL;
    struct buf why;
    buf_init(&why, 4096);
    int rc = jsonfile_read(path, &fj, err, sizeof err);
    if (rc != 0) {
        fail(c,
             "function %s: %s/function.json is not valid JSON (%s); fix: "
             "correct the file",
             name, name, rc == 1 ? "vanished" : err);
        goto out;
    }
    if (c->described && !want) {
        fail(c,
             "function %s: the handler has no code for it: the host would "
             "call POST /%s and get 404; fix: add src/app/%s.c registering "
             "it (AZF_FUNCTION) or remove the folder",
             name, name, name);
        goto out;
    }
    struct json_object *bindings = jsonx_get_ci(fj, "bindings");
    if (!json_object_is_type(bindings, json_type_array)) {
        fail(c,
             "function %s: function.json has no \"bindings\" array; fix: "
             "declare its trigger and outputs",
             name);
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(bindings); i++) {
        struct json_object *b = json_object_array_get_idx(bindings, i);
        const char *t = jsonx_str(b, "type");
        const char *d = jsonx_str(b, "direction");
        if (!jsonx_str(b, "name") || !t || !d) {
            buf_printf(&why, "%sbinding #%zu lacks a name, type or direction",
                       why.len ? "; " : "", i + 1);
            continue;
        }
        size_t tl = strlen(t);
        if (!trigger && strcasecmp(d, "in") == 0 && tl > 7 &&
            strcasecmp(t + tl - 7, "Trigger") == 0)
            trigger = b;
        if (strncasecmp(t, "signalR", 7) == 0)
            check_signalr_binding(c, b, &why);
        if (strcasecmp(t, "signalRTrigger") == 0)
            check_signalr_trigger(b, &why);
    }
    const char *tt = jsonx_str(trigger, "type");
    if (!trigger)
        buf_printf(&why, "%sno trigger binding", why.len ? "; " : "");
    else if (want && strcasecmp(tt, want) != 0)
        buf_printf(&why,
                   "%sbinding '%.40s' has type '%.40s', the handler's "
                   "code is written for a %s",
                   why.len ? "; " : "", jsonx_str(trigger, "name"), tt, want);

    if (why.len)
        fail(c, "function %s: %s; fix: correct %s/function.json", name,
             buf_cstr(&why), name);
    else if (want)
        pass(c, "function %s: a %s '%s', as the handler's code expects", name,
             tt, jsonx_str(trigger, "name"));
    else
        pass(c, "function %s: a %s '%s'", name, tt, jsonx_str(trigger, "name"));
out:
    buf_release(&why);
    json_object_put(fj);
}

/* Every top-level folder with a function.json, and, when the handler
 * describes itself, its code for each and a folder for all its code. */
static void check_functions(struct check *c)
{
    if (c->exe && !c->has_args)
        c->described = describe(c->root, c->exe);
    if (c->described)
        pass(c, "handler: describes its functions (--describe): folders "
                "and code are compared");
    else if (c->exe)
        pass(c, "handler: does not describe its functions (--describe): "
                "folders are checked alone");
    struct json_object *fns = jsonx_get_ci(c->described, "functions");
    size_t nfns = fns ? json_object_array_length(fns) : 0;
    unsigned char *seen = xcalloc(nfns ? nfns : 1, 1);
    struct dirent **ents = NULL;
    struct stat st;
    int n = scandir(c->root, &ents, NULL, alphasort);
    if (n < 0)
        fail(c, "app folder: cannot list %s: %s", c->root, strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        char *fjpath = xasprintf("%s/%s/function.json", c->root, name);
        if (name[0] != '.' && stat(fjpath, &st) == 0 && S_ISREG(st.st_mode)) {
            size_t k = 0;
            const char *want = described_trigger(c, name, &k);
            if (want)
                seen[k] = 1;
            check_function(c, name, want, fjpath);
        }
        free(fjpath);
        free(ents[i]);
    }
    free(ents);
    for (size_t i = 0; i < nfns; i++) {
        const char *fname =
            jsonx_str(json_object_array_get_idx(fns, i), "name");
        if (!seen[i] && fname)
            fail(c,
                 "function %s: the handler has code for it but there is no "
                 "%s/function.json, so the host never calls it; fix: restore "
                 "the folder (or remove the code)",
                 fname, fname);
    }
    free(seen);
}

static void check_connstr(struct check *c, const char *where, const char *name,
                          const char *value)
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
    char *url = connstr_client_url(&cs, c->hub[0] ? c->hub : "{hub}");
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
    int rc = jsonfile_read(path, &ls, err, sizeof err);
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
        fail(c,
             "local.settings.json: not valid JSON (%s); fix: correct the "
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

unsigned preflight_app(const char *root, FILE *out)
{
    char real[PATH_MAX];
    struct check c = {.root = real, .out = out};
    if (!realpath(root, real)) {
        c.root = root;
        fail(&c,
             "app folder %s: %s; fix: pass --app DIR with the folder "
             "that holds host.json",
             root, strerror(errno));
        return c.failed;
    }
    check_host(&c);
    check_functions(&c);
    check_settings(&c);
    for (size_t i = 0; i < c.nsettings; i++)
        free(c.settings[i]);
    free(c.exe);
    json_object_put(c.described);
    fprintf(out, "%u passed, %u failed\n", c.passed, c.failed);
    return c.failed;
}

int preflight_default_root(char *dir, size_t dirlen, char *err, size_t errlen)
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

int preflight_main(int argc, char **argv)
{
    char dir[PATH_MAX], err[256];
    const char *root = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--app") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (strncmp(argv[i], "--app=", 6) == 0)
            root = argv[i] + 6;
        else {
            log_error("--check: unexpected argument '%.64s' (usage: "
                      "func-local --check [--app DIR])",
                      argv[i]);
            return 1;
        }
    }
    if (!root) {
        if (preflight_default_root(dir, sizeof dir, err, sizeof err) < 0) {
            log_error("--check: %s", err);
            return 1;
        }
        root = dir;
    }
    printf("checking the app folder %s\n", root);
    return preflight_app(root, stdout) ? 1 : 0;
}
