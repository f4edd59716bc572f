/* app.c - load and check the function app folder (see app.h). */
#include "app.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/ncrontab.h"
#include "host/route.h"
#include "host/storconn.h"
#include "util/jsonfile.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const struct {
    const char *name;
    unsigned bit;
} methods[] = {
    {"GET", APP_M_GET},         {"POST", APP_M_POST},   {"PUT", APP_M_PUT},
    {"DELETE", APP_M_DELETE},   {"PATCH", APP_M_PATCH}, {"HEAD", APP_M_HEAD},
    {"OPTIONS", APP_M_OPTIONS},
};

unsigned app_method_bit(const char *method)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcasecmp(method, methods[i].name) == 0)
            return methods[i].bit;
    return 0;
}

void app_methods_text(unsigned m, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    if (m == 0)
        m = APP_M_GET | APP_M_POST | APP_M_PUT | APP_M_DELETE | APP_M_PATCH |
            APP_M_HEAD | APP_M_OPTIONS;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (!(m & methods[i].bit))
            continue;
        int n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "",
                         methods[i].name);
        if (n < 0 || (size_t)n >= outlen - used)
            return;
        used += (size_t)n;
    }
}

/* Read and parse a JSON file that must hold an object. */
static int load_json(const char *path, const char *label,
                     struct json_object **out, char *err, size_t errlen)
{
    char why[200];
    int rc = jsonfile_load(path, 0, out, why, sizeof why);
    if (rc == 1) {
        snprintf(err, errlen, "%s: cannot open: %s", label, strerror(ENOENT));
        return -1;
    }
    if (rc == JSONFILE_SYNTAX) {
        snprintf(err, errlen, "%s: malformed JSON: %s", label, why);
        return -1;
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", label, why);
        return -1;
    }
    if (!*out || !json_object_is_type(*out, json_type_object)) {
        snprintf(err, errlen, "%s: the top level must be a JSON object", label);
        json_object_put(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* "hh:mm:ss", "d.hh:mm:ss" or "-1" → seconds (-1 unbounded). */
static int parse_timespan(const char *s, long *out)
{
    long ms = strcmp(s, "-1") == 0 ? -1000 : qopts_timespan_ms(s);
    if (ms < 0 && ms != -1000)
        return -1;
    *out = ms / 1000;
    return 0;
}

static int load_host_json(struct app *app, char *err, size_t errlen)
{
    struct json_object *root = NULL;
    char *path = xasprintf("%s/host.json", app->root);
    int rc = -1;
    if (load_json(path, "host.json", &root, err, errlen) < 0)
        goto out;
    if (hdesc_load(root, app->root, &app->handler, err, errlen) < 0)
        goto out;

    app->function_timeout_s = 30 * 60;
    struct json_object *ft = jsonx_get_ci(root, "functionTimeout");
    if (ft) {
        if (!json_object_is_type(ft, json_type_string) ||
            parse_timespan(json_object_get_string(ft),
                           &app->function_timeout_s) < 0) {
            snprintf(err, errlen,
                     "host.json: functionTimeout: expected a "
                     "time span such as \"00:05:00\" or \"-1\"");
            goto out;
        }
    }
    const char *prefix = NULL;
    struct json_object *ext = jsonx_get_ci(root, "extensions");
    struct json_object *http = jsonx_get_ci(ext, "http");
    if (http && jsonx_has_ci(http, "routePrefix")) {
        prefix = jsonx_str(http, "routePrefix");
        if (!prefix) {
            snprintf(err, errlen,
                     "host.json: extensions.http.routePrefix: "
                     "must be a string");
            goto out;
        }
    }
    if (!prefix)
        prefix = "api";
    while (*prefix == '/')
        prefix++;
    if (qopts_parse(jsonx_get_ci(ext, "queues"),
                    (int)sysconf(_SC_NPROCESSORS_ONLN), &app->queues, err,
                    errlen) < 0)
        goto out;
    app->route_prefix = xstrdup(prefix);
    size_t pl = strlen(app->route_prefix);
    while (pl > 0 && app->route_prefix[pl - 1] == '/')
        app->route_prefix[--pl] = '\0';
    rc = 0;
out:
    json_object_put(root);
    free(path);
    return rc;
}

/* Values: the app settings, name/value strings (numbers and booleans
 * as their JSON text, null as ""). */
static int load_values(struct app *app, struct json_object *vals, char *err,
                       size_t errlen)
{
    if (!vals)
        return 0;
    if (!json_object_is_type(vals, json_type_object)) {
        snprintf(err, errlen,
                 "local.settings.json: Values: must be an "
                 "object of name/value strings");
        return -1;
    }
    size_t n = (size_t)json_object_object_length(vals);
    app->values = xcalloc(n + 1, sizeof *app->values);
    json_object_object_foreach(vals, k, v)
    {
        const char *text;
        if (json_object_is_type(v, json_type_string) ||
            json_object_is_type(v, json_type_int) ||
            json_object_is_type(v, json_type_double) ||
            json_object_is_type(v, json_type_boolean)) {
            text = json_object_get_string(v);
        } else if (!v) {
            text = "";
        } else {
            snprintf(err, errlen,
                     "local.settings.json: Values.%s: "
                     "must be a string",
                     k);
            return -1;
        }
        if (!*k || strchr(k, '=')) {
            snprintf(err, errlen,
                     "local.settings.json: Values: invalid "
                     "setting name \"%s\"",
                     k);
            return -1;
        }
        app->values[app->nvalues].name = xstrdup(k);
        app->values[app->nvalues].value = xstrdup(text);
        app->nvalues++;
    }
    return 0;
}

/* Host.LocalHttpPort: a number or a string of digits, 0-65535. */
static int load_port(struct app *app, struct json_object *port, char *err,
                     size_t errlen)
{
    if (!port)
        return 0;
    long p = -1;
    if (json_object_is_type(port, json_type_int))
        p = (long)json_object_get_int64(port);
    else if (json_object_is_type(port, json_type_string)) {
        char *end;
        const char *s = json_object_get_string(port);
        p = strtol(s, &end, 10);
        if (end == s || *end)
            p = -1;
    }
    if (p < 0 || p > 65535) {
        snprintf(err, errlen,
                 "local.settings.json: Host.LocalHttpPort: "
                 "must be a port number 0-65535");
        return -1;
    }
    app->port = (int)p;
    return 0;
}

/* Host.CORS: comma-separated origins, blanks and trailing '/' trimmed. */
static int load_cors(struct app *app, struct json_object *cors, char *err,
                     size_t errlen)
{
    if (!cors)
        return 0;
    if (!json_object_is_type(cors, json_type_string)) {
        snprintf(err, errlen,
                 "local.settings.json: Host.CORS: must be "
                 "a comma-separated string of origins");
        return -1;
    }
    const char *s = json_object_get_string(cors);
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    app->cors = xcalloc(cap + 1, sizeof *app->cors);
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len &&
               (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '/'))
            len--;
        if (len)
            app->cors[app->ncors++] = xstrndup(s, len);
        s += e ? (size_t)(e - s) + 1 : strlen(s);
    }
    return 0;
}

/* Host.CORSCredentials: a boolean. */
static int load_cors_credentials(struct app *app, struct json_object *cred,
                                 char *err, size_t errlen)
{
    if (!cred)
        return 0;
    if (!json_object_is_type(cred, json_type_boolean)) {
        snprintf(err, errlen,
                 "local.settings.json: Host.CORSCredentials:"
                 " must be true or false");
        return -1;
    }
    app->cors_credentials = json_object_get_boolean(cred);
    return 0;
}

static int load_settings(struct app *app, char *err, size_t errlen)
{
    struct json_object *root = NULL;
    char *path = xasprintf("%s/local.settings.json", app->root);
    int rc = -1;
    struct stat st;
    app->port = 7071;
    if (stat(path, &st) != 0) { /* optional, as for Core Tools */
        rc = 0;
        goto out;
    }
    if (load_json(path, "local.settings.json", &root, err, errlen) < 0)
        goto out;
    if (load_values(app, jsonx_get_ci(root, "Values"), err, errlen) < 0)
        goto out;
    struct json_object *host = jsonx_get_ci(root, "Host");
    if (host && !json_object_is_type(host, json_type_object)) {
        snprintf(err, errlen, "local.settings.json: Host: must be an object");
        goto out;
    }
    if (load_port(app, jsonx_get_ci(host, "LocalHttpPort"), err, errlen) < 0 ||
        load_cors(app, jsonx_get_ci(host, "CORS"), err, errlen) < 0 ||
        load_cors_credentials(app, jsonx_get_ci(host, "CORSCredentials"), err,
                              errlen) < 0)
        goto out;
    rc = 0;
out:
    json_object_put(root);
    free(path);
    return rc;
}

/* Resolve a "%Setting%" value; other values are returned as they are. */
static const char *resolve_percent(const struct app *app, const char *v,
                                   char *tmp, size_t tmplen)
{
    size_t n = strlen(v);
    if (n > 2 && v[0] == '%' && v[n - 1] == '%' && n - 2 < tmplen) {
        memcpy(tmp, v + 1, n - 2);
        tmp[n - 2] = '\0';
        return app_setting(app, tmp);
    }
    return v;
}

/* A signalRTrigger binding, checked as the extension does when it maps
 * the function (SignalRTriggerDispatcher.Map): category connections
 * (events connected, disconnected) or messages, parameterNames strings,
 * and one function per (hub, category, event). */
static int load_signalr_trigger(struct app *app, struct app_function *fn,
                                struct json_object *b, size_t i,
                                const char *file, char *err, size_t errlen)
{
    fn->kind = APP_FN_SIGNALR;
    const char *cat = jsonx_str(b, "category");
    const char *ev = jsonx_str(b, "event");
    if (!cat ||
        (strcasecmp(cat, "connections") && strcasecmp(cat, "messages"))) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].category: must be "
                 "\"connections\" or \"messages\"",
                 file, i);
        return -1;
    }
    if (!ev || !*ev) {
        snprintf(err, errlen, "%s: bindings[%zu].event: missing", file, i);
        return -1;
    }
    if (!strcasecmp(cat, "connections") && strcasecmp(ev, "connected") &&
        strcasecmp(ev, "disconnected")) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].event: Event %.64s is not "
                 "supported in connections (connected or "
                 "disconnected)",
                 file, i, ev);
        return -1;
    }
    struct json_object *pn = jsonx_get_ci(b, "parameterNames");
    if (pn && !json_object_is_type(pn, json_type_array)) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].parameterNames: must be an "
                 "array of names",
                 file, i);
        return -1;
    }
    for (size_t k = 0; pn && k < json_object_array_length(pn); k++) {
        struct json_object *n = json_object_array_get_idx(pn, k);
        if (!json_object_is_type(n, json_type_string) ||
            json_object_get_string_len(n) == 0) {
            snprintf(err, errlen,
                     "%s: bindings[%zu].parameterNames[%zu]: "
                     "must be a non-empty string",
                     file, i, k);
            return -1;
        }
    }
    const char *hub = jsonx_str(b, "hubName");
    for (size_t k = 0; k < app->nfns; k++) {
        const struct app_function *o = &app->fns[k];
        if (o == fn || o->kind != APP_FN_SIGNALR || !o->sr_hub)
            continue;
        if (!strcasecmp(o->sr_hub, hub) && !strcasecmp(o->sr_category, cat) &&
            !strcasecmp(o->sr_event, ev)) {
            snprintf(err, errlen,
                     "%s: bindings[%zu]: Duplicated key "
                     "parameter hub: %s, category: %s, event: "
                     "%s (also function %s)",
                     file, i, hub, cat, ev, o->name);
            return -1;
        }
    }
    fn->sr_hub = hub;
    fn->sr_category = cat;
    fn->sr_event = ev;
    fn->sr_binding = b;
    return 0;
}

