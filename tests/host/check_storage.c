/* check_storage.c - Azure Storage plumbing of func-local: Shared Key
 * signing against vectors/storage/sharedkey.json, connection strings
 * against vectors/storage/connection-strings.json, the Queue service's XML
 * (the .xml files of vectors/storage) and base64 as the queue extension decodes
 * it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/qcodec.h"
#include "host/qxml.h"
#include "host/sharedkey.h"
#include "host/storconn.h"
#include "host_test.h"
#include "runner.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* The pairs [[name, value], ...] of a vector as sharedkey_kv. */
static struct sharedkey_kv *pairs(struct json_object *a, size_t *n)
{
    *n = a ? json_object_array_length(a) : 0;
    struct sharedkey_kv *kv = xcalloc(*n + 1, sizeof *kv);
    for (size_t i = 0; i < *n; i++) {
        struct json_object *p = json_object_array_get_idx(a, i);
        kv[i].name = json_object_get_string(json_object_array_get_idx(p, 0));
        kv[i].value = json_object_get_string(json_object_array_get_idx(p, 1));
    }
    return kv;
}

START_TEST(test_sharedkey_vectors)
{
    struct json_object *v = runner_vector("storage/sharedkey.json");
    struct json_object *cases = jsonx_get_ci(v, "cases");
    ck_assert_uint_ge(json_object_array_length(cases), 6);
    for (size_t i = 0; i < json_object_array_length(cases); i++) {
        struct json_object *c = json_object_array_get_idx(cases, i);
        const char *name = jsonx_str(c, "name");
        size_t nq, nh, klen;
        struct sharedkey_kv *q = pairs(jsonx_get_ci(c, "query"), &nq);
        struct sharedkey_kv *h = pairs(jsonx_get_ci(c, "headers"), &nh);
        struct sharedkey_req r = {
            .method = jsonx_str(c, "method"),
            .content_type = jsonx_str(c, "contentType"),
            .content_length =
                (size_t)json_object_get_int64(jsonx_get_ci(c, "contentLength")),
            .account = jsonx_str(c, "account"),
            .path = jsonx_str(c, "path"),
            .query = q,
            .nquery = nq,
            .xms = h,
            .nxms = nh,
        };
        char *s = sharedkey_string_to_sign(&r);
        ck_assert_msg(strcmp(s, jsonx_str(c, "stringToSign")) == 0,
                      "%s: string to sign\n%s\nwanted\n%s", name, s,
                      jsonx_str(c, "stringToSign"));
        unsigned char *key =
            qcodec_b64_decode(jsonx_str(c, "accountKey"), &klen);
        ck_assert_ptr_nonnull(key);
        char sig[45];
        sharedkey_signature(key, klen, s, sig);
        ck_assert_msg(strcmp(sig, jsonx_str(c, "signature")) == 0,
                      "%s: signature %s, wanted %s", name, sig,
                      jsonx_str(c, "signature"));
        char *auth = sharedkey_authorization(key, klen, &r);
        char *want = xasprintf("SharedKey %s:%s", r.account, sig);
        ck_assert_str_eq(auth, want);
        free(want);
        free(auth);
        free(key);
        free(s);
        free(q);
        free(h);
    }
    json_object_put(v);
}
END_TEST

START_TEST(test_storconn_vectors)
{
    struct json_object *v = runner_vector("storage/connection-strings.json");
    struct json_object *cases = jsonx_get_ci(v, "cases");
    ck_assert_uint_ge(json_object_array_length(cases), 16);
    for (size_t i = 0; i < json_object_array_length(cases); i++) {
        struct json_object *c = json_object_array_get_idx(cases, i);
        const char *name = jsonx_str(c, "name");
        const char *want_err = jsonx_str(c, "error");
        struct storconn cs;
        char err[256] = "";
        int rc = storconn_parse(jsonx_str(c, "value"), &cs, err, sizeof err);
        if (want_err) {
            ck_assert_msg(rc < 0, "%s: accepted", name);
            ck_assert_msg(strstr(err, want_err) != NULL,
                          "%s: \"%s\" lacks \"%s\"", name, err, want_err);
            /* An error never shows the key. */
            ck_assert_ptr_null(strstr(err, "ZnVuYy1sb2Nh"));
            continue;
        }
        ck_assert_msg(rc == 0, "%s: %s", name, err);
        ck_assert_str_eq(cs.account, jsonx_str(c, "account"));
        ck_assert_msg(strcmp(cs.queue_base, jsonx_str(c, "queueBase")) == 0,
                      "%s: %s", name, cs.queue_base);
        ck_assert_uint_eq(cs.key_len, (size_t)json_object_get_int(
                                          jsonx_get_ci(c, "keyBytes")));
        storconn_release(&cs);
    }
    json_object_put(v);
}
END_TEST

