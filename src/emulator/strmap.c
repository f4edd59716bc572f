/* strmap.c - string-keyed hash map with chaining (see strmap.h). */
#include "strmap.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "util/xalloc.h"
#include "util/banned.h"

#define STRMAP_START 8

struct strmap_entry {
    struct strmap_entry *next;
    void *val;
    uint32_t hash;
    char key[];
};

struct strmap {
    struct strmap_entry **b;
    size_t nb; /* number of buckets, a power of two */
    size_t count;
};

/* FNV-1a, 32 bits. */
static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

struct strmap *strmap_new(void)
{
    struct strmap *m = xcalloc(1, sizeof *m);
    m->nb = STRMAP_START;
    m->b = xcalloc(m->nb, sizeof *m->b);
    return m;
}

void strmap_free(struct strmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nb; i++) {
        struct strmap_entry *e = m->b[i];
        while (e) {
            struct strmap_entry *n = e->next;
            free(e);
            e = n;
        }
    }
    free(m->b);
    free(m);
}

static struct strmap_entry **find(const struct strmap *m, const char *key,
                                  uint32_t h)
{
    struct strmap_entry **pp = &m->b[h & (m->nb - 1)];
    while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
        pp = &(*pp)->next;
    return pp;
}

void *strmap_get(const struct strmap *m, const char *key)
{
    struct strmap_entry **pp = find(m, key, hash_str(key));
    return *pp ? (*pp)->val : NULL;
}

static void grow(struct strmap *m)
{
    size_t nb = m->nb * 2;
    struct strmap_entry **b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < m->nb; i++) {
        struct strmap_entry *e = m->b[i];
        while (e) {
            struct strmap_entry *n = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = n;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
}

void *strmap_put(struct strmap *m, const char *key, void *val)
{
    uint32_t h = hash_str(key);
    struct strmap_entry **pp = find(m, key, h);
    if (*pp) {
        void *old = (*pp)->val;
        (*pp)->val = val;
        return old;
    }
    size_t kl = strlen(key);
    struct strmap_entry *e = xmalloc(sizeof *e + kl + 1);
    memcpy(e->key, key, kl + 1);
    e->hash = h;
    e->val = val;
    e->next = NULL;
    *pp = e;
    m->count++;
    if (m->count > m->nb)
        grow(m);
    return NULL;
}

void *strmap_del(struct strmap *m, const char *key)
{
    struct strmap_entry **pp = find(m, key, hash_str(key));
    struct strmap_entry *e = *pp;
    if (!e)
        return NULL;
    void *val = e->val;
    *pp = e->next;
    free(e);
    m->count--;
    return val;
}

size_t strmap_count(const struct strmap *m)
{
    return m->count;
}

static struct strmap_entry *first_from(const struct strmap *m, size_t *bucket)
{
    while (*bucket < m->nb) {
        if (m->b[*bucket])
            return m->b[*bucket];
        (*bucket)++;
    }
    return NULL;
}

void strmap_iter_init(struct strmap_iter *it, const struct strmap *m)
{
    it->m = m;
    it->bucket = 0;
    it->next = first_from(m, &it->bucket);
}

int strmap_iter_next(struct strmap_iter *it, const char **key, void **val)
{
    struct strmap_entry *e = it->next;
    if (!e)
        return 0;
    if (e->next) {
        it->next = e->next;
    } else {
        it->bucket++;
        it->next = first_from(it->m, &it->bucket);
    }
    if (key)
        *key = e->key;
    if (val)
        *val = e->val;
    return 1;
}
