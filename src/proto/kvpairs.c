/* kvpairs.c - ';'-separated Key=Value strings (see kvpairs.h). */
#include "kvpairs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"
#include "util/banned.h"

/* The n bytes at s without leading and trailing white space. */
static const char *trimmed(const char *s, size_t *n)
{
    while (*n && isspace((unsigned char)*s)) {
        s++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)s[*n - 1]))
        (*n)--;
    return s;
}

void kvpairs_release(char **vals, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (vals[i]) {
            explicit_bzero(vals[i], strlen(vals[i]));
            free(vals[i]);
            vals[i] = NULL;
        }
    }
}

int kvpairs_split(const char *s, const char *const *keys, size_t nkeys,
                  char **vals, char *err, size_t errlen)
{
    int pairs = 0;
    while (s && *s) {
        size_t n = strcspn(s, ";"), kn, vn;
        const char *seg = s;
        s += n + (s[n] == ';');
        size_t whole = n;
        trimmed(seg, &whole);
        if (!whole)
            continue;
        const char *eq = memchr(seg, '=', n);
        if (!eq) {
            snprintf(err, errlen,
                     "segment %d is not Key=Value (a connection string is "
                     "';'-separated Key=Value pairs)",
                     pairs + 1);
            kvpairs_release(vals, nkeys);
            return -1;
        }
        pairs++;
        kn = (size_t)(eq - seg);
        const char *k = trimmed(seg, &kn);
        for (size_t i = 0; i < nkeys; i++) {
            if (strlen(keys[i]) != kn || strncasecmp(k, keys[i], kn) != 0)
                continue;
            if (vals[i]) {
                snprintf(err, errlen, "duplicate key %s: it appears twice",
                         keys[i]);
                kvpairs_release(vals, nkeys);
                return -1;
            }
            vn = n - (size_t)(eq + 1 - seg);
            const char *v = trimmed(eq + 1, &vn);
            vals[i] = xstrndup(v, vn);
        }
    }
    return pairs;
}
