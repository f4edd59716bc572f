/* check_connstr.c - connection strings, driven by
 * vectors/connection-strings.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "proto/connstr.h"
#include "runner.h"
#include "util/jsonx.h"

static struct json_object *load_cases(void)
{
    return runner_vector("connection-strings.json");
}

START_TEST(test_connstr_vectors)
{
    struct json_object *root = load_cases();
    struct json_object *cases = json_object_object_get(root, "cases");
    size_t n = json_object_array_length(cases);
    ck_assert_uint_ge(n, 7);
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(cases, i);
        const char *in = jsonx_str(c, "input");
        const char *outcome = jsonx_str(c, "outcome");
        struct connstr cs;
        char err[256];
        int r = connstr_parse(in, &cs, err, sizeof err);
        if (outcome) {
            ck_assert_msg(r == -1, "case %zu should fail: %s", i, in);
            ck_assert_ptr_null(strstr(err, "k;")); /* no key echoed */
            continue;
        }
        ck_assert_msg(r == 0, "case %zu: %s", i, err);
        json_object_object_foreach(c, key, val)
        {
            if (strncmp(key, "clientUrl(hub=", 14) == 0) {
                char hub[64];
                snprintf(hub, sizeof hub, "%.*s", (int)(strlen(key) - 15),
                         key + 14);
                char *u = connstr_client_url(&cs, hub);
                ck_assert_str_eq(u, json_object_get_string(val));
                free(u);
            } else if (strcmp(key, "clientTokenAud") == 0) {
                char *a = connstr_client_aud(&cs, "notifications");
                ck_assert_str_eq(a, json_object_get_string(val));
                free(a);
            } else if (strcmp(key, "restBroadcastUrl") == 0) {
                char u[512];
                snprintf(u, sizeof u,
                         "%s/api/hubs/notifications/:send?api-version="
                         "2022-06-01",
                         cs.server_base);
                ck_assert_str_eq(u, json_object_get_string(val));
            } else if (strcmp(key, "accessKeyUtf8") == 0) {
                ck_assert_str_eq(cs.access_key, json_object_get_string(val));
            }
        }
        connstr_release(&cs);
    }
    json_object_put(root);
}
END_TEST

START_TEST(test_connstr_rules)
{
    struct connstr cs;
    char err[256];
    /* Keys are case-insensitive, values trimmed, empty segments ignored. */
    ck_assert_int_eq(connstr_parse(" endpoint = https://a.b/ ;; ACCESSKEY=k ;",
                                   &cs, err, sizeof err),
                     0);
    ck_assert_str_eq(cs.access_key, "k");
    ck_assert_str_eq(cs.client_base, "https://a.b/");
    ck_assert_str_eq(cs.server_base, "https://a.b");
    ck_assert_int_eq(cs.port, 443);
    connstr_release(&cs);
    ck_assert_int_eq(connstr_parse("Endpoint=http://a;AccessKey=k;"
                                   "Endpoint=http://b",
                                   &cs, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "duplicate"));
    ck_assert_int_eq(connstr_parse("Endpoint=http://a", &cs, err, sizeof err),
                     -1);
    ck_assert_int_eq(connstr_parse("", &cs, err, sizeof err), -1);
    ck_assert_int_eq(connstr_parse("Endpoint=http://a;AccessKey=k;Port=x", &cs,
                                   err, sizeof err),
                     -1);
    ck_assert_int_eq(connstr_parse("Endpoint=http://a;AuthType=aad;"
                                   "ClientId=x",
                                   &cs, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "Entra"));
    ck_assert_int_eq(connstr_parse("Endpoint=http://a;AccessKey=secretkey;"
                                   "Version=3.0",
                                   &cs, err, sizeof err),
                     -1);
    ck_assert_ptr_null(strstr(err, "secretkey"));
    /* A lost ';' joins the key to another value: it is not repeated. */
    ck_assert_int_eq(connstr_parse("Endpoint=http://a;AuthType=aadAccessKey="
                                   "secretkey",
                                   &cs, err, sizeof err),
                     -1);
    ck_assert_ptr_null(strstr(err, "secretkey"));
    ck_assert_ptr_nonnull(strstr(err, "AuthType=(not shown)"));
    /* An explicit port in the URI, no Port key: kept. */
    ck_assert_int_eq(connstr_parse("Endpoint=http://h:9000;AccessKey=k", &cs,
                                   err, sizeof err),
                     0);
    ck_assert_str_eq(cs.server_base, "http://h:9000");
    ck_assert_str_eq(cs.aud_base, "http://h/");
    char *u = connstr_client_url(&cs, "MixedCase");
    ck_assert_str_eq(u, "http://h:9000/client/?hub=mixedcase");
    free(u);
    connstr_release(&cs);
}
END_TEST

Suite *connstr_suite(void)
{
    Suite *s = suite_create("connstr");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_connstr_vectors);
    tcase_add_test(tc, test_connstr_rules);
    suite_add_tcase(s, tc);
    return s;
}
