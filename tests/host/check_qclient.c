/* check_qclient.c - the Queue REST client against a scripted server on a
 * free port: the request line, the Shared Key headers, the XML body,
 * transient answers retried (503, then 201), others not (403), errors
 * that name the service's code and message and never the key, and Get
 * Messages read. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/curlpool.h"
#include "host/qclient.h"
#include "host/storconn.h"
#include "host_test.h"
#include "util/banned.h"

#define SCRIPT_MAX 4

/* What the server answers, request after request, and what it saw. */
static struct {
    int status[SCRIPT_MAX];
    const char *code[SCRIPT_MAX];
    const char *body[SCRIPT_MAX];
    int n; /* requests seen */
    char method[8], url[256], auth[256], date[64], version[32], type[64],
        query_pop[128], body_seen[512];
} srv;
static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER;

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
    static int started;
    if (!*req) {
        pthread_mutex_lock(&srv_lock);
        snprintf(srv.method, sizeof srv.method, "%s", method);
        snprintf(srv.url, sizeof srv.url, "%s", url);
        copy_header(c, "Authorization", srv.auth, sizeof srv.auth);
        copy_header(c, "x-ms-date", srv.date, sizeof srv.date);
        copy_header(c, "x-ms-version", srv.version, sizeof srv.version);
        copy_header(c, "Content-Type", srv.type, sizeof srv.type);
        const char *pop =
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "popreceipt");
        snprintf(srv.query_pop, sizeof srv.query_pop, "%s", pop ? pop : "");
        srv.body_seen[0] = '\0';
        pthread_mutex_unlock(&srv_lock);
        *req = &started;
        return MHD_YES;
    }
    if (*data_size) {
        pthread_mutex_lock(&srv_lock);
        size_t have = strlen(srv.body_seen);
        size_t room = sizeof srv.body_seen - 1 - have;
        size_t n = *data_size < room ? *data_size : room;
        memcpy(srv.body_seen + have, data, n);
        srv.body_seen[have + n] = '\0';
        pthread_mutex_unlock(&srv_lock);
        *data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&srv_lock);
    int i = srv.n < SCRIPT_MAX ? srv.n : SCRIPT_MAX - 1;
    srv.n++;
    int status = srv.status[i];
    const char *code = srv.code[i];
    const char *body = srv.body[i] ? srv.body[i] : "";
    pthread_mutex_unlock(&srv_lock);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (code)
        MHD_add_response_header(r, "x-ms-error-code", code);
    MHD_add_response_header(r, "x-ms-popreceipt", "new/pop+receipt=");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *start_server(struct storconn *cs)
{
    struct sockaddr_in a = {0};
    char conn[512], err[256];
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
        NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    int port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(conn, sizeof conn,
             "AccountName=acct;AccountKey=c2VjcmV0LWtleS1ieXRlcw==;"
             "QueueEndpoint=http://127.0.0.1:%d/acct",
             port);
    ck_assert_int_eq(storconn_parse(conn, cs, err, sizeof err), 0);
    memset(&srv, 0, sizeof srv);
    return d;
}

