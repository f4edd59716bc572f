/* check_conn.c - one client connection and the connection table
 * (src/emulator/conn.c), driven without sockets: long polling keeps the
 * output in conn->out, and the loop's clock is set by hand. */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "emulator/conn.h"
#include "emulator_suites.h"
#include "lp_client.h"

/* What the hooks saw. */
static struct {
    int connected, disconnected, invocations;
    char target[64];
} seen;

static void on_connected(void *arg, struct conn *c)
{
    seen.connected++;
}
static void on_disconnected(void *arg, struct conn *c)
{
    seen.disconnected++;
}
static void on_invocation(void *arg, struct conn *c,
                          const struct hubproto_msg *m, const char *raw,
                          size_t len)
{
    seen.invocations++;
    snprintf(seen.target, sizeof seen.target, "%s", m->target);
}

static const struct conn_hooks hooks = {on_connected, on_disconnected,
                                        on_invocation};

struct table {
    struct loop loop; /* only its clock: no watch is registered */
    struct registry *reg;
    struct conns *t;
};

static void table_init(struct table *tb)
{
    memset(tb, 0, sizeof *tb);
    memset(&seen, 0, sizeof seen);
    tb->loop.now_ms = 1000000;
    tb->reg = registry_new();
    tb->t = conns_new(&tb->loop, NULL, tb->reg);
    conns_set_hooks(tb->t, &hooks, NULL);
}

static void table_release(struct table *tb)
{
    conns_abort_all(tb->t, "test over");
    conns_reap(tb->t);
    ck_assert_uint_eq(conns_live(tb->t), 0);
    conns_free(tb->t);
    registry_free(tb->reg);
}

static size_t hub_count(struct table *tb, const char *name)
{
    struct hub *h = registry_hub(tb->reg, name, 0);
    return h ? hub_conn_count(h) : 0;
}

