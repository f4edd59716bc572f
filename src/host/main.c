/*
 * main.c - bin/func-local: a local stand-in for the Azure Functions host
 * (`func start`) that runs this custom-handler app as the real host does.
 *
 *   func-local [--app DIR] [--port N] [--bind ADDR] [--verbose]
 *              [--functions NAME...] [--secrets DIR] [--no-keys]
 *              [--easy-auth]
 *   func-local --next-occurrences "<ncrontab>" N [--from ISO-8601]
 *   func-local --check [--app DIR]     (preflight.h)
 *
 * Listens on 127.0.0.1 and ::1 (both loopbacks, as ASP.NET Core does for
 * localhost; 127.0.0.1 alone without IPv6), or on the one --bind address.
 * Order of start: read the app (config errors: exit 1), listen, start the
 * handler, wait for its readiness probe, then print the URLs and start the
 * timers. SIGTERM/SIGINT: stop accepting, let requests in flight finish,
 * stop the handler, exit 0. The handler failing 3 times in 30 minutes:
 * exit 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "host/app.h"
#include "host/dispatch.h"
#include "host/easyauth.h"
#include "host/invoker.h"
#include "host/keys.h"
#include "host/ncrontab.h"
#include "host/front.h"
#include "host/preflight.h"
#include "host/qcli.h"
#include "host/qlisten.h"
#include "host/select.h"
#include "host/timer.h"
#include "host/worker.h"
#include "util/jsonfile.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define DRAIN_MS 2000L /* requests in flight get this long at SIGTERM */

static void usage(FILE *f)
{
    fputs("usage: func-local [--app DIR] [--port N] [--bind ADDR] "
          "[--verbose]\n"
          "                  [--secrets DIR] [--no-keys] [--easy-auth]\n"
          "                  [--functions NAME...]   (only these functions, "
          "as func start)\n"
          "       func-local --next-occurrences \"<ncrontab>\" N "
          "[--from ISO-8601]\n"
          "       func-local --check [--app DIR]   (the preflight: what would "
          "stop\n         the app in Azure; exit 1 on any problem)\n"
          "       func-local --enqueue QUEUE MESSAGE [--app DIR] "
          "[--connection NAME]\n         (puts MESSAGE on a storage queue "
          "as the queue binding does)\n"
          "Listens on both loopbacks, 127.0.0.1 and ::1 (\"localhost\"), "
          "or with --bind\non that one IPv4 or IPv6 address only.\n"
          "Function keys (x-functions-key or ?code=) are asked for per "
          "authLevel, kept in\nthe host's secrets format in --secrets "
          "(default <app>/build/secrets);\n--no-keys asks for none, as "
          "Core Tools. --easy-auth: a local App Service\nAuthentication "
          "(/.auth/login/dev?user=NAME), local only.\n"
          "Environment: FUNC_LOCAL_HANDLER=/path overrides the handler "
          "program\n(customHandler.description.defaultExecutablePath).\n",
          f);
}

/* "YYYY-MM-DDTHH:MM:SS" with an optional fraction and "Z" or "+00:00". */
static int parse_iso(const char *s, long long *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p) {
        memset(&tm, 0, sizeof tm);
        p = strptime(s, "%Y-%m-%d", &tm);
        if (!p)
            return -1;
    }
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    long off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        char *end;
        long h = strtol(p + 1, &end, 10), m = 0;
        if (end != p + 3)
            return -1;
        if (*end == ':') {
            m = strtol(end + 1, &end, 10);
        }
        off = sign * (h * 3600 + m * 60);
        p = end;
    }
    if (*p)
        return -1;
    *out = (long long)timegm(&tm) - off;
    return 0;
}

