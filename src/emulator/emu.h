/*
 * emu.h - the emulator put together: its modules wired, its loop turned.
 *
 * Owns the event loop (loop.h), the HTTP side (http.h), the registry of
 * hubs (hub.h) and the connection table (conn.h), and hands each route's
 * handler what it works with: /client to client.c, /api to rest.c,
 * anything else a 404. One turn of the loop: the events, the timers, the
 * HTTP daemons, the WebSocket writes of the turn, the once-a-second sweep
 * (client timers, expired group memberships), then the connections ended
 * in the turn are freed. SIGTERM/SIGINT close every client (Close message
 * with allowReconnect, WebSocket close 1000) and the loop ends once they
 * are gone or after a grace period. The upstream client (upclient.h) is
 * plugged in by main.c through the connection table's hooks. REST :invoke
 * calls wait in clientres.h (checked every turn); with --tier, tier.h's
 * limits are asked at negotiate and connect, every message sent is
 * metered, and once Free's daily quota is used up every client is closed
 * with the service's Close ("Message count reaches limit."). One
 * struct emu per process is the intent, but nothing here is global.
 */
#ifndef EMULATOR_EMU_H
#define EMULATOR_EMU_H

#include "emulator/auth.h"
#include "emulator/client.h"
#include "emulator/clientres.h"
#include "emulator/conn.h"
#include "emulator/http.h"
#include "emulator/hub.h"
#include "emulator/loop.h"
#include "emulator/rest.h"
#include "emulator/tier.h"

struct emu_config {
    const char *bind;      /* NULL: 127.0.0.1 and ::1 (util/listen.h) */
    int port;              /* 0 picks a free port */
    struct auth_keys keys; /* at least one */
    int verbose;
    const struct tier *tier;     /* --tier (copied), or NULL */
    long long invoke_timeout_ms; /* :invoke wait; 0: CLIENTRES_TIMEOUT_MS */
    const char *tls_cert; /* with tls_key: serve HTTPS/WSS (http.h); NULL */
    const char *tls_key;
    /* stateful reconnect (conn.h): the window, 0: CONN_RECONNECT_WINDOW_MS;
     * the replay buffer's bytes, 0: REPLAY_MAX_BYTES */
    long long reconnect_window_ms;
    long long replay_bytes;
};

struct emu {
    struct emu_config cfg;
    struct loop loop;
    struct http *http;
    struct registry *reg;
    struct conns *conns;
    struct client_env client; /* what /client works with */
    struct rest_env rest;     /* what /api works with */
    struct clientres *cr;     /* REST :invoke calls held for clients */
    struct tier tier;         /* the simulated tier, when have_tier */
    int have_tier;
    struct conn_extras extras; /* completions and the message meter */
    long long last_sweep_ms;
    int stopping;
    long long stop_deadline_ms;
};

/* Listen and get ready. Returns 0, or -1 after logging why (port in use,
 * bad address); call emu_stop either way. cfg is copied; its strings are
 * borrowed for the emulator's life. */
int emu_start(struct emu *e, const struct emu_config *cfg);
/* Run until SIGTERM/SIGINT, then close every client and return 0 (-1
 * when the loop itself fails). */
int emu_run(struct emu *e);
/* Release everything (after the upstream client is stopped). */
void emu_stop(struct emu *e);

#endif
