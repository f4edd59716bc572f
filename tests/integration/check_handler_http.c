/*
 * check_handler_http.c - bin/handler as the host sees it: a real process on
 * a free port, driven with libcurl. Every shared vector is replayed the way
 * the host sends it (POST /{function}, chunked body, the three host
 * headers), then the transport errors, keep-alive, concurrency, logs,
 * start-up failures and SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "integration/proc.h"
#include "runner.h"
#include "util/buf.h"
#include "util/jsonx.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define CONNSTR                                                                \
    "AzureSignalRConnectionString=Endpoint=http://localhost;Port=8888;"        \
    "AccessKey=" KEY ";Version=1.0;"

static struct proc handler;
static int port;
static char approot[1024];

static void start_handler(void)
{
    char portenv[64], rootenv[1100];
    ck_assert_ptr_nonnull(getcwd(approot, sizeof approot));
    for (int attempt = 0; attempt < 5; attempt++) {
        port = proc_free_port();
        snprintf(portenv, sizeof portenv, "FUNCTIONS_CUSTOMHANDLER_PORT=%d",
                 port);
        snprintf(rootenv, sizeof rootenv, "FUNCTIONS_APP_ROOT_PATH=%s",
                 approot);
        const char *env[] = {portenv, rootenv, CONNSTR, NULL};
        const char *argv[] = {proc_bin("handler"), NULL};
        ck_assert_int_eq(proc_start(&handler, argv, env), 0);
        if (proc_wait_http(port, 10000) == 0)
            return;
        proc_release(&handler); /* the port was taken meanwhile: retry */
    }
    ck_abort_msg("handler did not become ready");
}

static void stop_handler(void)
{
    proc_release(&handler);
}

struct reply {
    long status;
    struct buf body;
    char type[128];
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct reply *r = ud;
    return buf_append(&r->body, p, sz * n) < 0 ? 0 : sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct reply *r = ud;
    if (strncasecmp(p, "Content-Type:", 13) == 0)
        snprintf(r->type, sizeof r->type, "%.*s", (int)strcspn(p + 14, "\r\n"),
                 p + 14);
    return sz * n;
}

struct upload {
    const char *p;
    size_t left;
};

static size_t on_read(char *dst, size_t sz, size_t n, void *ud)
{
    struct upload *u = ud;
    size_t k = sz * n < u->left ? sz * n : u->left;
    memcpy(dst, u->p, k);
    u->p += k;
    u->left -= k;
    return k;
}

/* One request on handle h (reused for keep-alive). method "POST" sends
 * body chunked, as the host does. */
static void request(CURL *h, const char *method, const char *path,
                    const char *body, size_t len, const char *invocation_id,
                    struct reply *r)
{
    char url[256], idh[128];
    struct upload up = {body, len};
    struct curl_slist *hs = NULL;
    memset(r, 0, sizeof *r);
    buf_init(&r->body, 64u << 20);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    if (strcmp(method, "POST") == 0) {
        hs = curl_slist_append(hs, "Transfer-Encoding: chunked");
        hs = curl_slist_append(hs, "Content-Type: application/json; "
                                   "charset=utf-8");
        hs = curl_slist_append(hs, "User-Agent: Azure-Functions-Host/4.1036");
        hs = curl_slist_append(hs, "X-Azure-Functions-HostVersion: 4.1036");
        snprintf(idh, sizeof idh, "X-Azure-Functions-InvocationId: %s",
                 invocation_id ? invocation_id : "00000000-test");
        hs = curl_slist_append(hs, idh);
        hs = curl_slist_append(hs, "Expect:");
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &up);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = curl_easy_perform(h);
    ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path,
                  curl_easy_strerror(rc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hs);
}

/* Replay a request vector; returns the parsed reply body. */
static struct json_object *replay(CURL *h, const char *name, long *status)
{
    struct json_object *v = runner_vector(name);
    const char *body = jsonx_compact(json_object_object_get(v, "body"));
    struct json_object *hdrs = json_object_object_get(v, "headers");
    struct reply r;
    request(h, "POST", jsonx_str(v, "path"), body, strlen(body),
            jsonx_str(hdrs, "X-Azure-Functions-InvocationId"), &r);
    *status = r.status;
    ck_assert_str_eq(r.type, "application/json");
    struct json_object *o = json_tokener_parse(buf_cstr(&r.body));
    ck_assert_msg(o != NULL, "reply is not JSON: %s", buf_cstr(&r.body));
    buf_release(&r.body);
    json_object_put(v);
    return o;
}

static struct json_object *outputs(struct json_object *o)
{
    return json_object_object_get(o, "Outputs");
}

