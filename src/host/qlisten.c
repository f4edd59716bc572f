/* qlisten.c - the queueTrigger listeners (see qlisten.h). */
#include "qlisten.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/qclient.h"
#include "host/qcodec.h"
#include "host/storconn.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define QLISTEN_ERR 512

struct qlisten;

struct poller {
    struct qlisten *ql;
    const struct app_function *fn;
    struct storconn cs;
    char *poison; /* NULL: this queue has no poison queue */
    pthread_t th;
    int started;
    int running;        /* its messages in flight */
    char last_fail[96]; /* "<status> <code>" of the failure last logged */
};

/* A message in flight: its pop receipt changes with each renewal. */
struct inflight {
    struct inflight *next;
    struct poller *p;
    struct qmsg m;
    long long renew_at_ms;
    int renewing;  /* the poller is updating it */
    int finishing; /* its thread deletes or releases it: no more renewals */
};

struct qlisten {
    const struct app *app;
    struct dispatch *d;
    struct curlpool *pool;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stopping;
    int running;
    long lease_s;
    struct inflight *inflight;
    struct poller *p;
    size_t np;
};

static const char *setting_lookup(const void *app, const char *name)
{
    return app_setting(app, name);
}

/* Renew every message of p that is due, outside the lock. */
static void renew_due(struct poller *p)
{
    struct qlisten *ql = p->ql;
    for (;;) {
        struct inflight *e = NULL;
        char id[128], pop[256];
        long long now = clock_mono_ms();
        pthread_mutex_lock(&ql->lock);
        for (e = ql->inflight; e; e = e->next)
            if (e->p == p && !e->finishing && !e->renewing &&
                e->renew_at_ms <= now)
                break;
        if (e) {
            e->renewing = 1;
            snprintf(id, sizeof id, "%s", e->m.id);
            snprintf(pop, sizeof pop, "%s", e->m.pop_receipt);
        }
        pthread_mutex_unlock(&ql->lock);
        if (!e)
            return;
        char newpop[256] = "", err[QLISTEN_ERR];
        int rc = qclient_update(ql->pool, &p->cs, p->fn->queue_name, id, pop,
                                ql->lease_s, 0, newpop, sizeof newpop, NULL,
                                err, sizeof err);
        if (rc < 0)
            log_warn("Functions.%s: renewing the visibility of message %s: %s",
                     p->fn->name, id, err);
        pthread_mutex_lock(&ql->lock);
        if (rc == 0 && newpop[0]) {
            free(e->m.pop_receipt);
            e->m.pop_receipt = xstrdup(newpop);
        }
        /* Half the visibility again; after a failure sooner (a tenth), as
         * the extension speeds up its renewals when one fails. */
        e->renew_at_ms = clock_mono_ms() + ql->lease_s * (rc == 0 ? 500 : 100);
        e->renewing = 0;
        pthread_cond_broadcast(&ql->cond);
        pthread_mutex_unlock(&ql->lock);
    }
}

/* The earliest renewal of p's messages, or far when none (lock held). */
static long long next_renewal(struct poller *p, long long far)
{
    long long t = far;
    for (struct inflight *e = p->ql->inflight; e; e = e->next)
        if (e->p == p && !e->finishing && e->renew_at_ms < t)
            t = e->renew_at_ms;
    return t;
}

/* Sleep until deadline (or, when threshold >= 0, until p's messages in
 * flight are at most threshold), renewing on the way. Returns 0, or -1
 * when stopping. */
static int wait_for(struct poller *p, long long deadline, int threshold)
{
    struct qlisten *ql = p->ql;
    for (;;) {
        renew_due(p);
        pthread_mutex_lock(&ql->lock);
        long long now = clock_mono_ms();
        int done = ql->stopping ||
                   (threshold >= 0 && p->running <= threshold) ||
                   (threshold < 0 && now >= deadline);
        if (!done) {
            long long until = next_renewal(p, deadline);
            struct timespec ts;
            clock_deadline(&ts, until > now ? (long)(until - now) : 0);
            pthread_cond_timedwait(&ql->cond, &ql->lock, &ts);
        }
        int stop = ql->stopping;
        pthread_mutex_unlock(&ql->lock);
        if (stop)
            return -1;
        if (done)
            return 0;
    }
}