static const char *lookup(const void *ctx, const char *name)
{
    const char *const *kv = ctx;
    for (size_t i = 0; kv[i]; i += 2)
        if (strcmp(kv[i], name) == 0)
            return kv[i + 1];
    return NULL;
}

/* AzureWebJobs<name> first, then <name>; no name means Storage. */
START_TEST(test_storconn_setting_names)
{
    static const char *const settings[] = {"AzureWebJobsStorage",
                                           "UseDevelopmentStorage=true",
                                           "Orders",
                                           "plain",
                                           "AzureWebJobsBoth",
                                           "prefixed",
                                           "Both",
                                           "unprefixed",
                                           NULL};
    char used[128];
    ck_assert_str_eq(
        storconn_setting(NULL, lookup, settings, used, sizeof used),
        "UseDevelopmentStorage=true");
    ck_assert_str_eq(used, "AzureWebJobsStorage");
    ck_assert_str_eq(storconn_setting("", lookup, settings, used, sizeof used),
                     "UseDevelopmentStorage=true");
    ck_assert_str_eq(
        storconn_setting("Orders", lookup, settings, used, sizeof used),
        "plain");
    ck_assert_str_eq(used, "Orders");
    ck_assert_str_eq(
        storconn_setting("Both", lookup, settings, used, sizeof used),
        "prefixed");
    ck_assert_ptr_null(
        storconn_setting("Missing", lookup, settings, used, sizeof used));
    ck_assert_str_eq(used, "AzureWebJobsMissing");
}
END_TEST

static char *slurp_vector(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", runner_data_dir(), rel);
    char *s = runner_slurp(path, len);
    ck_assert_msg(s != NULL, "cannot read %s", path);
    return s;
}

