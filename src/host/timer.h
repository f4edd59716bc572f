/*
 * timer.h - the timer triggers: one thread that fires every timerTrigger
 * function at its NCRONTAB schedule (UTC), plus once at start for
 * runOnStartup. Each fire runs on its own thread
 * through dispatch_spawn(), so a slow invocation never delays another
 * schedule.
 *
 * No schedule monitor (no storage here): ScheduleStatus is null and
 * IsPastDue is true only when a fire happens at least one second after its
 * scheduled time (the thread was late, e.g. the machine slept).
 */
#ifndef HOST_TIMER_H
#define HOST_TIMER_H

#include "host/app.h"
#include "host/dispatch.h"

#define TIMER_PAST_DUE_S 1

struct timers;

/* Start the thread (app and d borrowed). Returns NULL with a log line on
 * failure. */
struct timers *timers_start(const struct app *app, struct dispatch *d);
/* Stop and join the thread; running invocations are dispatch's. */
void timers_stop(struct timers *t);

#endif
