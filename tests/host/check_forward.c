/* check_forward.c - what the host forwards for an HTTP-only function
 * (DefaultHttpWorkerService, HttpRequestExtensions.ToHttpRequestMessage,
 * QueryHelpers.AddQueryString with UrlEncoder.Default). */
#include <stdlib.h>
#include <string.h>

#include "host/forward.h"
#include "host_test.h"
#include "util/banned.h"

START_TEST(test_forward_query_rebuilt_as_the_host_does)
{
    static const struct payload_kv q[] = {
        {"a", "1"},      {"b", "x y"},     {"A", "2"},
        {"c", ""},       {"d", "&=+/?#%"}, {"e", "-._~!$()*,;@:'\"<>"},
        {"name", "Zoë"},
    };
    char *s = forward_query(q, sizeof q / sizeof q[0]);
    ck_assert_str_eq(s, "?a=1,2&b=x%20y&c=&d=%26%3D%2B%2F%3F%23%25"
                        "&e=-._~!$()*,;@%3A%27%22%3C%3E&name=Zo%C3%AB");
    free(s);
    s = forward_query(NULL, 0);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(test_forward_target_path)
{
    struct app app;
    struct app_function fn;
    static const struct payload_kv q[] = {{"x", "1"}};
    memset(&app, 0, sizeof app);
    memset(&fn, 0, sizeof fn);
    fn.name = (char *)"HttpTrigger";
    fn.http_in_out = 1;
    fn.kind = APP_FN_HTTP;
    const char *url = "http://127.0.0.1:7071/api/Http%20Trigger/a?x=1&x=2";

    /* customHandler without the flag: envelopes */
    app.handler.section = HDESC_CUSTOM_HANDLER;
    ck_assert_int_eq(forward_applies(&app, &fn), 0);
    /* with it: the path as it came */
    app.handler.forwarding = 1;
    ck_assert_int_eq(forward_applies(&app, &fn), 1);
    char *t = forward_target(&app, &fn, url, q, 1);
    ck_assert_str_eq(t, "/api/Http%20Trigger/a?x=1");
    free(t);
    /* httpWorker: always forwarded, to /<function name> */
    app.handler.section = HDESC_HTTP_WORKER;
    app.handler.forwarding = 0;
    ck_assert_int_eq(forward_applies(&app, &fn), 1);
    t = forward_target(&app, &fn, url, NULL, 0);
    ck_assert_str_eq(t, "/HttpTrigger");
    free(t);
    /* a function with another binding gets envelopes whatever the flag */
    fn.http_in_out = 0;
    ck_assert_int_eq(forward_applies(&app, &fn), 0);
}
END_TEST

START_TEST(test_forward_header_rules)
{
    ck_assert_int_eq(forward_request_header("Host"), 1);
    ck_assert_int_eq(forward_request_header("Authorization"), 1);
    ck_assert_int_eq(forward_request_header("Cookie"), 1);
    ck_assert_int_eq(forward_request_header("x-custom"), 1);
    ck_assert_int_eq(forward_request_header("content-type"), 0);
    ck_assert_int_eq(forward_request_header("Content-Length"), 0);
    ck_assert_int_eq(forward_request_header("Content-Encoding"), 0);
    ck_assert_int_eq(forward_request_header("Last-Modified"), 0);
    ck_assert_int_eq(forward_request_header("Connection"), 0);
    ck_assert_int_eq(forward_request_header("Transfer-Encoding"), 0);
    ck_assert_int_eq(forward_request_header("User-Agent"), 0);
    ck_assert_int_eq(forward_request_header("X-Azure-Functions-InvocationId"),
                     0);

    ck_assert_int_eq(forward_reply_header("Set-Cookie", "a=b"), 1);
    ck_assert_int_eq(forward_reply_header("Content-Type", "text/plain"), 1);
    ck_assert_int_eq(forward_reply_header("Location", "/x"), 1);
    ck_assert_int_eq(forward_reply_header("Transfer-Encoding", "chunked"), 0);
    ck_assert_int_eq(forward_reply_header("Transfer-Encoding", "gzip, chunked"),
                     1);
    ck_assert_int_eq(forward_reply_header("content-length", "5"), 0);
    ck_assert_int_eq(forward_reply_header("Connection", "keep-alive"), 0);
    ck_assert_int_eq(forward_reply_header("Keep-Alive", "timeout=5"), 0);
}
END_TEST

Suite *forward_suite(void)
{
    Suite *s = suite_create("forward");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_forward_query_rebuilt_as_the_host_does);
    tcase_add_test(tc, test_forward_target_path);
    tcase_add_test(tc, test_forward_header_rules);
    suite_add_tcase(s, tc);
    return s;
}
