/*
 * check_ncrontab.c - NCRONTAB parsing and next fire times.
 *
 * Times are written as ISO-8601 UTC strings on both sides so a failure
 * reads as a date. The brute-force cases check ncrontab_next against an
 * independent second-by-second scan that uses libc's gmtime_r.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host/ncrontab.h"

#include "util/banned.h"

static long long at(const char *iso)
{
    struct tm tm;
    const char *end;

    memset(&tm, 0, sizeof tm);
    end = strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ck_assert_msg(end && *end == '\0', "bad test time %s", iso);
    return (long long)timegm(&tm);
}

static const char *iso(long long t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)t;

    if (t == -1) {
        snprintf(buf, len, "never");
        return buf;
    }
    gmtime_r(&tt, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static struct ncrontab parse_ok(const char *expr)
{
    struct ncrontab c;
    char err[256] = "";

    memset(&c, 0, sizeof c);
    ck_assert_msg(ncrontab_parse(expr, &c, err, sizeof err) == 0,
                  "'%s' should parse: %s", expr, err);
    return c;
}

/* Assert that the next fire time of expr after `from` is `want`
 * ("never" for -1). */
static void next_is(const char *expr, const char *from, const char *want)
{
    struct ncrontab c = parse_ok(expr);
    char got[64];

    iso(ncrontab_next(&c, at(from)), got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "'%s' after %s: got %s, want %s",
                  expr, from, got, want);
}

/* Assert that expr is rejected with a message containing `names`. */
static void bad(const char *expr, const char *names)
{
    struct ncrontab c;
    char err[256] = "";

    ck_assert_msg(ncrontab_parse(expr, &c, err, sizeof err) == -1,
                  "'%s' should be rejected", expr ? expr : "(null)");
    ck_assert_msg(strstr(err, names) != NULL,
                  "'%s': error '%s' does not name '%s'", expr ? expr : "(null)",
                  err, names);
}

START_TEST(test_every_five_minutes)
{
    next_is("0 */5 * * * *", "2026-11-29T11:27:52Z", "2026-11-29T11:30:00Z");
    /* Strictly after: a fire time itself gives the next one. */
    next_is("0 */5 * * * *", "2026-11-29T11:30:00Z", "2026-11-29T11:35:00Z");
    next_is("0 */5 * * * *", "2026-11-29T23:58:00Z", "2026-11-30T00:00:00Z");
}
END_TEST

START_TEST(test_every_five_minutes_sequence)
{
    struct ncrontab c = parse_ok("0 */5 * * * *");
    long long t = at("2026-11-29T11:00:00Z");
    long long n;
    int i;

    for (i = 0; i < 300; i++) {
        n = ncrontab_next(&c, t);
        ck_assert_int_eq(n - t, 300);
        t = n;
    }
}
END_TEST

START_TEST(test_hourly)
{
    next_is("0 0 * * * *", "2026-11-29T11:00:00Z", "2026-11-29T12:00:00Z");
    next_is("0 0 * * * *", "2026-11-29T11:59:59Z", "2026-11-29T12:00:00Z");
    next_is("0 0 * * * *", "2026-12-31T23:30:00Z", "2027-01-01T00:00:00Z");
}
END_TEST

START_TEST(test_weekdays_at_nine_thirty)
{
    /* 2026-11-27 is a Friday, 2026-11-29 a Sunday. */
    next_is("0 30 9 * * 1-5", "2026-11-27T08:00:00Z", "2026-11-27T09:30:00Z");
    next_is("0 30 9 * * 1-5", "2026-11-27T09:30:00Z", "2026-11-30T09:30:00Z");
    next_is("0 30 9 * * 1-5", "2026-11-29T11:00:00Z", "2026-11-30T09:30:00Z");
}
END_TEST

START_TEST(test_every_fifteen_seconds)
{
    next_is("*/15 * * * * *", "2026-11-29T11:00:14Z", "2026-11-29T11:00:15Z");
    next_is("*/15 * * * * *", "2026-11-29T11:00:15Z", "2026-11-29T11:00:30Z");
    next_is("*/15 * * * * *", "2026-11-29T11:00:45Z", "2026-11-29T11:01:00Z");
}
END_TEST

