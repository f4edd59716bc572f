/* check_select.c - the allow list (--functions), AzureWebJobs.<name>.Disabled
 * and route precedence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/route.h"
#include "host/select.h"
#include "host/sigtrigger.h"
#include "host_test.h"
#include "runner.h"
#include "util/banned.h"

static const char host_json[] =
    "{\"version\":\"2.0\",\"customHandler\":{\"description\":"
    "{\"defaultExecutablePath\":\"node\"}}}";

/* An httpTrigger + http function on route (methods: a JSON array or
 * NULL). */
static void http_fn(const char *dir, const char *name, const char *route,
                    const char *methods)
{
    char rel[128], text[512];
    snprintf(rel, sizeof rel, "%s/function.json", name);
    snprintf(text, sizeof text,
             "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":\"in\","
             "\"name\":\"req\",\"route\":\"%s\"%s%s},{\"type\":\"http\","
             "\"direction\":\"out\",\"name\":\"res\"}]}",
             route, methods ? ",\"methods\":" : "", methods ? methods : "");
    ht_write(dir, rel, text);
}

static char *dir;
static struct app app;

static void load_app(void)
{
    char err[512];
    ck_assert_msg(app_load(dir, &app, err, sizeof err) == 0, "%s", err);
}

static void setup(void)
{
    dir = runner_tmpdir("host-select");
    ht_write(dir, "host.json", host_json);
}

static void teardown(void)
{
    app_release(&app);
    runner_rmtree(dir);
    free(dir);
}

/* The function select_http picks for method and path ("-" when none). */
static const char *pick(const char *method, const char *path,
                        const char **param_id)
{
    static char id[64];
    const struct app_function *wrong = NULL;
    struct json_object *params = json_object_new_object();
    const struct app_function *f =
        select_http(&app, method, path, params, &wrong);
    struct json_object *v = NULL;
    id[0] = '\0';
    if (json_object_object_get_ex(params, "id", &v) && v)
        snprintf(id, sizeof id, "%s", json_object_get_string(v));
    if (param_id)
        *param_id = id;
    json_object_put(params);
    return f ? f->name : wrong ? "wrong-method" : "-";
}

START_TEST(test_select_literal_beats_parameter_whatever_the_names)
{
    /* "Details" sorts before "List": the host in Azure would call Details
     * for products/list (it tries routes in name order). */
    http_fn(dir, "Details", "products/{id}", NULL);
    http_fn(dir, "List", "products/list", NULL);
    http_fn(dir, "AAny", "products/{*rest}", NULL);
    http_fn(dir, "Typed", "products/{id:int}", NULL);
    load_app();
    const char *id;
    ck_assert_str_eq(pick("GET", "products/list", NULL), "List");
    ck_assert_str_eq(pick("GET", "Products/LIST", NULL), "List");
    ck_assert_str_eq(pick("GET", "products/42", &id), "Typed");
    ck_assert_str_eq(id, "42");
    ck_assert_str_eq(pick("GET", "products/abc", &id), "Details");
    ck_assert_str_eq(id, "abc");
    ck_assert_str_eq(pick("GET", "products/a/b", NULL), "AAny");
    ck_assert_str_eq(pick("GET", "other", NULL), "-");
}
END_TEST

START_TEST(test_select_methods_take_part_in_the_choice)
{
    http_fn(dir, "A", "items/{id}", "[\"get\"]");
    http_fn(dir, "B", "items/new", "[\"post\"]");
    load_app();
    ck_assert_str_eq(pick("POST", "items/new", NULL), "B");
    ck_assert_str_eq(pick("GET", "items/new", NULL), "A");
    ck_assert_str_eq(pick("DELETE", "items/new", NULL), "wrong-method");
}
END_TEST

START_TEST(test_select_precedence_order)
{
    ck_assert_int_lt(route_precedence_cmp("a/b", "a/{x}"), 0);
    ck_assert_int_lt(route_precedence_cmp("a/{x:int}", "a/{x}"), 0);
    ck_assert_int_lt(route_precedence_cmp("a/{x}", "a/{*x:int}"), 0);
    ck_assert_int_lt(route_precedence_cmp("a/{*x:int}", "a/{*x}"), 0);
    ck_assert_int_lt(route_precedence_cmp("a", "a/{x?}"), 0);
    ck_assert_int_gt(route_precedence_cmp("{x}/b", "a/{y}"), 0);
    ck_assert_int_eq(route_precedence_cmp("a/{x}", "b/{y}"), 0);
    char s[64];
    ck_assert_int_eq(route_sample("a/{id:int}/{g:guid}/{*r}", s, sizeof s), 0);
    ck_assert(route_match("a/{id:int}/{g:guid}/{*r}", s, NULL));
    ck_assert_int_eq(route_sample("a/{id}", s, 3), -1);
}
END_TEST

