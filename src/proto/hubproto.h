/*
 * hubproto.h - the SignalR JSON hub protocol, as far as a service speaks it.
 *
 * A record is one UTF-8 JSON object followed by the record separator 0x1E
 * (records in tests/vectors/signalr/hub-messages.txt). This module
 * is the one place that knows that byte: it splits received bytes into
 * complete records (keeping a partial one for later), checks the handshake
 * request, parses hub messages, and writes the records a service sends
 * (handshake reply, Ping, Close, Completion, Invocation), each ending in
 * 0x1E. It is not a transport (no WebSocket, SSE or HTTP knowledge) and it
 * does not decide what to do with a message. Pure: no I/O, no logging;
 * errors are reported through the caller's err buffer.
 */
#ifndef PROTO_HUBPROTO_H
#define PROTO_HUBPROTO_H

#include <stddef.h>

#include <json-c/json.h>

#include "util/buf.h"

/* Record separator (ASCII RS) ending every handshake and hub record. */
#define HUBPROTO_RS '\x1e'
#define HUBPROTO_RS_STR "\x1e"

/* Message types of the JSON hub protocol. */
enum hubproto_type {
    HUBPROTO_INVOCATION = 1,
    HUBPROTO_STREAM_ITEM = 2,
    HUBPROTO_COMPLETION = 3,
    HUBPROTO_STREAM_INVOCATION = 4,
    HUBPROTO_CANCEL_INVOCATION = 5,
    HUBPROTO_PING = 6,
    HUBPROTO_CLOSE = 7,
    HUBPROTO_ACK = 8,
    HUBPROTO_SEQUENCE = 9
};

/* Splits a byte stream into complete records. Bytes after the last 0x1E
 * wait for more input; the pending total is capped at max bytes. */
struct hubproto_reader {
    struct buf in;
    size_t pos; /* start of the first record not yet returned */
};

void hubproto_reader_init(struct hubproto_reader *r, size_t max);
void hubproto_reader_release(struct hubproto_reader *r);
/* Append received bytes. Returns 0, or -1 when the bytes not yet returned
 * as records would exceed max (nothing appended; the peer is too big). */
int hubproto_reader_feed(struct hubproto_reader *r, const void *p, size_t n);
/* Take the next complete record, without its 0x1E. Returns 1 and sets *rec
 * and *len (borrowed, valid until the next feed), or 0 when no complete
 * record is buffered. */
int hubproto_reader_next(struct hubproto_reader *r, const char **rec,
                         size_t *len);
/* Bytes of an incomplete record still waiting for its 0x1E. */
size_t hubproto_reader_pending(const struct hubproto_reader *r);

/* Check a handshake request record ({"protocol":"json","version":1}).
 * Only the JSON protocol, versions 1 and 2, is accepted. Returns 0, or -1
 * with the text to send back in {"error": ...} in err. */
int hubproto_handshake_check(const char *rec, size_t len, char *err,
                             size_t errlen);

/* The "version" of a handshake request already accepted by a check (the
 * hub protocol version: 2 and up can resume, stateful reconnect), or 0
 * when there is none. */
long long hubproto_handshake_version(const char *rec, size_t len);

/* A parsed hub message. obj owns everything; the strings are borrowed
 * from it. */
struct hubproto_msg {
    int type;                  /* any number; unknown types are legal */
    const char *target;        /* Invocation/StreamInvocation, else NULL */
    const char *invocation_id; /* when present, else NULL */
    struct json_object *obj;   /* the whole record; owned */
};

/* Parse one record. Returns 0 and fills m (release with
 * hubproto_msg_release), or -1 with a reason in err when the record is
 * not a JSON object, "type" is missing or not an integer, or an
 * Invocation lacks a non-empty "target" or an "arguments" array. */
int hubproto_parse(const char *rec, size_t len, struct hubproto_msg *m,
                   char *err, size_t errlen);
void hubproto_msg_release(struct hubproto_msg *m);

/* Writers: each appends one complete record (JSON + 0x1E) to out and
 * returns 0, or -1 when out's cap is reached (out unchanged). */

/* {} or {"error":"..."}. */
int hubproto_write_handshake(struct buf *out, const char *error);
/* {"type":6}. */
int hubproto_write_ping(struct buf *out);
/* {"type":8,"sequenceId":id} (Ack) or {"type":9,"sequenceId":id}
 * (Sequence), as type says: stateful reconnect's messages. */
int hubproto_write_sequence_id(struct buf *out, int type, long long id);
/* {"type":7[,"error":e][,"allowReconnect":true]}. */
int hubproto_write_close(struct buf *out, const char *error,
                         int allow_reconnect);
/* {"type":3,"invocationId":id[,"result":r][,"error":e]}; result is
 * borrowed and may be NULL (void). At most one of result and error. */
int hubproto_write_completion(struct buf *out, const char *invocation_id,
                              struct json_object *result, const char *error);
/* {"type":1[,"invocationId":id],"target":t,"arguments":a}; arguments is
 * borrowed, NULL writes []. */
int hubproto_write_invocation(struct buf *out, const char *invocation_id,
                              const char *target,
                              struct json_object *arguments);

#endif