/* httpTrigger: the authorization level, the methods and the route. */
static int load_http_trigger(struct app *app, struct app_function *fn,
                             struct json_object *b, size_t i, const char *file,
                             char *err, size_t errlen)
{
    fn->kind = APP_FN_HTTP;
    fn->auth_level = AUTH_FUNCTION; /* the host's default */
    if (jsonx_has_ci(b, "authLevel")) {
        int l = auth_level_parse(jsonx_str(b, "authLevel"));
        if (l < 0) {
            snprintf(err, errlen,
                     "%s: bindings[%zu].authLevel: expected anonymous, "
                     "user, function, system or admin",
                     file, i);
            return -1;
        }
        fn->auth_level = (enum auth_level)l;
    }
    struct json_object *ms = jsonx_get_ci(b, "methods");
    if (ms && !json_object_is_type(ms, json_type_array)) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].methods: must be an "
                 "array of method names",
                 file, i);
        return -1;
    }
    for (size_t k = 0; ms && k < json_object_array_length(ms); k++) {
        struct json_object *m = json_object_array_get_idx(ms, k);
        unsigned bit = json_object_is_type(m, json_type_string)
                           ? app_method_bit(json_object_get_string(m))
                           : 0;
        if (!bit) {
            snprintf(err, errlen,
                     "%s: bindings[%zu].methods[%zu]: "
                     "unknown HTTP method",
                     file, i, k);
            return -1;
        }
        fn->methods |= bit;
    }
    if (!jsonx_has_ci(b, "route"))
        return 0;
    const char *r = jsonx_str(b, "route");
    if (!r) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].route: must be a "
                 "string",
                 file, i);
        return -1;
    }
    while (*r == '/')
        r++;
    char rerr[160];
    if (route_check(r, rerr, sizeof rerr) < 0) {
        snprintf(err, errlen, "%s: bindings[%zu].route: %s", file, i, rerr);
        return -1;
    }
    fn->route = xstrdup(r);
    return 0;
}

