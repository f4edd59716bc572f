/*
 * buf.h - growable byte buffer with a hard cap.
 *
 * For request bodies, frames and libcurl replies: every place bytes pile up.
 * Not a formatter beyond buf_printf. Invariants: data is NULL or always
 * NUL-terminated past len; len <= max. Going over max is an error (-1), the
 * buffer keeps what it had, and the caller decides the status (413, close).
 */
#ifndef UTIL_BUF_H
#define UTIL_BUF_H

#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
};

/* Set up an empty buffer that may grow up to max bytes; allocates nothing. */
void buf_init(struct buf *b, size_t max);
/* Free the contents; the buffer is empty and reusable with the same max. */
void buf_release(struct buf *b);
/* Forget the contents but keep the allocation. */
void buf_reset(struct buf *b);
/* Append n bytes. Returns 0, or -1 when len would exceed max (no change). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* The contents as a C string ("" when empty); borrowed. */
const char *buf_cstr(const struct buf *b);
/* Hand the contents to the caller (free() it; never NULL); b is emptied. */
char *buf_take(struct buf *b, size_t *len);

#endif
