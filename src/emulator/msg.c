/* msg.c - reference-counted byte buffer (see msg.h). */
#include "msg.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"
#include "util/banned.h"

struct msg *msg_new_cap(size_t cap)
{
    struct msg *m = xmalloc(sizeof *m + cap + 1);
    m->refs = 1;
    m->len = 0;
    m->cap = cap;
    m->data[0] = '\0';
    return m;
}

struct msg *msg_new(const void *p, size_t n)
{
    struct msg *m = msg_new_cap(n);
    msg_append(m, p, n);
    return m;
}

int msg_append(struct msg *m, const void *p, size_t n)
{
    if (n > m->cap - m->len)
        return -1;
    memcpy(m->data + m->len, p, n);
    m->len += n;
    m->data[m->len] = '\0';
    return 0;
}

struct msg *msg_ref(struct msg *m)
{
    m->refs++;
    return m;
}

void msg_unref(struct msg *m)
{
    if (m && --m->refs == 0)
        free(m);
}
