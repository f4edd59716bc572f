/* check_replay.c - stateful reconnect's bookkeeping (src/emulator/replay.c):
 * sequence ids, acks, the bounds, duplicates after a resume, the client's
 * Sequence message, the acks to send. */
#include <string.h>

#include <check.h>

#include "emulator/msg.h"
#include "emulator/replay.h"
#include "emulator_suites.h"
#include "proto/hubproto.h"

/* A frame holding text, pushed with count messages; the buffer keeps its
 * own reference. */
static int push(struct replay *r, const char *text, unsigned count)
{
    struct msg *m = msg_new(text, strlen(text));
    int rc = replay_push(r, m, strlen(text), count);
    msg_unref(m);
    return rc;
}

START_TEST(test_replay_ids_and_acks)
{
    struct replay r;
    replay_init(&r, 0, 0);
    ck_assert_uint_eq(r.max_bytes, REPLAY_MAX_BYTES);
    ck_assert_uint_eq(r.max_messages, REPLAY_MAX_MESSAGES);
    ck_assert_int_eq(replay_first(&r), 1);
    ck_assert_int_eq(push(&r, "a", 1), 0);  /* id 1 */
    ck_assert_int_eq(push(&r, "bb", 2), 0); /* ids 2-3, one frame */
    ck_assert_int_eq(push(&r, "c", 1), 0);  /* id 4 */
    ck_assert_uint_eq(r.n, 3);
    ck_assert_uint_eq(r.messages, 4);
    ck_assert_uint_eq(r.bytes, 4);
    ck_assert_int_eq(replay_at(&r, 1)->first, 2);
    ck_assert_uint_eq(replay_at(&r, 1)->count, 2);
    ck_assert_ptr_null(replay_at(&r, 3));
    /* A frame goes only once all its messages are acknowledged. */
    replay_ack(&r, 2);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_int_eq(replay_first(&r), 2);
    replay_ack(&r, 0); /* old ack: nothing */
    ck_assert_uint_eq(r.n, 2);
    replay_ack(&r, 3);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(replay_first(&r), 4);
    ck_assert_int_eq(memcmp(replay_at(&r, 0)->frame->data, "c", 1), 0);
    /* An ack past what was sent acks everything; ids go on. */
    replay_ack(&r, 99);
    ck_assert_uint_eq(r.n, 0);
    ck_assert_uint_eq(r.bytes, 0);
    ck_assert_int_eq(replay_first(&r), 5);
    ck_assert_int_eq(push(&r, "d", 1), 0);
    ck_assert_int_eq(replay_at(&r, 0)->first, 5);
    replay_release(&r);
}
END_TEST

START_TEST(test_replay_grows_and_reuses)
{
    struct replay r;
    replay_init(&r, 0, 0);
    /* Past the first allocation, with acks freeing the front between. */
    for (int i = 1; i <= 1000; i++) {
        ck_assert_int_eq(push(&r, "x", 1), 0);
        if (i % 3 == 0)
            replay_ack(&r, i - 5);
    }
    ck_assert_int_eq(replay_first(&r), 995);
    for (size_t i = 0; i < r.n; i++)
        ck_assert_int_eq(replay_at(&r, i)->first, 995 + (long long)i);
    replay_release(&r);
    ck_assert_uint_eq(r.n, 0);
}
END_TEST

START_TEST(test_replay_bounds)
{
    struct replay r;
    /* Bytes: taken while not over the bound, the one that passes it too. */
    replay_init(&r, 10, 0);
    ck_assert_int_eq(push(&r, "123456", 1), 0);
    ck_assert_int_eq(push(&r, "123456", 1), 0); /* 12 > 10 now */
    ck_assert_int_eq(push(&r, "1", 1), -1);
    ck_assert_uint_eq(r.messages, 2);
    ck_assert_int_eq(replay_first(&r), 1);
    replay_ack(&r, 1);
    ck_assert_int_eq(push(&r, "1", 1), 0); /* room again; id 3 */
    ck_assert_int_eq(replay_at(&r, 1)->first, 3);
    replay_release(&r);
    /* One frame larger than the bound, into an empty buffer. */
    replay_init(&r, 4, 0);
    ck_assert_int_eq(push(&r, "123456789", 1), 0);
    ck_assert_int_eq(push(&r, "1", 1), -1);
    replay_release(&r);
    /* Messages. */
    replay_init(&r, 0, 3);
    ck_assert_int_eq(push(&r, "a", 2), 0);
    ck_assert_int_eq(push(&r, "b", 1), 0);
    ck_assert_int_eq(push(&r, "c", 1), -1);
    ck_assert_int_eq(push(&r, "c", 0), -1); /* nothing numbered */
    replay_release(&r);
}
END_TEST

START_TEST(test_replay_receiving)
{
    struct replay r;
    replay_init(&r, 0, 0);
    ck_assert_int_eq(replay_ack_due(&r), 0);
    /* Only types 1-5 are numbered. */
    for (int t = 1; t <= 9; t++)
        ck_assert_int_eq(replay_sequenced(t), t <= 5);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_PING), 1);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_INVOCATION), 1);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_COMPLETION), 1);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_INVOCATION), 1);
    ck_assert_int_eq(replay_ack_due(&r), 3);
    ck_assert_int_eq(replay_ack_due(&r), 0); /* nothing new */
    /* A resume: nothing counts until the client's Sequence. */
    replay_resumed(&r);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_INVOCATION), 0);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_PING), 0);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_SEQUENCE), 1);
    /* It sends from 2 again: 2 and 3 are duplicates, 4 is new. */
    ck_assert_int_eq(replay_reset_sequence(&r, 2), 0);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_COMPLETION), 0);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_INVOCATION), 0);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_ACK), 1);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_INVOCATION), 1);
    ck_assert_int_eq(replay_ack_due(&r), 4);
    /* A Sequence past what was received is refused, state unchanged. */
    ck_assert_int_eq(replay_reset_sequence(&r, 6), -1);
    ck_assert_int_eq(replay_reset_sequence(&r, 0), -1);
    ck_assert_int_eq(replay_reset_sequence(&r, 5), 0);
    ck_assert_int_eq(replay_should_process(&r, HUBPROTO_INVOCATION), 1);
    ck_assert_int_eq(replay_ack_due(&r), 5);
    replay_release(&r);
}
END_TEST

Suite *replay_suite(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_replay_ids_and_acks);
    tcase_add_test(tc, test_replay_grows_and_reuses);
    tcase_add_test(tc, test_replay_bounds);
    tcase_add_test(tc, test_replay_receiving);
    suite_add_tcase(s, tc);
    return s;
}
