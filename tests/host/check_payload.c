/* check_payload.c - the invocation request against the shared vectors:
 * the same keys, types, order and encodings as the real host. */
#include <stdlib.h>
#include <string.h>

#include "host/payload.h"
#include "host_test.h"
#include "runner.h"
#include "util/jsonx.h"
#include "util/banned.h"

/* A payload_http rebuilt from a vector's Data.req, so ours can be compared
 * with the vector's. */
struct from_vector {
    struct payload_http r;
    struct payload_kv q[16], h[16];
};

static void rebuild(struct json_object *req, struct from_vector *fv,
                    long long content_length)
{
    memset(fv, 0, sizeof *fv);
    fv->r.method = jsonx_str(req, "Method");
    fv->r.url = jsonx_str(req, "Url");
    json_object_object_foreach(jsonx_get_ci(req, "Query"), qk, qv)
    {
        fv->q[fv->r.nquery].name = qk;
        fv->q[fv->r.nquery++].value = json_object_get_string(qv);
    }
    json_object_object_foreach(jsonx_get_ci(req, "Headers"), hk, hv)
    {
        for (size_t i = 0; i < json_object_array_length(hv); i++) {
            fv->h[fv->r.nheaders].name = hk;
            fv->h[fv->r.nheaders++].value =
                json_object_get_string(json_object_array_get_idx(hv, i));
        }
    }
    fv->r.query = fv->q;
    fv->r.headers = fv->h;
    fv->r.body = jsonx_str(req, "Body");
    fv->r.body_len = fv->r.body ? strlen(fv->r.body) : 0;
    fv->r.content_length = content_length;
}

/* Same keys in the same order, each deep-equal. */
static void assert_same_object(struct json_object *want,
                               struct json_object *got, const char *what)
{
    struct json_object_iterator wi = json_object_iter_begin(want);
    struct json_object_iterator we = json_object_iter_end(want);
    struct json_object_iterator gi = json_object_iter_begin(got);
    struct json_object_iterator ge = json_object_iter_end(got);
    while (!json_object_iter_equal(&wi, &we)) {
        ck_assert_msg(!json_object_iter_equal(&gi, &ge), "%s: missing %s", what,
                      json_object_iter_peek_name(&wi));
        ck_assert_str_eq(json_object_iter_peek_name(&gi),
                         json_object_iter_peek_name(&wi));
        ck_assert_msg(json_object_equal(json_object_iter_peek_value(&wi),
                                        json_object_iter_peek_value(&gi)),
                      "%s.%s: want %s got %s", what,
                      json_object_iter_peek_name(&wi),
                      jsonx_compact(json_object_iter_peek_value(&wi)),
                      jsonx_compact(json_object_iter_peek_value(&gi)));
        json_object_iter_next(&wi);
        json_object_iter_next(&gi);
    }
    ck_assert_msg(json_object_iter_equal(&gi, &ge), "%s: extra key %s", what,
                  json_object_iter_peek_name(&gi));
}

static void assert_sys(struct json_object *sys, const char *fn)
{
    ck_assert_str_eq(jsonx_str(sys, "MethodName"), fn);
    const char *now = jsonx_str(sys, "UtcNow");
    ck_assert_ptr_nonnull(now);
    /* 2025-01-01T00:00:00.1234567Z: seven fraction digits, then Z. */
    ck_assert_uint_eq(strlen(now), 28);
    ck_assert(now[10] == 'T' && now[19] == '.' && now[27] == 'Z');
    ck_assert_uint_eq(strlen(jsonx_str(sys, "RandGuid")), 36);
}

static void check_http_vector(const char *file, const char *fn,
                              long long content_length)
{
    struct json_object *v = runner_vector(file);
    struct json_object *body = jsonx_get_ci(v, "body");
    struct json_object *want_req =
        jsonx_get_ci(jsonx_get_ci(body, "Data"), "req");
    struct json_object *want_md = jsonx_get_ci(body, "Metadata");
    struct from_vector fv;
    rebuild(want_req, &fv, content_length);

    struct json_object *req = payload_http_req(&fv.r, NULL);
    assert_same_object(want_req, req, "Data.req");

    struct json_object *md = payload_http_metadata(
        &fv.r, NULL, payload_sys(fn, 1735689600LL * 1000000000LL));
    assert_sys(jsonx_get_ci(md, "sys"), fn);
    ck_assert_str_eq(jsonx_str(jsonx_get_ci(md, "sys"), "UtcNow"),
                     "2025-01-01T00:00:00.0000000Z");
    json_object_object_del(md, "sys");
    struct json_object *want_md_copy = NULL;
    json_object_deep_copy(want_md, &want_md_copy, NULL);
    json_object_object_del(want_md_copy, "sys");
    /* The host does not guarantee the order of Metadata: compare as sets. */
    ck_assert_msg(json_object_equal(want_md_copy, md),
                  "Metadata: want %s got %s", jsonx_compact(want_md_copy),
                  jsonx_compact(md));

    /* The envelope is compact JSON with exactly Data and Metadata. */
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "req", req);
    size_t len;
    char *text = payload_envelope(data, md, &len);
    ck_assert(strncmp(text, "{\"Data\":{\"req\":{\"Url\":", 22) == 0);
    ck_assert(strstr(text, "\n") == NULL);
    ck_assert(strstr(text, "},\"Metadata\":{") != NULL);
    free(text);
    json_object_put(want_md_copy);
    json_object_put(v);
}