START_TEST(test_qxml_get_messages)
{
    size_t len, n;
    char err[256];
    struct qmsg *m;
    char *xml = slurp_vector("storage/get-messages.xml", &len);
    ck_assert_int_eq(qxml_messages(xml, len, &m, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(m[0].id, "3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b15");
    ck_assert_str_eq(m[0].pop_receipt, "AgAAAAMAAAAAAAAAk2Yy1JRc2wE=");
    ck_assert_str_eq(m[0].text, "aGVsbG8gcXVldWU=");
    ck_assert_int_eq(m[0].dequeue_count, 1);
    ck_assert_int_eq(m[0].inserted, 1735689600LL);
    ck_assert_int_eq(m[0].expires, 1735689600LL + 7 * 86400);
    ck_assert_int_eq(m[0].next_visible, 1735689600LL + 600);
    ck_assert_str_eq(m[1].text, "<b> & \"quotes\"");
    ck_assert_str_eq(m[1].pop_receipt, "AgAAAAMAAAAAAAAA+2Yy/JRc2wE=");
    ck_assert_int_eq(m[1].dequeue_count, 2);
    qxml_messages_free(m, n);
    free(xml);
    /* An empty queue. */
    static const char empty[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList />";
    ck_assert_int_eq(
        qxml_messages(empty, strlen(empty), &m, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 0);
    qxml_messages_free(m, n);
}
END_TEST

/* Replies that cannot be used are refused with a reason, nothing leaks. */
START_TEST(test_qxml_bad_replies)
{
    static const char *const bad[] = {
        "",
        "not xml",
        "<QueueMessagesList><QueueMessage><MessageId>x</MessageId>"
        "</QueueMessage></QueueMessagesList>",
        "<QueueMessagesList><QueueMessage><MessageId>x</MessageId><PopReceipt>"
        "p</PopReceipt><DequeueCount>two</DequeueCount></QueueMessage>"
        "</QueueMessagesList>",
        "<QueueMessagesList><QueueMessage><MessageId>x</MessageId><PopReceipt>"
        "p</PopReceipt><InsertionTime>yesterday</InsertionTime></QueueMessage>"
        "</QueueMessagesList>",
        "<QueueMessagesList><QueueMessage><MessageId>x</MessageId>",
        "<!DOCTYPE a [<!ENTITY e \"x\">]><QueueMessagesList>&e;"
        "</QueueMessagesList>x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct qmsg *m = NULL;
        size_t n = 9;
        char err[256] = "";
        ck_assert_msg(
            qxml_messages(bad[i], strlen(bad[i]), &m, &n, err, sizeof err) < 0,
            "case %zu accepted", i);
        ck_assert_ptr_null(m);
        ck_assert_uint_eq(n, 0);
        ck_assert_msg(strstr(err, "XML reply") != NULL, "%zu: %s", i, err);
    }
    /* More than 32 messages. */
    char *many = xstrdup("<QueueMessagesList>");
    for (int i = 0; i < 33; i++) {
        char *next = xasprintf("%s<QueueMessage><MessageId>%d</MessageId>"
                               "<PopReceipt>p</PopReceipt></QueueMessage>",
                               many, i);
        free(many);
        many = next;
    }
    char *full = xasprintf("%s</QueueMessagesList>", many);
    struct qmsg *m = NULL;
    size_t n = 0;
    char err[256];
    ck_assert_int_lt(qxml_messages(full, strlen(full), &m, &n, err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(err, "more messages"));
    free(many);
    free(full);
}
END_TEST

START_TEST(test_qxml_error_and_put_body)
{
    size_t len;
    char code[64], msg[256];
    char *xml = slurp_vector("storage/error-queue-not-found.xml", &len);
    qxml_error(xml, len, code, sizeof code, msg, sizeof msg);
    ck_assert_str_eq(code, "QueueNotFound");
    ck_assert_str_eq(msg, "The specified queue does not exist.");
    free(xml);
    qxml_error("nope", 4, code, sizeof code, msg, sizeof msg);
    ck_assert_str_eq(code, "");
    ck_assert_str_eq(msg, "");
    char *body = qxml_put_body("a<b>&'\"");
    ck_assert_str_eq(body, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                           "<QueueMessage><MessageText>a&lt;b&gt;&amp;&apos;"
                           "&quot;</MessageText></QueueMessage>");
    free(body);
    ck_assert_int_eq(qxml_rfc1123("Thu, 03 Dec 2026 10:00:00 GMT"),
                     1796292000LL);
    ck_assert_int_eq(qxml_rfc1123("2026-12-03T10:00:00Z"), -1);
}
END_TEST

START_TEST(test_qcodec_base64)
{
    size_t n;
    unsigned char *b = qcodec_b64_decode("aGVsbG8gcXVldWU=", &n);
    ck_assert_uint_eq(n, 11);
    ck_assert_str_eq((char *)b, "hello queue");
    free(b);
    b = qcodec_b64_decode("aGk=\r\n", &n); /* blanks ignored, as .NET does */
    ck_assert_uint_eq(n, 2);
    free(b);
    b = qcodec_b64_decode("", &n);
    ck_assert_uint_eq(n, 0);
    free(b);
    static const char *const bad[] = {
        "hello", "aGk", "aG=k", "a===", "aGk=aGk=", "aGk*", "{\"a\":1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(qcodec_b64_decode(bad[i], &n) == NULL, "%s decoded",
                      bad[i]);
    char *e = qcodec_b64_encode("hello queue", 11);
    ck_assert_str_eq(e, "aGVsbG8gcXVldWU=");
    free(e);
}
END_TEST

Suite *storage_suite(void)
{
    Suite *s = suite_create("storage");
    TCase *tc = tcase_create("storage");
    tcase_add_test(tc, test_sharedkey_vectors);
    tcase_add_test(tc, test_storconn_vectors);
    tcase_add_test(tc, test_storconn_setting_names);
    tcase_add_test(tc, test_qxml_get_messages);
    tcase_add_test(tc, test_qxml_bad_replies);
    tcase_add_test(tc, test_qxml_error_and_put_body);
    tcase_add_test(tc, test_qcodec_base64);
    suite_add_tcase(s, tc);
    return s;
}
