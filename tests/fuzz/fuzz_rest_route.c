/* fuzz_rest_route.c - the emulator's REST route matching
 * (rest_route_parse): the first byte picks the method, the rest is the raw
 * path (no query), NUL-terminated; the same bytes as a group listing's
 * continuationToken (restpage_token_parse), which must survive a round
 * trip when accepted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/rest.h"
#include "emulator/restpage.h"

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
    struct restpage_pos pos;
    if (restpage_token_parse(path, &pos) == 0) {
        char *tok = restpage_token(&pos);
        struct restpage_pos back;
        if (restpage_token_parse(tok, &back) != 0 ||
            back.returned != pos.returned || strcmp(back.after, pos.after))
            abort();
        restpage_pos_release(&back);
        free(tok);
        restpage_pos_release(&pos);
    }
    free(path);
    return 0;
}
