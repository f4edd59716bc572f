/* check_worker.c - the handler process (src/host/worker.c): readiness,
 * a restart on request, exit code 0 not restarted, the failure limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "host/invoker.h"
#include "host/worker.h"
#include "host_test.h"
#include "runner.h"
#include "util/clock.h"

/* A started worker whose handler is `/bin/sh -c <script>` (one word),
 * for a new app in a new folder (*dir). */
static struct worker *sh_worker(struct app *app, char **dir, const char *script)
{
    char host[512], err[512];
    *dir = runner_tmpdir("host-worker");
    snprintf(host, sizeof host,
             "{\"version\":\"2.0\",\"customHandler\":{\"description\":"
             "{\"defaultExecutablePath\":\"/bin/sh\",\"arguments\":"
             "[\"-c\",\"%s\"]}}}",
             script);
    ht_write(*dir, "host.json", host);
    unsetenv("FUNC_LOCAL_HANDLER");
    ck_assert_msg(app_load(*dir, app, err, sizeof err) == 0, "%s", err);
    struct worker *w = worker_new(app, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    ck_assert_int_eq(worker_start(w), 0);
    return w;
}

static void finish(struct worker *w, struct app *app, char *dir)
{
    worker_stop(w);
    worker_free(w);
    app_release(app);
    runner_rmtree(dir);
    free(dir);
}

/* Poll worker_failed for up to ms. */
static int failed_within(struct worker *w, long ms)
{
    long long end = clock_mono_ms() + ms;
    while (!worker_failed(w) && clock_mono_ms() < end)
        clock_sleep_ms(20);
    return worker_failed(w);
}

START_TEST(test_worker_ready_restart_stop)
{
    struct app app;
    char err[512];
    char *dir = ht_fake_app(&app, NULL);
    struct worker *w = worker_new(&app, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    int port = worker_port(w);
    ck_assert_int_gt(port, 0);
    ck_assert_int_eq(invoker_probe(port, 200), 0); /* nothing there yet */
    ck_assert_int_eq(worker_start(w), 0);
    ck_assert_int_eq(worker_wait_ready(w, 10000), 1);
    ck_assert_int_eq(invoker_probe(port, 1000), 1);
    /* A restart asked for by the host is not a failure. */
    worker_restart(w);
    ck_assert_int_eq(worker_wait_ready(w, 10000), 1);
    ck_assert_int_eq(invoker_probe(port, 1000), 1);
    ck_assert_int_eq(worker_failed(w), 0);
    worker_stop(w);
    ck_assert_int_eq(invoker_probe(port, 200), 0);
    ck_assert_int_eq(worker_wait_ready(w, 100), -1);
    finish(w, &app, dir);
}
END_TEST

START_TEST(test_worker_exit_0_is_not_restarted)
{
    struct app app;
    char *dir;
    struct worker *w = sh_worker(&app, &dir, "true");
    ck_assert_int_eq(worker_wait_ready(w, 5000), -1);
    ck_assert_int_eq(worker_failed(w), 0);
    finish(w, &app, dir);
}
END_TEST

START_TEST(test_worker_gives_up_after_repeated_failures)
{
    struct app app;
    char *dir;
    struct worker *w = sh_worker(&app, &dir, "false");
    ck_assert_int_eq(failed_within(w, 5000), 1);
    ck_assert_int_eq(worker_wait_ready(w, 100), -1);
    finish(w, &app, dir);
}
END_TEST

START_TEST(test_worker_new_refuses_a_missing_program)
{
    struct app app;
    char err[512];
    char *dir = runner_tmpdir("host-worker");
    ht_write(dir, "host.json",
             "{\"version\":\"2.0\",\"customHandler\":{\"description\":"
             "{\"defaultExecutablePath\":\"bin/nothing\"}}}");
    unsetenv("FUNC_LOCAL_HANDLER");
    ck_assert_msg(app_load(dir, &app, err, sizeof err) == 0, "%s", err);
    ck_assert_ptr_null(worker_new(&app, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "bin/nothing does not exist"));
    app_release(&app);
    runner_rmtree(dir);
    free(dir);
}
END_TEST

Suite *worker_suite(void)
{
    Suite *s = suite_create("worker");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_worker_ready_restart_stop);
    tcase_add_test(tc, test_worker_exit_0_is_not_restarted);
    tcase_add_test(tc, test_worker_gives_up_after_repeated_failures);
    tcase_add_test(tc, test_worker_new_refuses_a_missing_program);
    suite_add_tcase(s, tc);
    return s;
}
