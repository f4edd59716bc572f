/*
 * main.c - bin/signalr-emulator: a local Azure SignalR Service (serverless).
 *
 *   signalr-emulator [--port N] [--bind ADDR] [--access-key KEY]...
 *                    [--upstream URL-TEMPLATE|default]... [--settings FILE]
 *                    [--upstream-timeout-ms N] [--invoke-timeout-ms N]
 *                    [--reconnect-window-ms N] [--replay-buffer-bytes N]
 *                    [--tier free|standard|premium [--units N]
 *                     [--messages-per-day N]]
 *                    [--tls-cert FILE --tls-key FILE] [--verbose]
 *
 * Listens on 127.0.0.1 and ::1 (both loopbacks, as ASP.NET Core does for
 * localhost; 127.0.0.1 alone without IPv6), or on the one --bind address.
 * Prints the connection string and the listening address on stdout, then
 * serves until SIGTERM/SIGINT (exit 0). A bad option, a bad settings file
 * or a port in use is one stderr line and exit 1. With --tls-cert and
 * --tls-key the port speaks only TLS (HTTPS, WSS) and every URL printed
 * is https (a certificate or key that does not load: exit 1). The access key is
 * printed only in the connection string, never in a log line.
 * Without --upstream or --settings nothing is sent upstream: client
 * invocations get a Completion error, sends are dropped (upclient.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "emulator/emu.h"
#include "emulator/limits.h"
#include "emulator/upclient.h"
#include "emulator/upconf.h"
#include "emulator/upmsg.h"
#include "util/log.h"
#include "util/banned.h"

#define DEFAULT_KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define DEFAULT_PORT 8888

static void usage(FILE *f)
{
    fprintf(f,
            "usage: signalr-emulator [--port N] [--bind ADDR] "
            "[--access-key KEY]...\n"
            "                        [--upstream URL-TEMPLATE|default]... "
            "[--settings FILE]\n"
            "                        [--upstream-timeout-ms N] "
            "[--invoke-timeout-ms N]\n"
            "                        [--reconnect-window-ms N] "
            "[--replay-buffer-bytes N]\n"
            "                        [--tier free|standard|premium [--units N]"
            " [--messages-per-day N]]\n"
            "                        [--tls-cert FILE --tls-key FILE] "
            "[--verbose]\n"
            "\n"
            "  --port N              port to listen on (default %d; 0 picks "
            "a free one)\n"
            "  --bind ADDR           listen on this one IPv4 or IPv6 "
            "address only; default:\n"
            "                        both loopbacks, 127.0.0.1 and ::1 "
            "(\"localhost\")\n"
            "  --access-key KEY      access key (repeat for a secondary "
            "key);\n"
            "                        default: the official emulator's key\n"
            "  --upstream URL        send client events and invocations to "
            "URL, a template\n"
            "                        that may hold {hub}, {category} and "
            "{event}; 'default' is\n"
            "                        %s\n"
            "                        (the local Functions host). Repeatable; "
            "the first\n"
            "                        matching template wins.\n"
            "  --settings FILE       the official emulator's settings.json: "
            "its\n"
            "                        UpstreamSettings.Templates (UrlTemplate, "
            "HubPattern,\n"
            "                        CategoryPattern, EventPattern; patterns "
            "'*', 'a,b' or\n"
            "                        a name, case-sensitive), tried after "
            "--upstream ones\n"
            "  --upstream-timeout-ms N  bound on one upstream call (default "
            "%d)\n"
            "  --invoke-timeout-ms N REST :invoke waits this long for the "
            "client's answer\n"
            "                        (default %d, at most 110000), then "
            "answers 504\n"
            "  --reconnect-window-ms N  stateful reconnect: how long a "
            "client whose\n"
            "                        WebSocket dropped may come back "
            "(default 15000)\n"
            "  --replay-buffer-bytes N  stateful reconnect: bytes sent "
            "and not yet\n"
            "                        acknowledged kept per connection "
            "(default 100000)\n"
            "  --tier NAME           simulate a pricing tier's limits: free "
            "(20 connections,\n"
            "                        20,000 messages a day), standard or "
            "premium (1,000\n"
            "                        connections and 1,000,000 messages a "
            "day per unit);\n"
            "                        usage at GET /api/usage\n"
            "  --units N             units of the tier (free: 1; standard: "
            "1-100; premium:\n"
            "                        1-1000; default 1)\n"
            "  --messages-per-day N  replace the tier's messages a day (to try "
            "the quota\n"
            "                        without sending 20,000 messages)\n"
            "  --tls-cert FILE       serve HTTPS and WSS only, with this "
            "certificate chain\n"
            "                        (PEM, the server's certificate first); "
            "needs --tls-key\n"
            "  --tls-key FILE        the certificate's private key (PEM, "
            "unencrypted)\n"
            "  --verbose             debug log lines\n"
            "\n"
            "Without --upstream or --settings nothing is sent upstream: a "
            "client's invoke()\n"
            "gets the error \"%s\" and send() is dropped.\n",
            DEFAULT_PORT, UPCONF_DEFAULT_URL, UPCLIENT_TIMEOUT_MS,
            CLIENTRES_TIMEOUT_MS, UPMSG_NO_UPSTREAM);
}

/* 10,000 WebSockets need 10,000 descriptors: take all we may. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_warn("cannot raise the descriptor limit: %s", strerror(errno));
    }
}

struct options {
    struct upconf up;
    const char *settings;
    long timeout_ms;
    const char *tier;   /* --tier, or NULL */
    long units;         /* --units, 0 when not given */
    long long msgs_day; /* --messages-per-day, 0 when not given */
    struct tier tier_cfg;
};