START_TEST(test_conn_new_ids_and_lookup)
{
    struct table tb;
    table_init(&tb);
    struct conn *c = conn_new(tb.t, "Chat", "alice", 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(strlen(c->id), CONN_ID_LEN);
    ck_assert_uint_eq(strlen(c->token), CONN_ID_LEN);
    ck_assert_str_ne(c->id, c->token);
    ck_assert_uint_eq(strspn(c->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
                                    "nopqrstuvwxyz0123456789-_"),
                      CONN_ID_LEN);
    ck_assert_str_eq(c->hub, "chat");
    ck_assert_str_eq(c->user, "alice");
    ck_assert_int_eq(c->state, CONN_NEGOTIATED);
    ck_assert_ptr_eq(conn_by_token(tb.t, c->token), c);
    ck_assert_ptr_null(conn_by_token(tb.t, c->id));
    /* Negotiate version 0: the token is the id. */
    struct conn *c0 = conn_new(tb.t, "chat", NULL, 1);
    ck_assert_str_eq(c0->token, c0->id);
    ck_assert_ptr_null(c0->user);
    ck_assert_uint_eq(conns_live(tb.t), 2);
    table_release(&tb);
}
END_TEST

START_TEST(test_conn_handshake_send_and_invocation)
{
    struct table tb;
    table_init(&tb);
    struct conn *c = conn_new(tb.t, "Chat", NULL, 0);
    ck_assert_int_eq(conn_send(c, "{}" HUBPROTO_RS_STR, 3, NULL), -1);
    ck_assert_int_eq(conn_attach_lp(c), 0);
    ck_assert_int_eq(conn_attach_lp(c), -1); /* one transport */
    ck_assert_int_eq(c->transport, CONN_LP);
    ck_assert_int_eq(c->state, CONN_HANDSHAKE);
    /* Half a handshake waits for the rest. */
    conn_input(c, LP_HANDSHAKE, 10);
    ck_assert_int_eq(c->state, CONN_HANDSHAKE);
    conn_input(c, LP_HANDSHAKE + 10, strlen(LP_HANDSHAKE) - 10);
    ck_assert_int_eq(c->state, CONN_OPEN);
    ck_assert_int_eq(seen.connected, 1);
    ck_assert_uint_eq(hub_count(&tb, "chat"), 1);
    ck_assert_uint_eq(c->out.len, 3);
    ck_assert_int_eq(memcmp(c->out.data, "{}" HUBPROTO_RS_STR, 3), 0);
    static const char rec[] = "{\"type\":1,\"target\":\"newMessage\","
                              "\"arguments\":[\"hi\"]}" HUBPROTO_RS_STR;
    ck_assert_int_eq(conn_send(c, rec, sizeof rec - 1, NULL), 0);
    ck_assert_uint_eq(c->out.len, 3 + sizeof rec - 1);
    /* Two records in one input: a ping, then an invocation. */
    static const char in[] = "{\"type\":6}" HUBPROTO_RS_STR
                             "{\"type\":1,\"invocationId\":\"1\",\"target\":"
                             "\"send\",\"arguments\":[]}" HUBPROTO_RS_STR;
    conn_input(c, in, sizeof in - 1);
    ck_assert_int_eq(seen.invocations, 1);
    ck_assert_str_eq(seen.target, "send");
    ck_assert_int_eq(c->state, CONN_OPEN);
    table_release(&tb);
    ck_assert_int_eq(seen.disconnected, 1);
}
END_TEST

START_TEST(test_conn_handshake_refused)
{
    struct table tb;
    table_init(&tb);
    struct conn *c = conn_new(tb.t, "chat", NULL, 0);
    ck_assert_int_eq(conn_attach_lp(c), 0);
    static const char bad[] =
        "{\"protocol\":\"xml\",\"version\":1}" HUBPROTO_RS_STR;
    conn_input(c, bad, sizeof bad - 1);
    ck_assert_int_eq(c->state, CONN_CLOSING);
    ck_assert_int_eq(seen.connected, 0);
    ck_assert_uint_eq(hub_count(&tb, "chat"), 0);
    ck_assert(lp_client_got(c, "\"error\""));
    table_release(&tb);
    ck_assert_int_eq(seen.disconnected, 0); /* never open */
}
END_TEST

START_TEST(test_conn_close_then_reap)
{
    struct table tb;
    table_init(&tb);
    struct conn *c = lp_client_open(tb.t, "bob");
    char token[CONN_ID_LEN + 1];
    memcpy(token, c->token, sizeof token);
    size_t before = c->out.len;
    conn_close(c, "bye", 1);
    ck_assert_int_eq(c->state, CONN_CLOSING);
    ck_assert_uint_eq(hub_count(&tb, "chat"), 0); /* left the hub at once */
    ck_assert_str_eq(c->error, "bye");
    ck_assert_ptr_nonnull(
        memmem(c->out.data + before, c->out.len - before, "\"type\":7", 8));
    ck_assert_int_eq(conn_send(c, "{}" HUBPROTO_RS_STR, 3, NULL), -1);
    /* The grace period for the transport's end runs out. */
    tb.loop.now_ms += CONN_CLOSE_GRACE_MS + 1;
    conns_sweep(tb.t);
    ck_assert_int_eq(c->state, CONN_DEAD);
    ck_assert_uint_eq(conns_live(tb.t), 0);
    ck_assert_ptr_null(conn_by_token(tb.t, token));
    ck_assert_int_eq(seen.disconnected, 0); /* only at the reap */
    conns_reap(tb.t);
    ck_assert_int_eq(seen.disconnected, 1);
    table_release(&tb);
}
END_TEST

START_TEST(test_conn_sweep_timeouts)
{
    struct table tb;
    table_init(&tb);
    struct conn *never = conn_new(tb.t, "chat", NULL, 0);
    struct conn *silent = conn_new(tb.t, "chat", NULL, 0);
    ck_assert_int_eq(conn_attach_lp(silent), 0);
    struct conn *lp = lp_client_open(tb.t, NULL);
    lp->poll_end_ms = tb.loop.now_ms;
    /* Within every limit: nothing happens. */
    tb.loop.now_ms += 1000;
    conns_sweep(tb.t);
    ck_assert_uint_eq(conns_live(tb.t), 3);
    /* A long-polling client that stopped polling is dropped first. */
    tb.loop.now_ms += CONN_LP_MAX_GAP_MS;
    conns_sweep(tb.t);
    ck_assert_int_eq(lp->state, CONN_DEAD);
    ck_assert_int_eq(silent->state, CONN_HANDSHAKE);
    /* No handshake within 15 s. */
    tb.loop.now_ms += 15000;
    conns_sweep(tb.t);
    ck_assert_int_eq(silent->state, CONN_DEAD);
    ck_assert_int_eq(never->state, CONN_NEGOTIATED);
    /* Negotiated but never connected. */
    tb.loop.now_ms += CONN_NEGOTIATE_TTL_MS;
    conns_sweep(tb.t);
    ck_assert_int_eq(never->state, CONN_DEAD);
    ck_assert_uint_eq(conns_live(tb.t), 0);
    conns_reap(tb.t);
    table_release(&tb);
}
END_TEST

START_TEST(test_conns_stop_closes_with_reconnect)
{
    struct table tb;
    table_init(&tb);
    struct conn *c = lp_client_open(tb.t, NULL);
    struct conn *pending = conn_new(tb.t, "chat", NULL, 0);
    size_t before = c->out.len;
    conns_stop(tb.t);
    ck_assert_int_eq(conns_stopping(tb.t), 1);
    ck_assert_int_eq(c->state, CONN_CLOSING);
    ck_assert_int_eq(pending->state, CONN_DEAD);
    ck_assert_ptr_nonnull(memmem(c->out.data + before, c->out.len - before,
                                 "\"allowReconnect\":true", 21));
    ck_assert_ptr_null(c->error); /* no error kept while stopping */
    table_release(&tb);
}
END_TEST

Suite *conn_suite(void)
{
    Suite *s = suite_create("conn");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_conn_new_ids_and_lookup);
    tcase_add_test(tc, test_conn_handshake_send_and_invocation);
    tcase_add_test(tc, test_conn_handshake_refused);
    tcase_add_test(tc, test_conn_close_then_reap);
    tcase_add_test(tc, test_conn_sweep_timeouts);
    tcase_add_test(tc, test_conns_stop_closes_with_reconnect);
    suite_add_tcase(s, tc);
    return s;
}