START_TEST(test_names)
{
    struct ncrontab a = parse_ok("0 0 12 * * Mon,WED,friday");
    struct ncrontab b = parse_ok("0 0 12 * * 1,3,5");
    struct ncrontab m = parse_ok("0 0 0 1 jan,JULY *");

    ck_assert_uint_eq(a.weekdays, b.weekdays);
    ck_assert_uint_eq(a.weekdays, (1u << 1) | (1u << 3) | (1u << 5));
    ck_assert_uint_eq(m.months, (1u << 1) | (1u << 7));
    ck_assert_uint_eq(parse_ok("* * * * * mon-FRI").weekdays, 0x3eu);
    ck_assert_uint_eq(parse_ok("* * * * * Tues,Thurs").weekdays,
                      (1u << 2) | (1u << 4));
    ck_assert_uint_eq(parse_ok("* * * * Sept-dec *").months,
                      (1u << 9) | (1u << 10) | (1u << 11) | (1u << 12));
    next_is("0 0 0 1 jan,Jul *", "2026-02-01T00:00:00Z",
            "2026-07-01T00:00:00Z");
    next_is("0 0 12 * * sun", "2026-11-27T00:00:00Z", "2026-11-29T12:00:00Z");
}
END_TEST

START_TEST(test_sunday_is_zero_or_seven)
{
    ck_assert_uint_eq(parse_ok("* * * * * 7").weekdays, 1u);
    ck_assert_uint_eq(parse_ok("* * * * * 0").weekdays, 1u);
    ck_assert_uint_eq(parse_ok("* * * * * 5-7").weekdays,
                      1u | (1u << 5) | (1u << 6));
    ck_assert_uint_eq(parse_ok("* * * * * 0-7").weekdays, 0x7fu);
    ck_assert_uint_eq(parse_ok("* * * * * *").weekdays, 0x7fu);
}
END_TEST

START_TEST(test_lists_and_ranges)
{
    struct ncrontab c = parse_ok("0 0 8,12,18 * * *");

    ck_assert_uint_eq(c.hours, (1u << 8) | (1u << 12) | (1u << 18));
    next_is("0 0 8,12,18 * * *", "2026-11-29T12:00:00Z",
            "2026-11-29T18:00:00Z");
    next_is("0 0 8,12,18 * * *", "2026-11-29T18:00:00Z",
            "2026-11-30T08:00:00Z");
    ck_assert_uint_eq(parse_ok("0 0 9-11,14 * * *").hours,
                      (1u << 9) | (1u << 10) | (1u << 11) | (1u << 14));
    /* NCrontab swaps a reversed range. */
    ck_assert_uint_eq(parse_ok("0 0 5-2 * * *").hours,
                      (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5));
    /* Tabs and repeated spaces separate fields too. */
    ck_assert_int_eq(parse_ok("  0\t0  12 * *\t*  ").fields, 6);
}
END_TEST

START_TEST(test_steps)
{
    ck_assert_uint_eq(parse_ok("0 5-20/5 * * * *").minutes,
                      (1ull << 5) | (1ull << 10) | (1ull << 15) | (1ull << 20));
    /* a/n runs from a to the field's maximum. */
    ck_assert_uint_eq(parse_ok("0 10/20 * * * *").minutes,
                      (1ull << 10) | (1ull << 30) | (1ull << 50));
    ck_assert_uint_eq(parse_ok("0 0 */6 * * *").hours,
                      1u | (1u << 6) | (1u << 12) | (1u << 18));
    ck_assert_uint_eq(parse_ok("0 0 0 */10 * *").days,
                      (1u << 1) | (1u << 11) | (1u << 21) | (1u << 31));
    ck_assert_uint_eq(parse_ok("0 0 0 1 */4 *").months,
                      (1u << 1) | (1u << 5) | (1u << 9));
    /* A step larger than the range keeps only the first value. */
    ck_assert_uint_eq(parse_ok("0 */100 * * * *").minutes, 1ull);
    ck_assert_uint_eq(parse_ok("* * * * * */2").weekdays,
                      1u | (1u << 2) | (1u << 4) | (1u << 6));
    next_is("0 5-20/5 * * * *", "2026-11-29T11:20:00Z", "2026-11-29T12:05:00Z");
}
END_TEST

START_TEST(test_five_fields)
{
    struct ncrontab c = parse_ok("*/5 * * * *");

    ck_assert_int_eq(c.fields, 5);
    ck_assert_uint_eq(c.seconds, 1ull);
    ck_assert_int_eq(parse_ok("0 */5 * * * *").fields, 6);
    next_is("*/5 * * * *", "2026-11-29T11:27:52Z", "2026-11-29T11:30:00Z");
    next_is("30 9 * * 1-5", "2026-11-29T11:00:00Z", "2026-11-30T09:30:00Z");
}
END_TEST