/* A whole number in lo..hi, or -1 after logging. */
static int number(const char *opt, const char *v, long long lo, long long hi,
                  long long *out)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || !*v || *end || n < lo || n > hi)
        return log_error("%s %s: want %lld..%lld", opt, v, lo, hi);
    *out = n;
    return 0;
}

static int parse_args(int argc, char **argv, struct emu_config *cfg,
                      struct options *o)
{
    char err[512];
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
        } else if (strcmp(a, "--upstream") == 0 && v) {
            const char *url =
                strcmp(v, "default") == 0 ? UPCONF_DEFAULT_URL : v;
            if (upconf_add(&o->up, url, NULL, NULL, NULL, err, sizeof err) < 0)
                return log_error("--upstream: %s", err);
            i++;
        } else if (strcmp(a, "--settings") == 0 && v) {
            if (o->settings)
                return log_error("--settings: give one file");
            o->settings = v;
            i++;
        } else if (strcmp(a, "--upstream-timeout-ms") == 0 && v) {
            char *end = NULL;
            errno = 0;
            long t = strtol(v, &end, 10);
            if (errno || !*v || *end || t < 1 || t > 600000)
                return log_error("--upstream-timeout-ms %s: want 1..600000", v);
            o->timeout_ms = t;
            i++;
        } else if (strcmp(a, "--invoke-timeout-ms") == 0 && v) {
            long long t;
            /* Below the 120 s idle timeout of an HTTP request. */
            if (number(a, v, 1, 110000, &t) < 0)
                return -1;
            cfg->invoke_timeout_ms = t;
            i++;
        } else if (strcmp(a, "--reconnect-window-ms") == 0 && v) {
            if (number(a, v, 1, 3600000, &cfg->reconnect_window_ms) < 0)
                return -1;
            i++;
        } else if (strcmp(a, "--replay-buffer-bytes") == 0 && v) {
            if (number(a, v, 1, LIMIT_CONN_SENDBUF, &cfg->replay_bytes) < 0)
                return -1;
            i++;
        } else if (strcmp(a, "--tier") == 0 && v) {
            o->tier = v;
            i++;
        } else if (strcmp(a, "--units") == 0 && v) {
            long long n;
            if (number(a, v, 1, 1000, &n) < 0)
                return -1;
            o->units = (long)n;
            i++;
        } else if (strcmp(a, "--messages-per-day") == 0 && v) {
            if (number(a, v, 1, 1000000000000LL, &o->msgs_day) < 0)
                return -1;
            i++;
        } else if (strcmp(a, "--tls-cert") == 0 && v) {
            cfg->tls_cert = v;
            i++;
        } else if (strcmp(a, "--tls-key") == 0 && v) {
            cfg->tls_key = v;
            i++;
        } else if (strcmp(a, "--access-key") == 0 && v) {
            if (!*v)
                return log_error("--access-key needs a non-empty key");
            if (cfg->keys.n == AUTH_MAX_KEYS)
                return log_error("at most %d access keys", AUTH_MAX_KEYS);
            cfg->keys.keys[cfg->keys.n++] = v;
            i++;
        } else {
            return log_error("unknown or incomplete option: %s (try --help)",
                             a);
        }
    }
    if (!cfg->tls_cert != !cfg->tls_key)
        return log_error("--tls-cert and --tls-key go together");
    if (!o->tier && (o->units || o->msgs_day))
        return log_error("--units and --messages-per-day need --tier");
    if (o->tier) {
        if (tier_init(&o->tier_cfg, o->tier, o->units ? (int)o->units : 1,
                      o->msgs_day, err, sizeof err) < 0)
            return log_error("--tier: %s", err);
        cfg->tier = &o->tier_cfg;
    }
    return 0;
}

