/* hubout.c - one outgoing hub message in both encodings (see hubout.h). */
#include "hubout.h"

#include <stdio.h>

#include "emulator/limits.h"
#include "proto/hubmsgpack.h"
#include "util/buf.h"
#include "util/banned.h"

void hubout_init(struct hubout *o, const char *json, size_t n)
{
    o->json = json;
    o->json_len = n;
    o->text_frame = o->mp = o->mp_frame = NULL;
    o->mp_failed = 0;
    o->given = 0;
}

int hubout_init_payload_map(struct hubout *o, const char *body, size_t n,
                            char *err, size_t errlen)
{
    const char *json, *mp;
    size_t jn, mn;
    hubout_init(o, NULL, 0);
    if (hubmsgpack_payload_map(body, n, &json, &jn, &mp, &mn, err, errlen) < 0)
        return -1;
    o->given = 1;
    o->json = json;
    o->json_len = jn;
    if (mp)
        o->mp = msg_new(mp, mn);
    else
        o->mp_failed = 1;
    return 0;
}

const struct msg *hubout_msgpack(struct hubout *o, char *err, size_t errlen)
{
    if (o->mp || o->mp_failed) {
        if (!o->mp)
            snprintf(err, errlen, "%s",
                     o->given ? "the payload has no messagepack part"
                              : "not transcodable to MessagePack");
        return o->mp;
    }
    struct buf b;
    buf_init(&b, LIMIT_CONN_SENDBUF);
    if (hubmsgpack_from_json(o->json, o->json_len, &b, err, errlen) < 0)
        o->mp_failed = 1;
    else
        o->mp = msg_new(b.data, b.len);
    buf_release(&b);
    return o->mp;
}

void hubout_release(struct hubout *o)
{
    msg_unref(o->text_frame);
    msg_unref(o->mp);
    msg_unref(o->mp_frame);
    o->text_frame = o->mp = o->mp_frame = NULL;
}