START_TEST(test_day_and_weekday_both_must_match)
{
    /* NCrontab ANDs them: Friday the 13th, not every 13th and Friday. */
    next_is("0 0 0 13 * 5", "2026-01-01T00:00:00Z", "2026-02-13T00:00:00Z");
    next_is("0 0 0 13 * 5", "2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z");
    next_is("0 0 0 13 * 5", "2026-03-13T00:00:00Z", "2026-11-13T00:00:00Z");
    next_is("0 0 0 13 * Fri", "2026-11-13T00:00:00Z", "2027-08-13T00:00:00Z");
}
END_TEST

START_TEST(test_month_ends)
{
    next_is("0 0 0 31 * *", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z");
    next_is("0 0 0 31 * *", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z");
    next_is("0 0 0 30 * *", "2026-01-30T00:00:00Z", "2026-03-30T00:00:00Z");
    next_is("0 0 0 28-31 2 *", "2026-02-28T00:00:00Z", "2027-02-28T00:00:00Z");
    next_is("0 0 0 28-31 2 *", "2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z");
}
END_TEST

START_TEST(test_leap_years)
{
    next_is("0 0 0 29 2 *", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z");
    next_is("0 0 0 29 2 *", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z");
    /* 2100 is not a leap year, 2000 was. */
    next_is("0 0 0 29 2 *", "2099-03-01T00:00:00Z", "2104-02-29T00:00:00Z");
    next_is("0 0 0 29 2 *", "1999-01-01T00:00:00Z", "2000-02-29T00:00:00Z");
    /* 29 Feb on a Sunday: 2032, within five years of 2029. */
    next_is("0 0 0 29 2 0", "2029-01-01T00:00:00Z", "2032-02-29T00:00:00Z");
    /* 29 Feb on a Friday: 2036, more than five years after 2026. */
    next_is("0 0 0 29 2 5", "2026-01-01T00:00:00Z", "never");
}
END_TEST

START_TEST(test_year_end)
{
    next_is("0 0 0 1 1 *", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z");
    next_is("* * * * * *", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z");
    next_is("59 59 23 31 12 *", "2026-12-31T23:59:59Z", "2027-12-31T23:59:59Z");
    /* Before the epoch as well. */
    next_is("0 0 * * * *", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z");
    next_is("0 0 0 * * *", "1969-06-15T12:00:00Z", "1969-06-16T00:00:00Z");
}
END_TEST

START_TEST(test_never)
{
    next_is("0 0 0 30 2 *", "2026-01-01T00:00:00Z", "never");
    next_is("0 0 0 31 4,6,9,11 *", "2026-01-01T00:00:00Z", "never");
}
END_TEST

START_TEST(test_extreme_times)
{
    struct ncrontab c = parse_ok("* * * * * *");

    ck_assert_int_eq(ncrontab_next(&c, 9223372036854775807LL), -1);
    ck_assert_int_eq(ncrontab_next(&c, -9223372036854775807LL - 1), -1);
    ck_assert_int_eq(ncrontab_next(&c, 0), 1);
}
END_TEST

/* The independent oracle: step one second at a time from `from`. */
static long long scan_next(const struct ncrontab *c, long long from,
                           long long span)
{
    long long t;
    struct tm tm;
    time_t tt;

    for (t = from + 1; t <= from + span; t++) {
        tt = (time_t)t;
        gmtime_r(&tt, &tm);
        if (!(c->days >> tm.tm_mday & 1) ||
            !(c->months >> (tm.tm_mon + 1) & 1) ||
            !(c->weekdays >> tm.tm_wday & 1)) {
            /* Skip the rest of a day that cannot match. */
            t += 86399 - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
            continue;
        }
        if ((c->seconds >> tm.tm_sec & 1) && (c->minutes >> tm.tm_min & 1) &&
            (c->hours >> tm.tm_hour & 1))
            return t;
    }
    return -1;
}

START_TEST(test_against_scan)
{
    static const char *const exprs[] = {
        "*/7 3-50/9 1,5,22 * * *", "0 0 */5 * * 2-4",   "15 45 23 * * *",
        "0 0 12 28-31 * *",        "*/20 */20 * * * *", "0 0 0 1 * *",
    };
    size_t i;
    int k;

    for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        struct ncrontab c = parse_ok(exprs[i]);
        long long t = at("2026-02-26T20:00:00Z");
        for (k = 0; k < 40; k++) {
            long long want = scan_next(&c, t, 62 * 86400LL);
            long long got = ncrontab_next(&c, t);
            char a[64], b[64], f[64];
            ck_assert_msg(want != -1, "scan found nothing for %s", exprs[i]);
            ck_assert_msg(got == want, "'%s' after %s: got %s, want %s",
                          exprs[i], iso(t, f, sizeof f), iso(got, a, sizeof a),
                          iso(want, b, sizeof b));
            t = got;
        }
    }
}
END_TEST

START_TEST(test_bad_values_name_the_field)
{
    bad("60 * * * * *", "second field");
    bad("* 60 * * * *", "minute field");
    bad("0 0 24 * * *", "hour field");
    bad("0 0 0 0 * *", "day field");
    bad("0 0 0 32 * *", "day field");
    bad("0 0 0 * 13 *", "month field");
    bad("0 0 0 * 0 *", "month field");
    bad("0 0 0 * * 8", "day-of-week field");
    bad("0 0 0 1-32 * *", "day field");
    bad("0 0 0 * * 1-8", "day-of-week field");
    /* The message says what was wrong, too. */
    bad("0 0 24 * * *", "out of range 0-23");
}
END_TEST

START_TEST(test_garbage_names_the_field)
{
    bad("0 0 x * * *", "hour field");
    bad("0 0 0 * foo *", "month field");
    bad("0 0 0 * * fr", "day-of-week field");
    bad("0 0 0 * * mondays", "day-of-week field");
    bad("0 0 0 jan * *", "day field");
    bad("*/0 * * * * *", "second field");
    bad("0 */ * * * *", "minute field");
    bad("0 */x * * * *", "minute field");
    bad("0 1,,2 * * * *", "minute field");
    bad("0 1, * * * *", "minute field");
    bad("0 0 0 * * 1-", "day-of-week field");
    bad("0 0 -1 * * *", "hour field");
    bad("0 0 1-2-3 * * *", "hour field");
    bad("0 0 ** * * *", "hour field");
    bad("0 0 */2/2 * * *", "hour field");
    bad("0 0 5a * * *", "hour field");
    bad("0 0 ? * * *", "hour field");
    bad("0 0 0 L * *", "day field");
}
END_TEST

START_TEST(test_huge_numbers_name_the_field)
{
    bad("99999999999999999999999 * * * * *", "second field");
    bad("0 */99999999999999999999 * * * *", "minute field");
    bad("0 0 1-4294967297 * * *", "hour field");
    bad("0 0 0 * 00000000000000000000001 *", "month field");
}
END_TEST

START_TEST(test_wrong_field_counts)
{
    bad("* * * *", "4 fields");
    bad("* * * * * * *", "7 fields");
    bad("0", "1 fields");
    bad("", "empty");
    bad("   \t ", "empty");
    bad(NULL, "missing");
}
END_TEST

START_TEST(test_long_token_error_is_bounded)
{
    char expr[4096];
    char err[64];
    struct ncrontab c;

    memset(expr, 'z', sizeof expr - 1);
    expr[sizeof expr - 1] = '\0';
    memcpy(expr, "0 0 ", 4);
    ck_assert_int_eq(ncrontab_parse(expr, &c, err, sizeof err), -1);
    ck_assert_uint_lt(strlen(err), sizeof err);
    /* A zero-size buffer is allowed. */
    ck_assert_int_eq(ncrontab_parse("x", &c, NULL, 0), -1);
}
END_TEST

Suite *ncrontab_suite(void);

Suite *ncrontab_suite(void)
{
    Suite *s = suite_create("ncrontab");
    TCase *tc = tcase_create("schedules");
    TCase *bad_tc = tcase_create("errors");

    tcase_add_test(tc, test_every_five_minutes);
    tcase_add_test(tc, test_every_five_minutes_sequence);
    tcase_add_test(tc, test_hourly);
    tcase_add_test(tc, test_weekdays_at_nine_thirty);
    tcase_add_test(tc, test_every_fifteen_seconds);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_sunday_is_zero_or_seven);
    tcase_add_test(tc, test_lists_and_ranges);
    tcase_add_test(tc, test_steps);
    tcase_add_test(tc, test_five_fields);
    tcase_add_test(tc, test_day_and_weekday_both_must_match);
    tcase_add_test(tc, test_month_ends);
    tcase_add_test(tc, test_leap_years);
    tcase_add_test(tc, test_year_end);
    tcase_add_test(tc, test_never);
    tcase_add_test(tc, test_extreme_times);
    tcase_add_test(tc, test_against_scan);
    suite_add_tcase(s, tc);

    tcase_add_test(bad_tc, test_bad_values_name_the_field);
    tcase_add_test(bad_tc, test_garbage_names_the_field);
    tcase_add_test(bad_tc, test_huge_numbers_name_the_field);
    tcase_add_test(bad_tc, test_wrong_field_counts);
    tcase_add_test(bad_tc, test_long_token_error_is_bounded);
    suite_add_tcase(s, bad_tc);
    return s;
}