/* Put raw (the message as on the wire) on the poison queue, creating it
 * when missing. */
static int put_poison(struct poller *p, const char *raw, char *err,
                      size_t errlen)
{
    struct qclient_fail f;
    struct qlisten *ql = p->ql;
    if (qclient_put(ql->pool, &p->cs, p->poison, raw, QCLIENT_RETRIES, &f, err,
                    errlen) == 0)
        return 0;
    if (f.status != 404 ||
        qclient_create(ql->pool, &p->cs, p->poison, QCLIENT_RETRIES, NULL, err,
                       errlen) < 0)
        return -1;
    return qclient_put(ql->pool, &p->cs, p->poison, raw, QCLIENT_RETRIES, NULL,
                       err, errlen);
}

/* Delete the message; a mismatched pop receipt or a missing message is
 * someone else's business (debug), anything else an error. */
static void delete_message(struct poller *p, const struct qmsg *m)
{
    char err[QLISTEN_ERR];
    struct qclient_fail f;
    if (qclient_delete(p->ql->pool, &p->cs, p->fn->queue_name, m->id,
                       m->pop_receipt, QCLIENT_RETRIES, &f, err,
                       sizeof err) == 0)
        return;
    if (f.status == 400 || f.status == 404)
        log_debug("Functions.%s: unable to delete message %s: %s", p->fn->name,
                  m->id, err);
    else
        log_error("Functions.%s: unable to delete message %s: %s", p->fn->name,
                  m->id, err);
}

static void to_poison(struct poller *p, const struct qmsg *m, const char *why)
{
    char err[QLISTEN_ERR];
    if (!p->poison)
        return;
    log_warn("Functions.%s: %s. Moving message %s to queue '%s'.", p->fn->name,
             why, m->id, p->poison);
    if (put_poison(p, m->text ? m->text : "", err, sizeof err) < 0) {
        log_error("Functions.%s: message %s was not moved to '%s' (it will "
                  "reappear): %s",
                  p->fn->name, m->id, p->poison, err);
        return;
    }
    delete_message(p, m);
}

/* A failed message: poison at maxDequeueCount, else visible again after
 * visibilityTimeout. Without a poison queue it stays invisible. */
static void release(struct poller *p, const struct qmsg *m)
{
    const struct qopts *o = &p->ql->app->queues;
    char why[96], err[QLISTEN_ERR];
    if (!p->poison)
        return;
    if (m->dequeue_count >= o->max_dequeue_count) {
        snprintf(why, sizeof why, "Message has reached MaxDequeueCount of %d",
                 o->max_dequeue_count);
        to_poison(p, m, why);
        return;
    }
    struct qclient_fail f;
    if (qclient_update(p->ql->pool, &p->cs, p->fn->queue_name, m->id,
                       m->pop_receipt, o->visibility_timeout_ms / 1000,
                       QCLIENT_RETRIES, NULL, 0, &f, err, sizeof err) < 0 &&
        f.status != 400 && f.status != 404)
        log_error("Functions.%s: releasing message %s: %s", p->fn->name, m->id,
                  err);
}

/* Run one message; the message's pop receipt is read under the lock once
 * no renewal is under way. */
