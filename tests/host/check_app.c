/* check_app.c - reading the app folder: the real app, and each mistake. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/app.h"
#include "host/front.h"
#include "host_test.h"
#include "runner.h"
#include "util/jsonx.h"
#include "util/banned.h"

static const char good_host[] =
    "{\"version\":\"2.0\",\"customHandler\":{\"description\":"
    "{\"defaultExecutablePath\":\"bin/handler\"}}}";
static const char http_fn[] =
    "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":\"in\","
    "\"name\":\"req\",\"methods\":[\"post\"]},{\"type\":\"http\","
    "\"direction\":\"out\",\"name\":\"res\"}]}";

START_TEST(test_app_loads_the_repository_app)
{
    struct app app;
    char err[512];
    ck_assert_msg(app_load(".", &app, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(app.handler.exe, "bin/handler");
    ck_assert_int_eq(app.port, 7071);
    ck_assert_str_eq(app.route_prefix, "api");
    ck_assert_int_eq(app.function_timeout_s, 300);
    ck_assert_int_eq(app.ncors, 3);
    ck_assert_str_eq(app.cors[2], "http://localhost:8080");
    ck_assert_int_eq(app.cors_credentials, 1);
    ck_assert_ptr_nonnull(app_setting(&app, "FUNCTIONS_WORKER_RUNTIME"));

    const struct app_function *f = app_find(&app, "negotiate");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->kind, APP_FN_HTTP);
    ck_assert_str_eq(f->route, "negotiate");
    ck_assert_str_eq(f->trigger_name, "req");
    ck_assert_str_eq(f->http_out, "res");
    ck_assert_uint_eq(f->methods, APP_M_GET | APP_M_POST);
    ck_assert_int_eq(f->auth_level, AUTH_ANONYMOUS);
    /* the server-to-server APIs need a function key */
    ck_assert_int_eq(app_find(&app, "broadcast")->auth_level, AUTH_FUNCTION);
    ck_assert_int_eq(app_find(&app, "groups")->auth_level, AUTH_FUNCTION);

    f = app_find(&app, "userNegotiate");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->route, "user/negotiate");
    f = app_find(&app, "index");
    ck_assert_str_eq(f->route, "index/{*file}");
    f = app_find(&app, "statusUpdate");
    ck_assert_int_eq(f->kind, APP_FN_TIMER);
    ck_assert_str_eq(f->schedule, "0 */5 * * * *");
    ck_assert_int_eq(f->run_on_startup, 0);
    ck_assert_str_eq(f->trigger_name, "myTimer");
    ck_assert_ptr_null(f->http_out);
    ck_assert_ptr_null(app_find(&app, "nope"));
    app_release(&app);
}
END_TEST

START_TEST(test_app_loads_the_vectors_app)
{
    struct app app;
    char err[512], path[512];
    snprintf(path, sizeof path, "%s/app", runner_data_dir());
    ck_assert_msg(app_load(path, &app, err, sizeof err) == 0, "%s", err);
    ck_assert_ptr_nonnull(app_find(&app, "broadcast"));
    app_release(&app);
}
END_TEST

