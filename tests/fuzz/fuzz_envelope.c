/* fuzz_envelope.c - the handler's dispatch step: any bytes as the body of
 * POST /{function}. The first byte picks the function. */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>

#include "handler/routes.h"
#include "handler/server.h"
#include "handler/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct stats *st;
    if (!st) {
        st = stats_new();
        freopen("/dev/null", "w", stdout);
    }
    if (size < 1)
        return 0;
    size_t n = 0;
    const struct route *all = routes_all(&n);
    const char *name = all[data[0] % n].name;
    int status = 0;
    char *out = server_dispatch(st, "www", "Endpoint=http://x;AccessKey=k",
                                name, (const char *)data + 1, size - 1, "id",
                                &status);
    free(out);
    return 0;
}
