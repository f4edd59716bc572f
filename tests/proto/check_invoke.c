/* check_invoke.c - envelope readers and response builders. */
#include <string.h>

#include <check.h>

#include "proto/invoke.h"
#include "util/jsonx.h"

START_TEST(test_invoke_req_accessors)
{
    struct json_object *env = json_tokener_parse(
        "{\"data\":{\"Req\":{\"Body\":\"{}\",\"Headers\":{\"X-Ms-Client-"
        "Principal-Id\":[\"alice\",\"bob\"],\"Plain\":\"v\"},\"Query\":{\"a\":"
        "\"1\"},\"Params\":{\"file\":\"app.js\"}}},\"Metadata\":{\"sys\":{}}}");
    struct json_object *req = invoke_data(env, "req");
    ck_assert_ptr_nonnull(req);
    size_t n = 0;
    ck_assert_str_eq(invoke_req_body(req, &n), "{}");
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(invoke_req_header(req, "x-ms-client-principal-id"),
                     "alice");
    ck_assert_str_eq(invoke_req_header(req, "plain"), "v");
    ck_assert_ptr_null(invoke_req_header(req, "missing"));
    ck_assert_str_eq(invoke_req_query(req, "a"), "1");
    ck_assert_str_eq(invoke_req_param(req, "file"), "app.js");
    ck_assert_ptr_nonnull(invoke_metadata(env, "sys"));
    json_object_put(env);
}
END_TEST

START_TEST(test_invoke_body_absent_without_content_length)
{
    struct json_object *req = json_tokener_parse("{\"Url\":\"x\"}");
    ck_assert_ptr_null(invoke_req_body(req, NULL));
    json_object_put(req);
}
END_TEST

START_TEST(test_invoke_decode_object_layers)
{
    const char *forms[] = {
        "{\"url\":\"u\"}",
        "\"{\\\"url\\\":\\\"u\\\"}\"",
        "\"\\\"{\\\\n  \\\\\\\"url\\\\\\\": \\\\\\\"u\\\\\\\"\\\\n}\\\"\"",
    };
    for (size_t i = 0; i < 3; i++) {
        struct json_object *v = json_tokener_parse(forms[i]);
        ck_assert_msg(v != NULL, "form %zu", i);
        struct json_object *o = invoke_decode_object(v);
        ck_assert_msg(o != NULL, "form %zu not decoded", i);
        ck_assert_str_eq(jsonx_str(o, "url"), "u");
        json_object_put(o);
        json_object_put(v);
    }
    struct json_object *v = json_object_new_string("not json");
    ck_assert_ptr_null(invoke_decode_object(v));
    json_object_put(v);
    v = json_object_new_int(4);
    ck_assert_ptr_null(invoke_decode_object(v));
    json_object_put(v);
}
END_TEST

START_TEST(test_invoke_response_shape)
{
    struct json_object *r = invoke_resp_new();
    invoke_resp_log(r, "line %d", 1);
    invoke_resp_set_output(r, "res", invoke_http_error(400, "bad %s", "x"));
    const char *s = jsonx_compact(r);
    ck_assert_str_eq(s, "{\"Outputs\":{\"res\":{\"statusCode\":400,"
                        "\"headers\":{\"Content-Type\":\"application/json\"},"
                        "\"body\":\"{\\\"error\\\":\\\"bad x\\\"}\"}},"
                        "\"Logs\":[\"line 1\"],\"ReturnValue\":null}");
    json_object_put(r);
}
END_TEST

Suite *invoke_suite(void)
{
    Suite *s = suite_create("invoke");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_invoke_req_accessors);
    tcase_add_test(tc, test_invoke_body_absent_without_content_length);
    tcase_add_test(tc, test_invoke_decode_object_layers);
    tcase_add_test(tc, test_invoke_response_shape);
    suite_add_tcase(s, tc);
    return s;
}
