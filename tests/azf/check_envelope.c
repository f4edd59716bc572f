/*
 * check_envelope.c - the one-pass envelope reader (src/azf/envelope.c)
 * against json-c's reading of the same text: the same members found (case
 * and duplicates as jsonx_get_ci), the same values, the same refusals with
 * the same reasons, and the few non-standard forms json-c lets through
 * refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "azf/envelope.h"
#include "util/jsonx.h"
#include "util/limits.h"

static struct envelope *e;

static void setup(void)
{
    e = envelope_new();
}

static void teardown(void)
{
    envelope_free(e);
}

static void parse_ok(const char *text)
{
    char err[200];
    ck_assert_msg(envelope_parse(e, text, strlen(text), err, sizeof err) == 0,
                  "%s: %s", text, err);
}

/* member path: names separated by '.', from the top level. */
static int member(const char *path)
{
    char buf[256];
    int m = ENVELOPE_ROOT;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k;
         k = strtok_r(NULL, ".", &save))
        m = envelope_member(e, m, k);
    return m;
}

START_TEST(test_members_kinds_and_text)
{
    parse_ok("{\"Data\":{\"req\":{\"Url\":\"http://h/api/e?q=1\","
             "\"Method\":\"PUT\",\"Query\":{\"q\":\"1\"},\"Headers\":{"
             "\"X-Test\":[\"hv\",\"2\"]},\"Params\":{},\"Body\":\"b\\u00e9\","
             "\"N\": 12.5e3 , \"T\":true,\"Z\":null}},\"Metadata\":{}}");
    ck_assert_int_eq(envelope_kind(e, ENVELOPE_ROOT), ENV_OBJECT);
    ck_assert_int_eq(envelope_kind(e, member("Data.req")), ENV_OBJECT);
    ck_assert_int_eq(envelope_kind(e, member("Data.req.Headers.x-test")),
                     ENV_ARRAY);
    ck_assert_int_eq(envelope_kind(e, member("Data.req.N")), ENV_NUMBER);
    ck_assert_int_eq(envelope_kind(e, member("Data.req.T")), ENV_BOOL);
    ck_assert_int_eq(envelope_kind(e, member("Data.req.Z")), ENV_NULL);
    ck_assert_int_eq(member("Data.req.Nope"), -1);
    ck_assert_int_eq(member("Data.req.Method.x"), -1); /* not an object */
    ck_assert_str_eq(envelope_text(e, member("DATA.REQ.method"), NULL), "PUT");
    size_t n = 0;
    ck_assert_str_eq(envelope_text(e, member("Data.req.Body"), &n),
                     "b\xc3\xa9");
    ck_assert_uint_eq(n, 3);
    ck_assert_ptr_null(envelope_text(e, member("Data.req.N"), NULL));
    ck_assert_double_eq(
        json_object_get_double(envelope_value(e, member("Data.req.N"))), 12500);
    ck_assert_ptr_null(envelope_value(e, member("Data.req.Z")));
    struct json_object *h = envelope_value(e, member("Data.req.Headers"));
    ck_assert_str_eq(json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN),
                     "{\"X-Test\":[\"hv\",\"2\"]}");
    /* Deeper than ENVELOPE_DEPTH: not recorded, but inside its parent's
     * value. */
    parse_ok("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}");
    ck_assert_int_ge(member("a.b.c.d"), 0);
    ck_assert_int_eq(member("a.b.c.d.e"), -1);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(
                         envelope_value(e, member("a.b.c.d")), "e")),
                     1);
}
END_TEST

/* The member json-c's DOM and jsonx_get_ci find is the one found here. */
START_TEST(test_case_and_duplicates_as_json_c)
{
    static const char *const texts[] = {
        "{\"Data\":{\"a\":1},\"data\":{\"b\":2},\"Data\":{\"c\":3}}",
        "{\"data\":{\"a\":1},\"DATA\":{\"b\":2},\"data\":{\"c\":3}}",
        "{\"DaTa\":{\"a\":1}}",
        "{\"D\\u0061ta\":{\"a\":1}}",
        "{\"Da\\u0000x\":{\"a\":1},\"Da\":{\"b\":1}}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        struct json_object *dom = NULL;
        char err[200];
        ck_assert_int_eq(
            jsonx_parse(texts[i], strlen(texts[i]), &dom, err, sizeof err), 0);
        parse_ok(texts[i]);
        ck_assert_msg(json_object_equal(jsonx_get_ci(dom, "Data"),
                                        envelope_value(e, member("Data"))),
                      "%s", texts[i]);
        json_object_put(dom);
    }
}
END_TEST

/* Refused by both, for the reason jsonx_parse gives. */
START_TEST(test_refusals_keep_json_c_reasons)
{
    char deep[2 * (LIMIT_JSON_DEPTH + 1) + 1];
    memset(deep, '[', LIMIT_JSON_DEPTH + 1);
    memset(deep + LIMIT_JSON_DEPTH + 1, ']', LIMIT_JSON_DEPTH + 1);
    deep[sizeof deep - 1] = '\0';
    const char *const texts[] = {
        "",           "{",       "{\"Data\":{\"req\":", "{\"a\":1}xyz",
        "{\"a\":1,}", "[1,\f2]", "{\"a\"\v:1}",         "{\"a\":1} \"",
        "\"xq\"\"",   "[1] tr",  "{\"a\":tru}",         "{\"a\":01}",
        "\xff",       deep,
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char want[200] = "", got[200] = "";
        struct json_object *dom = NULL;
        size_t n = strlen(texts[i]);
        ck_assert_int_eq(jsonx_parse(texts[i], n, &dom, want, sizeof want), -1);
        ck_assert_int_eq(envelope_parse(e, texts[i], n, got, sizeof got), -1);
        ck_assert_str_eq(got, want);
    }
    /* One level less is fine. */
    deep[LIMIT_JSON_DEPTH] = ' ';
    deep[LIMIT_JSON_DEPTH + 1] = ' ';
    parse_ok(deep);
}
END_TEST

/* What json-c lets through and JSON (RFC 8259) does not. */
START_TEST(test_non_standard_forms_refused)
{
    static const char *const texts[] = {
        "{\"a\":NaN}", "{\"a\":-Infinity}",  "{'a':1}",
        "{\"a\":1.}",  "{\"a\":\"x\x01y\"}", "{\"a\":\"x\ty\"}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char err[200] = "";
        ck_assert_int_eq(
            envelope_parse(e, texts[i], strlen(texts[i]), err, sizeof err), -1);
        ck_assert_msg(strncmp(err, "invalid JSON: ", 14) == 0, "%s: %s",
                      texts[i], err);
    }
}
END_TEST

Suite *envelope_suite(void)
{
    Suite *s = suite_create("envelope");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_members_kinds_and_text);
    tcase_add_test(tc, test_case_and_duplicates_as_json_c);
    tcase_add_test(tc, test_refusals_keep_json_c_reasons);
    tcase_add_test(tc, test_non_standard_forms_refused);
    suite_add_tcase(s, tc);
    return s;
}
