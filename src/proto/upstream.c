/* upstream.c - upstream signatures, templates and patterns (see upstream.h). */
#include "upstream.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/buf.h"
#include "util/url.h"
#include "util/xalloc.h"
#include "util/banned.h"

void upstream_signature(const char *key, const char *connection_id,
                        char out[UPSTREAM_SIG_LEN])
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key),
         (const unsigned char *)connection_id, strlen(connection_id), mac,
         &len);
    memcpy(out, "sha256=", 7);
    for (unsigned i = 0; i < len && i < 32; i++) {
        out[7 + 2 * i] = hex[mac[i] >> 4];
        out[8 + 2 * i] = hex[mac[i] & 15];
    }
    out[7 + 64] = '\0';
}

char *upstream_signature_header(const char *const *keys, size_t nkeys,
                                const char *connection_id)
{
    struct buf b;
    char sig[UPSTREAM_SIG_LEN];
    buf_init(&b, (size_t)-1);
    for (size_t i = 0; i < nkeys; i++) {
        upstream_signature(keys[i], connection_id, sig);
        if (i)
            buf_puts(&b, ",");
        buf_puts(&b, sig);
    }
    return buf_take(&b, NULL);
}

/* Walk a comma-separated list: *p is the cursor; each call yields the next
 * item trimmed of white space in (*item, *len) and returns 1, or 0 at the
 * end. */
static int next_item(const char **p, const char **item, size_t *len)
{
    if (!**p)
        return 0;
    size_t n = strcspn(*p, ",");
    const char *s = *p;
    size_t m = n;
    while (m && isspace((unsigned char)*s)) {
        s++;
        m--;
    }
    while (m && isspace((unsigned char)s[m - 1]))
        m--;
    *p += n;
    if (**p == ',')
        (*p)++;
    *item = s;
    *len = m;
    return 1;
}

int upstream_signature_valid(const char *header, const char *const *keys,
                             size_t nkeys, const char *connection_id)
{
    int ok = 0;
    if (!header || !connection_id)
        return 0;
    for (size_t k = 0; k < nkeys; k++) {
        char want[UPSTREAM_SIG_LEN];
        upstream_signature(keys[k], connection_id, want);
        const char *p = header, *s;
        size_t m;
        while (next_item(&p, &s, &m)) {
            if (m != UPSTREAM_SIG_LEN - 1 || strncasecmp(s, "sha256=", 7) != 0)
                continue;
            char got[UPSTREAM_SIG_LEN];
            for (size_t i = 0; i < m; i++)
                got[i] = (char)toupper((unsigned char)s[i]);
            memcpy(got, "sha256=", 7);
            ok |= CRYPTO_memcmp(got, want, m) == 0;
        }
    }
    return ok;
}

int upstream_pattern_match(const char *pattern, const char *name,
                           int case_insensitive)
{
    const char *p = pattern, *s;
    size_t m;
    while (next_item(&p, &s, &m)) {
        if (m == 1 && *s == '*')
            return 1;
        if (m == strlen(name) && (case_insensitive ? strncasecmp(s, name, m)
                                                   : strncmp(s, name, m)) == 0)
            return 1;
    }
    return 0;
}

/* A name percent-encoded as a path segment or query value. */
static void escape(struct buf *b, const char *s)
{
    char *e = url_encode(s);
    buf_append(b, e, strlen(e));
    free(e);
}

char *upstream_expand(const char *tmpl, const char *hub, const char *category,
                      const char *event)
{
    struct buf b;
    buf_init(&b, (size_t)-1);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{hub}", 5) == 0) {
            escape(&b, hub);
            p += 5;
        } else if (strncmp(p, "{category}", 10) == 0) {
            escape(&b, category);
            p += 10;
        } else if (strncmp(p, "{event}", 7) == 0) {
            escape(&b, event);
            p += 7;
        } else {
            buf_append(&b, p, 1);
            p++;
        }
    }
    return buf_take(&b, NULL);
}
