/*
 * host_test.h - suites of the check_host runner and their shared helpers.
 *
 * The helpers live in host_main.c: writing a file of a throw-away app
 * folder, and such a folder served by tests/host/fake_handler.mjs (node)
 * for the suites that run a handler. Vector files and temporary folders
 * come from runner.h.
 */
#ifndef TESTS_HOST_TEST_H
#define TESTS_HOST_TEST_H

#include <check.h>
#include <json-c/json.h>

#include "host/app.h"
#include "host/dispatch.h"
#include "host/invoker.h"
#include "host/worker.h"

Suite *app_suite(void);
Suite *route_suite(void);
Suite *payload_suite(void);
Suite *result_suite(void);
Suite *sigout_suite(void);
Suite *conninfo_suite(void);
Suite *ncrontab_suite(void);
Suite *sigtrigger_suite(void);
Suite *listen_suite(void);
Suite *invoker_suite(void);
Suite *worker_suite(void);
Suite *dispatch_suite(void);
Suite *timer_suite(void);
Suite *keys_suite(void);
Suite *easyauth_suite(void);
Suite *hdesc_suite(void);
Suite *select_suite(void);
Suite *forward_suite(void);
Suite *storage_suite(void);
Suite *queue_suite(void);
Suite *qclient_suite(void);

/* Write text to dir/rel, creating one level of sub-folder if needed. */
void ht_write(const char *dir, const char *rel, const char *text);

/* A new app folder (runner_tmpdir) whose handler is
 * `node tests/host/fake_handler.mjs`, with the functions given as
 * name/function.json pairs (NULL-ended), loaded into *app (app_release
 * it). Sets FAKE_CAPTURE and FAKE_REPLIES to dir/capture.jsonl and
 * dir/replies.json, and clears FUNC_LOCAL_HANDLER. Returns dir (the
 * caller frees it after runner_rmtree). */
char *ht_fake_app(struct app *app, const char *const *functions);
/* How many requests the fake handler has recorded for POST /fn within
 * wait_ms (returns as soon as there are at least want). */
int ht_captured(const char *dir, const char *fn, int want, long wait_ms);

/* An ht_fake_app with its handler started and ready, and a dispatcher. */
struct ht_stack {
    struct app app;
    char *dir;
    struct worker *w;
    struct invoker *iv;
    struct dispatch *d;
};
/* Start one with functions (as for ht_fake_app) and replies (the text of
 * replies.json); fails the test when the handler is not ready in 10 s. */
void ht_stack_start(struct ht_stack *s, const char *const *functions,
                    const char *replies);
/* Drain (failing the test when runs are left after 5 s), stop, free, and
 * remove the folder. */
void ht_stack_finish(struct ht_stack *s);

#endif
