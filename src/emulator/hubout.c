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
}

const struct msg *hubout_msgpack(struct hubout *o, char *err, size_t errlen)
{
    if (o->mp || o->mp_failed) {
        if (!o->mp)
            snprintf(err, errlen, "not transcodable to MessagePack");
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
