/*
 * host_test.h - suites of the check_host runner and their shared helpers.
 *
 * The helper lives in host_main.c: writing a file of a throw-away app
 * folder. Vector files and temporary folders come from runner.h.
 */
#ifndef TESTS_HOST_TEST_H
#define TESTS_HOST_TEST_H

#include <check.h>
#include <json-c/json.h>

Suite *app_suite(void);
Suite *route_suite(void);
Suite *payload_suite(void);
Suite *result_suite(void);
Suite *sigout_suite(void);
Suite *conninfo_suite(void);
Suite *ncrontab_suite(void);
Suite *sigtrigger_suite(void);
Suite *listen_suite(void);

/* Write text to dir/rel, creating one level of sub-folder if needed. */
void ht_write(const char *dir, const char *rel, const char *text);

#endif
