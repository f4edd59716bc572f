/*
 * clock.h - the clocks of the local programs: a monotonic clock for
 * durations and timeouts, the wall clock for timestamps and expiry times,
 * absolute deadlines for pthread_cond_timedwait (which waits on the wall
 * clock by default), and a sleep that survives signals. No state.
 */
#ifndef UTIL_CLOCK_H
#define UTIL_CLOCK_H

#include <time.h>

/* Monotonic time (CLOCK_MONOTONIC) in milliseconds and microseconds: only
 * differences mean anything. */
long long clock_mono_ms(void);
long long clock_mono_us(void);

/* The wall clock (CLOCK_REALTIME): UTC epoch seconds and nanoseconds. */
long clock_wall_s(void);
long long clock_wall_ns(void);

/* Set *ts to the wall-clock time ms milliseconds from now (ms >= 0), the
 * deadline pthread_cond_timedwait expects. */
void clock_deadline(struct timespec *ts, long ms);

/* Sleep ms milliseconds, resuming after a signal handler interrupts. */
void clock_sleep_ms(long ms);

#endif
