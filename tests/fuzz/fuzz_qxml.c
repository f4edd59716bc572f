/* fuzz_qxml.c - the Queue service's XML replies (messages and errors) and
 * Azure Storage connection strings: whatever the bytes, a reply is taken
 * or refused with a reason, and nothing leaks. The first byte picks the
 * reader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/qxml.h"
#include "host/storconn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    char err[256], code[64], msg[256];
    if (data[0] % 3 == 0) {
        struct qmsg *m;
        size_t n;
        if (qxml_messages(s, size - 1, &m, &n, err, sizeof err) == 0)
            qxml_messages_free(m, n);
    } else if (data[0] % 3 == 1) {
        qxml_error(s, size - 1, code, sizeof code, msg, sizeof msg);
    } else {
        struct storconn cs;
        if (storconn_parse(s, &cs, err, sizeof err) == 0)
            storconn_release(&cs);
    }
    free(s);
    return 0;
}