START_TEST(test_payload_negotiate_matches_vector)
{
    /* The client sent Content-Length: 0, so there is no Body. */
    check_http_vector("negotiate-request.json", "negotiate", 0);
}
END_TEST

START_TEST(test_payload_broadcast_matches_vector)
{
    /* Body as a string, and Metadata.message double-encoded. */
    check_http_vector("broadcast-request.json", "broadcast", 45);
}
END_TEST

START_TEST(test_payload_chunked_request_has_no_body)
{
    struct payload_kv h[] = {{"content-type", "application/json"},
                             {"x-custom", "a"},
                             {"X-Custom", "b"}};
    struct payload_http r = {.method = "POST",
                             .url = "http://localhost:7071/api/broadcast",
                             .headers = h,
                             .nheaders = 3,
                             .body = "{\"message\":\"x\"}",
                             .body_len = 15,
                             .content_length = -1};
    struct json_object *req = payload_http_req(&r, NULL);
    ck_assert(!jsonx_has_ci(req, "Body"));
    struct json_object *hs = jsonx_get_ci(req, "Headers");
    /* Known names get Kestrel's casing; repeats become one array. */
    ck_assert_ptr_nonnull(json_object_object_get(hs, "Content-Type"));
    struct json_object *xc = json_object_object_get(hs, "x-custom");
    ck_assert_int_eq(json_object_array_length(xc), 2);
    struct json_object *md = payload_http_metadata(&r, NULL, NULL);
    ck_assert(!jsonx_has_ci(md, "message"));
    ck_assert_str_eq(jsonx_str(jsonx_get_ci(md, "Headers"), "x-custom"), "a,b");
    json_object_put(req);
    json_object_put(md);
}
END_TEST

/* Identities: none → one anonymous identity; a key → the host's key
 * identity; App Service Authentication's user first. */
START_TEST(test_payload_identities_name_the_caller)
{
    struct payload_http r = {
        .method = "GET", .url = "http://h/api/x", .content_length = -1};
    struct json_object *req = payload_http_req(&r, NULL);
    struct json_object *ids = jsonx_get_ci(req, "Identities");
    ck_assert_int_eq(json_object_array_length(ids), 1);
    struct json_object *id = json_object_array_get_idx(ids, 0);
    ck_assert(!json_object_get_boolean(jsonx_get_ci(id, "IsAuthenticated")));
    ck_assert_ptr_null(jsonx_get_ci(id, "AuthenticationType"));
    json_object_put(req);

    r.key_level = "Function";
    r.key_name = "default";
    r.user = "alice";
    r.idp = "dev";
    req = payload_http_req(&r, NULL);
    ids = jsonx_get_ci(req, "Identities");
    ck_assert_int_eq(json_object_array_length(ids), 2);
    id = json_object_array_get_idx(ids, 0);
    ck_assert_str_eq(jsonx_str(id, "AuthenticationType"), "dev");
    ck_assert_str_eq(jsonx_str(id, "Name"), "alice");
    ck_assert(json_object_get_boolean(jsonx_get_ci(id, "IsAuthenticated")));
    id = json_object_array_get_idx(ids, 1);
    ck_assert_str_eq(jsonx_str(id, "AuthenticationType"), "WebJobsAuthLevel");
    struct json_object *c = jsonx_get_ci(id, "Claims");
    ck_assert_int_eq(json_object_array_length(c), 3);
    struct json_object *c0 = json_object_array_get_idx(c, 0);
    ck_assert_str_eq(
        jsonx_str(c0, "Type"),
        "http://schemas.microsoft.com/2017/07/functions/claims/authlevel");
    ck_assert_str_eq(jsonx_str(c0, "Value"), "Function");
    ck_assert_str_eq(jsonx_str(json_object_array_get_idx(c, 2), "Value"),
                     "default");
    json_object_put(req);
}
END_TEST

