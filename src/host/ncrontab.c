/*
 * ncrontab.c - NCRONTAB parsing and next-occurrence search.
 *
 * Follows the NCrontab library that the Functions timer trigger uses:
 *
 * - Day-of-month and day-of-week are combined with AND. NCrontab first
 *   finds a date whose day and month match, then rejects it unless its
 *   weekday is in the day-of-week set (CrontabSchedule.TryGetNextOccurrence).
 *   This differs from Vixie cron, which fires when EITHER field matches if
 *   both are restricted. So "0 0 0 13 * 5" is "Friday the 13th", not "every
 *   13th and every Friday".
 * - A reversed range (e.g. 5-2) is read as the same range in order (2-5),
 *   as NCrontab swaps the bounds.
 * - "a/n" means a, a+n, ... up to the field's maximum.
 * - Names match case-insensitively: the full English name or any prefix of
 *   it at least three letters long ("Mon", "Tues", "September").
 *
 * Where this is stricter or wider than NCrontab, on purpose:
 * - A step of 0 is an error (NCrontab silently treats it as 1).
 * - Day-of-week 7 is accepted as Sunday (NCrontab rejects it).
 *
 * Time arithmetic is done on days since 1970-01-01 with the proleptic
 * Gregorian calendar, in UTC, without libc's time zone machinery.
 */
#include "host/ncrontab.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

enum field_kind {
    F_SECOND,
    F_MINUTE,
    F_HOUR,
    F_DAY,
    F_MONTH,
    F_WEEKDAY,
    F_COUNT
};

struct field_info {
    const char *name;
    int min;
    int max;                  /* highest value written (7 for day-of-week) */
    const char *const *names; /* NULL, or names for min..min+n-1 */
    int nnames;
};

static const char *const month_names[] = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

static const char *const weekday_names[] = {"sunday",    "monday",   "tuesday",
                                            "wednesday", "thursday", "friday",
                                            "saturday"};

static const struct field_info fields[F_COUNT] = {
    [F_SECOND] = {"second", 0, 59, NULL, 0},
    [F_MINUTE] = {"minute", 0, 59, NULL, 0},
    [F_HOUR] = {"hour", 0, 23, NULL, 0},
    [F_DAY] = {"day", 1, 31, NULL, 0},
    [F_MONTH] = {"month", 1, 12, month_names, 12},
    [F_WEEKDAY] = {"day-of-week", 0, 7, weekday_names, 7},
};

/* Tokens and values are quoted in messages up to this many bytes. */
#define QUOTE_MAX 40
/* Any number with more digits than this is out of range for every field;
 * stopping early keeps huge inputs from overflowing. */
#define DIGITS_MAX 4
/* Five years, counting the leap days they can hold. */
#define SEARCH_DAYS (5 * 365 + 2)
#define DAY_SECONDS 86400LL

static int set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
    c = lower(c);
    return c >= 'a' && c <= 'z';
}

/* A name matches when it is a prefix (>= 3 letters) of a known name. */
static int parse_name(const struct field_info *fi, const char *s, size_t n,
                      int *out)
{
    int i;
    size_t k;

    if (!fi->names || n < 3)
        return -1;
    for (i = 0; i < fi->nnames; i++) {
        const char *name = fi->names[i];
        if (n > strlen(name))
            continue;
        for (k = 0; k < n; k++)
            if (lower((unsigned char)s[k]) != name[k])
                break;
        if (k == n) {
            *out = fi->min + i;
            return 0;
        }
    }
    return -1;
}

