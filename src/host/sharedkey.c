/* sharedkey.c - Shared Key signing of Storage requests (see sharedkey.h). */
#include "sharedkey.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/buf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SHAREDKEY_MAX (64 * 1024)

static char *lower(const char *s)
{
    char *o = xstrdup(s);
    for (char *c = o; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return o;
}

struct pair {
    char *name; /* lower-cased */
    const char *value;
};

static int cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Lower-cased names, sorted (ordinal). */
static struct pair *sorted(const struct sharedkey_kv *kv, size_t n)
{
    struct pair *p = xcalloc(n + 1, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        p[i].name = lower(kv[i].name);
        p[i].value = kv[i].value ? kv[i].value : "";
    }
    if (n > 1)
        qsort(p, n, sizeof *p, cmp_pair);
    return p;
}

static void free_pairs(struct pair *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i].name);
    free(p);
}

char *sharedkey_string_to_sign(const struct sharedkey_req *r)
{
    struct buf b;
    buf_init(&b, SHAREDKEY_MAX);
    buf_printf(&b, "%s\n\n\n", r->method);
    if (r->content_length)
        buf_printf(&b, "%zu", r->content_length);
    buf_printf(&b, "\n\n%s\n\n\n\n\n\n\n",
               r->content_type ? r->content_type : "");
    struct pair *h = sorted(r->xms, r->nxms);
    for (size_t i = 0; i < r->nxms; i++)
        buf_printf(&b, "%s:%s\n", h[i].name, h[i].value);
    free_pairs(h, r->nxms);
    buf_printf(&b, "/%s%s", r->account, r->path);
    struct pair *q = sorted(r->query, r->nquery);
    for (size_t i = 0; i < r->nquery; i++) {
        /* Repeated names: one line, values comma-joined. */
        if (i > 0 && strcmp(q[i].name, q[i - 1].name) == 0)
            buf_printf(&b, ",%s", q[i].value);
        else
            buf_printf(&b, "\n%s:%s", q[i].name, q[i].value);
    }
    free_pairs(q, r->nquery);
    size_t len;
    return buf_take(&b, &len);
}

void sharedkey_signature(const unsigned char *key, size_t key_len,
                         const char *s, char out[45])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)s, strlen(s),
         md, &mdlen);
    EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

char *sharedkey_authorization(const unsigned char *key, size_t key_len,
                              const struct sharedkey_req *r)
{
    char sig[45];
    char *s = sharedkey_string_to_sign(r);
    sharedkey_signature(key, key_len, s, sig);
    free(s);
    return xasprintf("SharedKey %s:%s", r->account, sig);
}
