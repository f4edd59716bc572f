/* qcodec.c - base64 for queue messages (see qcodec.h). */
#include "qcodec.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/xalloc.h"
#include "util/banned.h"

char *qcodec_b64_encode(const void *p, size_t n)
{
    char *out = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

static int b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

unsigned char *qcodec_b64_decode(const char *s, size_t *n)
{
    size_t len = strlen(s), k = 0, pad = 0;
    char *clean = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            pad++;
        } else if (!b64_char(c) || pad) {
            free(clean); /* a character after '=' or outside the alphabet */
            return NULL;
        }
        clean[k++] = c;
    }
    clean[k] = '\0';
    if (k % 4 != 0 || pad > 2) {
        free(clean);
        return NULL;
    }
    unsigned char *out = xmalloc(k / 4 * 3 + 1);
    int got = k ? EVP_DecodeBlock(out, (unsigned char *)clean, (int)k) : 0;
    free(clean);
    if (got < 0) {
        free(out);
        return NULL;
    }
    *n = (size_t)got - pad;
    out[*n] = '\0';
    return out;
}