/* Parse one value (number or name) of s[0..n) into *out, range-checked. */
static int parse_value(const struct field_info *fi, const char *s, size_t n,
                       int *out, char *err, size_t errlen)
{
    size_t i;
    int v = 0;

    if (n == 0)
        return set_err(err, errlen, "%s field: missing value", fi->name);
    if (is_digit((unsigned char)s[0])) {
        for (i = 0; i < n; i++) {
            if (!is_digit((unsigned char)s[i]))
                return set_err(err, errlen, "%s field: '%.*s' is not a number",
                               fi->name, (int)(n > QUOTE_MAX ? QUOTE_MAX : n),
                               s);
            if (i >= DIGITS_MAX)
                return set_err(err, errlen,
                               "%s field: '%.*s' is out of range %d-%d",
                               fi->name, (int)(n > QUOTE_MAX ? QUOTE_MAX : n),
                               s, fi->min, fi->max);
            v = v * 10 + (s[i] - '0');
        }
    } else if (is_alpha((unsigned char)s[0])) {
        if (parse_name(fi, s, n, &v) < 0)
            return set_err(err, errlen,
                           fi->names ? "%s field: '%.*s' is not a known name"
                                     : "%s field: '%.*s' is not a number",
                           fi->name, (int)(n > QUOTE_MAX ? QUOTE_MAX : n), s);
    } else {
        return set_err(err, errlen, "%s field: unexpected '%.*s'", fi->name,
                       (int)(n > QUOTE_MAX ? QUOTE_MAX : n), s);
    }
    if (v < fi->min || v > fi->max)
        return set_err(err, errlen, "%s field: %d is out of range %d-%d",
                       fi->name, v, fi->min, fi->max);
    *out = v;
    return 0;
}

/* Parse a step of s[0..n): 1 to 9999 (a step past the range keeps only
 * the first value, as in NCrontab). */
static int parse_step(const struct field_info *fi, const char *s, size_t n,
                      int *out, char *err, size_t errlen)
{
    size_t i;
    int v = 0;

    if (n == 0)
        return set_err(err, errlen, "%s field: missing step after '/'",
                       fi->name);
    for (i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return set_err(err, errlen, "%s field: step '%.*s' is not a number",
                           fi->name, (int)(n > QUOTE_MAX ? QUOTE_MAX : n), s);
        if (i >= DIGITS_MAX)
            return set_err(err, errlen, "%s field: step '%.*s' is too large",
                           fi->name, (int)(n > QUOTE_MAX ? QUOTE_MAX : n), s);
        v = v * 10 + (s[i] - '0');
    }
    if (v == 0)
        return set_err(err, errlen, "%s field: step must be at least 1",
                       fi->name);
    *out = v;
    return 0;
}

/* Parse one list element s[0..n): "*", "a", "a-b", each with an optional
 * "/step". Adds its values to *bits. */
static int parse_element(const struct field_info *fi, const char *s, size_t n,
                         uint64_t *bits, char *err, size_t errlen)
{
    const char *slash = memchr(s, '/', n);
    const char *dash;
    size_t base_n = slash ? (size_t)(slash - s) : n;
    int lo, hi, step = 1, v;

    if (n == 0)
        return set_err(err, errlen, "%s field: empty list element", fi->name);
    if (slash &&
        parse_step(fi, slash + 1, n - base_n - 1, &step, err, errlen) < 0)
        return -1;
    dash = memchr(s, '-', base_n);
    if (base_n == 1 && s[0] == '*') {
        lo = fi->min;
        hi = fi == &fields[F_WEEKDAY] ? 6 : fi->max;
    } else if (dash) {
        if (parse_value(fi, s, (size_t)(dash - s), &lo, err, errlen) < 0 ||
            parse_value(fi, dash + 1, base_n - (size_t)(dash - s) - 1, &hi, err,
                        errlen) < 0)
            return -1;
        if (lo > hi) {
            v = lo;
            lo = hi;
            hi = v;
        }
    } else {
        if (parse_value(fi, s, base_n, &lo, err, errlen) < 0)
            return -1;
        hi = slash ? (fi == &fields[F_WEEKDAY] ? 6 : fi->max) : lo;
        if (hi < lo) /* "7/2" on day-of-week: just Sunday */
            hi = lo;
    }
    for (v = lo; v <= hi; v += step)
        *bits |= (uint64_t)1 << (fi == &fields[F_WEEKDAY] ? v % 7 : v);
    return 0;
}

