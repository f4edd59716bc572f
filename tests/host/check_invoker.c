/* check_invoker.c - the host's HTTP client to the handler
 * (src/host/invoker.c), against a libmicrohttpd server in the test: the
 * request it sends, the reply it reads, timeouts, a port with no one. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <microhttpd.h>

#include "host/invoker.h"
#include "util/clock.h"

/* What the server saw of the last request, and how it answers. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char method[16], url[256], invocation_id[128], host_version[64];
    char user_agent[128], content_type[128], transfer_encoding[32];
    char body[4096];
    size_t body_len;
    int requests;
    long delay_ms;   /* before answering */
    unsigned status; /* of the answer */
} seen;

static void copy_header(struct MHD_Connection *c, const char *name, char *out,
                        size_t outlen)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(out, outlen, "%s", v ? v : "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **req)
{
    if (!*req) { /* headers only: start the request */
        pthread_mutex_lock(&lock);
        snprintf(seen.method, sizeof seen.method, "%s", method);
        snprintf(seen.url, sizeof seen.url, "%s", url);
        copy_header(c, "X-Azure-Functions-InvocationId", seen.invocation_id,
                    sizeof seen.invocation_id);
        copy_header(c, "X-Azure-Functions-HostVersion", seen.host_version,
                    sizeof seen.host_version);
        copy_header(c, "User-Agent", seen.user_agent, sizeof seen.user_agent);
        copy_header(c, "Content-Type", seen.content_type,
                    sizeof seen.content_type);
        copy_header(c, "Transfer-Encoding", seen.transfer_encoding,
                    sizeof seen.transfer_encoding);
        seen.body_len = 0;
        seen.requests++;
        pthread_mutex_unlock(&lock);
        *req = &seen;
        return MHD_YES;
    }
    if (*data_size) {
        pthread_mutex_lock(&lock);
        size_t room = sizeof seen.body - 1 - seen.body_len;
        size_t n = *data_size < room ? *data_size : room;
        memcpy(seen.body + seen.body_len, data, n);
        seen.body_len += n;
        seen.body[seen.body_len] = '\0';
        pthread_mutex_unlock(&lock);
        *data_size = 0;
        return MHD_YES;
    }
    if (seen.delay_ms)
        clock_sleep_ms(seen.delay_ms);
    static const char reply[] = "{\"Outputs\":{},\"Logs\":[\"ok\"]}";
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof reply - 1, (void *)reply, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, seen.status, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *start_server(int *port)
{
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
        NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert_ptr_nonnull(info);
    *port = info->port;
    seen.status = 200;
    seen.delay_ms = 0;
    seen.requests = 0;
    return d;
}

START_TEST(test_invoker_post_sends_the_host_request)
{
    int port;
    struct MHD_Daemon *d = start_server(&port);
    struct invoker *iv = invoker_new();
    struct invoker_reply out;
    char err[256];
    const char body[] = "{\"Data\":{},\"Metadata\":{}}";
    ck_assert_int_eq(invoker_post(iv, port, "hello", "inv-1", body,
                                  sizeof body - 1, 5000, &out, err, sizeof err),
                     0);
    ck_assert_int_eq(out.status, 200);
    ck_assert_str_eq(out.content_type, "application/json");
    ck_assert_uint_eq(out.len, strlen(out.body));
    ck_assert_str_eq(out.body, "{\"Outputs\":{},\"Logs\":[\"ok\"]}");
    invoker_reply_release(&out);
    ck_assert_str_eq(seen.method, "POST");
    ck_assert_str_eq(seen.url, "/hello");
    ck_assert_str_eq(seen.invocation_id, "inv-1");
    ck_assert_str_eq(seen.host_version, INVOKER_HOST_VERSION);
    ck_assert_str_eq(seen.user_agent,
                     "Azure-Functions-Host/" INVOKER_HOST_VERSION);
    ck_assert_str_eq(seen.content_type, "application/json; charset=utf-8");
    ck_assert_str_eq(seen.transfer_encoding, "chunked");
    ck_assert_str_eq(seen.body, body);
    /* A second call reuses the pool; a 500 is still a reply. */
    seen.status = 500;
    ck_assert_int_eq(invoker_post(iv, port, "other", "inv-2", "{}", 2, 5000,
                                  &out, err, sizeof err),
                     0);
    ck_assert_int_eq(out.status, 500);
    invoker_reply_release(&out);
    ck_assert_str_eq(seen.url, "/other");
    ck_assert_int_eq(seen.requests, 2);
    invoker_free(iv);
    MHD_stop_daemon(d);
}
END_TEST

START_TEST(test_invoker_post_times_out)
{
    int port;
    struct MHD_Daemon *d = start_server(&port);
    struct invoker *iv = invoker_new();
    struct invoker_reply out;
    char err[256];
    seen.delay_ms = 1000;
    long long t0 = clock_mono_ms();
    ck_assert_int_eq(invoker_post(iv, port, "slow", "inv-3", "{}", 2, 200, &out,
                                  err, sizeof err),
                     INVOKER_TIMEOUT);
    ck_assert_int_lt(clock_mono_ms() - t0, 900);
    invoker_free(iv);
    MHD_stop_daemon(d);
}
END_TEST

START_TEST(test_invoker_no_one_listening)
{
    int port;
    struct MHD_Daemon *d = start_server(&port);
    ck_assert_int_eq(invoker_probe(port, 1000), 1);
    ck_assert_str_eq(seen.method, "GET");
    ck_assert_str_eq(seen.url, "/");
    MHD_stop_daemon(d); /* the port is free again */
    ck_assert_int_eq(invoker_probe(port, 500), 0);
    struct invoker *iv = invoker_new();
    struct invoker_reply out;
    char err[256] = "";
    ck_assert_int_eq(invoker_post(iv, port, "hello", "inv-4", "{}", 2, 1000,
                                  &out, err, sizeof err),
                     -1);
    ck_assert_str_ne(err, "");
    invoker_free(iv);
}
END_TEST

Suite *invoker_suite(void)
{
    Suite *s = suite_create("invoker");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_invoker_post_sends_the_host_request);
    tcase_add_test(tc, test_invoker_post_times_out);
    tcase_add_test(tc, test_invoker_no_one_listening);
    suite_add_tcase(s, tc);
    return s;
}
