/* arena.c - bump allocator (see arena.h). */
#include "arena.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"
#include "util/banned.h"

#define ARENA_MIN_CHUNK 8192

struct arena_chunk {
    struct arena_chunk *next;
    size_t size; /* bytes of data */
    alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a)
{
    a->head = NULL;
    a->used = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    size_t at = (a->used + align - 1) & ~(align - 1);
    if (!a->head || n > a->head->size || at > a->head->size - n) {
        size_t size = a->head ? a->head->size * 2 : ARENA_MIN_CHUNK;
        while (size < n)
            size *= 2;
        struct arena_chunk *c = xmalloc(sizeof *c + size);
        c->next = a->head;
        c->size = size;
        a->head = c;
        at = 0;
    }
    a->used = at + n;
    return a->head->data + at;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void arena_reset(struct arena *a)
{
    /* The head is the largest chunk: keep it, free the older ones. */
    if (a->head) {
        struct arena_chunk *c = a->head->next;
        while (c) {
            struct arena_chunk *next = c->next;
            free(c);
            c = next;
        }
        a->head->next = NULL;
    }
    a->used = 0;
}

void arena_release(struct arena *a)
{
    arena_reset(a);
    free(a->head);
    arena_init(a);
}
