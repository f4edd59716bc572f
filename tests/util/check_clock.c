/* check_clock.c - monotonic and wall clocks (src/util/clock.c). */
#include <time.h>

#include <check.h>

#include "util/clock.h"

START_TEST(test_clock_sleep_and_monotonic)
{
    long long ms0 = clock_mono_ms(), us0 = clock_mono_us();
    clock_sleep_ms(30);
    long long dms = clock_mono_ms() - ms0, dus = clock_mono_us() - us0;
    ck_assert_int_ge(dms, 30);
    ck_assert_int_lt(dms, 2000);
    ck_assert_int_ge(dus, 30000);
    ck_assert_int_lt(dus, 2000000);
}
END_TEST

START_TEST(test_clock_wall_and_deadline)
{
    long s = clock_wall_s();
    long long ns = clock_wall_ns();
    ck_assert_int_le(s, ns / 1000000000LL);
    ck_assert_int_ge(s + 2, ns / 1000000000LL);
    struct timespec ts;
    clock_deadline(&ts, 1999);
    ck_assert_int_ge(ts.tv_nsec, 0);
    ck_assert_int_lt(ts.tv_nsec, 1000000000L);
    long long at = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    ck_assert_int_ge(at - ns, 1999000000LL);
    ck_assert_int_lt(at - ns, 3000000000LL);
}
END_TEST

Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_clock_sleep_and_monotonic);
    tcase_add_test(tc, test_clock_wall_and_deadline);
    suite_add_tcase(s, tc);
    return s;
}