/* Log where upstream calls go; URLs without their query (a key). */
static void log_upstream(const struct upconf *up, const char *settings,
                         long timeout_ms)
{
    if (!up->n && !settings) {
        log_info("no upstream: invocations get \"%s\"", UPMSG_NO_UPSTREAM);
        return;
    }
    for (size_t i = 0; i < up->n; i++) {
        char *u = upconf_loggable(up->t[i].url);
        log_info("upstream %s hub=%s category=%s event=%s timeout=%ldms", u,
                 up->t[i].hub, up->t[i].category, up->t[i].event, timeout_ms);
        free(u);
    }
}

int main(int argc, char **argv)
{
    struct emu_config cfg = {.port = DEFAULT_PORT};
    struct options o = {.timeout_ms = UPCLIENT_TIMEOUT_MS};
    struct emu e;
    struct upclient *uc = NULL;
    int rc = 1;
    log_set_program("emulator");
    upconf_init(&o.up);
    if (parse_args(argc, argv, &cfg, &o) < 0)
        goto out;

    if (!cfg.keys.n)
        cfg.keys.keys[cfg.keys.n++] = DEFAULT_KEY;
    if (cfg.verbose)
        log_set_level(LOG_DEBUG);
    raise_nofile();
    if (emu_start(&e, &cfg) < 0 ||
        !(uc = upclient_start(&e.loop, e.conns, &e.cfg.keys, &o.up, o.settings,
                              o.timeout_ms))) {
        emu_stop(&e);
        goto out;
    }
    log_upstream(&o.up, o.settings, o.timeout_ms);
    setvbuf(stdout, NULL, _IOLBF, 0);
    int port = http_port(e.http);
    const char *scheme = http_scheme(e.http);
    printf("Endpoint=%s://localhost;Port=%d;AccessKey=%s;Version=1.0;\n",
           scheme, port, cfg.keys.keys[0]);
    printf("listening on %s://%s:%d\n", scheme, http_host(e.http, 0), port);
    fflush(stdout);
    for (size_t i = 1; i < http_hosts(e.http); i++)
        log_info("listening on %s://%s:%d as well", scheme,
                 http_host(e.http, i), port);
    rc = emu_run(&e) < 0 ? 1 : 0;
    upclient_stop(uc);
    emu_stop(&e);
    log_info("stopped");
out:
    upconf_release(&o.up);
    return rc;
}