START_TEST(test_payload_query_and_params)
{
    struct payload_kv q[] = {{"a", "1"}, {"a", "2"}, {"code", "k"}};
    struct payload_http r = {.method = "GET",
                             .url = "http://h/api/index/x?a=1&a=2&code=k",
                             .query = q,
                             .nquery = 3,
                             .content_length = -1};
    struct json_object *params = json_object_new_object();
    json_object_object_add(params, "file", json_object_new_string("x"));
    struct json_object *req = payload_http_req(&r, params);
    ck_assert_str_eq(jsonx_str(jsonx_get_ci(req, "Query"), "a"), "1,2");
    ck_assert_str_eq(jsonx_str(jsonx_get_ci(req, "Params"), "file"), "x");
    struct json_object *md = payload_http_metadata(&r, params, NULL);
    ck_assert_str_eq(jsonx_str(md, "a"), "\"1,2\"");
    ck_assert_str_eq(jsonx_str(md, "file"), "\"x\"");
    ck_assert(!json_object_object_get_ex(md, "code", NULL));
    json_object_put(req);
    json_object_put(md);
    json_object_put(params);
}
END_TEST

START_TEST(test_payload_binary_body_is_base64_and_text_is_utf8)
{
    struct payload_kv h[] = {{"Content-Type", "application/octet-stream"}};
    struct payload_http r = {.method = "POST",
                             .url = "http://h/api/x",
                             .headers = h,
                             .nheaders = 1,
                             .body = "\x01\x02",
                             .body_len = 2,
                             .content_length = 2};
    struct json_object *req = payload_http_req(&r, NULL);
    ck_assert_str_eq(jsonx_str(req, "Body"), "AQI=");
    json_object_put(req);
    size_t n;
    char *t = payload_utf8_text("a\xff"
                                "b",
                                3, &n);
    ck_assert_str_eq(t, "a\xEF\xBF\xBD"
                        "b");
    free(t);
}
END_TEST

START_TEST(test_payload_timer_matches_vector_structure)
{
    struct json_object *v = runner_vector("timer-request.json");
    struct json_object *want =
        jsonx_get_ci(jsonx_get_ci(jsonx_get_ci(v, "body"), "Data"), "myTimer");
    struct json_object *t = payload_timer(0);
    /* The same keys in the same order; ScheduleStatus null: no monitor. */
    struct json_object_iterator wi = json_object_iter_begin(want);
    struct json_object_iterator gi = json_object_iter_begin(t);
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(json_object_iter_peek_name(&gi),
                         json_object_iter_peek_name(&wi));
        json_object_iter_next(&wi);
        json_object_iter_next(&gi);
    }
    ck_assert(json_object_equal(jsonx_get_ci(want, "Schedule"),
                                jsonx_get_ci(t, "Schedule")));
    ck_assert(jsonx_has_ci(t, "ScheduleStatus"));
    ck_assert_ptr_null(jsonx_get_ci(t, "ScheduleStatus"));
    ck_assert(!json_object_get_boolean(jsonx_get_ci(t, "IsPastDue")));
    json_object_put(t);
    t = payload_timer(1);
    ck_assert(json_object_get_boolean(jsonx_get_ci(t, "IsPastDue")));
    json_object_put(t);
    json_object_put(v);
}
END_TEST

START_TEST(test_payload_encode_rules)
{
    struct json_object *s = payload_encode(json_object_new_string("hello"));
    ck_assert_str_eq(json_object_get_string(s), "\"hello\"");
    json_object_put(s);
    s = payload_encode(json_object_new_int(4));
    ck_assert_str_eq(json_object_get_string(s), "4");
    json_object_put(s);
    struct json_object *arr = json_object_new_array();
    json_object_array_add(arr, json_object_new_int(1));
    s = payload_encode(arr);
    ck_assert_str_eq(json_object_get_string(s), "[1]");
    json_object_put(s);
    struct json_object *o = json_object_new_object();
    s = payload_encode(o);
    ck_assert_ptr_eq(s, o);
    json_object_put(s);
}
END_TEST

Suite *payload_suite(void)
{
    Suite *s = suite_create("payload");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, test_payload_negotiate_matches_vector);
    tcase_add_test(tc, test_payload_broadcast_matches_vector);
    tcase_add_test(tc, test_payload_timer_matches_vector_structure);
    suite_add_tcase(s, tc);
    tc = tcase_create("rules");
    tcase_add_test(tc, test_payload_chunked_request_has_no_body);
    tcase_add_test(tc, test_payload_query_and_params);
    tcase_add_test(tc, test_payload_identities_name_the_caller);
    tcase_add_test(tc, test_payload_binary_body_is_base64_and_text_is_utf8);
    tcase_add_test(tc, test_payload_encode_rules);
    suite_add_tcase(s, tc);
    return s;
}
