/* fuzz_ncrontab.c - NCRONTAB parsing and next-occurrence search. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/ncrontab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    struct ncrontab c;
    char err[256];
    if (ncrontab_parse(s, &c, err, sizeof err) == 0) {
        long long t = 1735689600LL;
        for (int i = 0; i < 3 && t >= 0; i++)
            t = ncrontab_next(&c, t);
    }
    free(s);
    return 0;
}
