/*
 * main.c - bin/signalr-emulator: a local Azure SignalR Service (serverless).
 *
 *   signalr-emulator [--port N] [--bind ADDR] [--access-key KEY]... [--verbose]
 *
 * Prints the connection string and the listening address on stdout, then
 * serves until SIGTERM/SIGINT (exit 0). A bad option or a port in use is
 * one stderr line and exit 1. The access key is printed only in the
 * connection string, never in a log line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "emulator/server.h"
#include "util/log.h"
#include "util/banned.h"

#define DEFAULT_KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define DEFAULT_PORT 8888

static void usage(FILE *f)
{
    fprintf(f, "usage: signalr-emulator [--port N] [--bind ADDR] "
               "[--access-key KEY]... [--verbose]\n");
}

/* 10,000 WebSockets need 10,000 descriptors: take all we may. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_warn("cannot raise the descriptor limit: %s",
                     strerror(errno));
    }
}

static int parse_args(int argc, char **argv, struct server_config *cfg)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            cfg->verbose = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--port") == 0 && v) {
            char *end = NULL;
            errno = 0;
            long p = strtol(v, &end, 10);
            if (errno || !*v || *end || p < 0 || p > 65535)
                return log_error("--port %s: want 0..65535", v);
            cfg->port = (int)p;
            i++;
        } else if (strcmp(a, "--bind") == 0 && v) {
            cfg->bind = v;
            i++;
        } else if (strcmp(a, "--access-key") == 0 && v) {
            if (!*v)
                return log_error("--access-key needs a non-empty key");
            if (cfg->nkeys == SERVER_MAX_KEYS)
                return log_error("at most %d access keys", SERVER_MAX_KEYS);
            cfg->keys[cfg->nkeys++] = v;
            i++;
        } else {
            return log_error("unknown or incomplete option: %s (try --help)",
                             a);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct server_config cfg = {.bind = "127.0.0.1", .port = DEFAULT_PORT};
    struct server s;
    log_set_program("emulator");
    if (parse_args(argc, argv, &cfg) < 0)
        return 1;
    if (!cfg.nkeys)
        cfg.keys[cfg.nkeys++] = DEFAULT_KEY;
    if (cfg.verbose)
        log_set_level(LOG_DEBUG);
    raise_nofile();
    if (server_start(&s, &cfg) < 0) {
        server_stop(&s);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("Endpoint=http://localhost;Port=%d;AccessKey=%s;Version=1.0;\n",
           s.port, cfg.keys[0]);
    printf("listening on http://%s:%d\n", cfg.bind, s.port);
    fflush(stdout);
    int rc = server_run(&s);
    server_stop(&s);
    log_info("stopped");
    return rc < 0 ? 1 : 0;
}
