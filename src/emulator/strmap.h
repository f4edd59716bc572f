/*
 * strmap.h - a hash map from NUL-terminated strings to pointers.
 *
 * The emulator's registry is made of these (hub names, connection ids,
 * users, groups). Keys are compared byte for byte (case-sensitive; callers
 * lower-case hub names first) and copied into the map; values are borrowed
 * pointers the map never frees. Not thread-safe: the emulator has one
 * thread. It grows by doubling and never shrinks below its start size.
 */
#ifndef EMULATOR_STRMAP_H
#define EMULATOR_STRMAP_H

#include <stddef.h>

struct strmap;
struct strmap_entry;

/* New empty map (caller frees with strmap_free); never NULL. */
struct strmap *strmap_new(void);
/* Free the map and its key copies; values are left alone. NULL is a no-op. */
void strmap_free(struct strmap *m);

/* The value for key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
/* Set key to val (val must not be NULL). Returns the value it replaced, or
 * NULL when the key is new. */
void *strmap_put(struct strmap *m, const char *key, void *val);
/* Remove key. Returns its value, or NULL when absent. */
void *strmap_del(struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);

/* Iteration in no particular order. Deleting the entry just returned is
 * allowed; any other change to the map ends the iteration's validity. */
struct strmap_iter {
    const struct strmap *m;
    size_t bucket;
    struct strmap_entry *next;
};
void strmap_iter_init(struct strmap_iter *it, const struct strmap *m);
/* Returns 1 and sets *key (borrowed) and *val, or 0 at the end. Either
 * out pointer may be NULL. */
int strmap_iter_next(struct strmap_iter *it, const char **key, void **val);

#endif
