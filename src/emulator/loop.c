/* loop.c - the emulator's event loop (see loop.h). */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/banned.h"

#define LOOP_MAX_EVENTS 256

int loop_init(struct loop *l)
{
    memset(l, 0, sizeof *l);
    l->sig.fd = -1;
    l->now_ms = clock_mono_ms();
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0)
        return log_error("epoll: %s", strerror(errno));
    return 0;
}

void loop_release(struct loop *l)
{
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->sig.fd >= 0)
        close(l->sig.fd);
    l->epfd = l->sig.fd = -1;
}

/* The signalfd's watch is the loop's own: l is found from it. */
static void on_signalfd(struct loop_watch *w, uint32_t events)
{
    struct loop *l = (struct loop *)((char *)w - offsetof(struct loop, sig));
    struct signalfd_siginfo si;
    while (read(w->fd, &si, sizeof si) == (ssize_t)sizeof si)
        l->on_signal(l->sig_arg, (int)si.ssi_signo);
}

int loop_signals(struct loop *l, void (*fn)(void *arg, int signo), void *arg)
{
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    l->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    l->sig.on_event = on_signalfd;
    l->on_signal = fn;
    l->sig_arg = arg;
    if (l->sig.fd < 0)
        return log_error("signalfd: %s", strerror(errno));
    if (loop_watch(l, &l->sig, 0) < 0)
        return log_error("epoll_ctl: %s", strerror(errno));
    return 0;
}

int loop_watch(struct loop *l, struct loop_watch *w, int want_out)
{
    return loop_watch_events(l, w, EPOLLIN | (want_out ? EPOLLOUT : 0), 0);
}

int loop_watch_mod(struct loop *l, struct loop_watch *w, int want_out)
{
    return loop_watch_events(l, w, EPOLLIN | (want_out ? EPOLLOUT : 0), 1);
}

int loop_watch_events(struct loop *l, struct loop_watch *w, uint32_t events,
                      int modify)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->epfd, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd,
                     &ev);
}

void loop_unwatch(struct loop *l, struct loop_watch *w)
{
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int loop_timer_add(struct loop *l, struct loop_timer *t)
{
    if (l->ntimers == LOOP_MAX_TIMERS)
        return -1;
    l->timers[l->ntimers++] = t;
    return 0;
}

long long loop_timeout(const struct loop *l, long long bound)
{
    for (size_t i = 0; i < l->ntimers; i++) {
        long long due = l->timers[i]->due_ms;
        if (due >= 0 && due - l->now_ms < bound)
            bound = due > l->now_ms ? due - l->now_ms : 0;
    }
    return bound;
}

void loop_run_timers(struct loop *l)
{
    for (size_t i = 0; i < l->ntimers; i++) {
        struct loop_timer *t = l->timers[i];
        if (t->due_ms >= 0 && t->due_ms <= l->now_ms) {
            t->due_ms = -1;
            t->on_timer(t);
        }
    }
}

int loop_wait(struct loop *l, long long timeout_ms)
{
    struct epoll_event evs[LOOP_MAX_EVENTS];
    int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, (int)timeout_ms);
    if (n < 0 && errno != EINTR)
        return log_error("epoll_wait: %s", strerror(errno));
    l->now_ms = clock_mono_ms();
    for (int i = 0; i < n; i++) {
        struct loop_watch *w = evs[i].data.ptr;
        w->on_event(w, evs[i].events);
    }
    return 0;
}
