/* url.c - percent-decoding and percent-encoding (see url.h). */
#include "url.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"
#include "util/banned.h"

int url_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *url_decode(const char *s, size_t n, int plus_is_space)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 1 < n ? url_hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < n ? url_hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                goto bad;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                goto bad;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        } else if (c == '\0') {
            goto bad;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

char *url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = xmalloc(n * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

char *url_query_get(const char *query, const char *name)
{
    size_t nl = strlen(name);
    for (const char *q = query; q && *q;) {
        size_t n = strcspn(q, "&");
        size_t kl = strcspn(q, "=&");
        if (kl == nl && strncmp(q, name, nl) == 0) {
            if (kl == n)
                return xstrdup("");
            return url_decode(q + kl + 1, n - kl - 1, 1);
        }
        q += n;
        if (*q == '&')
            q++;
    }
    return NULL;
}