/* timerTrigger: the schedule (or the app setting it names), runOnStartup
 * and useMonitor. */
static int load_timer_trigger(struct app *app, struct app_function *fn,
                              struct json_object *b, size_t i, const char *file,
                              char *err, size_t errlen)
{
    char tmp[256];
    fn->kind = APP_FN_TIMER;
    const char *s = jsonx_str(b, "schedule");
    if (!s || !*s) {
        snprintf(err, errlen, "%s: bindings[%zu].schedule: missing", file, i);
        return -1;
    }
    const char *rs = resolve_percent(app, s, tmp, sizeof tmp);
    if (!rs) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].schedule: app setting "
                 "%s is not set",
                 file, i, s);
        return -1;
    }
    struct ncrontab nc;
    char cerr[160];
    if (ncrontab_parse(rs, &nc, cerr, sizeof cerr) < 0) {
        snprintf(err, errlen, "%s: bindings[%zu].schedule: \"%s\": %s", file, i,
                 rs, cerr);
        return -1;
    }
    fn->schedule = xstrdup(rs);
    struct json_object *ros = jsonx_get_ci(b, "runOnStartup");
    struct json_object *um = jsonx_get_ci(b, "useMonitor");
    if ((ros && !json_object_is_type(ros, json_type_boolean)) ||
        (um && !json_object_is_type(um, json_type_boolean))) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].%s: must be true or "
                 "false",
                 file, i,
                 (ros && !json_object_is_type(ros, json_type_boolean))
                     ? "runOnStartup"
                     : "useMonitor");
        return -1;
    }
    fn->run_on_startup = ros ? json_object_get_boolean(ros) : 0;
    fn->use_monitor = um ? json_object_get_boolean(um) : 1;
    return 0;
}