struct diffs {
    int n;
    char last[256];
};

static void on_diff(const struct app_function *local,
                    const struct app_function *azure, const char *path,
                    void *ctx)
{
    struct diffs *d = ctx;
    d->n++;
    snprintf(d->last, sizeof d->last, "%s>%s@%s", local->name, azure->name,
             path);
}

START_TEST(test_select_reports_where_azure_would_differ)
{
    http_fn(dir, "Details", "products/{id}", NULL);
    http_fn(dir, "List", "products/list", NULL);
    http_fn(dir, "Alpha", "orders/recent", NULL); /* first by name anyway */
    http_fn(dir, "Beta", "orders/{id}", NULL);
    http_fn(dir, "Get", "users/{id}", "[\"get\"]"); /* methods differ */
    http_fn(dir, "Make", "users/new", "[\"post\"]");
    load_app();
    struct diffs d = {0};
    select_order_differences(&app, on_diff, &d);
    ck_assert_int_eq(d.n, 1);
    ck_assert_str_eq(d.last, "List>Details@products/list");
}
END_TEST

static int unknown_count;
static void on_unknown(const char *name)
{
    ck_assert_str_eq(name, "nope");
    unknown_count++;
}

START_TEST(test_select_only_the_named_functions)
{
    http_fn(dir, "one", "one", NULL);
    http_fn(dir, "Two", "two", NULL);
    http_fn(dir, "three", "three", NULL);
    load_app();
    static char n1[] = "ONE", n2[] = "two", n3[] = "nope";
    char *names[] = {n1, n2, n3};
    unknown_count = 0;
    select_only(&app, names, 3, on_unknown);
    ck_assert_int_eq(unknown_count, 1);
    ck_assert_uint_eq(app.nfns, 2);
    ck_assert_str_eq(app.fns[0].name, "Two");
    ck_assert_str_eq(app.fns[1].name, "one");
    ck_assert_ptr_null(app_find(&app, "three"));
    ck_assert_str_eq(pick("GET", "three", NULL), "-");
    select_only(&app, NULL, 0, NULL); /* no list: everything stays */
    ck_assert_uint_eq(app.nfns, 2);
}
END_TEST

START_TEST(test_select_disabled_by_setting)
{
    http_fn(dir, "a", "a", NULL);
    http_fn(dir, "b", "b", NULL);
    http_fn(dir, "c", "c", NULL);
    http_fn(dir, "d", "d", NULL);
    ht_write(dir, "local.settings.json",
             "{\"Values\":{\"AzureWebJobs.a.Disabled\":\"true\","
             "\"azurewebjobs.B.disabled\":\"1\",\"AzureWebJobs.c.Disabled\":"
             "\"yes\",\"AzureWebJobs.d.Disabled\":\"true\"}}");
    setenv("AzureWebJobs.d.Disabled", "false", 1); /* the environment wins */
    load_app();
    select_mark_disabled(&app);
    unsetenv("AzureWebJobs.d.Disabled");
    ck_assert_int_eq(app_find(&app, "a")->disabled, 1);
    ck_assert_int_eq(app_find(&app, "b")->disabled, 1);
    ck_assert_int_eq(app_find(&app, "c")->disabled, 0);
    ck_assert_int_eq(app_find(&app, "d")->disabled, 0);
    ck_assert_str_eq(pick("GET", "a", NULL), "a"); /* the front answers 404 */
}
END_TEST

START_TEST(test_select_disabled_signalr_trigger_is_unknown_to_the_webhook)
{
    ht_write(dir, "onMsg/function.json",
             "{\"bindings\":[{\"type\":\"signalRTrigger\",\"direction\":"
             "\"in\",\"name\":\"inv\",\"hubName\":\"chat\",\"category\":"
             "\"messages\",\"event\":\"send\"}]}");
    load_app();
    ck_assert_ptr_nonnull(sigtrigger_find(&app, "chat", "messages", "send"));
    setenv("AzureWebJobs.onMsg.Disabled", "TRUE", 1);
    select_mark_disabled(&app);
    unsetenv("AzureWebJobs.onMsg.Disabled");
    ck_assert_ptr_null(sigtrigger_find(&app, "chat", "messages", "send"));
}
END_TEST

Suite *select_suite(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_select_literal_beats_parameter_whatever_the_names);
    tcase_add_test(tc, test_select_methods_take_part_in_the_choice);
    tcase_add_test(tc, test_select_reports_where_azure_would_differ);
    tcase_add_test(tc, test_select_only_the_named_functions);
    tcase_add_test(tc, test_select_disabled_by_setting);
    tcase_add_test(
        tc, test_select_disabled_signalr_trigger_is_unknown_to_the_webhook);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("precedence");
    tcase_add_test(tp, test_select_precedence_order);
    suite_add_tcase(s, tp);
    return s;
}
