/* check_dispatch.c - one invocation end to end (src/host/dispatch.c),
 * with tests/host/fake_handler.mjs as the handler: an HTTP function's
 * response, a failed invocation's 500, a timer run, spawned runs and the
 * drain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "host/dispatch.h"
#include "host_test.h"
#include "runner.h"

static const char *const functions[] = {
    "hello",
    "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":\"in\","
    "\"name\":\"req\",\"methods\":[\"get\"]},{\"type\":\"http\","
    "\"direction\":\"out\",\"name\":\"res\"}]}",
    "tick",
    "{\"bindings\":[{\"type\":\"timerTrigger\",\"direction\":\"in\","
    "\"name\":\"myTimer\",\"schedule\":\"0 0 0 1 1 *\"}]}",
    NULL,
};

static char *captured_text(const struct ht_stack *f)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/capture.jsonl", f->dir);
    char *text = runner_slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    return text;
}

static const struct payload_http get_hello = {
    .method = "GET",
    .url = "http://127.0.0.1:7071/api/hello?x=1",
    .content_length = -1,
};

START_TEST(test_dispatch_http_maps_the_response)
{
    struct ht_stack f;
    ht_stack_start(&f, functions,
                   "{\"hello\":{\"contentType\":\"application/json\","
                   "\"body\":{\"Outputs\":{\"res\":{\"statusCode\":201,"
                   "\"body\":\"hi\",\"headers\":{\"X-A\":\"1\"}}},"
                   "\"Logs\":[\"a log line\"]}}}");
    struct result_http out;
    const struct app_function *fn = app_find(&f.app, "hello");
    ck_assert_ptr_nonnull(fn);
    ck_assert_int_eq(dispatch_http(f.d, fn, &get_hello, NULL, &out), 0);
    ck_assert_int_eq(out.status, 201);
    ck_assert_str_eq(out.body, "hi");
    ck_assert_uint_eq(out.nheaders, 1);
    ck_assert_str_eq(out.headers[0].name, "X-A");
    ck_assert_str_eq(out.headers[0].value, "1");
    result_http_release(&out);
    ck_assert_int_eq(ht_captured(f.dir, "hello", 1, 0), 1);
    char *text = captured_text(&f);
    ck_assert_ptr_nonnull(strstr(text, "\\\"Method\\\":\\\"GET\\\""));
    ck_assert_ptr_nonnull(strstr(text, "\\\"MethodName\\\":\\\"hello\\\""));
    free(text);
    ht_stack_finish(&f);
}
END_TEST

START_TEST(test_dispatch_http_failure_is_500)
{
    struct ht_stack f;
    ht_stack_start(&f, functions,
                   "{\"hello\":{\"status\":500,\"raw\":\"boom\"}}");
    struct result_http out;
    const struct app_function *fn = app_find(&f.app, "hello");
    ck_assert_int_eq(dispatch_http(f.d, fn, &get_hello, NULL, &out), -1);
    ck_assert_int_eq(out.status, 500);
    result_http_release(&out);
    ht_stack_finish(&f);
}
END_TEST

START_TEST(test_dispatch_run_timer)
{
    struct ht_stack f;
    ht_stack_start(&f, functions, "{}");
    const struct app_function *fn = app_find(&f.app, "tick");
    ck_assert_ptr_nonnull(fn);
    ck_assert_int_eq(dispatch_run(f.d, fn, 1, NULL), 0);
    ck_assert_int_eq(ht_captured(f.dir, "tick", 1, 0), 1);
    char *text = captured_text(&f);
    ck_assert_ptr_nonnull(strstr(text, "\\\"IsPastDue\\\":true"));
    free(text);
    ht_stack_finish(&f);
}
END_TEST

START_TEST(test_dispatch_spawn_and_drain)
{
    struct ht_stack f;
    ht_stack_start(&f, functions,
                   "{\"tick\":{\"delayMs\":300,\"contentType\":"
                   "\"application/json\",\"body\":{}}}");
    const struct app_function *fn = app_find(&f.app, "tick");
    ck_assert_int_eq(dispatch_spawn(f.d, fn, 0, NULL), 0);
    ck_assert_int_eq(dispatch_spawn(f.d, fn, 0, NULL), 0);
    /* Both wait 300 ms for the handler's answer. */
    ck_assert_int_eq(dispatch_drain(f.d, 50), 2);
    ck_assert_int_eq(dispatch_drain(f.d, 5000), 0);
    ck_assert_int_eq(ht_captured(f.dir, "tick", 2, 0), 2);
    /* Draining: no new spawned run. */
    ck_assert_int_eq(dispatch_spawn(f.d, fn, 0, NULL), -1);
    ht_stack_finish(&f);
}
END_TEST

Suite *dispatch_suite(void)
{
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_dispatch_http_maps_the_response);
    tcase_add_test(tc, test_dispatch_http_failure_is_500);
    tcase_add_test(tc, test_dispatch_run_timer);
    tcase_add_test(tc, test_dispatch_spawn_and_drain);
    suite_add_tcase(s, tc);
    return s;
}
