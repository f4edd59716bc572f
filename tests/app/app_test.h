/*
 * app_test.h - what the tests of the app's functions share: calling a
 * function of the app as the host would (its function.json read from the
 * repository, a state of its own, a connection string setting), and
 * registering a function's own test case from its test file, so adding a
 * function (src/app/<name>.c + tests/app/check_<name>.c) touches no list.
 */
#ifndef TESTS_APP_TEST_H
#define TESTS_APP_TEST_H

#include <check.h>
#include <json-c/json.h>

/* The connection string the tests give as AzureSignalRConnectionString. */
#define APP_TEST_CONNSTR                                                       \
    "Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWX"   \
    "YZ0123456789ABCDEFGH;Version=1.0;"

/* POST /name with the envelope text to the app (the repository's function
 * folders). Returns the parsed reply (new reference; the test fails when
 * it is not JSON) and its HTTP status in *status. */
struct json_object *app_test_call(const char *name, const char *envelope,
                                  int *status);

struct stats;
/* The same for the app folder root (its function folders and www/), with
 * the app state st and connstr as AzureSignalRConnectionString: the reply
 * body (new string) as the handler would send it. */
char *app_test_dispatch(const char *root, struct stats *st, const char *connstr,
                        const char *name, const char *text, size_t len,
                        const char *id, int *status);

/* Register a test case (built by make) in the "app" suite. */
void app_test_register(TCase *(*make)(void));
#define APP_TEST_CASE(make)                                                    \
    __attribute__((constructor)) static void app_test_reg_##make(void)         \
    {                                                                          \
        app_test_register(make);                                               \
    }

/* The suite of every registered case. */
Suite *app_tests_suite(void);

#endif
