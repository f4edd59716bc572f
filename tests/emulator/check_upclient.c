/* check_upclient.c - the upstream client (src/emulator/upclient.c) in a
 * real loop against a libmicrohttpd upstream in the test: the calls of one
 * connection in order and signed, an invocation's Completion, a failed
 * call, no template. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <microhttpd.h>

#include "emulator/upclient.h"
#include "emulator/upmsg.h"
#include "emulator_suites.h"
#include "lp_client.h"
#include "util/clock.h"

#define INVOKE                                                                 \
    "{\"type\":1,\"invocationId\":\"7\",\"target\":\"echo\","                  \
    "\"arguments\":[\"hi\"]}" HUBPROTO_RS_STR

/* The upstream: what it was called with, and the status it answers. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char calls[8][128]; /* "<hub> <category>/<event> <url>" */
    int n;
    int signed_ok; /* every call had X-ASRS-Signature: sha256=... */
    unsigned status;
} up;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **req)
{
    if (!*req) {
        *req = &up;
        return MHD_YES;
    }
    if (*data_size) {
        *data_size = 0;
        return MHD_YES;
    }
    const char *hub =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-ASRS-Hub");
    const char *cat =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-ASRS-Category");
    const char *ev =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-ASRS-Event");
    const char *sig =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-ASRS-Signature");
    pthread_mutex_lock(&lock);
    if (up.n < 8)
        snprintf(up.calls[up.n++], sizeof up.calls[0], "%s %s/%s %s",
                 hub ? hub : "-", cat ? cat : "-", ev ? ev : "-", url);
    if (!sig || strncmp(sig, "sha256=", 7) != 0)
        up.signed_ok = 0;
    unsigned status = up.status;
    pthread_mutex_unlock(&lock);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

struct rig {
    struct MHD_Daemon *mhd;
    struct loop loop;
    struct registry *reg;
    struct conns *t;
    struct auth_keys keys;
    struct upconf conf;
    struct upclient *uc;
};

/* The loop, a connection table and an upclient; with_template, one
 * template for every hub and event to the test's upstream. */
static void rig_start(struct rig *r, int with_template, unsigned status)
{
    char url[128], err[256];
    memset(r, 0, sizeof *r);
    memset(&up, 0, sizeof up);
    up.signed_ok = 1;
    up.status = status;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                              on_request, NULL, MHD_OPTION_SOCK_ADDR, &a,
                              MHD_OPTION_END);
    ck_assert_ptr_nonnull(r->mhd);
    int port = MHD_get_daemon_info(r->mhd, MHD_DAEMON_INFO_BIND_PORT)->port;
    ck_assert_int_eq(loop_init(&r->loop), 0);
    r->reg = registry_new();
    r->t = conns_new(&r->loop, NULL, r->reg);
    r->keys.keys[0] = "a-test-access-key-of-some-length-0123456789";
    r->keys.n = 1;
    upconf_init(&r->conf);
    if (with_template) {
        snprintf(url, sizeof url, "http://127.0.0.1:%d/up/{hub}/{event}", port);
        ck_assert_int_eq(
            upconf_add(&r->conf, url, NULL, NULL, NULL, err, sizeof err), 0);
    }
    r->uc = upclient_start(&r->loop, r->t, &r->keys, &r->conf, NULL, 2000);
    ck_assert_ptr_nonnull(r->uc);
}

static void rig_stop(struct rig *r)
{
    upclient_stop(r->uc);
    conns_abort_all(r->t, "test over");
    conns_reap(r->t);
    conns_free(r->t);
    registry_free(r->reg);
    upconf_release(&r->conf);
    loop_release(&r->loop);
    MHD_stop_daemon(r->mhd);
}

static int calls(void)
{
    pthread_mutex_lock(&lock);
    int n = up.n;
    pthread_mutex_unlock(&lock);
    return n;
}

/* Run loop turns until the upstream has seen want calls and, when text is
 * not NULL, c's output holds it; at most max_ms. */
static void pump(struct rig *r, int want, const struct conn *c,
                 const char *text, long max_ms)
{
    long long end = clock_mono_ms() + max_ms;
    while (clock_mono_ms() < end) {
        if (calls() >= want && (!text || lp_client_got(c, text)))
            return;
        loop_wait(&r->loop, loop_timeout(&r->loop, 20));
        loop_run_timers(&r->loop);
        conns_reap(r->t);
    }
}

/* An open client that has just invoked "echo" with id 7. */
static struct conn *invoke(struct rig *r)
{
    struct conn *c = lp_client_open(r->t, NULL);
    conn_input(c, INVOKE, strlen(INVOKE));
    return c;
}

START_TEST(test_upclient_calls_in_order_with_completion)
{
    struct rig r;
    rig_start(&r, 1, 200);
    struct conn *c = invoke(&r);
    pump(&r, 2, c, "\"invocationId\":\"7\"", 3000);
    ck_assert_int_eq(calls(), 2);
    ck_assert(lp_client_got(c, "\"type\":3"));
    ck_assert(!lp_client_got(c, "\"error\""));
    conn_close(c, NULL, 0);
    conn_abort(c, "closed");
    conns_reap(r.t);
    pump(&r, 3, NULL, NULL, 3000);
    ck_assert_int_eq(calls(), 3);
    ck_assert_str_eq(up.calls[0], "chat connections/connected /up/chat/"
                                  "connected");
    ck_assert_str_eq(up.calls[1], "chat messages/echo /up/chat/echo");
    ck_assert_str_eq(up.calls[2], "chat connections/disconnected "
                                  "/up/chat/disconnected");
    ck_assert_int_eq(up.signed_ok, 1);
    rig_stop(&r);
}
END_TEST

START_TEST(test_upclient_failed_call_is_a_completion_error)
{
    struct rig r;
    rig_start(&r, 1, 500);
    struct conn *c = invoke(&r);
    pump(&r, 2, c, "\"invocationId\":\"7\"", 3000);
    ck_assert(lp_client_got(c, "\"type\":3"));
    ck_assert(lp_client_got(c, "Invocation failed, status code 500"));
    /* A failed connected event does not close the client. */
    ck_assert_int_eq(c->state, CONN_OPEN);
    rig_stop(&r);
}
END_TEST

START_TEST(test_upclient_without_template)
{
    struct rig r;
    rig_start(&r, 0, 200);
    struct conn *c = invoke(&r);
    /* Answered at once, without a loop turn. */
    ck_assert(lp_client_got(c, "\"invocationId\":\"7\""));
    ck_assert(lp_client_got(c, UPMSG_NO_UPSTREAM));
    pump(&r, 1, NULL, NULL, 300); /* nothing is sent: it runs out */
    ck_assert_int_eq(calls(), 0);
    rig_stop(&r);
}
END_TEST

Suite *upclient_suite(void)
{
    Suite *s = suite_create("upclient");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 15);
    tcase_add_test(tc, test_upclient_calls_in_order_with_completion);
    tcase_add_test(tc, test_upclient_failed_call_is_a_completion_error);
    tcase_add_test(tc, test_upclient_without_template);
    suite_add_tcase(s, tc);
    return s;
}
