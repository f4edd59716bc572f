/*
 * upmsg.h - the bytes of an upstream call and of its answer to the client.
 *
 * Builds what the emulator POSTs upstream (as the service does; the
 * contract with the local host): the X-ASRS-* header lines, the bodies
 * {"type":10}, {"type":11[,"error":...]} and the client's Invocation
 * re-serialised without its 0x1E; the X-ASRS-User-Claims and
 * X-ASRS-Client-Query values (the latter never carrying access_token);
 * and maps the upstream's answer to the records the invoking client gets
 * (a Completion for an invocation with an id). Pure: no I/O, no logging.
 * Not the HTTP client (upclient.h).
 */
#ifndef EMULATOR_UPMSG_H
#define EMULATOR_UPMSG_H

#include <stddef.h>

#include <json-c/json.h>

#include "emulator/limits.h" /* LIMIT_UPSTREAM_REPLY */
#include "proto/hubproto.h"
#include "util/buf.h"

/* Who the call is about; every string borrowed, user/claims/query may be
 * NULL (then their header is omitted, as the service does). */
struct upmsg_conn {
    const char *id;     /* connection id */
    const char *hub;    /* hub as stored (lower-case) */
    const char *user;   /* user id, NULL when anonymous */
    const char *claims; /* X-ASRS-User-Claims value */
    const char *query;  /* X-ASRS-Client-Query value */
    /* the body's media type; NULL is application/json (a MessagePack
     * client's invocations go as application/x-msgpack) */
    const char *media_type;
};

/* The header lines of one call ("Name: value"), NULL-terminated; free
 * with upmsg_headers_free. The signature holds one sha256= per key.
 * Control characters in a value become spaces: one line per header. */
char **upmsg_headers(const struct upmsg_conn *c, const char *category,
                     const char *event, const char *const *keys, size_t nkeys);
void upmsg_headers_free(char **h);
/* 1 when s holds no control character (fit for a header as it is). */
int upmsg_header_safe(const char *s);

/* Bodies, new strings (caller frees). error may be NULL. */
char *upmsg_body_connected(void);
char *upmsg_body_disconnected(const char *error);
/* {"type":1[,"invocationId":id],"target":t,"arguments":[...]} from a
 * parsed client Invocation; *len set. */
char *upmsg_body_invocation(const struct hubproto_msg *m, size_t *len);

/* The body of a MessagePack client's invocation: the message as the
 * client sent it, without its length prefix (what the service sends and
 * the Functions extension's MessagePack parser reads); *len set. */
char *upmsg_body_msgpack(const char *raw, size_t n, size_t *len);

/* X-ASRS-User-Claims from the token's claims: "type: value" for each
 * claim (one per element of an array claim; objects as compact JSON),
 * joined with ", ". Control characters become spaces so the value stays
 * one header line. NULL when there are no claims. Caller frees. */
char *upmsg_claims(struct json_object *claims);

/* Append one query parameter, raw (as received, still percent-encoded),
 * to q: "?k=v" first, "&k=v" after. access_token (any case) is skipped:
 * the official emulator forwards it, which hands the client's token to
 * the function app. value NULL means a bare "k". */
void upmsg_query_add(struct buf *q, const char *key, const char *value);

/* What an upstream answer means for the invoking client (an Invocation
 * with invocation_id). status is the HTTP status, or 0 when the call
 * failed (connection refused, timeout, ...), or -1 when the answer was
 * over LIMIT_UPSTREAM_REPLY. Appends the records to send to out:
 *   200 + body ending in 0x1E  → the body verbatim;
 *   200 + empty body, 204      → {"type":3,"invocationId":id};
 *   200 + body without 0x1E    → Completion error "Invocation failed,
 *                                the upstream answer is not hub records."
 *   other status N             → Completion error "Invocation failed,
 *                                status code N";
 *   failed call                → as status 500, like the official
 *                                emulator (the log line says why);
 *   too large                  → "Invocation failed, response too large."
 * Returns 0, or -1 when out's cap is reached. */
int upmsg_answer(struct buf *out, const char *invocation_id, long status,
                 const char *body, size_t len);

/* upmsg_answer for a MessagePack client: out gets framed MessagePack
 * messages. A 200 body must be complete frames of known layouts (what
 * the extension's MessagePackHubProtocol writes) and goes verbatim;
 * anything else is upmsg_answer's Completion, transcoded. Returns 0, or
 * -1 when out's cap is reached. */
int upmsg_answer_msgpack(struct buf *out, const char *invocation_id,
                         long status, const char *body, size_t len);

/* s for a log line: control characters and non-ASCII bytes as '?', cut
 * at max bytes with "..." (a client names its targets; it must not be able
 * to forge log lines). New string, caller frees. */
char *upmsg_loggable(const char *s, size_t max);

/* The Completion error for an invocation that went nowhere: no upstream
 * configured, or none whose patterns match. */
#define UPMSG_NO_UPSTREAM "No upstream is configured for this hub and event"

#endif
