/* fuzz_connstr.c - connection string parsing and the URLs derived. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/connstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    struct connstr cs;
    char err[256];
    if (connstr_parse(s, &cs, err, sizeof err) == 0) {
        free(connstr_client_url(&cs, "Hub"));
        free(connstr_client_aud(&cs, "Hub"));
        connstr_release(&cs);
    }
    free(s);
    return 0;
}
