/* restpage.c - the group listing's pages (see restpage.h). */
#include "restpage.h"

#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/url.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Tokens decode to "<returned>:<id>"; ids are at most this long. */
#define TOKEN_MAX_TEXT 600

static const char HEX[] = "0123456789abcdef";

char *restpage_token(const struct restpage_pos *pos)
{
    char *text =
        xasprintf("%ld:%s", pos->returned, pos->after ? pos->after : "");
    size_t n = strlen(text);
    char *out = xmalloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[(unsigned char)text[i] >> 4];
        out[2 * i + 1] = HEX[(unsigned char)text[i] & 15];
    }
    out[2 * n] = '\0';
    free(text);
    return out;
}

int restpage_token_parse(const char *tok, struct restpage_pos *pos)
{
    memset(pos, 0, sizeof *pos);
    size_t n = strlen(tok);
    if (!n || n % 2 || n / 2 > TOKEN_MAX_TEXT)
        return -1;
    char text[TOKEN_MAX_TEXT + 1];
    for (size_t i = 0; i < n / 2; i++) {
        int hi = url_hex_digit(tok[2 * i]), lo = url_hex_digit(tok[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return -1;
        text[i] = (char)(hi << 4 | lo);
    }
    text[n / 2] = '\0';
    char *colon = strchr(text, ':');
    if (!colon || colon == text || !colon[1])
        return -1;
    *colon = '\0';
    char *end = NULL;
    errno = 0;
    long returned = strtol(text, &end, 10);
    if (errno || *end || returned < 1)
        return -1;
    pos->returned = returned;
    pos->after = xstrdup(colon + 1);
    return 0;
}

void restpage_pos_release(struct restpage_pos *pos)
{
    free(pos->after);
    pos->after = NULL;
}

size_t restpage_count(size_t remaining, long maxpage, long top, long returned)
{
    size_t n = remaining < (size_t)maxpage ? remaining : (size_t)maxpage;
    if (top > 0) {
        long left = top > returned ? top - returned : 0;
        if ((size_t)left < n)
            n = (size_t)left;
    }
    return n;
}

/* Append s percent-encoded. */
static void put_enc(struct buf *b, const char *s)
{
    char *e = url_encode(s);
    buf_puts(b, e);
    free(e);
}

char *restpage_next_link(const char *scheme, const char *host, const char *hub,
                         const char *group, const char *app,
                         const char *api_version, long top, long maxpage,
                         const struct restpage_pos *pos)
{
    struct buf b;
    buf_init(&b, 16384);
    buf_printf(&b, "%s://%s/api/hubs/", scheme,
               host && *host ? host : "localhost");
    put_enc(&b, hub);
    buf_puts(&b, "/groups/");
    put_enc(&b, group);
    buf_puts(&b, "/connections?");
    if (top > 0)
        buf_printf(&b, "top=%ld&", top);
    buf_printf(&b, "maxpagesize=%ld&continuationToken=", maxpage);
    char *tok = restpage_token(pos);
    buf_puts(&b, tok);
    free(tok);
    buf_puts(&b, "&api-version=");
    put_enc(&b, api_version ? api_version : "2024-12-01");
    if (app) {
        buf_puts(&b, "&application=");
        put_enc(&b, app);
    }
    char *s = buf_take(&b, NULL);
    buf_release(&b);
    return s;
}
