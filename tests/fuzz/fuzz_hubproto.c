/* fuzz_hubproto.c - the hub protocol reader: bytes fed in random-sized
 * pieces (the first byte picks the piece size), every complete record
 * checked as a handshake and parsed as a hub message, with a small cap so
 * the over-cap path is reached too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/hubproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 64 + 1;
    size_t cap = (data[0] & 0x80) ? 256 : 65536;
    data++;
    size--;
    struct hubproto_reader r;
    hubproto_reader_init(&r, cap);
    char err[256];
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (hubproto_reader_feed(&r, data + off, n) != 0)
            break;
        const char *rec;
        size_t len;
        while (hubproto_reader_next(&r, &rec, &len) == 1) {
            (void)hubproto_handshake_check(rec, len, err, sizeof err);
            struct hubproto_msg m;
            if (hubproto_parse(rec, len, &m, err, sizeof err) == 0)
                hubproto_msg_release(&m);
        }
        (void)hubproto_reader_pending(&r);
    }
    hubproto_reader_release(&r);
    return 0;
}
