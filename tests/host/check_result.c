/* check_result.c - handler replies → what the caller gets, for every case
 * of vectors/handler-response-cases.json. */
#include <string.h>

#include "host/result.h"
#include "host_test.h"
#include "runner.h"
#include "util/jsonx.h"
#include "util/banned.h"

/* What each vector case must give. A case missing here fails the test, so
 * a new vector case cannot pass unnoticed. */
static const struct expect {
    const char *name;
    int parse_ok; /* result_parse accepts the reply */
    int http_ok;  /* result_http maps res */
    int status;
    const char *body;
    const char *content_type;
    const char *err; /* part of the refusal */
} expects[] = {
    {"ok-json", 1, 1, 201, "created", "text/plain; charset=utf-8", NULL},
    {"lowercase-top-level-keys", 1, 1, 200, "x", NULL, NULL},
    {"status-key-ignored", 1, 1, 200, "nope", NULL, NULL},
    {"statusCode-as-string", 1, 1, 404, "nope", NULL, NULL},
    {"body-as-object", 1, 1, 200, "{\n  \"a\": 1\n}", "application/json", NULL},
    {"header-value-array", 1, 1, 200, "x", NULL, NULL},
    {"res-missing-but-outputs-present", 1, 1, 200, "{}", NULL, NULL},
    {"res-is-plain-string", 1, 0, 0, NULL, NULL,
     "Failed while trying to Deserialize to httpOutputBindingResponse"},
    {"handler-non-2xx", 0, 0, 0, NULL, NULL, "HTTP 500"},
    {"malformed-json", 0, 0, 0, NULL, NULL, "Invalid HttpResponseMessage"},
    {"wrong-content-type", 0, 0, 0, NULL, NULL, "text/plain"},
    {"missing-content-type", 0, 0, 0, NULL, NULL, "no Content-Type"},
    {"empty-body", 0, 0, 0, NULL, NULL, "empty"},
    {"json-null", 0, 0, 0, NULL, NULL, "null"},
    {"logs-not-strings", 0, 0, 0, NULL, NULL, "Logs[0]"},
};

static const struct expect *find(const char *name)
{
    for (size_t i = 0; i < sizeof expects / sizeof expects[0]; i++)
        if (strcmp(expects[i].name, name) == 0)
            return &expects[i];
    return NULL;
}

START_TEST(test_result_every_vector_case)
{
    struct json_object *v = runner_vector("handler-response-cases.json");
    struct json_object *cases = jsonx_get_ci(v, "cases");
    size_t n = json_object_array_length(cases);
    ck_assert_uint_ge(n, 15);
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(cases, i);
        const char *name = jsonx_str(c, "name");
        const struct expect *e = find(name);
        ck_assert_msg(e != NULL, "vector case %s has no expectation", name);
        long status = json_object_get_int(jsonx_get_ci(c, "handlerStatus"));
        const char *ct = jsonx_str(c, "handlerContentType");
        const char *body = jsonx_str(c, "handlerRawBody");
        if (!body)
            body = jsonx_compact(jsonx_get_ci(c, "handlerBody"));
        struct json_object *reply = NULL;
        char err[512] = "";
        int rc = result_parse(status, ct, body, strlen(body), &reply, err,
                              sizeof err);
        ck_assert_msg((rc == 0) == e->parse_ok, "%s: parse %d (%s)", name, rc,
                      err);
        if (!e->parse_ok) {
            ck_assert_msg(strstr(err, e->err) != NULL, "%s: \"%s\"", name, err);
            ck_assert_ptr_null(reply);
            continue;
        }
        struct result_http out;
        rc = result_http(reply, "res", &out, err, sizeof err);
        ck_assert_msg((rc == 0) == e->http_ok, "%s: http %d (%s)", name, rc,
                      err);
        if (!e->http_ok) {
            ck_assert_msg(strstr(err, e->err) != NULL, "%s: \"%s\"", name, err);
        } else {
            ck_assert_int_eq(out.status, e->status);
            ck_assert_str_eq(out.body, e->body);
            ck_assert_uint_eq(out.body_len, strlen(e->body));
            if (e->content_type)
                ck_assert_str_eq(out.content_type, e->content_type);
            if (strcmp(name, "header-value-array") == 0) {
                ck_assert_uint_eq(out.nheaders, 1);
                ck_assert_str_eq(out.headers[0].name, "X-A");
                ck_assert_str_eq(out.headers[0].value,
                                 "[\n  \"1\",\n  \"2\"\n]");
            }
            result_http_release(&out);
        }
        json_object_put(reply);
    }
    json_object_put(v);
}
END_TEST