static int next_occurrences(int argc, char **argv, int i)
{
    struct ncrontab c;
    char err[200];
    long long from = (long long)time(NULL);
    if (i + 2 >= argc) {
        usage(stderr);
        return 1;
    }
    const char *expr = argv[i + 1];
    char *end;
    long n = strtol(argv[i + 2], &end, 10);
    if (*end || n < 1 || n > 100000) {
        fprintf(stderr, "func-local: N must be a number from 1 to 100000\n");
        return 1;
    }
    for (int k = i + 3; k < argc; k++) {
        if (strcmp(argv[k], "--from") == 0 && k + 1 < argc) {
            if (parse_iso(argv[++k], &from) < 0) {
                fprintf(stderr, "func-local: --from: expected ISO-8601 such "
                                "as 2025-01-01T00:00:00Z\n");
                return 1;
            }
        } else {
            usage(stderr);
            return 1;
        }
    }
    if (ncrontab_parse(expr, &c, err, sizeof err) < 0) {
        fprintf(stderr, "func-local: bad NCRONTAB expression \"%s\": %s\n",
                expr, err);
        return 1;
    }
    long long t = from;
    for (long k = 0; k < n; k++) {
        t = ncrontab_next(&c, t);
        if (t < 0)
            break;
        time_t tt = (time_t)t;
        struct tm tm;
        char buf[32];
        gmtime_r(&tt, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        puts(buf);
    }
    fflush(stdout);
    return 0;
}

static void print_functions(const struct app *app, const struct front *srv)
{
    char m[80];
    int port = front_port(srv);
    const char *host = front_host(srv, 0);
    printf("listening on http://%s:%d\n", host, port);
    for (size_t i = 1; i < front_hosts(srv); i++)
        log_info("listening on http://%s:%d as well", front_host(srv, i), port);
    for (size_t i = 0; i < app->nfns; i++) {
        const struct app_function *f = &app->fns[i];
        if (f->disabled)
            continue;
        if (f->kind == APP_FN_HTTP) {
            app_methods_text(f->methods, m, sizeof m);
            printf("  %s: [%s] http://%s:%d/%s%s%s\n", f->name, m, host, port,
                   app->route_prefix, app->route_prefix[0] ? "/" : "",
                   f->route);
        } else if (f->kind == APP_FN_TIMER) {
            printf("  %s: timerTrigger %s\n", f->name, f->schedule);
        } else if (f->kind == APP_FN_QUEUE) {
            printf("  %s: queueTrigger %s\n", f->name, f->queue_name);
        } else if (f->kind == APP_FN_ERROR) {
            printf("  %s: in error: %s\n", f->name, f->error);
        } else {
            printf("  %s: signalRTrigger\n", f->name);
        }
    }
    for (size_t i = 0; i < app->nfns; i++) /* as Core Tools lists them */
        if (app->fns[i].disabled)
            printf("Function %s is disabled.\n", app->fns[i].name);
    fflush(stdout);
}

static void unknown_function(const char *name)
{
    log_warn("--functions: no function named '%s'", name);
}

static void order_differs(const struct app_function *local,
                          const struct app_function *azure, const char *path,
                          void *ctx)
{
    const struct app *app = ctx;
    log_warn("/%s/%s matches the routes of %s and %s: func-local calls %s "
             "(literal segments first, as ASP.NET Core orders routes); the "
             "host in Azure tries routes in function-name order and calls %s",
             app->route_prefix, path, local->name, azure->name, local->name,
             azure->name);
}

/* Wait up to ms for SIGTERM/SIGINT; returns the signal or 0. */
static int wait_signal(const sigset_t *set, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    int sig = sigtimedwait(set, NULL, &ts);
    return sig > 0 ? sig : 0;
}

struct options {
    const char *dir;
    const char *bind;    /* NULL: both loopbacks */
    long port;           /* -1: local.settings.json's, else 7071 */
    const char *secrets; /* NULL: <app>/build/secrets */
    int no_keys;         /* Core Tools' behaviour: no key asked for */
    int easy_auth;       /* the local App Service Authentication */
    char **only;         /* --functions a b: the names (argv's) */
    size_t nonly;
};

/* Read the command line into *o. Returns -1 to go on, else the exit
 * status (after --help, a usage error or --next-occurrences). */
static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--next-occurrences") == 0)
            return next_occurrences(argc, argv, i);
        if (strcmp(argv[i], "--app") == 0 && i + 1 < argc) {
            o->dir = argv[++i];
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            char *end;
            o->port = strtol(argv[++i], &end, 10);
            if (*end || o->port < 0 || o->port > 65535) {
                fprintf(stderr, "func-local: --port: expected 0-65535\n");
                return 1;
            }
        } else if (strcmp(argv[i], "--functions") == 0) {
            o->only = argv + i + 1;
            o->nonly = 0;
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                o->nonly++;
                i++;
            }
            if (o->nonly == 0) {
                fprintf(stderr, "func-local: --functions: expected one or "
                                "more function names\n");
                return 1;
            }
        } else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
            o->bind = argv[++i];
        } else if (strcmp(argv[i], "--secrets") == 0 && i + 1 < argc) {
            o->secrets = argv[++i];
        } else if (strcmp(argv[i], "--no-keys") == 0) {
            o->no_keys = 1;
        } else if (strcmp(argv[i], "--easy-auth") == 0) {
            o->easy_auth = 1;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            log_set_level(LOG_DEBUG);
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 1;
        }
    }
    return -1;
}

/* The functions that run (--functions), the disabled ones, and the routes
 * the host in Azure would pick otherwise. */
static void select_app(struct app *app, const struct options *o)
{
    select_only(app, o->only, o->nonly, unknown_function);
    select_mark_disabled(app);
    select_order_differences(app, order_differs, app);
}

/* Wait for the handler to be ready. Returns 1 when it is, 0 when a signal
 * (in *sig) came first, -1 when it never will be (logged). */
static int wait_ready(struct worker *w, const sigset_t *set, int *sig)
{
    for (;;) {
        int r = worker_wait_ready(w, 100);
        if (r == 1)
            return 1;
        if (r < 0) {
            log_error("the handler never became ready");
            return -1;
        }
        if ((*sig = wait_signal(set, 0)) != 0)
            return 0;
    }
}

/* The running parts of the host, started in this order. */
struct host {
    struct keys *keys;
    struct easyauth *ea;
    struct worker *w;
    struct invoker *iv;
    struct dispatch *d;
    struct front *srv;
    struct timers *tm;
    struct qlisten *ql;
};

