/* check_conninfo.c - signalRConnectionInfo: binding expressions, the
 * indented text and its double encoding, against the negotiate vector. */
#include <stdlib.h>
#include <string.h>

#include "host/conninfo.h"
#include "host_test.h"
#include "runner.h"
#include "proto/token.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char emulator_cs[] =
    "Endpoint=http://localhost;Port=8888;AccessKey="
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;";

static struct payload_kv hdrs[] = {{"X-MS-Client-Principal-Id", "alice"},
                                   {"Accept", "*/*"}};
static struct payload_kv query[] = {{"userId", "bob"}};
static const struct payload_http req = {.method = "POST",
                                        .url = "http://h/api/x",
                                        .query = query,
                                        .nquery = 1,
                                        .headers = hdrs,
                                        .nheaders = 2,
                                        .content_length = -1};

START_TEST(test_conninfo_expressions)
{
    char *out = NULL;
    char err[256];
    ck_assert_int_eq(conninfo_expand("{headers.x-ms-client-principal-id}", &req,
                                     NULL, NULL, &out, err, sizeof err),
                     0);
    ck_assert_str_eq(out, "alice");
    free(out);
    ck_assert_int_eq(conninfo_expand("u-{query.userId}!", &req, NULL, NULL,
                                     &out, err, sizeof err),
                     0);
    ck_assert_str_eq(out, "u-bob!");
    free(out);
    ck_assert_int_eq(conninfo_expand("notifications", NULL, NULL, NULL, &out,
                                     err, sizeof err),
                     0);
    ck_assert_str_eq(out, "notifications");
    free(out);
    ck_assert_int_eq(conninfo_expand("{headers.x-missing}", &req, NULL, NULL,
                                     &out, err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "Error while accessing 'x-missing': property "
                          "doesn't exist.");
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_conninfo_setting_expression)
{
    struct app app;
    char err[512], *out = NULL;
    ck_assert(app_load(".", &app, err, sizeof err) == 0);
    setenv("CHECK_HOST_HUB", "fromenv", 1);
    ck_assert_int_eq(conninfo_expand("%CHECK_HOST_HUB%", NULL, NULL, &app, &out,
                                     err, sizeof err),
                     0);
    ck_assert_str_eq(out, "fromenv");
    free(out);
    ck_assert_int_eq(conninfo_expand("%CHECK_HOST_NOPE%", NULL, NULL, &app,
                                     &out, err, sizeof err),
                     -1);
    unsetenv("CHECK_HOST_HUB");
    app_release(&app);
}
END_TEST

/* Data.connectionInfo on the wire: a JSON string holding a JSON string
 * holding the indented object. Ours must equal the vector's bytes except
 * for the token (libjwt orders claims differently; both verify). */
START_TEST(test_conninfo_matches_negotiate_vector)
{
    struct json_object *v = runner_vector("negotiate-request.json");
    const char *want = jsonx_str(jsonx_get_ci(jsonx_get_ci(v, "body"), "Data"),
                                 "connectionInfo");
    struct connstr cs;
    char err[256], *text = NULL;
    ck_assert(connstr_parse(emulator_cs, &cs, err, sizeof err) == 0);
    ck_assert_int_eq(conninfo_text(&cs, "notifications", NULL, 1735689600L,
                                   &text, err, sizeof err),
                     0);
    struct json_object *wire = payload_encode(json_object_new_string(text));
    const char *got = json_object_get_string(wire);
    /* Same up to the token, and the same after it. */
    const char *wt = strstr(want, "eyJ"), *gt = strstr(got, "eyJ");
    ck_assert(wt && gt);
    ck_assert_int_eq((int)(wt - want), (int)(gt - got));
    ck_assert(strncmp(want, got, (size_t)(wt - want)) == 0);
    const char *we = strchr(wt, '\\'), *ge = strchr(gt, '\\');
    ck_assert_str_eq(we, ge);
    /* The token itself: claims and lifetime as the vector's. */
    char *tok = xstrndup(gt, (size_t)(ge - gt));
    const char *keys[] = {cs.access_key};
    struct token_claims c;
    ck_assert(token_verify(tok, keys, 1, 1735689601L, 0, &c, err, sizeof err) ==
              0);
    ck_assert_str_eq(c.aud, "http://localhost/client/?hub=notifications");
    ck_assert_int_eq(c.exp - c.iat, 3600);
    ck_assert_ptr_null(c.user_id);
    token_claims_release(&c);
    free(tok);
    json_object_put(wire);
    free(text);
    connstr_release(&cs);
    json_object_put(v);
}
END_TEST

START_TEST(test_conninfo_resolve_user_binding)
{
    struct app app;
    char err[512];
    ck_assert(app_load(".", &app, err, sizeof err) == 0);
    setenv("AzureSignalRConnectionString", emulator_cs, 1);
    const struct app_function *fn = app_find(&app, "userNegotiate");
    struct json_object *binding = NULL;
    for (size_t i = 0; i < json_object_array_length(fn->bindings); i++) {
        struct json_object *b = json_object_array_get_idx(fn->bindings, i);
        if (!strcmp(jsonx_str(b, "type"), "signalRConnectionInfo"))
            binding = b;
    }
    ck_assert_ptr_nonnull(binding);
    struct json_object *value = NULL;
    ck_assert_msg(conninfo_resolve(binding, &req, NULL, &app, 1735689600L,
                                   &value, err, sizeof err) == 0,
                  "%s", err);
    /* Two string layers, then the object. */
    struct json_object *obj = jsonx_unwrap(value, 2);
    ck_assert(json_object_is_type(obj, json_type_object));
    ck_assert_str_eq(jsonx_str(obj, "url"),
                     "http://localhost:8888/client/?hub=notifications");
    const char *keys[] = {"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"};
    struct token_claims c;
    ck_assert(token_verify(jsonx_str(obj, "accessToken"), keys, 1, 1735689601L,
                           0, &c, err, sizeof err) == 0);
    ck_assert_str_eq(c.user_id, "alice");
    ck_assert_ptr_nonnull(json_object_object_get(c.all, "asrs.s.uid"));
    token_claims_release(&c);
    json_object_put(obj);
    json_object_put(value);

    /* Without the header the invocation fails with the host's message. */
    struct payload_http bare = req;
    bare.nheaders = 0;
    ck_assert_int_eq(conninfo_resolve(binding, &bare, NULL, &app, 0, &value,
                                      err, sizeof err),
                     -1);
    ck_assert(strstr(err, "Error while accessing "
                          "'x-ms-client-principal-id': property doesn't "
                          "exist.") != NULL);
    /* A broken connection string is named, without its key. */
    setenv("AzureSignalRConnectionString",
           "Endpoint=ftp://x;AccessKey=SECRETKEY123", 1);
    bare.nheaders = 2;
    ck_assert_int_eq(conninfo_resolve(binding, &bare, NULL, &app, 0, &value,
                                      err, sizeof err),
                     -1);
    ck_assert(strstr(err, "AzureSignalRConnectionString") != NULL);
    ck_assert(strstr(err, "SECRETKEY123") == NULL);
    unsetenv("AzureSignalRConnectionString");
    app_release(&app);
}
END_TEST

Suite *conninfo_suite(void)
{
    Suite *s = suite_create("conninfo");
    TCase *tc = tcase_create("binding");
    tcase_add_test(tc, test_conninfo_expressions);
    tcase_add_test(tc, test_conninfo_setting_expression);
    tcase_add_test(tc, test_conninfo_matches_negotiate_vector);
    tcase_add_test(tc, test_conninfo_resolve_user_binding);
    suite_add_tcase(s, tc);
    return s;
}
