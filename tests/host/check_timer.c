/* check_timer.c - the timer triggers (src/host/timer.c) with
 * tests/host/fake_handler.mjs as the handler: runOnStartup, a schedule
 * that fires every second, nothing after timers_stop. */
#include <check.h>

#include "host/timer.h"
#include "host_test.h"
#include "runner.h"
#include "util/clock.h"

static const char *const functions[] = {
    "boot",
    "{\"bindings\":[{\"type\":\"timerTrigger\",\"direction\":\"in\","
    "\"name\":\"t\",\"schedule\":\"0 0 0 1 1 *\",\"runOnStartup\":true}]}",
    "tick",
    "{\"bindings\":[{\"type\":\"timerTrigger\",\"direction\":\"in\","
    "\"name\":\"t\",\"schedule\":\"* * * * * *\"}]}",
    "web",
    "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":\"in\","
    "\"name\":\"req\"},{\"type\":\"http\",\"direction\":\"out\","
    "\"name\":\"res\"}]}",
    NULL,
};

START_TEST(test_timers_fire_on_schedule_and_at_startup)
{
    struct ht_stack s;
    ht_stack_start(&s, functions, "{}");
    struct timers *t = timers_start(&s.app, s.d);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(ht_captured(s.dir, "boot", 1, 3000), 1);
    ck_assert_int_ge(ht_captured(s.dir, "tick", 2, 3500), 2);
    timers_stop(t);
    ck_assert_int_eq(dispatch_drain(s.d, 5000), 0);
    /* Stopped: no more fires. boot ran once; no HTTP function ran. */
    int ticks = ht_captured(s.dir, "tick", 1000, 0);
    clock_sleep_ms(1200);
    ck_assert_int_eq(ht_captured(s.dir, "tick", 1000, 0), ticks);
    ck_assert_int_eq(ht_captured(s.dir, "boot", 2, 0), 1);
    ck_assert_int_eq(ht_captured(s.dir, "web", 1, 0), 0);
    ht_stack_finish(&s);
}
END_TEST

START_TEST(test_timers_stop_at_once_without_timer_functions)
{
    static const char *const none[] = {
        "web",
        "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":\"in\","
        "\"name\":\"req\"},{\"type\":\"http\",\"direction\":\"out\","
        "\"name\":\"res\"}]}",
        NULL,
    };
    struct ht_stack s;
    ht_stack_start(&s, none, "{}");
    struct timers *t = timers_start(&s.app, s.d);
    ck_assert_ptr_nonnull(t);
    long long t0 = clock_mono_ms();
    timers_stop(t);
    ck_assert_int_lt(clock_mono_ms() - t0, 500);
    ck_assert_int_eq(ht_captured(s.dir, "web", 1, 0), 0);
    ht_stack_finish(&s);
}
END_TEST

Suite *timer_suite(void)
{
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_timers_fire_on_schedule_and_at_startup);
    tcase_add_test(tc, test_timers_stop_at_once_without_timer_functions);
    suite_add_tcase(s, tc);
    return s;
}
