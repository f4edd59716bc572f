/*
 * stats.h - what this handler instance can honestly count: the negotiations
 * it served in the last period (statusUpdate's "activeUsers").
 *
 * A ring of one-second buckets covering STATS_WINDOW_S; thread-safe (a
 * mutex: two threads, a handful of increments a second). Time is passed in
 * so tests control it.
 */
#ifndef APP_STATS_H
#define APP_STATS_H

#include <time.h>

#define STATS_WINDOW_S 300 /* the timer's period: every 5 minutes */

struct stats;

struct stats *stats_new(void);
void stats_free(struct stats *s);
/* Count one negotiation served at time now. */
void stats_negotiation(struct stats *s, time_t now);
/* Negotiations served in (now - STATS_WINDOW_S, now]. */
long stats_negotiations_recent(struct stats *s, time_t now);

#endif
