/* check_queue.c - the queue trigger's options and back-off (the queue
 * extension's QueuesOptions and RandomizedExponentialBackoffStrategy), the
 * envelope it sends (tests/azf/envelopes/queue-*.json) and the queue
 * output binding's messages (vectors/storage/queue-output-items.json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/payload.h"
#include "host/qopts.h"
#include "host/qout.h"
#include "host/qpayload.h"
#include "host_test.h"
#include "runner.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

static struct json_object *parse(const char *s)
{
    struct json_object *o = json_tokener_parse(s);
    ck_assert_msg(o != NULL, "bad JSON in the test: %s", s);
    return o;
}

START_TEST(test_qopts_defaults)
{
    struct qopts o;
    char err[256];
    ck_assert_int_eq(qopts_parse(NULL, 2, &o, err, sizeof err), 0);
    ck_assert_int_eq(o.batch_size, 16);
    ck_assert_int_eq(o.new_batch_threshold, 16); /* 16/2 * 2 processors */
    ck_assert_int_eq(o.max_polling_ms, 60000);
    ck_assert_int_eq(o.visibility_timeout_ms, 0);
    ck_assert_int_eq(o.max_dequeue_count, 5);
    ck_assert_int_eq(o.base64, 1);
    ck_assert_int_eq(qopts_parse(NULL, 1, &o, err, sizeof err), 0);
    ck_assert_int_eq(o.new_batch_threshold, 8);
}
END_TEST

START_TEST(test_qopts_overrides)
{
    struct qopts o;
    char err[256];
    struct json_object *q = parse(
        "{\"BatchSize\": 4, \"maxDequeueCount\": 2, \"maxPollingInterval\":"
        " \"00:00:00.500\", \"visibilityTimeout\": \"00:00:03\", "
        "\"messageEncoding\": \"None\"}");
    ck_assert_int_eq(qopts_parse(q, 4, &o, err, sizeof err), 0);
    ck_assert_int_eq(o.batch_size, 4);
    ck_assert_int_eq(o.new_batch_threshold, 8);
    ck_assert_int_eq(o.max_dequeue_count, 2);
    ck_assert_int_eq(o.max_polling_ms, 500);
    ck_assert_int_eq(o.visibility_timeout_ms, 3000);
    ck_assert_int_eq(o.base64, 0);
    json_object_put(q);
    q = parse("{\"newBatchThreshold\": 0}");
    ck_assert_int_eq(qopts_parse(q, 4, &o, err, sizeof err), 0);
    ck_assert_int_eq(o.new_batch_threshold, 0);
    json_object_put(q);
}
END_TEST

START_TEST(test_qopts_bad_values)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"batchSize\": 33}", "extensions.queues.batchSize: must be a whole "
                                "number from 1 to 32"},
        {"{\"batchSize\": 0}", "batchSize"},
        {"{\"batchSize\": \"16\"}", "batchSize"},
        {"{\"maxDequeueCount\": 0}", "maxDequeueCount"},
        {"{\"newBatchThreshold\": -1}", "newBatchThreshold"},
        {"{\"maxPollingInterval\": \"00:00:00.050\"}",
         "maxPollingInterval: must be a time span"},
        {"{\"maxPollingInterval\": 2000}", "maxPollingInterval"},
        {"{\"visibilityTimeout\": \"soon\"}", "visibilityTimeout"},
        {"{\"messageEncoding\": \"utf8\"}", "messageEncoding"},
        {"[]", "extensions.queues: must be an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct qopts o;
        char err[256] = "";
        struct json_object *q = parse(cases[i].json);
        ck_assert_msg(qopts_parse(q, 1, &o, err, sizeof err) < 0, "%s accepted",
                      cases[i].json);
        ck_assert_msg(strstr(err, cases[i].want) != NULL, "%s: %s",
                      cases[i].json, err);
        ck_assert_ptr_nonnull(strstr(err, "host.json: "));
        json_object_put(q);
    }
}
END_TEST