START_TEST(test_http_get_root_answers_200)
{
    CURL *h = curl_easy_init();
    struct reply r;
    request(h, "GET", "/", NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    buf_release(&r.body);
    curl_easy_cleanup(h);
}
END_TEST

START_TEST(test_http_vectors_replayed_as_the_host_sends_them)
{
    CURL *h = curl_easy_init();
    long st = 0;
    /* negotiate */
    struct json_object *o = replay(h, "negotiate-request.json", &st);
    struct json_object *exp = runner_vector("negotiate-expected-response.json");
    ck_assert_int_eq(st, jsonx_str(exp, "x") ? 0 : 200);
    ck_assert(json_object_equal(
        outputs(o), json_object_object_get(json_object_object_get(exp, "body"),
                                           "Outputs")));
    ck_assert(json_object_is_type(json_object_object_get(o, "Logs"),
                                  json_type_array));
    json_object_put(o);
    json_object_put(exp);
    /* broadcast */
    o = replay(h, "broadcast-request.json", &st);
    exp = runner_vector("broadcast-expected-response.json");
    ck_assert_int_eq(st, 200);
    struct json_object *eo =
        json_object_object_get(json_object_object_get(exp, "body"), "Outputs");
    ck_assert(
        json_object_equal(json_object_object_get(outputs(o), "signalRMessages"),
                          json_object_object_get(eo, "signalRMessages")));
    struct json_object *res = json_object_object_get(outputs(o), "res");
    ck_assert_int_eq(
        json_object_get_int(json_object_object_get(res, "statusCode")), 200);
    struct json_object *client =
        runner_vector("broadcast-client-response.json");
    struct json_object *got = json_tokener_parse(jsonx_str(res, "body"));
    ck_assert(json_object_get_boolean(json_object_object_get(got, "sent")) ==
              json_object_get_boolean(json_object_object_get(
                  json_object_object_get(client, "body"), "sent")));
    json_object_put(got);
    json_object_put(client);
    json_object_put(o);
    json_object_put(exp);
    /* statusUpdate */
    o = replay(h, "timer-request.json", &st);
    ck_assert_int_eq(st, 200);
    struct json_object *m = json_object_array_get_idx(
        json_object_object_get(outputs(o), "signalRMessages"), 0);
    ck_assert_str_eq(jsonx_str(m, "target"), "statusUpdate");
    struct json_object *arg =
        json_object_array_get_idx(json_object_object_get(m, "arguments"), 0);
    ck_assert(json_object_is_type(json_object_object_get(arg, "timestamp"),
                                  json_type_string));
    ck_assert(json_object_is_type(
        json_object_object_get(arg, "servicesHealthy"), json_type_boolean));
    ck_assert(json_object_is_type(json_object_object_get(arg, "activeUsers"),
                                  json_type_int));
    /* One negotiation was served just before. */
    ck_assert_int_ge(
        json_object_get_int(json_object_object_get(arg, "activeUsers")), 1);
    json_object_put(o);
    curl_easy_cleanup(h);
}
END_TEST

START_TEST(test_http_keep_alive_reuses_one_connection)
{
    CURL *h = curl_easy_init();
    for (int i = 0; i < 3; i++) {
        long st = 0;
        struct json_object *o = replay(h, "broadcast-request.json", &st);
        ck_assert_int_eq(st, 200);
        long fresh = -1;
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &fresh);
        if (i > 0)
            ck_assert_int_eq(fresh, 0);
        json_object_put(o);
    }
    curl_easy_cleanup(h);
}
END_TEST

/* broadcast of message (a string) on h; asserts the 200 and that the
 * SignalR message carries exactly that string. */
static void broadcast_text(CURL *h, const char *message)
{
    struct json_object *v = runner_vector("broadcast-request.json");
    struct json_object *env = json_object_object_get(v, "body");
    struct json_object *req =
        json_object_object_get(json_object_object_get(env, "Data"), "req");
    struct json_object *b = json_object_new_object();
    json_object_object_add(b, "message", json_object_new_string(message));
    json_object_object_add(req, "Body",
                           json_object_new_string(jsonx_compact(b)));
    json_object_put(b);
    const char *text = jsonx_compact(env);
    struct reply r;
    request(h, "POST", "/broadcast", text, strlen(text), NULL, &r);
    ck_assert_int_eq(r.status, 200);
    struct json_object *o = json_tokener_parse(buf_cstr(&r.body));
    ck_assert_msg(o != NULL, "reply is not JSON: %.200s", buf_cstr(&r.body));
    struct json_object *m = json_object_array_get_idx(
        json_object_object_get(outputs(o), "signalRMessages"), 0);
    struct json_object *arg =
        json_object_array_get_idx(json_object_object_get(m, "arguments"), 0);
    ck_assert_str_eq(json_object_get_string(arg), message);
    json_object_put(o);
    buf_release(&r.body);
    json_object_put(v);
}

/* Replies of every size, one after the other on one connection: each is
 * its own, whether it was sent from the connection's buffer or handed
 * over (above 16 KiB). */
