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

/* SignalR REST request headers (signalr-service.md §3.5). */
#define LIMIT_REST_HEADERS (16u * 1024u)

/* Client → service hub message over SSE/long polling send (§3.5). */
#define LIMIT_CLIENT_MESSAGE (1024u * 1024u)

/* One WebSocket message from a client (the service has no limit; we keep
 * one so a client cannot exhaust memory). */
#define LIMIT_WS_MESSAGE (1024u * 1024u)

/* Bytes queued for one client before it is considered dead and closed. */
#define LIMIT_CONN_SENDBUF (4u * 1024u * 1024u)

/* Upstream reply (signalr-service.md §5.4: 16 MiB). */
#define LIMIT_UPSTREAM_REPLY (16u * 1024u * 1024u)

/* Hub protocol timers (signalr-service.md §2.9), milliseconds. */
#define LIMIT_HANDSHAKE_MS 15000
#define LIMIT_KEEPALIVE_MS 15000
#define LIMIT_CLIENT_TIMEOUT_MS 30000

/* Token clock skew tolerated on exp/nbf, seconds (.NET default 5 min). */
#define LIMIT_TOKEN_SKEW_S 300

#endif
