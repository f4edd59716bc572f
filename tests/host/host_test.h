/*
 * host_test.h - suites of the check_host runner and their shared helpers.
 *
 * The helpers live in host_main.c: reading a vector file of
 * ../shared/spec as JSON, and writing a throw-away app folder.
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

/* spec/<rel> parsed (new reference); fails the test when unreadable. */
struct json_object *ht_vector(const char *rel);

/* A new empty directory under /tmp (caller frees the string; ht_rmtree
 * removes it). */
char *ht_tmpdir(void);
/* Write text to dir/rel, creating one level of sub-folder if needed. */
void ht_write(const char *dir, const char *rel, const char *text);
void ht_rmtree(const char *dir);

#endif