START_TEST(test_http_replies_small_and_large_on_one_connection)
{
    static char big[40000];
    CURL *h = curl_easy_init();
    memset(big, 'b', sizeof big - 1);
    const char *const messages[] = {"first", big, "third", big + 30000, "x"};
    for (size_t i = 0; i < sizeof messages / sizeof *messages; i++) {
        broadcast_text(h, messages[i]);
        long fresh = -1;
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &fresh);
        if (i > 0)
            ck_assert_int_eq(fresh, 0);
    }
    curl_easy_cleanup(h);
}
END_TEST

static void *hammer(void *arg)
{
    int *ok = arg;
    CURL *h = curl_easy_init();
    struct json_object *v = runner_vector("broadcast-request.json");
    const char *body = jsonx_compact(json_object_object_get(v, "body"));
    for (int i = 0; i < 50; i++) {
        struct reply r;
        request(h, "POST", "/broadcast", body, strlen(body), NULL, &r);
        if (r.status == 200 && strstr(buf_cstr(&r.body), "signalRMessages"))
            (*ok)++;
        buf_release(&r.body);
    }
    json_object_put(v);
    curl_easy_cleanup(h);
    return NULL;
}

START_TEST(test_http_concurrent_invocations)
{
    pthread_t t[8];
    int ok[8] = {0};
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, hammer, &ok[i]);
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(ok[i], 50);
    }
}
END_TEST

static void expect_error(CURL *h, const char *method, const char *path,
                         const char *body, size_t len, long status)
{
    struct reply r;
    request(h, method, path, body, len, NULL, &r);
    ck_assert_msg(r.status == status, "%s %s: %ld, want %ld", method, path,
                  r.status, status);
    struct json_object *o = json_tokener_parse(buf_cstr(&r.body));
    ck_assert_msg(jsonx_str(o, "error") != NULL, "%s %s: no JSON error: %s",
                  method, path, buf_cstr(&r.body));
    json_object_put(o);
    buf_release(&r.body);
    /* The server keeps serving. */
    request(h, "GET", "/", NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    buf_release(&r.body);
}

START_TEST(test_http_transport_errors_then_still_serving)
{
    CURL *h = curl_easy_init();
    expect_error(h, "POST", "/nosuchfunction", "{}", 2, 404);
    expect_error(h, "POST", "/", "{}", 2, 404);
    expect_error(h, "POST", "/broadcast/extra", "{}", 2, 404);
    expect_error(h, "GET", "/broadcast", NULL, 0, 405);
    expect_error(h, "DELETE", "/broadcast", NULL, 0, 405);
    expect_error(h, "POST", "/broadcast", "", 0, 400);
    expect_error(h, "POST", "/broadcast", "{\"Data\":", 8, 400);
    expect_error(h, "POST", "/broadcast", "{\"Data\":\"\xff\"}", 12, 400);
    expect_error(h, "POST", "/broadcast", "{\"Data\":{\"a\":\"\0\"}}", 18, 400);
    size_t big = 5u << 20;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    expect_error(h, "POST", "/broadcast", huge, big, 413);
    free(huge);
    curl_easy_cleanup(h);
}
END_TEST

START_TEST(test_http_logs_carry_invocation_id_and_no_secret)
{
    CURL *h = curl_easy_init();
    long st = 0;
    struct json_object *o = replay(h, "negotiate-request.json", &st);
    const char *tok = NULL;
    struct json_object *res = json_object_object_get(outputs(o), "res");
    struct json_object *b = json_tokener_parse(jsonx_str(res, "body"));
    tok = jsonx_str(b, "accessToken");
    ck_assert_ptr_nonnull(tok);
    const char *sig = strrchr(tok, '.') + 1;
    usleep(100000);
    char *out = proc_stdout(&handler);
    char *err = proc_stderr(&handler);
    ck_assert_ptr_nonnull(strstr(
        out, "\"invocationId\":\"3f1c2a9e-5b7d-4c1e-9a8f-0d2b6e4c1a77\""));
    ck_assert_ptr_null(strstr(out, sig));
    ck_assert_ptr_null(strstr(err, sig));
    ck_assert_ptr_null(strstr(out, KEY));
    ck_assert_ptr_null(strstr(err, KEY));
    free(out);
    free(err);
    json_object_put(b);
    json_object_put(o);
    curl_easy_cleanup(h);
}
END_TEST

START_TEST(test_http_sigterm_exits_0)
{
    ck_assert_int_eq(proc_stop(&handler, 5000), 0);
    char *err = proc_stderr(&handler);
    ck_assert_ptr_nonnull(strstr(err, "SIGTERM"));
    free(err);
}
END_TEST

static int connect_port(int p)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)p)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

