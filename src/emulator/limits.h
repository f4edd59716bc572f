/*
 * limits.h - the emulator's own size and time limits, named once.
 *
 * Those of the service it stands in for (the client endpoint, the REST
 * headers, upstream answers, the hub protocol's timers); the limits every
 * program shares (request bodies, tokens, JSON depth) stay in
 * util/limits.h. Going over a limit is an error with a named status (413, a
 * close, a log line), never a silent truncation. Where a limit mirrors
 * Azure, the source is next to it.
 */
#ifndef EMULATOR_LIMITS_H
#define EMULATOR_LIMITS_H

/* SignalR REST request headers: 16 KB, the service's limit. */
#define LIMIT_REST_HEADERS (16u * 1024u)

/* Client → service hub message over SSE/long polling send (the service's
 * limit). */
#define LIMIT_CLIENT_MESSAGE (1024u * 1024u)

/* One WebSocket message from a client (the service has no limit; we keep
 * one so a client cannot exhaust memory). */
#define LIMIT_WS_MESSAGE (1024u * 1024u)

/* Bytes queued for one client before it is considered dead and closed. */
#define LIMIT_CONN_SENDBUF (4u * 1024u * 1024u)

/* Upstream reply: 16 MiB, as the official emulator (a larger one becomes a
 * Completion error). */
#define LIMIT_UPSTREAM_REPLY (16u * 1024u * 1024u)

/* Hub protocol timers, milliseconds: the handshake must arrive within
 * 15 s, the service pings an idle client every 15 s, and a client silent
 * for 30 s is gone. */
#define LIMIT_HANDSHAKE_MS 15000
#define LIMIT_KEEPALIVE_MS 15000
#define LIMIT_CLIENT_TIMEOUT_MS 30000

/* Token clock skew tolerated on exp/nbf, seconds (.NET default 5 min). */
#define LIMIT_TOKEN_SKEW_S 300

#endif
