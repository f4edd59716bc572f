/*
 * hubout.h - one outgoing hub message in both hub protocols' encodings.
 *
 * What the service sends is built as JSON records (proto/hubproto.h); a
 * MessagePack client gets the same messages transcoded
 * (proto/hubmsgpack.h). A struct hubout carries the JSON bytes (borrowed)
 * and, built on first use and shared by every recipient of a fan-out, the
 * MessagePack bytes and each encoding's WebSocket frame, so a broadcast
 * to clients of both protocols is transcoded once and framed once per
 * protocol. Not the transport (conn.h sends it); no I/O.
 */
#ifndef EMULATOR_HUBOUT_H
#define EMULATOR_HUBOUT_H

#include <stddef.h>

#include "emulator/msg.h"

struct hubout {
    const char *json; /* complete JSON records, borrowed */
    size_t json_len;
    struct msg *text_frame; /* WebSocket text frame of json, or NULL */
    struct msg *mp;         /* the MessagePack frames, or NULL */
    struct msg *mp_frame;   /* WebSocket binary frame of mp, or NULL */
    int mp_failed;          /* the transcoding failed once: never again */
    int given; /* both encodings came with the message (a binary payload):
                * one it lacks is not made, its clients are skipped */
};

/* Start with json (n bytes of records ending in 0x1E, borrowed until
 * hubout_release); nothing is built yet. */
void hubout_init(struct hubout *o, const char *json, size_t n);
/* A message that comes in both encodings, the Management SDK's binary
 * REST payload (proto/hubmsgpack.h, hubmsgpack_payload_map: body is
 * borrowed, as json in hubout_init): each protocol's clients get its own
 * bytes; a protocol the payload lacks is not converted (the SDK sends
 * such payloads only when the app names every protocol it wants), its
 * clients get nothing. Returns 0, or -1 with the reason in err. */
int hubout_init_payload_map(struct hubout *o, const char *body, size_t n,
                            char *err, size_t errlen);
/* The MessagePack encoding (borrowed from o), built on first use; NULL
 * when the records cannot be transcoded (err says why, once). */
const struct msg *hubout_msgpack(struct hubout *o, char *err, size_t errlen);
/* Drop every reference o holds. */
void hubout_release(struct hubout *o);

#endif