START_TEST(test_http_sigterm_lets_the_request_in_flight_finish)
{
    struct json_object *v = runner_vector("broadcast-request.json");
    const char *body = jsonx_compact(json_object_object_get(v, "body"));
    size_t n = strlen(body), half = n / 2;
    char head[512];
    int fd = connect_port(port);
    ck_assert_int_ge(fd, 0);
    int hl = snprintf(head, sizeof head,
                      "POST /broadcast HTTP/1.1\r\nHost: x\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
                      half);
    ck_assert_int_eq(write(fd, head, (size_t)hl), hl);
    ck_assert_int_eq(write(fd, body, half), (ssize_t)half);
    usleep(200000);
    kill(handler.pid, SIGTERM);
    usleep(200000);
    /* No new connections once stopping... */
    ck_assert_int_lt(connect_port(port), 0);
    /* ...but the request already begun is answered in full. */
    hl = snprintf(head, sizeof head, "\r\n%zx\r\n", n - half);
    ck_assert_int_eq(write(fd, head, (size_t)hl), hl);
    ck_assert_int_eq(write(fd, body + half, n - half), (ssize_t)(n - half));
    ck_assert_int_eq(write(fd, "\r\n0\r\n\r\n", 7), 7);
    char buf[4096];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 &&
           (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "signalRMessages"));
    ck_assert_int_eq(proc_wait(&handler, 5000), 0);
    json_object_put(v);
}
END_TEST

static int run_expecting_failure(const char *const env[], const char *needle)
{
    struct proc p;
    const char *argv[] = {proc_bin("handler"), NULL};
    ck_assert_int_eq(proc_start(&p, argv, env), 0);
    int code = proc_wait(&p, 5000);
    char *err = proc_stderr(&p);
    ck_assert_msg(strstr(err, needle) != NULL, "stderr lacks '%s': %s", needle,
                  err);
    free(err);
    proc_release(&p);
    return code;
}

START_TEST(test_http_start_up_failures_exit_non_zero)
{
    const char *none[] = {
        "FUNCTIONS_CUSTOMHANDLER_PORT=", "FUNCTIONS_HTTPWORKER_PORT=", NULL};
    ck_assert_int_eq(run_expecting_failure(none, "is not set"), 1);
    const char *bad[] = {"FUNCTIONS_CUSTOMHANDLER_PORT=80x", NULL};
    ck_assert_int_eq(run_expecting_failure(bad, "not a port"), 1);
    const char *zero[] = {"FUNCTIONS_CUSTOMHANDLER_PORT=70000", NULL};
    ck_assert_int_eq(run_expecting_failure(zero, "not a port"), 1);
    /* A port someone else holds. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    listen(fd, 1);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    char taken[64];
    snprintf(taken, sizeof taken, "FUNCTIONS_CUSTOMHANDLER_PORT=%d",
             ntohs(sa.sin_port));
    const char *busy[] = {taken, NULL};
    ck_assert_int_eq(run_expecting_failure(busy, "already in use"), 2);
    close(fd);
}
END_TEST

START_TEST(test_http_legacy_port_variable)
{
    struct proc p;
    int lp = proc_free_port();
    char env1[64];
    snprintf(env1, sizeof env1, "FUNCTIONS_HTTPWORKER_PORT=%d", lp);
    const char *env[] = {"FUNCTIONS_CUSTOMHANDLER_PORT=", env1, NULL};
    const char *argv[] = {proc_bin("handler"), NULL};
    ck_assert_int_eq(proc_start(&p, argv, env), 0);
    ck_assert_int_eq(proc_wait_http(lp, 10000), 0);
    ck_assert_int_eq(proc_stop(&p, 5000), 0);
    proc_release(&p);
}
END_TEST

static Suite *handler_http_suite(void)
{
    Suite *s = suite_create("handler_http");
    TCase *tc = tcase_create("running");
    tcase_add_checked_fixture(tc, start_handler, stop_handler);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_http_get_root_answers_200);
    tcase_add_test(tc, test_http_vectors_replayed_as_the_host_sends_them);
    tcase_add_test(tc, test_http_keep_alive_reuses_one_connection);
    tcase_add_test(tc, test_http_replies_small_and_large_on_one_connection);
    tcase_add_test(tc, test_http_concurrent_invocations);
    tcase_add_test(tc, test_http_transport_errors_then_still_serving);
    tcase_add_test(tc, test_http_logs_carry_invocation_id_and_no_secret);
    tcase_add_test(tc, test_http_sigterm_exits_0);
    tcase_add_test(tc, test_http_sigterm_lets_the_request_in_flight_finish);
    suite_add_tcase(s, tc);
    tc = tcase_create("start-up");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_http_start_up_failures_exit_non_zero);
    tcase_add_test(tc, test_http_legacy_port_variable);
    suite_add_tcase(s, tc);
    return s;
}

RUNNER_MAIN(handler_http_suite)
