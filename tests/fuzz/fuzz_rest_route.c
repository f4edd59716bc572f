/* fuzz_rest_route.c - the emulator's REST route matching
 * (rest_route_parse): the first byte picks the method, the rest is the raw
 * path (no query), NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/rest.h"

static const char *const methods[] = {"GET",    "HEAD",  "POST",    "PUT",
                                      "DELETE", "PATCH", "OPTIONS", "get"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *method = methods[data[0] % 8];
    char *path = malloc(size);
    memcpy(path, data + 1, size - 1);
    path[size - 1] = '\0';
    struct rest_route rt;
    int status = 0;
    char err[256];
    if (rest_route_parse(method, path, &rt, &status, err, sizeof err) == 0)
        rest_route_release(&rt);
    free(path);
    return 0;
}