/* http (out): the first one names the response. */
static int load_http_out(struct app *app, struct app_function *fn,
                         struct json_object *b, size_t i, const char *file,
                         char *err, size_t errlen)
{
    if (!fn->http_out)
        fn->http_out = xstrdup(jsonx_str(b, "name"));
    return 0;
}

static const char *setting_lookup(const void *app, const char *name)
{
    return app_setting(app, name);
}

/* A queue binding's queueName: resolved (%Setting%), lower-cased and
 * checked as the queue extension does; a new string, or NULL with the
 * reason in err. */
static char *queue_name(struct app *app, struct json_object *b, size_t i,
                        const char *file, char *err, size_t errlen)
{
    char tmp[256], why[200];
    const char *q = jsonx_str(b, "queueName");
    const char *rq = q && *q ? resolve_percent(app, q, tmp, sizeof tmp) : NULL;
    if (!rq) {
        snprintf(err, errlen, "%s: bindings[%zu].queueName: %s", file, i,
                 q && *q ? "names an app setting that is not set" : "missing");
        return NULL;
    }
    char *name = xstrdup(rq);
    for (char *c = name; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    if (qopts_check_queue_name(name, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: bindings[%zu].queueName: %s", file, i, why);
        free(name);
        return NULL;
    }
    return name;
}

/* queueTrigger: the queue name and the storage connection it reads. A
 * connection setting that is missing or unusable puts the function in
 * error, as the host does. */
static int load_queue_trigger(struct app *app, struct app_function *fn,
                              struct json_object *b, size_t i, const char *file,
                              char *err, size_t errlen)
{
    char why[200], used[300];
    fn->kind = APP_FN_QUEUE;
    fn->queue_name = queue_name(app, b, i, file, err, errlen);
    if (!fn->queue_name)
        return -1;
    const char *conn = jsonx_str(b, "connection");
    fn->queue_connection = conn && *conn ? xstrdup(conn) : NULL;
    struct storconn cs;
    const char *v =
        storconn_setting(conn, setting_lookup, app, used, sizeof used);
    if (!v)
        fn->error = xasprintf("Storage account connection string '%s' does "
                              "not exist. Make sure that it is a defined App "
                              "Setting.",
                              used);
    else if (storconn_parse(v, &cs, why, sizeof why) < 0)
        fn->error = xasprintf("app setting %s: %s", used, why);
    else
        storconn_release(&cs);
    if (fn->error)
        fn->kind = APP_FN_ERROR;
    return 0;
}

/* queue (out): the queue name as the trigger's (queue_name); the binding
 * then holds the name to use. */
static int load_queue_out(struct app *app, struct app_function *fn,
                          struct json_object *b, size_t i, const char *file,
                          char *err, size_t errlen)
{
    (void)fn;
    char *name = queue_name(app, b, i, file, err, errlen);
    if (!name)
        return -1;
    json_object_object_foreach(b, key, val)
    {
        (void)val;
        if (strcasecmp(key, "queueName") == 0) {
            json_object_object_add(b, key, json_object_new_string(name));
            break;
        }
    }
    free(name);
    return 0;
}

typedef int (*binding_loader)(struct app *app, struct app_function *fn,
                              struct json_object *b, size_t i, const char *file,
                              char *err, size_t errlen);

/* The binding types func-local serves: the direction each must have,
 * whether it is the trigger or needs a hubName, and what reads the rest
 * of its properties (NULL: nothing more). */
static const struct binding_type {
    const char *name;
    int out;     /* must be "out" (else "in" or "inout") */
    int trigger; /* the function's trigger */
    int hub;     /* hubName required */
    binding_loader load;
} binding_types[] = {
    {"httpTrigger", 0, 1, 0, load_http_trigger},
    {"http", 1, 0, 0, load_http_out},
    {"timerTrigger", 0, 1, 0, load_timer_trigger},
    {"signalRConnectionInfo", 0, 0, 1, NULL},
    {"signalR", 1, 0, 1, NULL},
    {"signalRTrigger", 0, 1, 1, load_signalr_trigger},
    {"queueTrigger", 0, 1, 0, load_queue_trigger},
    {"queue", 1, 0, 0, load_queue_out},
};

static const struct binding_type *find_binding_type(const char *t)
{
    for (size_t i = 0; i < sizeof binding_types / sizeof binding_types[0]; i++)
        if (strcasecmp(t, binding_types[i].name) == 0)
            return &binding_types[i];
    return NULL;
}

/* "direction": "in", "out" or "inout", and the one the type allows. */
static int check_direction(const struct binding_type *bt, const char *type,
                           const char *dir, size_t i, const char *file,
                           char *err, size_t errlen)
{
    if (!dir || (strcasecmp(dir, "in") && strcasecmp(dir, "out") &&
                 strcasecmp(dir, "inout"))) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].direction: must be \"in\" "
                 "or \"out\"",
                 file, i);
        return -1;
    }
    int in = strcasecmp(dir, "out") != 0;
    if (bt->trigger && !in) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].direction: a trigger must "
                 "be \"in\"",
                 file, i);
        return -1;
    }
    if (bt->out && in) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].direction: a %s binding "
                 "must be \"out\"",
                 file, i, type);
        return -1;
    }
    if (!bt->out && !in) {
        snprintf(err, errlen,
                 "%s: bindings[%zu].direction: "
                 "%s must be \"in\"",
                 file, i, bt->name);
        return -1;
    }
    return 0;
}