START_TEST(test_qopts_timespans)
{
    ck_assert_int_eq(qopts_timespan_ms("00:01:00"), 60000);
    ck_assert_int_eq(qopts_timespan_ms("00:00:02.5"), 2500);
    ck_assert_int_eq(qopts_timespan_ms("1.00:00:00"), 86400000L);
    ck_assert_int_eq(qopts_timespan_ms("00:00:00.1000000"), 100);
    ck_assert_int_eq(qopts_timespan_ms("2"), -1);
    ck_assert_int_eq(qopts_timespan_ms("00:60:00"), -1);
    ck_assert_int_eq(qopts_timespan_ms("00:00:01x"), -1);
    ck_assert_int_eq(qopts_timespan_ms(":00:01"), -1);
}
END_TEST

/* The extension's sequence: 100 ms at first, then min + r * 2^(n-1) *
 * 100 ms with r in [0.8, 1.2), capped at the maximum; a found message
 * resets it. */
START_TEST(test_qbackoff_sequence)
{
    struct qbackoff b;
    qbackoff_init(&b, 1000);
    ck_assert_int_eq(qbackoff_next(&b, 0, 0.5), 100);
    ck_assert_int_eq(qbackoff_next(&b, 0, 0.5), 200);  /* 100 + 1.0*1*100 */
    ck_assert_int_eq(qbackoff_next(&b, 0, 0.0), 260);  /* 100 + 0.8*2*100 */
    ck_assert_int_eq(qbackoff_next(&b, 0, 0.5), 500);  /* 100 + 1.0*4*100 */
    ck_assert_int_eq(qbackoff_next(&b, 0, 0.5), 900);  /* 100 + 1.0*8*100 */
    ck_assert_int_eq(qbackoff_next(&b, 0, 0.5), 1000); /* capped */
    ck_assert_int_eq(qbackoff_next(&b, 0, 0.9), 1000);
    ck_assert_int_eq(qbackoff_next(&b, 1, 0.5), 100); /* found: reset */
    ck_assert_int_eq(qbackoff_next(&b, 0, 0.5), 200);
    /* A maximum below the minimum is the minimum. */
    qbackoff_init(&b, 10);
    ck_assert_int_eq(qbackoff_next(&b, 0, 0.5), 100);
    ck_assert_int_eq(qbackoff_next(&b, 0, 0.5), 100);
}
END_TEST

START_TEST(test_qopts_queue_names)
{
    char err[256];
    char *p = qopts_poison_name("orders");
    ck_assert_str_eq(p, "orders-poison");
    free(p);
    ck_assert_ptr_null(qopts_poison_name("orders-poison"));
    ck_assert_ptr_null(qopts_poison_name(
        "a23456789012345678901234567890123456789012345678901234567")); /* 57 */
    p = qopts_poison_name(
        "a2345678901234567890123456789012345678901234567890123456"); /* 56 */
    ck_assert_uint_eq(strlen(p), 63);
    free(p);
    ck_assert_int_eq(qopts_check_queue_name("orders", err, sizeof err), 0);
    ck_assert_int_eq(qopts_check_queue_name("a-1", err, sizeof err), 0);
    static const char *const bad[] = {
        "ab", "Orders", "-orders", "orders-", "or--ders", "or_ders", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(qopts_check_queue_name(bad[i], err, sizeof err) < 0,
                      "%s accepted", bad[i]);
    ck_assert_ptr_nonnull(strstr(err, "not a valid queue name"));
}
END_TEST

static struct json_object *envelope(const char *file)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/../azf/envelopes/%s", runner_data_dir(),
             file);
    char *text = runner_slurp(path, &len);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    struct json_object *o = parse(text);
    free(text);
    return o;
}

/* The message of the envelope vectors as the service returned it. */
static char vector_id[] = "3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b15";
static char vector_pop[] = "AgAAAAMAAAAAAAAAk2Yy1JRc2wE=";

static void vector_message(struct qmsg *m, long dequeue)
{
    memset(m, 0, sizeof *m);
    m->id = vector_id;
    m->pop_receipt = vector_pop;
    m->dequeue_count = dequeue;
    m->inserted = 1735689600LL;               /* 2025-01-01T00:00:00Z */
    m->expires = 1735689600LL + 7 * 86400;    /* 2025-01-08T00:00:00Z */
    m->next_visible = 1735689600LL + 10 * 60; /* 2025-01-01T00:10:00Z */
}