/* Parse one whole field s[0..n) (a comma-separated list) into *bits. */
static int parse_field(enum field_kind kind, const char *s, size_t n,
                       uint64_t *bits, char *err, size_t errlen)
{
    const struct field_info *fi = &fields[kind];
    const char *end = s + n;
    const char *comma;

    *bits = 0;
    for (;;) {
        comma = memchr(s, ',', (size_t)(end - s));
        if (parse_element(fi, s,
                          comma ? (size_t)(comma - s) : (size_t)(end - s), bits,
                          err, errlen) < 0)
            return -1;
        if (!comma)
            break;
        s = comma + 1;
    }
    return 0;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t';
}

int ncrontab_parse(const char *expr, struct ncrontab *out, char *err,
                   size_t errlen)
{
    const char *tok[F_COUNT];
    size_t len[F_COUNT];
    uint64_t bits[F_COUNT];
    const char *p = expr;
    int count = 0, first, i;

    if (!expr)
        return set_err(err, errlen, "schedule is missing");
    for (;;) {
        while (*p && is_space((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (count < F_COUNT) {
            tok[count] = p;
        }
        while (*p && !is_space((unsigned char)*p))
            p++;
        if (count < F_COUNT)
            len[count] = (size_t)(p - tok[count]);
        count++;
    }
    if (count == 0)
        return set_err(err, errlen, "schedule is empty");
    if (count != 5 && count != 6)
        return set_err(err, errlen,
                       "schedule has %d fields: expected 6 (second minute "
                       "hour day month day-of-week) or 5 (no second)",
                       count);

    first = count == 6 ? F_SECOND : F_MINUTE;
    bits[F_SECOND] = 1; /* five fields: second 0 */
    for (i = 0; i < count; i++)
        if (parse_field((enum field_kind)(first + i), tok[i], len[i],
                        &bits[first + i], err, errlen) < 0)
            return -1;

    out->seconds = bits[F_SECOND];
    out->minutes = bits[F_MINUTE];
    out->hours = (uint32_t)bits[F_HOUR];
    out->days = (uint32_t)bits[F_DAY];
    out->months = (uint16_t)bits[F_MONTH];
    out->weekdays = (uint8_t)bits[F_WEEKDAY];
    out->fields = count;
    return 0;
}

/* Days since 1970-01-01 -> civil date (proleptic Gregorian). */
static void civil_from_days(long long z, int *y, int *m, int *d)
{
    long long era, doe, yoe, doy, mp, year;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    year = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(year + (*m <= 2));
}

static long long floor_div(long long a, long long b)
{
    long long q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The first time of day (seconds) >= from that matches, or -1. */
static long long first_time_of_day(const struct ncrontab *c, long long from)
{
    int h0 = (int)(from / 3600), m0 = (int)(from / 60 % 60);
    int s0 = (int)(from % 60);
    int h, m, s;

    for (h = h0; h < 24; h++) {
        if (!(c->hours >> h & 1))
            continue;
        for (m = h == h0 ? m0 : 0; m < 60; m++) {
            if (!(c->minutes >> m & 1))
                continue;
            for (s = (h == h0 && m == m0) ? s0 : 0; s < 60; s++)
                if (c->seconds >> s & 1)
                    return h * 3600LL + m * 60LL + s;
        }
    }
    return -1;
}

long long ncrontab_next(const struct ncrontab *c, long long after)
{
    /* Far enough from the ends of long long that nothing below overflows
     * (about 292 billion years either way). */
    const long long limit = 9000000000000000000LL;
    long long t, day, tod, from;
    int i, y, m, d, wd;

    if (after >= limit || after < -limit)
        return -1;
    t = after + 1;
    day = floor_div(t, DAY_SECONDS);
    from = t - day * DAY_SECONDS;
    for (i = 0; i <= SEARCH_DAYS; i++, day++, from = 0) {
        civil_from_days(day, &y, &m, &d);
        /* 1970-01-01 was a Thursday (4). */
        wd = (int)(((day % 7) + 7 + 4) % 7);
        if (!(c->months >> m & 1) || !(c->days >> d & 1) ||
            !(c->weekdays >> wd & 1))
            continue;
        tod = first_time_of_day(c, from);
        if (tod < 0)
            continue;
        return day * DAY_SECONDS + tod;
    }
    return -1;
}