static void process(struct inflight *e)
{
    struct poller *p = e->p;
    struct qlisten *ql = p->ql;
    const struct qopts *o = &ql->app->queues;
    unsigned char *decoded = NULL;
    size_t n = 0;
    int rc = -1, poisoned = 0;
    char why[96];
    if (o->base64 && !(decoded = qcodec_b64_decode(e->m.text, &n))) {
        snprintf(why, sizeof why,
                 "Message is not valid base64 (the queue's "
                 "messageEncoding is base64)");
        poisoned = 1;
    } else if (e->m.dequeue_count > o->max_dequeue_count) {
        snprintf(why, sizeof why, "Message has reached MaxDequeueCount of %d",
                 o->max_dequeue_count);
        poisoned = 1;
    } else {
        /* The poller may renew (and so replace the pop receipt) while the
         * function runs: the invocation gets a copy taken under the lock. */
        pthread_mutex_lock(&ql->lock);
        struct qmsg view = e->m;
        view.pop_receipt = xstrdup(e->m.pop_receipt);
        pthread_mutex_unlock(&ql->lock);
        rc = dispatch_queue(ql->d, p->fn, &view,
                            decoded ? (const char *)decoded : e->m.text);
        free(view.pop_receipt);
    }
    free(decoded);
    pthread_mutex_lock(&ql->lock);
    while (e->renewing)
        pthread_cond_wait(&ql->cond, &ql->lock);
    e->finishing = 1;
    pthread_mutex_unlock(&ql->lock);
    if (poisoned)
        to_poison(p, &e->m, why);
    else if (rc == 0)
        delete_message(p, &e->m);
    else
        release(p, &e->m);
}

static void *process_main(void *arg)
{
    struct inflight *e = arg;
    struct qlisten *ql = e->p->ql;
    process(e);
    pthread_mutex_lock(&ql->lock);
    for (struct inflight **pp = &ql->inflight; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    e->p->running--;
    ql->running--;
    pthread_cond_broadcast(&ql->cond);
    pthread_mutex_unlock(&ql->lock);
    qmsg_release(&e->m);
    free(e);
    return NULL;
}

/* Hand m (taken) to a new thread. */
static void spawn(struct poller *p, struct qmsg *m)
{
    struct qlisten *ql = p->ql;
    struct inflight *e = xcalloc(1, sizeof *e);
    e->p = p;
    e->m = *m;
    memset(m, 0, sizeof *m);
    e->renew_at_ms = clock_mono_ms() + ql->lease_s * 500;
    pthread_mutex_lock(&ql->lock);
    e->next = ql->inflight;
    ql->inflight = e;
    p->running++;
    ql->running++;
    pthread_mutex_unlock(&ql->lock);
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, process_main, e) != 0) {
        log_warn("Functions.%s: cannot start a thread for message %s: "
                 "running it on the listener's",
                 p->fn->name, e->m.id);
        process_main(e);
    }
    pthread_attr_destroy(&attr);
}

/* One Get Messages: returns the number handed out, or -1 on error. A
 * failure is a warning when it differs from the one before (status and
 * error code; the same again is debug), and the first success after
 * failures says so. */
static int poll_once(struct poller *p, int *created, int *failing)
{
    struct qlisten *ql = p->ql;
    const struct qopts *o = &ql->app->queues;
    char err[QLISTEN_ERR];
    struct qmsg *msgs = NULL;
    struct qclient_fail f;
    size_t count = 0;
    char kind[96];
    if (!*created && qclient_create(ql->pool, &p->cs, p->fn->queue_name, 0, &f,
                                    err, sizeof err) < 0)
        goto fail;
    *created = 1;
    if (qclient_get(ql->pool, &p->cs, p->fn->queue_name, o->batch_size,
                    ql->lease_s, 0, &msgs, &count, &f, err, sizeof err) < 0) {
        *created = 0; /* check the queue again, as the extension does */
        goto fail;
    }
    if (*failing)
        log_info("Functions.%s: queue '%s' is reachable again", p->fn->name,
                 p->fn->queue_name);
    *failing = 0;
    p->last_fail[0] = '\0';
    for (size_t i = 0; i < count; i++)
        spawn(p, &msgs[i]);
    qxml_messages_free(msgs, count);
    return (int)count;
fail:
    snprintf(kind, sizeof kind, "%ld %s", f.status, f.code);
    if (strcmp(kind, p->last_fail) != 0)
        log_warn("Functions.%s: queue '%s' at %s: %s (polling again)",
                 p->fn->name, p->fn->queue_name, p->cs.queue_base, err);
    else
        log_debug("Functions.%s: queue '%s': the same failure again",
                  p->fn->name, p->fn->queue_name);
    snprintf(p->last_fail, sizeof p->last_fail, "%s", kind);
    *failing = 1;
    return -1;
}

