/*
 * main.c - azf_main: the custom-handler program the Functions host starts,
 * serving the functions registered with AZF_FUNCTION (azf.h).
 *
 * The host gives the port in FUNCTIONS_CUSTOMHANDLER_PORT (older hosts:
 * FUNCTIONS_HTTPWORKER_PORT) and polls GET / until it answers. We bind
 * 127.0.0.1 before anything else, so readiness takes milliseconds.
 *
 * Exit codes (the host restarts a handler that exits non-zero and never one
 * that exits 0, so 0 means only "asked to stop"):
 *   0  stopped by SIGTERM/SIGINT after in-flight requests finished
 *   1  bad configuration (no port, bad port, bad option)
 *   2  the port could not be bound (e.g. address already in use)
 *   3  the HTTP server could not start
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "azf.h"
#include "dispatch.h"
#include "registry.h"
#include "server.h"
#include "util/log.h"
#include "util/banned.h"

#define SHUTDOWN_GRACE_MS 2000

static int parse_port(const char *s, int *port)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

static int bind_loopback(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(fd, 512) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static unsigned worker_threads(void)
{
    const char *t = getenv("HANDLER_THREADS");
    long n = t ? strtol(t, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > 16)
        n = 16;
    return (unsigned)n;
}

static void usage(FILE *f, const struct azf_app *app)
{
    fprintf(f,
            "usage: handler\n"
            "       handler --describe\n"
            "  %s\n"
            "  Started by the Functions host with FUNCTIONS_CUSTOMHANDLER_PORT "
            "set;\n"
            "  listens on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT.\n"
            "  --describe prints its functions and the trigger each is\n"
            "  written for, as JSON (func-local --check compares them with\n"
            "  the function folders).\n",
            app && app->description ? app->description
                                    : "An Azure Functions custom handler.");
}

/* {"functions": [{"name", "trigger"}, ...]}: what this program serves. */
static int describe(FILE *out)
{
    size_t n = 0;
    const struct azf_entry *all = registry_all(&n);
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *f = json_object_new_object();
        json_object_object_add(f, "name", json_object_new_string(all[i].name));
        json_object_object_add(
            f, "trigger",
            json_object_new_string(registry_trigger_type(all[i].kind)));
        json_object_array_add(list, f);
    }
    struct json_object *d = json_object_new_object();
    json_object_object_add(d, "functions", list);
    fprintf(out, "%s\n",
            json_object_to_json_string_ext(
                d, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(d);
    return 0;
}

/* The app folder: FUNCTIONS_APP_ROOT_PATH (the host sets it), else the
 * working directory (the host starts the handler there). */
static void app_root(char *dir, size_t len)
{
    const char *root = getenv("FUNCTIONS_APP_ROOT_PATH");
    if (root && *root)
        snprintf(dir, len, "%s", root);
    else if (!getcwd(dir, len))
        snprintf(dir, len, ".");
}

int azf_main(int argc, char **argv, const struct azf_app *app)
{
    char err[256];
    char root[PATH_MAX];
    int port = 0;
    log_set_program("handler");
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (argc == 2 && strcmp(argv[1], "--describe") == 0)
        return describe(stdout);
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            usage(stdout, app);
            return 0;
        }
        log_error("unknown option '%s' (see --help)", argv[1]);
        return 1;
    }
    const char *ps = getenv("FUNCTIONS_CUSTOMHANDLER_PORT");
    const char *pname = "FUNCTIONS_CUSTOMHANDLER_PORT";
    if (!ps || !*ps) {
        ps = getenv("FUNCTIONS_HTTPWORKER_PORT");
        pname = "FUNCTIONS_HTTPWORKER_PORT";
    }
    if (!ps || !*ps) {
        log_error("FUNCTIONS_CUSTOMHANDLER_PORT is not set: the Functions "
                  "host sets it when it starts the handler");
        return 1;
    }
    if (parse_port(ps, &port) < 0) {
        log_error("%s='%.32s' is not a port number (1-65535)", pname, ps);
        return 1;
    }
    app_root(root, sizeof root);

    /* Signals are taken by sigwait in this thread only. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int fd = bind_loopback(port);
    if (fd < 0) {
        log_error("cannot listen on 127.0.0.1:%d: %s%s", port, strerror(errno),
                  errno == EADDRINUSE ? " (port is already in use)" : "");
        return 2;
    }
    void *data = app && app->init ? app->init() : NULL;
    struct dispatch_config dc = {.app_root = root, .app_data = data};
    struct dispatcher *d = dispatcher_new(&dc, err, sizeof err);
    if (!d) {
        close(fd);
        if (app && app->fini)
            app->fini(data);
        log_error("%s", err);
        return 1;
    }
    struct server_config cfg = {
        .listen_fd = fd,
        .threads = worker_threads(),
        .dispatcher = d,
    };
    struct server *srv = server_start(&cfg, err, sizeof err);
    if (!srv) {
        close(fd);
        dispatcher_free(d);
        if (app && app->fini)
            app->fini(data);
        log_error("cannot start the HTTP server: %s", err);
        return 3;
    }
    log_info("listening on 127.0.0.1:%d (%u threads)", port, cfg.threads);

    int sig = 0;
    sigwait(&set, &sig);
    log_info("%s received: finishing requests in flight",
             sig == SIGTERM ? "SIGTERM" : "SIGINT");
    unsigned left = server_stop(srv, SHUTDOWN_GRACE_MS);
    if (left)
        log_warn("%u requests still running after %d ms were cut", left,
                 SHUTDOWN_GRACE_MS);
    dispatcher_free(d);
    if (app && app->fini)
        app->fini(data);
    log_info("stopped");
    return 0;
}
