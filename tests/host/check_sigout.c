/* check_sigout.c - signalR output items → REST calls, for every case of
 * vectors/signalr-output-items.json, and the REST token's claims. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/sigrest.h"
#include "host/sigout.h"
#include "host_test.h"
#include "runner.h"
#include "proto/token.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char emulator_cs[] =
    "Endpoint=http://localhost;Port=8888;AccessKey="
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;";

START_TEST(test_sigout_every_vector_case)
{
    struct json_object *v = runner_vector("signalr-output-items.json");
    struct json_object *cases = jsonx_get_ci(v, "cases");
    size_t n = json_object_array_length(cases);
    ck_assert_uint_ge(n, 18);
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(cases, i);
        const char *name = jsonx_str(c, "name");
        struct json_object *value = json_object_object_get(c, "item");
        if (!value)
            value = json_object_object_get(c, "outputsValue");
        struct sigout_plan plan;
        char err[512] = "";
        int rc = sigout_plan(value, "notifications", &plan, err, sizeof err);
        const char *outcome = jsonx_str(c, "outcome");
        if (outcome && strcmp(outcome, "error") == 0) {
            ck_assert_msg(rc == -1, "%s: planned %zu calls", name, plan.n);
            const char *want = jsonx_str(c, "error");
            const char *colon = strstr(want, "ArgumentException: ");
            if (colon)
                ck_assert_msg(strstr(err, colon + 19) != NULL,
                              "%s: \"%s\" lacks \"%s\"", name, err, colon + 19);
            continue;
        }
        ck_assert_msg(rc == 0, "%s: %s", name, err);
        struct json_object *rest = NULL;
        int has_rest = json_object_object_get_ex(c, "rest", &rest);
        if (has_rest && !rest) {
            ck_assert_msg(plan.n == 0, "%s: expected no call", name);
        } else if (has_rest) {
            ck_assert_msg(plan.n == 1, "%s: %zu calls", name, plan.n);
            ck_assert_str_eq(plan.calls[0].method, jsonx_str(rest, "method"));
            ck_assert_str_eq(plan.calls[0].path, jsonx_str(rest, "path"));
            struct json_object *want_body = NULL;
            if (json_object_object_get_ex(rest, "body", &want_body)) {
                if (!want_body) {
                    ck_assert_ptr_null(plan.calls[0].body);
                } else {
                    struct json_object *got = NULL;
                    ck_assert(jsonx_parse(plan.calls[0].body,
                                          strlen(plan.calls[0].body), &got, err,
                                          sizeof err) == 0);
                    ck_assert_msg(json_object_equal(got, want_body),
                                  "%s: body %s", name, plan.calls[0].body);
                    json_object_put(got);
                }
            }
            ck_assert_int_eq(plan.calls[0].not_existed_ok,
                             strcmp(name, "group-add-connection") == 0);
        } else {
            ck_assert_msg(plan.n == 1, "%s: %zu calls", name, plan.n);
        }
        sigout_plan_release(&plan);
    }
    json_object_put(v);
}
END_TEST

START_TEST(test_sigout_keeps_item_order_and_escapes_ids)
{
    struct json_object *arr = NULL;
    char err[256];
    const char *text =
        "[{\"target\":\"a\",\"arguments\":[1]},"
        "{\"action\":\"add\",\"userId\":\"u 1/x\",\"groupName\":\"g\"},"
        "{\"TARGET\":\"b\",\"userId\":\"\",\"groupName\":\"ops\"}]";
    ck_assert(jsonx_parse(text, strlen(text), &arr, err, sizeof err) == 0);
    struct sigout_plan plan;
    ck_assert_int_eq(sigout_plan(arr, "Notifications", &plan, err, sizeof err),
                     0);
    ck_assert_uint_eq(plan.n, 3);
    ck_assert_str_eq(plan.calls[0].path,
                     "/api/hubs/notifications/:send?api-version=2022-06-01");
    ck_assert_str_eq(plan.calls[1].path,
                     "/api/hubs/notifications/users/u%201%2Fx/groups/g"
                     "?api-version=2022-06-01");
    /* An empty userId counts as absent: the group wins. */
    ck_assert_str_eq(plan.calls[2].path, "/api/hubs/notifications/groups/"
                                         "ops/:send?api-version=2022-06-01");
    ck_assert_str_eq(plan.calls[2].body, "{\"Target\":\"b\",\"Arguments\":[]}");
    sigout_plan_release(&plan);
    json_object_put(arr);
    /* Nothing to do for a missing output. */
    ck_assert_int_eq(sigout_plan(NULL, "h", &plan, err, sizeof err), 0);
    ck_assert_uint_eq(plan.n, 0);
}
END_TEST

START_TEST(test_sigrest_token_claims_match_vector)
{
    struct json_object *v =
        runner_vector("signalr-rest-broadcast-expected.json");
    struct json_object *want = jsonx_get_ci(v, "jwtPayloadDecoded");
    struct connstr cs;
    char err[256];
    ck_assert(connstr_parse(emulator_cs, &cs, err, sizeof err) == 0);
    const char *path = "/api/hubs/notifications/:send?api-version=2022-06-01";
    char *tok = sigrest_token(&cs, path, 1735689600L);
    ck_assert_ptr_nonnull(tok);
    const char *keys[] = {cs.access_key};
    struct token_claims c;
    ck_assert_msg(
        token_verify(tok, keys, 1, 1735689700L, 0, &c, err, sizeof err) == 0,
        "%s", err);
    ck_assert_str_eq(c.aud, jsonx_str(want, "aud"));
    ck_assert_int_eq(c.exp, 1735693200L);
    ck_assert_int_eq(c.nbf, 1735689600L);
    ck_assert_int_eq(c.iat, 1735689600L);
    /* nameid: "<machine>_<32 hex>". */
    const char *nameid = jsonx_str(c.all, "nameid");
    ck_assert_ptr_nonnull(nameid);
    const char *us = strrchr(nameid, '_');
    ck_assert(us && strlen(us + 1) == 32);
    ck_assert_str_eq(nameid, sigrest_server_name());
    token_claims_release(&c);
    free(tok);
    connstr_release(&cs);
    json_object_put(v);
}
END_TEST

Suite *sigout_suite(void)
{
    Suite *s = suite_create("sigout");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, test_sigout_every_vector_case);
    tcase_add_test(tc, test_sigout_keeps_item_order_and_escapes_ids);
    tcase_add_test(tc, test_sigrest_token_claims_match_vector);
    suite_add_tcase(s, tc);
    return s;
}
