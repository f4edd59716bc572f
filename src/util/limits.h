/*
 * limits.h - every size and time limit of the three programs, named once.
 *
 * Going over a limit is an error with a named status (413, a close, a log
 * line), never a silent truncation. Where a limit mirrors Azure, the source
 * is next to it.
 */
#ifndef UTIL_LIMITS_H
#define UTIL_LIMITS_H

/* A caller's request body inside an invocation (Data.req.Body), and any
 * SignalR REST body: 1 MB, the service's own limit. */
#define LIMIT_USER_BODY (1024u * 1024u)

/* A whole invocation envelope from the host. The body appears once in
 * Data.req.Body and its top-level properties again in Metadata, so the
 * envelope may legitimately be a few times the user body. */
#define LIMIT_INVOKE_BODY (4u * 1024u * 1024u)

/* A handler's reply to the host, read by the local host. */
#define LIMIT_INVOKE_REPLY (8u * 1024u * 1024u)

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

/* JWT length accepted (the SDK refuses tokens over 4096 characters). */
#define LIMIT_TOKEN_LEN 4096u

/* JSON nesting depth accepted in any body we parse. */
#define LIMIT_JSON_DEPTH 64

/* Hub protocol timers, milliseconds: the handshake must arrive within
 * 15 s, the service pings an idle client every 15 s, and a client silent
 * for 30 s is gone. */
#define LIMIT_HANDSHAKE_MS 15000
#define LIMIT_KEEPALIVE_MS 15000
#define LIMIT_CLIENT_TIMEOUT_MS 30000

/* Token clock skew tolerated on exp/nbf, seconds (.NET default 5 min). */
#define LIMIT_TOKEN_SKEW_S 300

#endif
