/*
 * arena.h - a bump allocator for what lives exactly one request.
 *
 * Allocations are never freed one by one: arena_reset forgets them all at
 * once and keeps the memory for the next request, so a thread that serves
 * request after request stops calling malloc once its arena has grown to
 * the size its requests need. Everything handed out is borrowed from the
 * arena and valid until the next arena_reset or arena_release. Not
 * thread-safe: one arena per thread (or per request).
 */
#ifndef UTIL_ARENA_H
#define UTIL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head; /* the chunk being filled; older ones follow */
    size_t used;              /* bytes used in head */
};

/* An empty arena; allocates nothing until the first arena_alloc. */
void arena_init(struct arena *a);
/* n bytes aligned for any type (never NULL: aborts when out of memory). */
void *arena_alloc(struct arena *a, size_t n);
/* A NUL-terminated copy of s[0..n). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Forget every allocation; keep the largest chunk for reuse. */
void arena_reset(struct arena *a);
/* Free everything; the arena is empty and reusable. */
void arena_release(struct arena *a);

#endif
