/* fuzz_hubmsgpack.c - the MessagePack hub protocol reader: bytes fed in
 * random-sized pieces (the first byte picks the piece size and a small or
 * large cap), every complete message parsed, a parsed message's JSON form
 * written back as MessagePack; the whole input is also checked as an
 * upstream answer, read as a binary REST payload map and transcoded as if
 * it were JSON records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/hubmsgpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 64 + 1;
    size_t cap = (data[0] & 0x80) ? 256 : 65536;
    data++;
    size--;
    char err[256];
    struct hubmsgpack_reader r;
    hubmsgpack_reader_init(&r, cap);
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (hubmsgpack_reader_feed(&r, data + off, n) != 0)
            break;
        const char *msg;
        size_t len;
        int rc;
        while ((rc = hubmsgpack_reader_next(&r, &msg, &len, err, sizeof err)) ==
               1) {
            struct hubproto_msg m;
            if (hubmsgpack_parse(msg, len, &m, err, sizeof err) != 0)
                continue;
            /* what was read can be written: the JSON form, transcoded */
            struct buf rec, out;
            buf_init(&rec, (size_t)-1);
            buf_init(&out, (size_t)-1);
            buf_puts(&rec, json_object_to_json_string_ext(
                               m.obj, JSON_C_TO_STRING_PLAIN));
            buf_puts(&rec, HUBPROTO_RS_STR);
            if (hubmsgpack_from_json(rec.data, rec.len, &out, err,
                                     sizeof err) == 0 &&
                hubmsgpack_check_frames(out.data, out.len, err, sizeof err) !=
                    0 &&
                m.type <= HUBPROTO_SEQUENCE && m.type >= HUBPROTO_INVOCATION)
                abort(); /* a known message must survive the round trip */
            buf_release(&rec);
            buf_release(&out);
            hubproto_msg_release(&m);
        }
        if (rc < 0)
            break;
    }
    hubmsgpack_reader_release(&r);
    (void)hubmsgpack_check_frames((const char *)data, size, err, sizeof err);
    const char *json, *mp;
    size_t jn, mn;
    (void)hubmsgpack_payload_map((const char *)data, size, &json, &jn, &mp, &mn,
                                 err, sizeof err);
    (void)hubmsgpack_handshake_check((const char *)data, size, err, sizeof err);
    struct buf out;
    buf_init(&out, 65536);
    (void)hubmsgpack_from_json((const char *)data, size, &out, err, sizeof err);
    buf_release(&out);
    return 0;
}