static int load_binding(struct app *app, struct app_function *fn,
                        struct json_object *b, size_t i, const char *file,
                        char *err, size_t errlen)
{
    if (!json_object_is_type(b, json_type_object)) {
        snprintf(err, errlen, "%s: bindings[%zu]: must be an object", file, i);
        return -1;
    }
    const char *type = jsonx_str(b, "type");
    const char *name = jsonx_str(b, "name");
    if (!type || !*type) {
        snprintf(err, errlen, "%s: bindings[%zu].type: missing", file, i);
        return -1;
    }
    const struct binding_type *bt = find_binding_type(type);
    if (!bt) {
        /* The function is in error; the app still runs. */
        fn->kind = APP_FN_ERROR;
        fn->error = xasprintf("bindings[%zu].type: binding type \"%.64s\" "
                              "is not supported by func-local (it serves "
                              "HTTP, timer, queue and SignalR bindings)",
                              i, type);
        return 0;
    }
    if (!name || !*name) {
        snprintf(err, errlen, "%s: bindings[%zu].name: missing", file, i);
        return -1;
    }
    if (check_direction(bt, type, jsonx_str(b, "direction"), i, file, err,
                        errlen) < 0)
        return -1;
    if (bt->hub) {
        const char *hub = jsonx_str(b, "hubName");
        if (!hub || !*hub) {
            snprintf(err, errlen, "%s: bindings[%zu].hubName: missing", file,
                     i);
            return -1;
        }
    }
    if (bt->trigger) {
        if (fn->trigger_name) {
            snprintf(err, errlen,
                     "%s: bindings[%zu]: a function has exactly "
                     "one trigger",
                     file, i);
            return -1;
        }
        fn->trigger_name = xstrdup(name);
    }
    return bt->load ? bt->load(app, fn, b, i, file, err, errlen) : 0;
}

