/*
 * ncrontab.h - NCRONTAB schedules, as the Functions timer trigger reads them.
 *
 *   {second} {minute} {hour} {day} {month} {day-of-week}
 *
 * Six fields (five are accepted too, without seconds: second 0), each a
 * number, '*', a range a-b, a list a,b,c, or a step (a-b/n, a/n, or '*'
 * then /n); English month and day names or their three-letter
 * abbreviations, any case;
 * day-of-week 0-6 with 0 = Sunday (7 is also Sunday). When both day and
 * day-of-week are restricted, a date must match BOTH, as in NCrontab (not
 * either, as in Vixie cron). All times are UTC epoch seconds: the Functions
 * host evaluates schedules in UTC by default. Pure: no I/O, libc only, no
 * allocation.
 */
#ifndef HOST_NCRONTAB_H
#define HOST_NCRONTAB_H

#include <stddef.h>
#include <stdint.h>

struct ncrontab {
    uint64_t seconds; /* bit n: second n, 0-59 */
    uint64_t minutes; /* bit n: minute n, 0-59 */
    uint32_t hours;   /* bit n: hour n, 0-23 */
    uint32_t days;    /* bit n: day of month n, 1-31 */
    uint16_t months;  /* bit n: month n, 1-12 */
    uint8_t weekdays; /* bit n: day of week n, 0-6, 0 = Sunday */
    int fields;       /* 5 or 6, as written */
};

/* Parse expr. Returns 0, or -1 with a message naming the field and the
 * problem in err. */
int ncrontab_parse(const char *expr, struct ncrontab *out, char *err,
                   size_t errlen);

/* The first fire time strictly after `after` (UTC epoch seconds), or -1
 * when the schedule never fires within the next 5 years (e.g. 30 Feb). */
long long ncrontab_next(const struct ncrontab *c, long long after);

#endif
