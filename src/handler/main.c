/*
 * main.c - bin/handler, the custom handler the Functions host starts.
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

#include "check.h"
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

static void usage(FILE *f)
{
    fputs("usage: handler\n"
          "       handler --check [--app DIR]\n"
          "  Azure Functions custom handler for the notifications app.\n"
          "  Started by the Functions host with FUNCTIONS_CUSTOMHANDLER_PORT "
          "set;\n"
          "  listens on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT.\n"
          "  --check reads the app folder (host.json, function folders,\n"
          "  settings) and reports what would stop it\n"
          "  from running in Azure; exit 1 on any problem.\n",
          f);
}

int main(int argc, char **argv)
{
    char err[256];
    char www[PATH_MAX];
    int port = 0;
    log_set_program("handler");
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (argc > 1 && strcmp(argv[1], "--check") == 0)
        return check_main(argc, argv);
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            usage(stdout);
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
    const char *root = getenv("FUNCTIONS_APP_ROOT_PATH");
    if (root && *root)
        snprintf(www, sizeof www, "%s/www", root);
    else if (getcwd(www, sizeof www - 5))
        strncat(www, "/www", sizeof www - strlen(www) - 1);
    else
        snprintf(www, sizeof www, "www");

    /* Signals are taken by sigwait in this thread only. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int fd = bind_loopback(port);
    if (fd < 0) {
        log_error("cannot listen on 127.0.0.1:%d: %s%s", port,
                  strerror(errno),
                  errno == EADDRINUSE ? " (port is already in use)" : "");
        return 2;
    }
    struct server_config cfg = {
        .listen_fd = fd,
        .threads = worker_threads(),
        .www_root = www,
        .connstr = getenv("AzureSignalRConnectionString"),
    };
    struct server *srv = server_start(&cfg, err, sizeof err);
    if (!srv) {
        close(fd);
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
    log_info("stopped");
    return 0;
}
