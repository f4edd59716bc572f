/* host_main.c - the check_host runner and its helpers (host_test.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_test.h"
#include "runner.h"
#include "util/clock.h"
#include "util/banned.h"

void ht_write(const char *dir, const char *rel, const char *text)
{
    char path[1024];
    const char *slash = strchr(rel, '/');
    if (slash) {
        snprintf(path, sizeof path, "%s/%.*s", dir, (int)(slash - rel), rel);
        mkdir(path, 0755);
    }
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

char *ht_fake_app(struct app *app, const char *const *functions)
{
    char cwd[1024], host[1536], path[1536], err[512];
    char *dir = runner_tmpdir("host-fake");
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(host, sizeof host,
             "{\"version\":\"2.0\",\"customHandler\":{\"description\":"
             "{\"defaultExecutablePath\":\"node\",\"arguments\":"
             "[\"%s/tests/host/fake_handler.mjs\"]}}}",
             cwd);
    ht_write(dir, "host.json", host);
    for (size_t i = 0; functions && functions[i]; i += 2) {
        snprintf(path, sizeof path, "%s/function.json", functions[i]);
        ht_write(dir, path, functions[i + 1]);
    }
    snprintf(path, sizeof path, "%s/capture.jsonl", dir);
    setenv("FAKE_CAPTURE", path, 1);
    snprintf(path, sizeof path, "%s/replies.json", dir);
    setenv("FAKE_REPLIES", path, 1);
    unsetenv("FUNC_LOCAL_HANDLER");
    ck_assert_msg(app_load(dir, app, err, sizeof err) == 0, "%s", err);
    return dir;
}

int ht_captured(const char *dir, const char *fn, int want, long wait_ms)
{
    char path[1024], needle[256];
    snprintf(path, sizeof path, "%s/capture.jsonl", dir);
    snprintf(needle, sizeof needle, "\"path\":\"/%s\"", fn);
    int n = 0;
    for (long waited = 0;; waited += 20) {
        char *text = runner_slurp(path, NULL);
        n = 0;
        for (const char *p = text; p && (p = strstr(p, needle)); p++)
            n++;
        free(text);
        if (n >= want || waited >= wait_ms)
            return n;
        clock_sleep_ms(20);
    }
}

void ht_stack_start(struct ht_stack *s, const char *const *functions,
                    const char *replies)
{
    char err[512];
    s->dir = ht_fake_app(&s->app, functions);
    ht_write(s->dir, "replies.json", replies);
    s->w = worker_new(&s->app, err, sizeof err);
    ck_assert_msg(s->w != NULL, "%s", err);
    ck_assert_int_eq(worker_start(s->w), 0);
    ck_assert_int_eq(worker_wait_ready(s->w, 10000), 1);
    s->iv = invoker_new();
    s->d = dispatch_new(&s->app, s->w, s->iv);
}

void ht_stack_finish(struct ht_stack *s)
{
    ck_assert_int_eq(dispatch_drain(s->d, 5000), 0);
    dispatch_free(s->d);
    worker_stop(s->w);
    worker_free(s->w);
    invoker_free(s->iv);
    app_release(&s->app);
    runner_rmtree(s->dir);
    free(s->dir);
}

RUNNER_MAIN(app_suite, route_suite, payload_suite, result_suite, sigout_suite,
            conninfo_suite, ncrontab_suite, sigtrigger_suite, listen_suite,
            invoker_suite, worker_suite, dispatch_suite, timer_suite,
            keys_suite, easyauth_suite, hdesc_suite, select_suite,
            forward_suite, storage_suite, queue_suite, qclient_suite)
