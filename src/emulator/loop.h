/*
 * loop.h - the emulator's event loop: one epoll set, timers, signals, the
 * time of the turn (now_ms).
 *
 * Everything the emulator does runs on this one thread: a module that
 * needs a file descriptor watched embeds a struct loop_watch (first, so
 * the callback can cast back to its owner) and registers it; a module that
 * needs a timer embeds a struct loop_timer and registers it once. SIGTERM
 * and SIGINT arrive through a signalfd watched like any other descriptor,
 * so there is no signal handler and no static state: the callback gets the
 * pointer it was registered with. The loop does not decide what a turn
 * does: its owner (emu.c) calls loop_wait, loop_run_timers and its own
 * work in the order it needs. Owns the epoll and signal descriptors; the
 * watches and timers are borrowed. Not thread-safe.
 */
#ifndef EMULATOR_LOOP_H
#define EMULATOR_LOOP_H

#include <stddef.h>
#include <stdint.h>

/* A descriptor watched by the loop; embedded first in its owner. */
struct loop_watch {
    void (*on_event)(struct loop_watch *w, uint32_t events);
    int fd;
};

/* A timer: on_timer runs once due_ms (monotonic) is reached, after the
 * turn's events; due_ms < 0 when not armed. Embedded in its owner,
 * registered once with loop_timer_add, disarmed before it runs. */
struct loop_timer {
    long long due_ms;
    void (*on_timer)(struct loop_timer *t);
};

#define LOOP_MAX_TIMERS 4

struct loop {
    int epfd;
    long long now_ms;      /* monotonic, updated by loop_wait */
    struct loop_watch sig; /* the signalfd, once loop_signals ran */
    void (*on_signal)(void *arg, int signo);
    void *sig_arg;
    struct loop_timer *timers[LOOP_MAX_TIMERS]; /* borrowed */
    size_t ntimers;
};

/* An empty loop. Returns 0, or -1 after logging. Release with
 * loop_release whatever the result. */
int loop_init(struct loop *l);
void loop_release(struct loop *l);

/* SIGTERM and SIGINT (blocked, then read from a signalfd) call
 * fn(arg, signo) from loop_wait; SIGPIPE is ignored. Returns 0, or -1
 * after logging. */
int loop_signals(struct loop *l, void (*fn)(void *arg, int signo), void *arg);

/* Watch w->fd for EPOLLIN, plus EPOLLOUT when want_out (add / change). */
int loop_watch(struct loop *l, struct loop_watch *w, int want_out);
int loop_watch_mod(struct loop *l, struct loop_watch *w, int want_out);
/* Watch w->fd for exactly events (EPOLLIN and/or EPOLLOUT; 0 keeps it in
 * the set but asleep): added when !modify, else changed. */
int loop_watch_events(struct loop *l, struct loop_watch *w, uint32_t events,
                      int modify);
void loop_unwatch(struct loop *l, struct loop_watch *w);

/* Register a timer (borrowed for the loop's life). Returns 0, or -1 when
 * LOOP_MAX_TIMERS are taken. */
int loop_timer_add(struct loop *l, struct loop_timer *t);
/* Milliseconds until the first armed timer is due, at most bound. */
long long loop_timeout(const struct loop *l, long long bound);
/* Fire the timers that are due. */
void loop_run_timers(struct loop *l);

/* Wait up to timeout_ms for events, update now_ms, then call each
 * watch's on_event. Returns 0, or -1 after logging when epoll fails. */
int loop_wait(struct loop *l, long long timeout_ms);

#endif
