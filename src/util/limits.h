/*
 * limits.h - the limits the programs share, named once: what passes
 * between them (request bodies, invocation envelopes and replies) and what
 * more than one of them checks (tokens, JSON depth). A limit of one
 * program alone lives with it (the emulator's in emulator/limits.h).
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

/* JWT length accepted (the SDK refuses tokens over 4096 characters). */
#define LIMIT_TOKEN_LEN 4096u

/* JSON nesting depth accepted in any body we parse. */
#define LIMIT_JSON_DEPTH 64

#endif