/* The host's IsHttpInAndOutFunction: one input binding (direction not
 * "out"), the httpTrigger, and one output (not "in"), the http one. */
static int is_http_in_out(struct json_object *bs)
{
    size_t nin = 0, nout = 0;
    const char *tin = NULL, *tout = NULL;
    for (size_t i = 0; i < json_object_array_length(bs); i++) {
        struct json_object *b = json_object_array_get_idx(bs, i);
        const char *dir = jsonx_str(b, "direction");
        const char *type = jsonx_str(b, "type");
        if (!dir || strcasecmp(dir, "out") != 0) {
            nin++;
            tin = type;
        }
        if (!dir || strcasecmp(dir, "in") != 0) {
            nout++;
            tout = type;
        }
    }
    return nin == 1 && nout == 1 && tin && tout &&
           strcasecmp(tin, "httpTrigger") == 0 && strcasecmp(tout, "http") == 0;
}

static int load_function(struct app *app, const char *dirname, char *err,
                         size_t errlen)
{
    struct json_object *root = NULL;
    char *path = xasprintf("%s/%s/function.json", app->root, dirname);
    char *label = xasprintf("%s/function.json", dirname);
    int rc = -1;
    if (load_json(path, label, &root, err, errlen) < 0)
        goto out;
    struct app_function *fn = &app->fns[app->nfns];
    memset(fn, 0, sizeof *fn);
    fn->name = xstrdup(dirname);
    app->nfns++; /* from here on app_release frees it */
    struct json_object *bs = jsonx_get_ci(root, "bindings");
    if (!bs || !json_object_is_type(bs, json_type_array)) {
        snprintf(err, errlen, "%s: bindings: missing or not an array", label);
        goto out;
    }
    fn->bindings = json_object_get(bs);
    for (size_t i = 0; i < json_object_array_length(bs) && !fn->error; i++)
        if (load_binding(app, fn, json_object_array_get_idx(bs, i), i, label,
                         err, errlen) < 0)
            goto out;
    if (fn->error) {
        free(fn->route);
        fn->route = NULL;
        rc = 0;
        goto out;
    }
    if (!fn->trigger_name) {
        snprintf(err, errlen, "%s: bindings: no trigger binding", label);
        goto out;
    }
    if (fn->kind == APP_FN_HTTP && !fn->route)
        fn->route = xstrdup(fn->name);
    fn->http_in_out = fn->kind == APP_FN_HTTP && is_http_in_out(bs);
    rc = 0;
out:
    json_object_put(root);
    free(path);
    free(label);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int app_load(const char *dir, struct app *app, char *err, size_t errlen)
{
    char real[PATH_MAX];
    DIR *d = NULL;
    char **names = NULL;
    size_t nnames = 0, capn = 0;
    int rc = -1;
    memset(app, 0, sizeof *app);
    if (!realpath(dir, real)) {
        snprintf(err, errlen, "%s: app folder: %s", dir, strerror(errno));
        return -1;
    }
    app->root = xstrdup(real);
    /* Settings first: a schedule may name an app setting (%Name%). */
    if (load_settings(app, err, errlen) < 0 ||
        load_host_json(app, err, errlen) < 0)
        goto out;
    d = opendir(app->root);
    if (!d) {
        snprintf(err, errlen, "%s: %s", app->root, strerror(errno));
        goto out;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *fj = xasprintf("%s/%s/function.json", app->root, de->d_name);
        struct stat st;
        int isfn = stat(fj, &st) == 0 && S_ISREG(st.st_mode);
        free(fj);
        if (!isfn)
            continue;
        if (nnames == capn) {
            capn = capn ? capn * 2 : 16;
            names = xrealloc(names, capn * sizeof *names);
        }
        names[nnames++] = xstrdup(de->d_name);
    }
    if (nnames > 1)
        qsort(names, nnames, sizeof *names, cmp_str);
    app->fns = xcalloc(nnames + 1, sizeof *app->fns);
    for (size_t i = 0; i < nnames; i++)
        if (load_function(app, names[i], err, errlen) < 0)
            goto out;
    /* Two HTTP functions may not claim the same route template. */
    for (size_t i = 0; i < app->nfns; i++)
        for (size_t j = i + 1; j < app->nfns; j++)
            if (app->fns[i].route && app->fns[j].route &&
                strcasecmp(app->fns[i].route, app->fns[j].route) == 0 &&
                (!app->fns[i].methods || !app->fns[j].methods ||
                 (app->fns[i].methods & app->fns[j].methods))) {
                snprintf(err, errlen,
                         "%s/function.json: route: \"%s\" is "
                         "also the route of %s",
                         app->fns[j].name, app->fns[j].route, app->fns[i].name);
                goto out;
            }
    rc = 0;
out:
    if (d)
        closedir(d);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    if (rc < 0)
        app_release(app);
    return rc;
}

static void function_release(struct app_function *f)
{
    free(f->name);
    free(f->error);
    free(f->trigger_name);
    free(f->route);
    free(f->http_out);
    free(f->schedule);
    free(f->queue_name);
    free(f->queue_connection);
    json_object_put(f->bindings);
}

void app_keep(struct app *app,
              int (*keep)(const struct app_function *fn, void *ctx), void *ctx)
{
    size_t k = 0;
    for (size_t i = 0; i < app->nfns; i++) {
        if (keep(&app->fns[i], ctx))
            app->fns[k++] = app->fns[i];
        else
            function_release(&app->fns[i]);
    }
    app->nfns = k;
}

void app_release(struct app *app)
{
    free(app->root);
    hdesc_release(&app->handler);
    free(app->route_prefix);
    for (size_t i = 0; i < app->nfns; i++)
        function_release(&app->fns[i]);
    free(app->fns);
    for (size_t i = 0; i < app->nvalues; i++) {
        free(app->values[i].name);
        free(app->values[i].value);
    }
    free(app->values);
    for (size_t i = 0; i < app->ncors; i++)
        free(app->cors[i]);
    free(app->cors);
    memset(app, 0, sizeof *app);
}

const struct app_function *app_find(const struct app *app, const char *name)
{
    for (size_t i = 0; i < app->nfns; i++)
        if (strcmp(app->fns[i].name, name) == 0)
            return &app->fns[i];
    for (size_t i = 0; i < app->nfns; i++)
        if (strcasecmp(app->fns[i].name, name) == 0)
            return &app->fns[i];
    return NULL;
}

const char *app_setting(const struct app *app, const char *name)
{
    const char *v = getenv(name);
    if (v)
        return v;
    for (size_t i = 0; i < app->nvalues; i++)
        if (strcmp(app->values[i].name, name) == 0)
            return app->values[i].value;
    return NULL;
}
