/*
 * hubmsgpack.h - the SignalR MessagePack hub protocol, as far as a service
 * speaks it (the layouts of HubProtocol.md's "MessagePack Encoding").
 *
 * On the wire every message is one MessagePack array preceded by its
 * length as a VarInt (7 bits a byte, low bits first, at most 5 bytes, under
 * 2 GB): the binary framing. The handshake stays JSON text ending in 0x1E
 * (proto/hubproto.h), whatever the protocol.
 *
 * This module is the one place that knows the framing and the array
 * layouts. It splits received bytes into complete messages, checks a
 * handshake request naming "messagepack" (any other goes to
 * hubproto_handshake_check), parses a message into the same struct
 * hubproto_msg the JSON side fills (its obj is the message's JSON form, so
 * the code that acts on messages is one), and transcodes JSON hub records
 * (what the service builds from REST payloads, upstream answers, Ping,
 * Close) into framed MessagePack messages. Values are converted with
 * msgpack-c both ways: JSON integers become MessagePack integers,
 * fractions float64; MessagePack bin becomes a base64 string in the JSON
 * form, ext types null, non-string map keys their JSON text.
 *
 * Pure: no I/O, no logging; errors through the caller's err buffer. Every
 * declared length is checked against the bytes that hold it before
 * msgpack-c sees the message, so no input makes it allocate more than a
 * small multiple of its size.
 */
#ifndef PROTO_HUBMSGPACK_H
#define PROTO_HUBMSGPACK_H

#include <stddef.h>

#include <json-c/json.h>

#include "proto/hubproto.h"
#include "util/buf.h"

/* The protocol's name in a handshake request. */
#define HUBMSGPACK_NAME "messagepack"
/* The media type of upstream bodies holding one such message. */
#define HUBMSGPACK_MEDIA_TYPE "application/x-msgpack"
/* A VarInt length prefix is at most this many bytes. */
#define HUBMSGPACK_PREFIX_MAX 5
/* What the service answers a MessagePack handshake on a text-only
 * transport (ASP.NET Core's HubConnectionContext). */
#define HUBMSGPACK_TEXT_ONLY                                                   \
    "Cannot use the 'messagepack' protocol on the current transport. The "     \
    "transport does not support 'Binary' transfer format."

/* The frame at the start of p (n bytes): 1 when complete (*hdr prefix
 * bytes, then *len message bytes), 0 when more bytes are needed, -1 when
 * the prefix is bad (over 5 bytes or 2 GB) or the message is over max
 * bytes, with the reason in err. */
int hubmsgpack_frame(const char *p, size_t n, size_t max, size_t *hdr,
                     size_t *len, char *err, size_t errlen);

/* Append the VarInt prefix of n to out. Returns 0, or -1 at out's cap. */
int hubmsgpack_put_prefix(struct buf *out, size_t n);

/* Splits a byte stream into framed messages; the pending total is capped at
 * max bytes (also the largest message). */
struct hubmsgpack_reader {
    struct buf in;
    size_t pos; /* start of the first frame not yet returned */
    size_t max;
};

void hubmsgpack_reader_init(struct hubmsgpack_reader *r, size_t max);
void hubmsgpack_reader_release(struct hubmsgpack_reader *r);
/* Append received bytes. Returns 0, or -1 when the bytes not yet returned
 * would exceed max (nothing appended). */
int hubmsgpack_reader_feed(struct hubmsgpack_reader *r, const void *p,
                           size_t n);
/* The next complete message, without its prefix: 1 with *msg and *len
 * (borrowed, valid until the next feed), 0 when none is complete, -1 when
 * the framing is broken (err says why; the stream cannot go on). */
int hubmsgpack_reader_next(struct hubmsgpack_reader *r, const char **msg,
                           size_t *len, char *err, size_t errlen);

/* A handshake request record (JSON, without 0x1E). Returns 1 when it asks
 * for "messagepack" version 1 or 2, 0 when it is an acceptable JSON
 * protocol request (hubproto_handshake_check), -1 with the text for
 * {"error": ...} in err otherwise. */
int hubmsgpack_handshake_check(const char *rec, size_t len, char *err,
                               size_t errlen);

/* Parse one message (without its prefix) into m (release with
 * hubproto_msg_release): m->obj is the message's JSON form, e.g.
 * {"type":1,"invocationId":"1","target":"t","arguments":[...]}. Returns 0,
 * or -1 with the reason in err when the bytes are not one MessagePack
 * array starting with an integer type, or a known type's fields are
 * missing or of the wrong kind. Unknown types are legal (type only). */
int hubmsgpack_parse(const char *p, size_t n, struct hubproto_msg *m, char *err,
                     size_t errlen);

/* Transcode JSON hub records (each ending in 0x1E, as proto/hubproto.h
 * writes them) into framed MessagePack messages appended to out. Returns
 * 0, or -1 with the reason in err (a record that is not a hub message, or
 * out's cap); out is then as it was. */
int hubmsgpack_from_json(const char *recs, size_t n, struct buf *out, char *err,
                         size_t errlen);

/* The Management SDK's binary REST payload (Content-Type
 * application/octet-stream, sent when an app registers its own hub
 * protocols): a MessagePack map from protocol name ("json", "messagepack")
 * to that protocol's serialised Invocation (bin: JSON records ending in
 * 0x1E, or framed MessagePack). Sets *json and *mp (borrowed from p) and their
 * lengths, NULL and 0 for a protocol the map lacks; other names are
 * ignored. Returns 0, or -1 with the reason in err when p is not such a
 * map, a value is not bin, a value is not Invocations of its protocol, or
 * neither protocol is there. */
int hubmsgpack_payload_map(const char *p, size_t n, const char **json,
                           size_t *json_len, const char **mp, size_t *mp_len,
                           char *err, size_t errlen);

/* Check that p holds only complete frames, each one message of a known
 * layout (what an upstream answers a MessagePack client). Returns 0, or
 * -1 with the reason in err. */
int hubmsgpack_check_frames(const char *p, size_t n, char *err, size_t errlen);

#endif