static struct json_object *reply_of(const char *text)
{
    struct json_object *r = NULL;
    char err[256];
    ck_assert_msg(result_parse(200, "application/json; charset=utf-8", text,
                               strlen(text), &r, err, sizeof err) == 0,
                  "%s", err);
    return r;
}

START_TEST(test_result_no_outputs_gives_empty_200)
{
    struct json_object *r = reply_of("{\"Logs\":[\"a\",\"b\"]}");
    struct result_http out;
    char err[256];
    ck_assert_int_eq(result_http(r, "res", &out, err, sizeof err), 0);
    ck_assert_int_eq(out.status, 200);
    ck_assert_str_eq(out.body, "");
    ck_assert_ptr_null(out.content_type);
    ck_assert_int_eq(json_object_array_length(result_logs(r)), 2);
    result_http_release(&out);
    json_object_put(r);
}
END_TEST

START_TEST(test_result_body_renderings)
{
    struct json_object *r = reply_of(
        "{\"Outputs\":{\"res\":{\"statusCode\":200,\"body\":true,"
        "\"headers\":{\"X-N\":5,\"content-type\":\"text/html\"}},"
        "\"arr\":{\"body\":[1,{\"b\":[]}]},\"str\":\"{\\\"statusCode\\\":"
        "418}\",\"bad\":{\"statusCode\":1000}}}");
    struct result_http out;
    char err[256];
    ck_assert_int_eq(result_http(r, "res", &out, err, sizeof err), 0);
    ck_assert_str_eq(out.body, "True");
    ck_assert_str_eq(out.content_type, "text/html");
    ck_assert_str_eq(out.headers[0].value, "5");
    result_http_release(&out);
    ck_assert_int_eq(result_http(r, "arr", &out, err, sizeof err), 0);
    ck_assert_str_eq(out.body, "[\n  1,\n  {\n    \"b\": []\n  }\n]");
    result_http_release(&out);
    /* A string holding a JSON object is accepted. */
    ck_assert_int_eq(result_http(r, "str", &out, err, sizeof err), 0);
    ck_assert_int_eq(out.status, 418);
    result_http_release(&out);
    ck_assert_int_eq(result_http(r, "bad", &out, err, sizeof err), -1);
    /* Outputs keys are case-sensitive. */
    ck_assert_ptr_null(result_output(r, "RES"));
    ck_assert_ptr_nonnull(result_output(r, "res"));
    json_object_put(r);
}
END_TEST

START_TEST(test_result_return_binding_is_lenient)
{
    struct json_object *r = reply_of(
        "{\"Outputs\":{},\"ReturnValue\":{\"status\":202,\"body\":\"ok\"}}");
    struct result_http out;
    char err[256];
    ck_assert_int_eq(result_http(r, "$return", &out, err, sizeof err), 0);
    ck_assert_int_eq(out.status, 202);
    ck_assert_str_eq(out.body, "ok");
    result_http_release(&out);
    json_object_put(r);
    r = reply_of("{\"ReturnValue\":\"plain text\"}");
    ck_assert_int_eq(result_http(r, "$return", &out, err, sizeof err), 0);
    ck_assert_int_eq(out.status, 200);
    ck_assert_str_eq(out.body, "plain text");
    result_http_release(&out);
    json_object_put(r);
    r = reply_of("{\"Outputs\":{}}");
    ck_assert_int_eq(result_http(r, "$return", &out, err, sizeof err), 0);
    ck_assert_str_eq(out.body, "");
    result_http_release(&out);
    json_object_put(r);
}
END_TEST

START_TEST(test_result_refusals_never_quote_the_body)
{
    const char *secret = "{\"accessToken\": \"eyJsecret";
    struct json_object *r = NULL;
    char err[512];
    ck_assert_int_eq(result_parse(200, "application/json", secret,
                                  strlen(secret), &r, err, sizeof err),
                     -1);
    ck_assert(strstr(err, "eyJ") == NULL);
}
END_TEST

Suite *result_suite(void)
{
    Suite *s = suite_create("result");
    TCase *tc = tcase_create("map");
    tcase_add_test(tc, test_result_every_vector_case);
    tcase_add_test(tc, test_result_no_outputs_gives_empty_200);
    tcase_add_test(tc, test_result_body_renderings);
    tcase_add_test(tc, test_result_return_binding_is_lenient);
    tcase_add_test(tc, test_result_refusals_never_quote_the_body);
    suite_add_tcase(s, tc);
    return s;
}