static const char busy[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error>"
                           "<Code>ServerBusy</Code><Message>The server is "
                           "busy.\nRequestId:1</Message></Error>";

/* 503 is retried (after 0.8 s), then 201 succeeds. */
START_TEST(test_qclient_put_retries_a_busy_service)
{
    struct storconn cs;
    struct MHD_Daemon *d = start_server(&cs);
    struct curlpool *pool = curlpool_new();
    struct qclient_fail f;
    char err[512] = "";
    srv.status[0] = 503;
    srv.code[0] = "ServerBusy";
    srv.body[0] = busy;
    srv.status[1] = 201;
    ck_assert_int_eq(
        qclient_put(pool, &cs, "orders", "aGk=<&>", 2, &f, err, sizeof err), 0);
    ck_assert_int_eq(srv.n, 2);
    ck_assert_str_eq(srv.method, "POST");
    ck_assert_str_eq(srv.url, "/acct/orders/messages");
    ck_assert_str_eq(srv.type, "application/xml");
    ck_assert_str_eq(srv.version, QCLIENT_API_VERSION);
    ck_assert_str_eq(srv.date + strlen(srv.date) - 4, " GMT");
    ck_assert_int_eq(strncmp(srv.auth, "SharedKey acct:", 15), 0);
    ck_assert_uint_eq(strlen(srv.auth + 15), 44); /* base64 of 32 bytes */
    ck_assert_str_eq(srv.body_seen,
                     "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage>"
                     "<MessageText>aGk=&lt;&amp;&gt;</MessageText>"
                     "</QueueMessage>");
    curlpool_free(pool);
    storconn_release(&cs);
    MHD_stop_daemon(d);
}
END_TEST

/* 403 is not retried; the error names the status, code and message, and
 * neither the key nor the signature. */
START_TEST(test_qclient_refusal_is_not_retried)
{
    struct storconn cs;
    struct MHD_Daemon *d = start_server(&cs);
    struct curlpool *pool = curlpool_new();
    struct qclient_fail f;
    char err[512] = "";
    srv.status[0] = 403;
    srv.code[0] = "AuthenticationFailed";
    srv.body[0] =
        "<Error><Code>AuthenticationFailed</Code><Message>Server "
        "failed to authenticate the request.</Message>"
        "<AuthenticationErrorDetail>The MAC signature found in the "
        "HTTP request 'abc' is not the same</AuthenticationErrorDetail>"
        "</Error>";
    ck_assert_int_eq(qclient_delete(pool, &cs, "orders", "id-1", "p+/=", 3, &f,
                                    err, sizeof err),
                     -1);
    ck_assert_int_eq(srv.n, 1);
    ck_assert_int_eq(f.status, 403);
    ck_assert_str_eq(f.code, "AuthenticationFailed");
    ck_assert_str_eq(srv.method, "DELETE");
    ck_assert_str_eq(srv.url, "/acct/orders/messages/id-1");
    ck_assert_str_eq(srv.query_pop, "p+/="); /* encoded on the wire */
    ck_assert_str_eq(err,
                     "DELETE /acct/orders/messages/id-1: the queue service "
                     "answered 403 AuthenticationFailed: Server failed to "
                     "authenticate the request.");
    ck_assert_ptr_null(strstr(err, "c2VjcmV0"));
    ck_assert_ptr_null(strstr(err, srv.auth + 15));
    curlpool_free(pool);
    storconn_release(&cs);
    MHD_stop_daemon(d);
}
END_TEST

START_TEST(test_qclient_get_and_update)
{
    struct storconn cs;
    struct MHD_Daemon *d = start_server(&cs);
    struct curlpool *pool = curlpool_new();
    char err[512] = "", pop[64];
    struct qmsg *m;
    size_t n;
    srv.status[0] = 200;
    srv.body[0] = "<QueueMessagesList><QueueMessage><MessageId>m1</MessageId>"
                  "<PopReceipt>p1</PopReceipt><DequeueCount>3</DequeueCount>"
                  "<MessageText>dGV4dA==</MessageText></QueueMessage>"
                  "</QueueMessagesList>";
    ck_assert_int_eq(qclient_get(pool, &cs, "orders", 16, 600, 0, &m, &n, NULL,
                                 err, sizeof err),
                     0);
    ck_assert_str_eq(srv.method, "GET");
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(m[0].id, "m1");
    ck_assert_int_eq(m[0].dequeue_count, 3);
    qxml_messages_free(m, n);
    srv.status[1] = 204;
    ck_assert_int_eq(qclient_update(pool, &cs, "orders", "m1", "p1", 30, 0, pop,
                                    sizeof pop, NULL, err, sizeof err),
                     0);
    ck_assert_str_eq(srv.method, "PUT");
    ck_assert_str_eq(pop, "new/pop+receipt=");
    /* Not XML where messages are expected: refused with a reason. */
    srv.status[2] = 200;
    srv.body[2] = "<html>proxy error</html";
    ck_assert_int_eq(qclient_get(pool, &cs, "orders", 1, 600, 0, &m, &n, NULL,
                                 err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "XML reply"));
    curlpool_free(pool);
    storconn_release(&cs);
    MHD_stop_daemon(d);
}
END_TEST

/* Nobody listening: no answer, status 0, the curl error named. */
START_TEST(test_qclient_no_answer)
{
    struct storconn cs;
    char err[512] = "";
    struct qclient_fail f;
    ck_assert_int_eq(
        storconn_parse("AccountName=a;AccountKey=c2VjcmV0;QueueEndpoint=http://"
                       "127.0.0.1:9/a",
                       &cs, err, sizeof err),
        0);
    struct curlpool *pool = curlpool_new();
    ck_assert_int_eq(
        qclient_create(pool, &cs, "orders", 0, &f, err, sizeof err), -1);
    ck_assert_int_eq(f.status, 0);
    ck_assert_int_eq(strncmp(err, "PUT /a/orders: ", 15), 0);
    curlpool_free(pool);
    storconn_release(&cs);
}
END_TEST

Suite *qclient_suite(void)
{
    Suite *s = suite_create("qclient");
    TCase *tc = tcase_create("qclient");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_qclient_put_retries_a_busy_service);
    tcase_add_test(tc, test_qclient_refusal_is_not_retried);
    tcase_add_test(tc, test_qclient_get_and_update);
    tcase_add_test(tc, test_qclient_no_answer);
    suite_add_tcase(s, tc);
    return s;
}
