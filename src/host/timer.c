/* timer.c - timer triggers on one scheduling thread (see timer.h). */
#include "timer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/ncrontab.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct timer_entry {
    const struct app_function *fn;
    struct ncrontab cron;
    long long next; /* epoch seconds; -1 never */
};

struct timers {
    const struct app *app;
    struct dispatch *d;
    struct timer_entry *e;
    size_t n;
    pthread_t th;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
};

static void *timers_main(void *arg)
{
    struct timers *t = arg;
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].fn->run_on_startup)
            dispatch_spawn(t->d, t->e[i].fn, 0, NULL);
    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        long long soonest = -1;
        for (size_t i = 0; i < t->n; i++)
            if (t->e[i].next >= 0 && (soonest < 0 || t->e[i].next < soonest))
                soonest = t->e[i].next;
        if (soonest < 0) {
            pthread_cond_wait(&t->cond, &t->lock);
            continue;
        }
        struct timespec ts = {(time_t)soonest, 0};
        int r = pthread_cond_timedwait(&t->cond, &t->lock, &ts);
        if (t->stop)
            break;
        if (r != ETIMEDOUT && r != 0)
            continue;
        long long now = (long long)time(NULL);
        for (size_t i = 0; i < t->n; i++) {
            struct timer_entry *e = &t->e[i];
            if (e->next < 0 || e->next > now)
                continue;
            int past_due = now - e->next >= TIMER_PAST_DUE_S;
            dispatch_spawn(t->d, e->fn, past_due, NULL);
            /* Missed occurrences collapse into this one fire. */
            e->next = ncrontab_next(&e->cron, now);
        }
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

struct timers *timers_start(const struct app *app, struct dispatch *d)
{
    struct timers *t = xcalloc(1, sizeof *t);
    char err[160];
    t->app = app;
    t->d = d;
    t->e = xcalloc(app->nfns + 1, sizeof *t->e);
    long long now = (long long)time(NULL);
    for (size_t i = 0; i < app->nfns; i++) {
        const struct app_function *fn = &app->fns[i];
        if (fn->kind != APP_FN_TIMER || fn->disabled)
            continue;
        struct timer_entry *e = &t->e[t->n];
        if (ncrontab_parse(fn->schedule, &e->cron, err, sizeof err) < 0) {
            log_error("Functions.%s: schedule: %s", fn->name, err);
            continue;
        }
        e->fn = fn;
        e->next = ncrontab_next(&e->cron, now);
        t->n++;
    }
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    if (pthread_create(&t->th, NULL, timers_main, t) != 0) {
        log_error("timers: cannot start the thread");
        pthread_mutex_destroy(&t->lock);
        pthread_cond_destroy(&t->cond);
        free(t->e);
        free(t);
        return NULL;
    }
    return t;
}

void timers_stop(struct timers *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = 1;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->th, NULL);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t->e);
    free(t);
}