START_TEST(test_app_environment_wins_over_values)
{
    struct app app;
    char err[512];
    char *dir = runner_tmpdir("check_host");
    ht_write(dir, "host.json", good_host);
    ht_write(dir, "f/function.json", http_fn);
    ht_write(dir, "local.settings.json",
             "{\"Values\":{\"CHECK_HOST_A\":\"from-file\","
             "\"CHECK_HOST_B\":\"file-b\",\"N\":5},\"Host\":{"
             "\"LocalHttpPort\":\"7090\",\"CORS\":\"*\"}}");
    setenv("CHECK_HOST_A", "from-env", 1);
    ck_assert_msg(app_load(dir, &app, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(app_setting(&app, "CHECK_HOST_A"), "from-env");
    ck_assert_str_eq(app_setting(&app, "CHECK_HOST_B"), "file-b");
    ck_assert_str_eq(app_setting(&app, "N"), "5");
    ck_assert_ptr_null(app_setting(&app, "CHECK_HOST_UNSET"));
    ck_assert_int_eq(app.port, 7090);
    /* CORS "*" without credentials allows any origin as "*". */
    char allow[128];
    ck_assert(front_cors_allow(&app, "http://x.example", allow, sizeof allow));
    ck_assert_str_eq(allow, "*");
    /* A relative root is made absolute, and the workdir defaults to it. */
    ck_assert(app.root[0] == '/');
    ck_assert_str_eq(app.handler.workdir, app.root);
    unsetenv("CHECK_HOST_A");
    app_release(&app);
    runner_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_app_route_prefix_timeout_and_workdir)
{
    struct app app;
    char err[512];
    char *dir = runner_tmpdir("check_host");
    ht_write(dir, "host.json",
             "{\"functionTimeout\":\"-1\",\"extensions\":{\"http\":"
             "{\"routePrefix\":\"/v1/\"}},\"customHandler\":{"
             "\"description\":{\"defaultExecutablePath\":\"h\","
             "\"workingDirectory\":\"sub\",\"arguments\":[\"-a\",\"%X%\"]}}}");
    ht_write(dir, "f/function.json", http_fn);
    ck_assert_msg(app_load(dir, &app, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(app.route_prefix, "v1");
    ck_assert_int_eq(app.function_timeout_s, -1);
    ck_assert_uint_eq(app.handler.nargs, 2);
    ck_assert_str_eq(app.handler.args[1], "%X%");
    ck_assert(strstr(app.handler.workdir, "/sub") != NULL);
    /* No local.settings.json: port 7071, no CORS. */
    ck_assert_int_eq(app.port, 7071);
    ck_assert_uint_eq(app.ncors, 0);
    app_release(&app);
    runner_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_app_cors_decision)
{
    struct app app;
    char err[512], allow[256];
    ck_assert(app_load(".", &app, err, sizeof err) == 0);
    ck_assert(
        front_cors_allow(&app, "http://localhost:8080", allow, sizeof allow));
    ck_assert_str_eq(allow, "http://localhost:8080");
    ck_assert(
        !front_cors_allow(&app, "http://evil.example", allow, sizeof allow));
    ck_assert(!front_cors_allow(&app, NULL, allow, sizeof allow));
    app_release(&app);
}
END_TEST

START_TEST(test_app_methods_text)
{
    char m[80];
    app_methods_text(APP_M_GET | APP_M_POST, m, sizeof m);
    ck_assert_str_eq(m, "GET,POST");
    ck_assert_uint_eq(app_method_bit("patch"), APP_M_PATCH);
    ck_assert_uint_eq(app_method_bit("BREW"), 0);
}
END_TEST

/* Each malformed app: the files to write and what err must name. */
static const struct bad_case {
    const char *host;     /* host.json (NULL: the good one) */
    const char *fn;       /* f/function.json (NULL: the good one) */
    const char *settings; /* local.settings.json (NULL: none) */
    const char *expect;
} bad_cases[] = {
    {"{\"version\": ", NULL, NULL, "host.json: malformed JSON"},
    {"[1]", NULL, NULL, "host.json: the top level must be a JSON object"},
    {"{\"version\":\"2.0\"}", NULL, NULL, "host.json: customHandler"},
    {"{\"customHandler\":{}}", NULL, NULL,
     "host.json: customHandler.description"},
    {"{\"customHandler\":{\"description\":{\"defaultExecutablePath\":\"\"}}}",
     NULL, NULL, "customHandler.description.defaultExecutablePath"},
    {"{\"customHandler\":{\"description\":{\"defaultExecutablePath\":\"h\","
     "\"arguments\":\"x\"}}}",
     NULL, NULL, "customHandler.description.arguments"},
    {"{\"functionTimeout\":\"soon\",\"customHandler\":{\"description\":"
     "{\"defaultExecutablePath\":\"h\"}}}",
     NULL, NULL, "host.json: functionTimeout"},
    {NULL, "{\"bindings\":[", NULL, "f/function.json: malformed JSON"},
    {NULL, "{\"bindings\":{}}", NULL, "f/function.json: bindings"},
    {NULL, "{\"bindings\":[{\"direction\":\"in\",\"name\":\"q\"}]}", NULL,
     "f/function.json: bindings[0].type"},
    {NULL,
     "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":\"sideways\","
     "\"name\":\"req\"}]}",
     NULL, "f/function.json: bindings[0].direction"},
    {NULL,
     "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":\"in\","
     "\"name\":\"req\",\"methods\":[\"brew\"]}]}",
     NULL, "f/function.json: bindings[0].methods[0]"},
    {NULL,
     "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":\"in\","
     "\"name\":\"req\",\"authLevel\":\"everyone\"}]}",
     NULL, "f/function.json: bindings[0].authLevel"},
    {NULL,
     "{\"bindings\":[{\"type\":\"timerTrigger\",\"direction\":\"in\","
     "\"name\":\"t\",\"schedule\":\"every minute\"}]}",
     NULL, "f/function.json: bindings[0].schedule"},
    {NULL,
     "{\"bindings\":[{\"type\":\"timerTrigger\",\"direction\":\"in\","
     "\"name\":\"t\",\"schedule\":\"0 * * * * *\",\"runOnStartup\":1}]}",
     NULL, "f/function.json: bindings[0].runOnStartup"},
    {NULL,
     "{\"bindings\":[{\"type\":\"http\",\"direction\":\"out\","
     "\"name\":\"res\"}]}",
     NULL, "f/function.json: bindings: no trigger"},
    {NULL,
     "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":\"in\","
     "\"name\":\"req\"},{\"type\":\"signalR\",\"direction\":\"out\","
     "\"name\":\"m\"}]}",
     NULL, "f/function.json: bindings[1].hubName"},
    {NULL,
     "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":\"in\","
     "\"name\":\"req\"},{\"type\":\"httpTrigger\",\"direction\":\"in\","
     "\"name\":\"req2\"}]}",
     NULL, "f/function.json: bindings[1]: a function has exactly one"},
    {NULL, NULL, "{\"Values\": [1]}", "local.settings.json: Values"},
    {NULL, NULL, "{\"Values\": {\"A\": {\"b\": 1}}}",
     "local.settings.json: Values.A"},
    {NULL, NULL, "{\"Host\": {\"LocalHttpPort\": \"seven\"}}",
     "local.settings.json: Host.LocalHttpPort"},
    {NULL, NULL, "{\"Host\": {\"CORS\": [\"*\"]}}",
     "local.settings.json: Host.CORS"},
    {NULL, NULL, "{\"Host\": {\"CORSCredentials\": \"yes\"}}",
     "local.settings.json: Host.CORSCredentials"},
    {NULL, NULL, "{\"Values\": ", "local.settings.json: malformed JSON"},
};

START_TEST(test_app_refuses_malformed_files)
{
    const struct bad_case *c = &bad_cases[_i];
    struct app app;
    char err[512] = "";
    char *dir = runner_tmpdir("check_host");
    ht_write(dir, "host.json", c->host ? c->host : good_host);
    ht_write(dir, "f/function.json", c->fn ? c->fn : http_fn);
    if (c->settings)
        ht_write(dir, "local.settings.json", c->settings);
    int rc = app_load(dir, &app, err, sizeof err);
    runner_rmtree(dir);
    free(dir);
    ck_assert_msg(rc == -1, "case %d loaded", _i);
    ck_assert_msg(strstr(err, c->expect) != NULL,
                  "case %d: \"%s\" does not name \"%s\"", _i, err, c->expect);
}
END_TEST

/* A function with a binding type func-local does not serve is in error;
 * the app loads and the other functions are served. */
START_TEST(test_app_function_in_error_does_not_stop_the_app)
{
    struct app app;
    char err[512] = "";
    char *dir = runner_tmpdir("check_host");
    ht_write(dir, "host.json", good_host);
    ht_write(dir, "f/function.json", http_fn);
    ht_write(dir, "q/function.json",
             "{\"bindings\":[{\"type\":\"httpTrigger\",\"direction\":"
             "\"in\",\"name\":\"req\"},{\"type\":\"blob\",\"direction\":"
             "\"out\",\"name\":\"out\",\"path\":\"x/y\"}]}");
    int rc = app_load(dir, &app, err, sizeof err);
    runner_rmtree(dir);
    free(dir);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_uint_eq(app.nfns, 2);
    const struct app_function *q = app_find(&app, "q");
    ck_assert_int_eq(q->kind, APP_FN_ERROR);
    ck_assert_ptr_null(q->route); /* never routed */
    ck_assert_str_eq(q->error, "bindings[1].type: binding type \"blob\" is "
                               "not supported by func-local (it serves HTTP, "
                               "timer, queue and SignalR bindings)");
    ck_assert_int_eq(app_find(&app, "f")->kind, APP_FN_HTTP);
    app_release(&app);
}
END_TEST

static const char queue_fn[] =
    "{\"bindings\":[{\"type\":\"queueTrigger\",\"direction\":\"in\","
    "\"name\":\"order\",\"queueName\":\"%Q%\",\"connection\":\"Orders\"},"
    "{\"type\":\"queue\",\"direction\":\"out\",\"name\":\"next\","
    "\"queueName\":\"%OUT%\"}]}";

/* A queueTrigger: its queue (an app setting here, lower-cased), its
 * connection setting, and host.json's extensions.queues. */
START_TEST(test_app_queue_trigger)
{
    struct app app;
    char err[512] = "";
    char *dir = runner_tmpdir("check_host");
    ht_write(dir, "host.json",
             "{\"version\":\"2.0\",\"customHandler\":{\"description\":{"
             "\"defaultExecutablePath\":\"h\"}},\"extensions\":{\"queues\":"
             "{\"maxDequeueCount\":2,\"batchSize\":4}}}");
    ht_write(dir, "q/function.json", queue_fn);
    ht_write(dir, "local.settings.json",
             "{\"Values\":{\"Q\":\"Orders\",\"OUT\":\"Shipping\","
             "\"AzureWebJobsOrders\":\"UseDevelopmentStorage=true\"}}");
    int rc = app_load(dir, &app, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    const struct app_function *q = app_find(&app, "q");
    /* the output's queue: resolved and lower-cased as the trigger's */
    ck_assert_str_eq(
        jsonx_str(json_object_array_get_idx(q->bindings, 1), "queueName"),
        "shipping");
    ck_assert_int_eq(q->kind, APP_FN_QUEUE);
    ck_assert_str_eq(q->queue_name, "orders");
    ck_assert_str_eq(q->queue_connection, "Orders");
    ck_assert_str_eq(q->trigger_name, "order");
    ck_assert_int_eq(app.queues.max_dequeue_count, 2);
    ck_assert_int_eq(app.queues.batch_size, 4);
    app_release(&app);
    /* Without the connection setting the function is in error, as the
     * host has it; the app still loads. */
    ht_write(dir, "local.settings.json",
             "{\"Values\":{\"Q\":\"orders\",\"OUT\":\"shipping\"}}");
    unsetenv("AzureWebJobsOrders");
    unsetenv("Orders");
    rc = app_load(dir, &app, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    q = app_find(&app, "q");
    ck_assert_int_eq(q->kind, APP_FN_ERROR);
    ck_assert_str_eq(q->error, "Storage account connection string "
                               "'AzureWebJobsOrders' does not exist. Make sure "
                               "that it is a defined App Setting.");
    app_release(&app);
    /* An unusable connection string: in error, the key never shown. */
    ht_write(dir, "local.settings.json",
             "{\"Values\":{\"Q\":\"orders\",\"OUT\":\"shipping\",\"Orders\":"
             "\"AccountName=a;"
             "AccountKey=c2VjcmV0;QueueEndpoint=nope\"}}");
    rc = app_load(dir, &app, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    q = app_find(&app, "q");
    ck_assert_int_eq(q->kind, APP_FN_ERROR);
    ck_assert_ptr_nonnull(
        strstr(q->error, "app setting Orders: QueueEndpoint"));
    ck_assert_ptr_null(strstr(q->error, "c2VjcmV0"));
    app_release(&app);
    runner_rmtree(dir);
    free(dir);
}
END_TEST

/* Queue bindings the host would refuse stop the app with a reason. */
START_TEST(test_app_queue_refusals)
{
    static const struct {
        const char *host, *fn, *want;
    } cases[] = {
        {NULL,
         "{\"bindings\":[{\"type\":\"queueTrigger\",\"direction\":\"in\","
         "\"name\":\"m\"}]}",
         "bindings[0].queueName: missing"},
        {NULL,
         "{\"bindings\":[{\"type\":\"queueTrigger\",\"direction\":\"in\","
         "\"name\":\"m\",\"queueName\":\"a_b\"}]}",
         "\"a_b\" is not a valid queue name"},
        {NULL,
         "{\"bindings\":[{\"type\":\"queueTrigger\",\"direction\":\"in\","
         "\"name\":\"m\",\"queueName\":\"%Nope%\"}]}",
         "names an app setting that is not set"},
        {NULL,
         "{\"bindings\":[{\"type\":\"timerTrigger\",\"direction\":\"in\","
         "\"name\":\"t\",\"schedule\":\"0 * * * * *\"},{\"type\":\"queue\","
         "\"direction\":\"out\",\"name\":\"o\"}]}",
         "bindings[1].queueName: missing"},
        {NULL,
         "{\"bindings\":[{\"type\":\"timerTrigger\",\"direction\":\"in\","
         "\"name\":\"t\",\"schedule\":\"0 * * * * *\"},{\"type\":\"queue\","
         "\"direction\":\"out\",\"name\":\"o\",\"queueName\":\"a/b?c\"}]}",
         "bindings[1].queueName: \"a/b?c\" is not a valid queue name"},
        {NULL,
         "{\"bindings\":[{\"type\":\"timerTrigger\",\"direction\":\"in\","
         "\"name\":\"t\",\"schedule\":\"0 * * * * *\"},{\"type\":\"queue\","
         "\"direction\":\"out\",\"name\":\"o\",\"queueName\":\"%Nope%\"}]}",
         "bindings[1].queueName: names an app setting that is not set"},
        {"{\"customHandler\":{\"description\":{\"defaultExecutablePath\":"
         "\"h\"}},\"extensions\":{\"queues\":{\"batchSize\":64}}}",
         NULL, "host.json: extensions.queues.batchSize"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct app app;
        char err[512] = "";
        char *dir = runner_tmpdir("check_host");
        ht_write(dir, "host.json", cases[i].host ? cases[i].host : good_host);
        ht_write(dir, "f/function.json", cases[i].fn ? cases[i].fn : http_fn);
        int rc = app_load(dir, &app, err, sizeof err);
        runner_rmtree(dir);
        free(dir);
        ck_assert_msg(rc == -1, "case %zu loaded", i);
        ck_assert_msg(strstr(err, cases[i].want) != NULL, "case %zu: %s", i,
                      err);
    }
}
END_TEST

START_TEST(test_app_refuses_missing_folder)
{
    struct app app;
    char err[512];
    ck_assert_int_eq(app_load("/nonexistent/app", &app, err, sizeof err), -1);
    ck_assert(strstr(err, "/nonexistent/app") != NULL);
}
END_TEST

Suite *app_suite(void)
{
    Suite *s = suite_create("app");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, test_app_loads_the_repository_app);
    tcase_add_test(tc, test_app_loads_the_vectors_app);
    tcase_add_test(tc, test_app_environment_wins_over_values);
    tcase_add_test(tc, test_app_route_prefix_timeout_and_workdir);
    tcase_add_test(tc, test_app_cors_decision);
    tcase_add_test(tc, test_app_methods_text);
    tcase_add_test(tc, test_app_function_in_error_does_not_stop_the_app);
    suite_add_tcase(s, tc);
    tc = tcase_create("malformed");
    tcase_add_loop_test(tc, test_app_refuses_malformed_files, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_app_refuses_missing_folder);
    tcase_add_test(tc, test_app_queue_trigger);
    tcase_add_test(tc, test_app_queue_refusals);
    suite_add_tcase(s, tc);
    return s;
}