static void *poller_main(void *arg)
{
    struct poller *p = arg;
    struct qlisten *ql = p->ql;
    const struct qopts *o = &ql->app->queues;
    struct qbackoff bo;
    int created = 0, failing = 0, found = 0;
    unsigned seed = (unsigned)clock_mono_us();
    qbackoff_init(&bo, o->max_polling_ms);
    log_debug("Functions.%s: listening on queue '%s' at %s", p->fn->name,
              p->fn->queue_name, p->cs.queue_base);
    for (;;) {
        int got = poll_once(p, &created, &failing);
        int stop;
        if (got > 0) {
            found = 1;
            stop = wait_for(p, 0, o->new_batch_threshold);
        } else {
            long delay =
                qbackoff_next(&bo, found, (double)(rand_r(&seed) % 1000) / 1e3);
            found = 0;
            log_debug("Functions.%s: back-off %ld ms on queue '%s'",
                      p->fn->name, delay, p->fn->queue_name);
            stop = wait_for(p, clock_mono_ms() + delay, -1);
        }
        if (stop < 0)
            break;
    }
    return NULL;
}

static long lease_seconds(void)
{
    const char *v = getenv("FUNC_LOCAL_QUEUE_VISIBILITY");
    char *end;
    long s = v && *v ? strtol(v, &end, 10) : QLISTEN_VISIBILITY_S;
    if (v && *v && (*end || s < 2 || s > 7 * 24 * 3600)) {
        log_warn("FUNC_LOCAL_QUEUE_VISIBILITY: expected seconds from 2 to "
                 "604800; using %ld",
                 QLISTEN_VISIBILITY_S);
        s = QLISTEN_VISIBILITY_S;
    }
    return s;
}

struct qlisten *qlisten_start(const struct app *app, struct dispatch *d)
{
    struct qlisten *ql = xcalloc(1, sizeof *ql);
    ql->app = app;
    ql->d = d;
    ql->pool = curlpool_new();
    ql->lease_s = lease_seconds();
    pthread_mutex_init(&ql->lock, NULL);
    pthread_cond_init(&ql->cond, NULL);
    ql->p = xcalloc(app->nfns + 1, sizeof *ql->p);
    for (size_t i = 0; i < app->nfns; i++) {
        const struct app_function *fn = &app->fns[i];
        char err[QLISTEN_ERR], used[300];
        if (fn->kind != APP_FN_QUEUE || fn->disabled)
            continue;
        struct poller *p = &ql->p[ql->np];
        const char *v = storconn_setting(fn->queue_connection, setting_lookup,
                                         app, used, sizeof used);
        if (!v || storconn_parse(v, &p->cs, err, sizeof err) < 0) {
            log_error("Functions.%s: app setting %s: %s", fn->name, used,
                      v ? err : "not set");
            continue;
        }
        p->ql = ql;
        p->fn = fn;
        p->poison = qopts_poison_name(fn->queue_name);
        ql->np++;
        if (pthread_create(&p->th, NULL, poller_main, p) != 0)
            log_error("Functions.%s: cannot start the queue listener",
                      fn->name);
        else
            p->started = 1;
    }
    return ql;
}

int qlisten_stop(struct qlisten *ql, long timeout_ms)
{
    if (!ql)
        return 0;
    struct timespec ts;
    clock_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&ql->lock);
    ql->stopping = 1;
    pthread_cond_broadcast(&ql->cond);
    pthread_mutex_unlock(&ql->lock);
    for (size_t i = 0; i < ql->np; i++)
        if (ql->p[i].started)
            pthread_join(ql->p[i].th, NULL);
    pthread_mutex_lock(&ql->lock);
    while (ql->running > 0)
        if (pthread_cond_timedwait(&ql->cond, &ql->lock, &ts) != 0)
            break;
    int left = ql->running;
    pthread_mutex_unlock(&ql->lock);
    if (left)
        return left;
    for (size_t i = 0; i < ql->np; i++) {
        storconn_release(&ql->p[i].cs);
        free(ql->p[i].poison);
    }
    free(ql->p);
    curlpool_free(ql->pool);
    pthread_mutex_destroy(&ql->lock);
    pthread_cond_destroy(&ql->cond);
    free(ql);
    return 0;
}
