/*
 * xalloc.h - allocation wrappers that abort on out-of-memory.
 *
 * With these, error paths are left for real failures (bad input, a peer
 * gone), not for malloc returning NULL. Everything returned is owned by the
 * caller and released with free().
 */
#ifndef UTIL_XALLOC_H
#define UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; never NULL. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
