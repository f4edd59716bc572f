/* check_ws.c - WebSocket frame building and queueing (src/emulator/ws.c). */
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "emulator/ws.h"
#include "emulator_suites.h"
#include "util/limits.h"

START_TEST(test_ws_frame_headers)
{
    struct msg *f = ws_frame_text("{}\x1e", 3);
    ck_assert_uint_eq(f->len, 5);
    ck_assert_int_eq((unsigned char)f->data[0], 0x81); /* FIN + text */
    ck_assert_int_eq((unsigned char)f->data[1], 3);    /* unmasked, len */
    ck_assert_int_eq(memcmp(f->data + 2, "{}\x1e", 3), 0);
    msg_unref(f);
    char *big = malloc(70000);
    memset(big, 'x', 70000);
    f = ws_frame_text(big, 300);
    ck_assert_uint_eq(f->len, 304);
    ck_assert_int_eq((unsigned char)f->data[1], 126);
    ck_assert_int_eq(
        ((unsigned char)f->data[2] << 8) | (unsigned char)f->data[3], 300);
    msg_unref(f);
    f = ws_frame_text(big, 70000);
    ck_assert_uint_eq(f->len, 70010);
    ck_assert_int_eq((unsigned char)f->data[1], 127);
    msg_unref(f);
    free(big);
}
END_TEST

START_TEST(test_ws_accept_key_rfc6455)
{
    char out[32];
    /* RFC 6455 §1.3 example. */
    ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out, sizeof out),
                     0);
    ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    ck_assert_int_eq(ws_accept_key("short", out, sizeof out), -1);
    ck_assert_int_eq(ws_accept_key(NULL, out, sizeof out), -1);
}
END_TEST

static void ignore_message(void *owner, const char *p, size_t n)
{
}

/* Bytes readable on fd right now (non-blocking read), into out. */
static ssize_t read_now(int fd, char *out, size_t cap)
{
    ssize_t r = recv(fd, out, cap, MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : r;
}

/* ws_queue_frame writes nothing; ws_on_writable writes every queued frame
 * in order, and the socket is still open after ws_free (not ours). */
START_TEST(test_ws_queue_frame_writes_only_on_writable)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct ws *w = ws_new(sv[0], NULL, 0, ignore_message, NULL);
    struct msg *a = ws_frame_text("{}\x1e", 3);
    ck_assert_int_eq(ws_queue_frame(w, a), 0);
    ck_assert_int_eq(ws_queue_text(w, "ab\x1e", 3), 0);
    ck_assert_int_eq(ws_want_write(w), 1);
    ck_assert_uint_eq(ws_queued(w), 10);
    char got[64];
    ck_assert_int_eq(read_now(sv[1], got, sizeof got), 0);
    ck_assert_int_eq(ws_on_writable(w), 0);
    ck_assert_int_eq(ws_want_write(w), 0);
    ck_assert_uint_eq(ws_queued(w), 0);
    ck_assert_int_eq(read_now(sv[1], got, sizeof got), 10);
    ck_assert_int_eq(memcmp(got,
                            "\x81\x03{}\x1e\x81\x03"
                            "ab\x1e",
                            10),
                     0);
    /* ws_send_frame still writes at once. */
    ck_assert_int_eq(ws_send_frame(w, a), 0);
    ck_assert_int_eq(read_now(sv[1], got, sizeof got), 5);
    ws_free(w);
    msg_unref(a);
    ck_assert_int_eq(write(sv[0], "x", 1), 1); /* ws_free left fd open */
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Same refusals as ws_send_frame: over LIMIT_CONN_SENDBUF, after a close. */
START_TEST(test_ws_queue_frame_cap_and_close)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct ws *w = ws_new(sv[0], NULL, 0, ignore_message, NULL);
    size_t n = 256 * 1024;
    char *big = malloc(n);
    memset(big, 'x', n);
    struct msg *f = ws_frame_text(big, n);
    size_t fit = LIMIT_CONN_SENDBUF / f->len;
    for (size_t i = 0; i < fit; i++)
        ck_assert_int_eq(ws_queue_frame(w, f), 0);
    ck_assert_uint_eq(ws_queued(w), fit * f->len);
    ck_assert_int_eq(ws_queue_frame(w, f), -1); /* nothing written: full */
    ck_assert_uint_eq(ws_queued(w), fit * f->len);
    ws_free(w);

    w = ws_new(sv[0], NULL, 0, ignore_message, NULL);
    ws_close(w, 1000, NULL);
    ck_assert_int_eq(ws_queue_frame(w, f), -1);
    ck_assert_int_eq(ws_queue_text(w, "{}\x1e", 3), -1);
    ws_free(w);
    msg_unref(f);
    free(big);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

Suite *ws_suite(void)
{
    Suite *s = suite_create("ws");
    TCase *tc = tcase_create("frames");
    tcase_add_test(tc, test_ws_frame_headers);
    tcase_add_test(tc, test_ws_accept_key_rfc6455);
    suite_add_tcase(s, tc);
    tc = tcase_create("queue");
    tcase_add_test(tc, test_ws_queue_frame_writes_only_on_writable);
    tcase_add_test(tc, test_ws_queue_frame_cap_and_close);
    suite_add_tcase(s, tc);
    return s;
}
