/* stats.c - negotiations served in the last window (see stats.h). */
#include "stats.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/xalloc.h"
#include "util/banned.h"

struct stats {
    pthread_mutex_t lock;
    time_t second[STATS_WINDOW_S]; /* which second each bucket holds */
    long count[STATS_WINDOW_S];
};

struct stats *stats_new(void)
{
    struct stats *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void stats_free(struct stats *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void stats_negotiation(struct stats *s, time_t now)
{
    size_t i = (size_t)now % STATS_WINDOW_S;
    pthread_mutex_lock(&s->lock);
    if (s->second[i] != now) {
        s->second[i] = now;
        s->count[i] = 0;
    }
    s->count[i]++;
    pthread_mutex_unlock(&s->lock);
}

long stats_negotiations_recent(struct stats *s, time_t now)
{
    long total = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < STATS_WINDOW_S; i++)
        if (s->second[i] > now - STATS_WINDOW_S && s->second[i] <= now)
            total += s->count[i];
    pthread_mutex_unlock(&s->lock);
    return total;
}
