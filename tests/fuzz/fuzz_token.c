/* fuzz_token.c - token verification and audience matching. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH", "second"};
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    struct token_claims c;
    char err[256];
    if (token_verify(s, keys, 2, 1735689600L, 300, &c, err, sizeof err) == 0)
        token_claims_release(&c);
    token_aud_match(s, "http://localhost:8888", "/client/", "chat");
    token_aud_match(s, "http://localhost:8888", "/api/hubs/chat/:send", NULL);
    free(s);
    return 0;
}