static void check_envelope(const char *file, const char *text, long dequeue)
{
    struct json_object *want = envelope(file);
    struct json_object *want_md = json_object_object_get(want, "Metadata");
    struct json_object *sys =
        json_object_get(json_object_object_get(want_md, "sys"));
    struct qmsg m;
    vector_message(&m, dequeue);
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "order", qpayload_data(text));
    struct json_object *md = qpayload_metadata(&m, text, sys);
    size_t len;
    char *got = payload_envelope(data, md, &len);
    struct json_object *got_o = parse(got);
    ck_assert_msg(json_object_equal(got_o, want), "%s: got %s", file, got);
    json_object_put(got_o);
    json_object_put(want);
    free(got);
}

START_TEST(test_qpayload_envelopes)
{
    check_envelope("queue-text.json", "hello queue", 1);
    check_envelope("queue-json.json", "{\"orderId\":7}", 2);
}
END_TEST

/* Object properties stay objects; arrays and nulls are left out. */
START_TEST(test_qpayload_json_properties)
{
    struct qmsg m;
    vector_message(&m, 1);
    struct json_object *md = qpayload_metadata(
        &m, " {\"a\":{\"b\":1},\"s\":\"x\",\"t\":true,\"n\":null,\"l\":[1]}",
        json_object_new_object());
    ck_assert_str_eq(jsonx_compact(json_object_object_get(md, "a")),
                     "{\"b\":1}");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(md, "s")),
                     "\"x\"");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(md, "t")),
                     "\"true\"");
    ck_assert_ptr_null(json_object_object_get(md, "n"));
    ck_assert_int_eq(json_object_object_get_ex(md, "l", NULL), 0);
    json_object_put(md);
    char t[32];
    qpayload_time(0, t);
    ck_assert_str_eq(t, "1970-01-01T00:00:00+00:00");
}
END_TEST

START_TEST(test_qout_vectors)
{
    struct json_object *v = runner_vector("storage/queue-output-items.json");
    struct json_object *cases = jsonx_get_ci(v, "cases");
    ck_assert_uint_ge(json_object_array_length(cases), 8);
    for (size_t i = 0; i < json_object_array_length(cases); i++) {
        struct json_object *c = json_object_array_get_idx(cases, i);
        const char *name = jsonx_str(c, "name");
        struct json_object *want = jsonx_get_ci(c, "messages");
        struct json_object *enc = jsonx_get_ci(c, "messageEncoding");
        int base64 = !enc || strcmp(json_object_get_string(enc), "none") != 0;
        struct qout_plan plan;
        char err[256] = "";
        int rc = qout_plan(json_object_object_get(c, "outputsValue"), base64,
                           &plan, err, sizeof err);
        if (jsonx_str(c, "error")) {
            ck_assert_msg(rc < 0, "%s: accepted", name);
            ck_assert_msg(strstr(err, jsonx_str(c, "error")) != NULL, "%s: %s",
                          name, err);
            continue;
        }
        ck_assert_msg(rc == 0, "%s: %s", name, err);
        ck_assert_msg(plan.n == json_object_array_length(want),
                      "%s: %zu messages", name, plan.n);
        for (size_t k = 0; k < plan.n; k++)
            ck_assert_msg(strcmp(plan.texts[k],
                                 json_object_get_string(
                                     json_object_array_get_idx(want, k))) == 0,
                          "%s: message %zu is %s", name, k, plan.texts[k]);
        qout_plan_release(&plan);
    }
    json_object_put(v);
}
END_TEST

Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("queue");
    tcase_add_test(tc, test_qopts_defaults);
    tcase_add_test(tc, test_qopts_overrides);
    tcase_add_test(tc, test_qopts_bad_values);
    tcase_add_test(tc, test_qopts_timespans);
    tcase_add_test(tc, test_qbackoff_sequence);
    tcase_add_test(tc, test_qopts_queue_names);
    tcase_add_test(tc, test_qpayload_envelopes);
    tcase_add_test(tc, test_qpayload_json_properties);
    tcase_add_test(tc, test_qout_vectors);
    suite_add_tcase(s, tc);
    return s;
}