/* Stop what was started, last first; a dispatcher still busy after the
 * drain is left (the process exits with it). Returns 1 when the worker
 * had failed for good. */
static int host_stop(struct host *h, struct app *app)
{
    timers_stop(h->tm);
    /* Queue messages in flight finish while the handler still runs; those
     * that do not reappear when their visibility ends. */
    int qleft = qlisten_stop(h->ql, DRAIN_MS);
    if (h->srv)
        front_stop(h->srv, DRAIN_MS);
    int left = h->d ? dispatch_drain(h->d, DRAIN_MS) : 0;
    worker_stop(h->w);
    if (left && h->d)
        left = dispatch_drain(h->d, 3000);
    int failed = h->w && worker_failed(h->w);
    if (!left && !qleft) {
        dispatch_free(h->d);
        worker_free(h->w);
        invoker_free(h->iv);
        easyauth_free(h->ea);
        keys_free(h->keys);
        app_release(app);
        curl_global_cleanup();
    }
    return failed;
}

/* The keys (kept even with --no-keys: they sign the sessions) and the
 * local App Service Authentication, each announced once. */
static int open_auth(const struct options *o, const struct app *app,
                     struct host *h, char *err, size_t errlen)
{
    const char **names = xcalloc(app->nfns ? app->nfns : 1, sizeof *names);
    size_t n = 0;
    for (size_t i = 0; i < app->nfns; i++)
        if (app->fns[i].kind == APP_FN_HTTP)
            names[n++] = app->fns[i].name;
    char *dflt = xasprintf("%s/build/secrets", app->root);
    const char *dir = o->secrets ? o->secrets : dflt;
    h->keys = keys_open(dir, names, n, err, errlen);
    free(names);
    free(dflt);
    if (!h->keys)
        return -1;
    if (o->no_keys)
        log_info("function keys: not asked for (--no-keys, as Core Tools "
                 "does); every authLevel is open");
    else
        log_info("function keys: enforced per authLevel; keys in %s",
                 keys_dir(h->keys));
    if (o->easy_auth) {
        char *master = keys_master(h->keys);
        h->ea = easyauth_new(master, strlen(master));
        OPENSSL_clear_free(master, strlen(master));
        /* App Service's file-based configuration, when the app has one. */
        char *path = xasprintf("%s/auth.json", app->root);
        struct json_object *cfg = NULL;
        char why[256];
        int rc = jsonfile_read(path, &cfg, why, sizeof why);
        if (rc == 0 && easyauth_configure(h->ea, cfg, why, sizeof why) < 0)
            rc = -1;
        json_object_put(cfg);
        if (rc < 0)
            snprintf(err, errlen, "%s: %s", path, why);
        else if (rc == 0)
            log_info("App Service Authentication: settings from %s", path);
        free(path);
        if (rc < 0)
            return -1;
        log_info("App Service Authentication: on, local provider 'dev' "
                 "(/.auth/login/dev?user=NAME): local only, anyone may "
                 "sign in as anyone");
    } else {
        log_info("App Service Authentication: off, as Core Tools: "
                 "x-ms-client-principal-* headers pass through from the "
                 "client (--easy-auth turns it on)");
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = {.dir = ".", .port = -1};
    char err[512];
    struct app app;
    int rc = 1, sig = 0;
    struct host h = {0};

    log_set_program("func-local");
    if (argc > 1 && strcmp(argv[1], "--check") == 0)
        return preflight_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "--enqueue") == 0)
        return qcli_main(argc, argv);
    int done = parse_args(argc, argv, &o);
    if (done >= 0)
        return done;
    if (app_load(o.dir, &app, err, sizeof err) < 0) {
        fprintf(stderr, "func-local: %s\n", err);
        return 1;
    }
    if (o.port < 0)
        o.port = app.port;
    select_app(&app, &o);

    /* Every thread inherits this mask; main waits for the signals. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    if (open_auth(&o, &app, &h, err, sizeof err) < 0) {
        fprintf(stderr, "func-local: %s\n", err);
        goto out;
    }
    h.w = worker_new(&app, err, sizeof err);
    if (!h.w) {
        fprintf(stderr, "func-local: %s\n", err);
        goto out;
    }
    h.iv = invoker_new();
    h.d = dispatch_new(&app, h.w, h.iv);
    struct front_auth auth = {o.no_keys ? NULL : h.keys, h.ea};
    h.srv = front_start(&app, h.d, &auth, o.bind, (int)o.port, err, sizeof err);
    if (!h.srv) {
        fprintf(stderr, "func-local: %s\n", err);
        goto out;
    }
    if (worker_start(h.w) < 0)
        goto out;
    int ready = wait_ready(h.w, &set, &sig);
    if (ready < 0)
        goto out;
    if (ready) {
        print_functions(&app, h.srv);
        h.tm = timers_start(&app, h.d);
        h.ql = qlisten_start(&app, h.d);
        while ((sig = wait_signal(&set, 200)) == 0)
            if (worker_failed(h.w))
                goto out;
    }
    log_info("signal %d: shutting down", sig);
    rc = 0;
out:
    if (host_stop(&h, &app))
        rc = 1;
    return rc;
}
