/*
 * check_preflight.c - `bin/func-local --check` as a user runs it: on a copy of
 * the app folder it passes; broken one way at a time, it fails with exactly
 * one FAIL line naming that problem, exit status 1, and never prints the
 * access key.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "integration/proc.h"
#include "publish/pubtest.h"

#define RUN_MS 20000

static char app[1024];

static const char *handler_abs(void)
{
    static char p[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(proc_bin("handler"), p));
    return p;
}

/* The preflight's home: the local host, a development tool. */
static const char *checker_abs(void)
{
    static char p[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(proc_bin("func-local"), p));
    return p;
}

/* A failed assertion ends the forked test without its teardown: remove
 * the copy at exit too. */
static void app_remove_at_exit(void)
{
    pubtest_rmtree(app);
}

static void app_setup(void)
{
    static int registered;
    if (!registered && atexit(app_remove_at_exit) == 0)
        registered = 1;
    pubtest_app_copy(app, sizeof app, handler_abs());
}

static void app_teardown(void)
{
    pubtest_rmtree(app);
}

/* Run `func-local --check --app dir` with no connection string or app root in
 * the environment; returns its exit status and stdout in *out. */
static int run_check(const char *dir, char **out)
{
    char *err = NULL;
    const char *argv[] = {checker_abs(), "--check", "--app", dir, NULL};
    const char *env[] = {
        "AzureSignalRConnectionString=", "FUNCTIONS_APP_ROOT_PATH=", NULL};
    int st = pubtest_run(argv, env, RUN_MS, out, &err);
    ck_assert_msg(strstr(*out, PUBTEST_KEY) == NULL &&
                      strstr(err, PUBTEST_KEY) == NULL,
                  "the access key was printed:\n%s%s", *out, err);
    free(err);
    return st;
}

/* The app in dir fails with one FAIL line, and that line contains each of
 * the needles (NULL-terminated). */
static void expect_one_fail(const char *dir, const char *const needles[])
{
    char *out = NULL;
    int st = run_check(dir, &out);
    ck_assert_msg(st == 1, "exit %d, want 1:\n%s", st, out);
    ck_assert_msg(pubtest_count_lines(out, "FAIL ") == 1,
                  "want exactly one FAIL line:\n%s", out);
    const char *line = strstr(out, "\nFAIL ");
    ck_assert_ptr_nonnull(line);
    const char *end = strchr(line + 1, '\n');
    char *fl = strndup(line + 1, end ? (size_t)(end - line - 1) : strlen(line));
    for (const char *const *n = needles; *n; n++)
        ck_assert_msg(strstr(fl, *n) != NULL, "FAIL line lacks '%s':\n%s", *n,
                      out);
    ck_assert_msg(strstr(fl, "; fix: ") != NULL, "FAIL line has no fix: %s",
                  fl);
    free(fl);
    free(out);
}

#define EXPECT_ONE_FAIL(...)                                                   \
    do {                                                                       \
        static const char *const needles_[] = {__VA_ARGS__, NULL};             \
        expect_one_fail(app, needles_);                                        \
    } while (0)

static void path_in_app(char *p, size_t len, const char *rel)
{
    snprintf(p, len, "%s/%s", app, rel);
}

/* host.json's customHandler.description.defaultExecutablePath = rel. */
static void set_executable(const char *rel)
{
    struct json_object *h = pubtest_json_load(app, "host.json");
    json_object_object_add(
        json_object_object_get(json_object_object_get(h, "customHandler"),
                               "description"),
        "defaultExecutablePath", json_object_new_string(rel));
    pubtest_json_save(app, "host.json", h);
    json_object_put(h);
}

/* An executable script at rel in the app copy, made the handler. */
static void script_handler(const char *rel, const char *script)
{
    char p[PATH_MAX];
    path_in_app(p, sizeof p, rel);
    pubtest_write(p, script);
    chmod(p, 0755);
    set_executable(rel);
}

/* Change one member of one binding of a function.json copy. */
static void set_binding(const char *fn, const char *name, const char *key,
                        struct json_object *value)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s/function.json", fn);
    struct json_object *fj = pubtest_json_load(app, rel);
    struct json_object *b = pubtest_binding(fj, name);
    ck_assert_ptr_nonnull(b);
    if (value)
        json_object_object_add(b, key, value);
    else
        json_object_object_del(b, key);
    pubtest_json_save(app, rel, fj);
    json_object_put(fj);
}

START_TEST(test_check_passes_on_the_app)
{
    char *out = NULL;
    int st = run_check(app, &out);
    ck_assert_msg(st == 0, "exit %d:\n%s", st, out);
    ck_assert_uint_eq(pubtest_count_lines(out, "FAIL "), 0);
    ck_assert_uint_ge(pubtest_count_lines(out, "ok   "), 10);
    ck_assert_ptr_nonnull(strstr(out, "ok   host.json: valid JSON"));
    ck_assert_ptr_nonnull(strstr(out, "ok   function broadcast:"));
    /* The handler says what it serves, so folders and code are compared. */
    ck_assert_ptr_nonnull(strstr(out, "ok   handler: describes its functions"));
    ck_assert_ptr_nonnull(strstr(out, "ok   function broadcast: a httpTrigger "
                                      "'req', as the handler's code expects"));
    /* The executable's libraries are not the preflight's business. */
    ck_assert_ptr_null(strstr(out, "librar"));
    /* The URL clients will get, derived from the connection string. */
    ck_assert_ptr_nonnull(
        strstr(out, "clients will connect to http://localhost:8888/client/"
                    "?hub=notifications"));
    ck_assert_ptr_nonnull(strstr(out, "0 failed"));
    free(out);
}
END_TEST

START_TEST(test_check_host_json_not_json)
{
    char p[PATH_MAX];
    path_in_app(p, sizeof p, "host.json");
    pubtest_write(p, "{\"version\": \"2.0\",\n");
    EXPECT_ONE_FAIL("host.json: not valid JSON");
}
END_TEST

START_TEST(test_check_host_json_wrong_version)
{
    struct json_object *h = pubtest_json_load(app, "host.json");
    json_object_object_add(h, "version", json_object_new_string("1.0"));
    pubtest_json_save(app, "host.json", h);
    json_object_put(h);
    EXPECT_ONE_FAIL("host.json: version is '1.0'", "\"2.0\"");
}
END_TEST

START_TEST(test_check_host_json_no_extension_bundle)
{
    struct json_object *h = pubtest_json_load(app, "host.json");
    json_object_object_del(h, "extensionBundle");
    pubtest_json_save(app, "host.json", h);
    json_object_put(h);
    EXPECT_ONE_FAIL("no extensionBundle", "Microsoft.Azure.Functions."
                                          "ExtensionBundle");
}
END_TEST

START_TEST(test_check_host_json_forwarding_on)
{
    struct json_object *h = pubtest_json_load(app, "host.json");
    json_object_object_add(json_object_object_get(h, "customHandler"),
                           "enableForwardingHttpRequest",
                           json_object_new_boolean(1));
    pubtest_json_save(app, "host.json", h);
    json_object_put(h);
    EXPECT_ONE_FAIL("enableForwardingHttpRequest is true", "set it to false");
}
END_TEST

START_TEST(test_check_executable_missing)
{
    char p[PATH_MAX];
    path_in_app(p, sizeof p, "bin/handler");
    ck_assert_int_eq(unlink(p), 0);
    EXPECT_ONE_FAIL("'bin/handler' does not exist", "make publish");
    /* Nothing else executable to point at. */
    char *out = NULL;
    run_check(app, &out);
    ck_assert_ptr_null(strstr(out, "there is an executable"));
    free(out);
}
END_TEST

START_TEST(test_check_executable_without_exec_bit)
{
    char p[PATH_MAX];
    path_in_app(p, sizeof p, "bin/handler");
    ck_assert_int_eq(chmod(p, 0644), 0);
    EXPECT_ONE_FAIL("'bin/handler' is not executable (mode 0644)",
                    "chmod +x bin/handler");
}
END_TEST

START_TEST(test_check_wrong_default_executable_path)
{
    set_executable("handler");
    EXPECT_ONE_FAIL("'handler' does not exist",
                    "there is an executable at 'bin/handler'");
}
END_TEST

START_TEST(test_check_folder_without_code)
{
    char p[PATH_MAX], q[PATH_MAX];
    path_in_app(p, sizeof p, "chat");
    pubtest_mkdirs(p);
    path_in_app(p, sizeof p, "chat/function.json");
    path_in_app(q, sizeof q, "broadcast/function.json");
    pubtest_copy(q, p, 0644);
    EXPECT_ONE_FAIL("function chat: the handler has no code for it",
                    "POST /chat and get 404", "AZF_FUNCTION");
}
END_TEST

START_TEST(test_check_code_without_folder)
{
    char p[PATH_MAX];
    path_in_app(p, sizeof p, "groups");
    pubtest_rmtree(p);
    EXPECT_ONE_FAIL("function groups: the handler has code for it but there "
                    "is no groups/function.json");
}
END_TEST

/* The code finds its outputs and trigger by type, so names are the
 * function.json's own business: renaming them is no mistake. */
START_TEST(test_check_renamed_bindings_pass)
{
    char *out = NULL;
    set_binding("broadcast", "signalRMessages", "name",
                json_object_new_string("messages"));
    set_binding("onDisconnected", "invocation", "name",
                json_object_new_string("context"));
    ck_assert_int_eq(run_check(app, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "ok   function onDisconnected: a "
                                      "signalRTrigger 'context'"));
    free(out);
}
END_TEST

START_TEST(test_check_binding_without_direction)
{
    set_binding("broadcast", "signalRMessages", "direction", NULL);
    EXPECT_ONE_FAIL("function broadcast:",
                    "binding #3 lacks a name, type or direction");
}
END_TEST

START_TEST(test_check_signalr_binding_without_hub)
{
    set_binding("broadcast", "signalRMessages", "hubName", NULL);
    EXPECT_ONE_FAIL("function broadcast:",
                    "binding 'signalRMessages' has no hubName");
}
END_TEST

START_TEST(test_check_wrong_trigger_type)
{
    set_binding("statusUpdate", "myTimer", "type",
                json_object_new_string("httpTrigger"));
    EXPECT_ONE_FAIL("function statusUpdate:",
                    "binding 'myTimer' has type 'httpTrigger', the handler's "
                    "code is written for a timerTrigger");
}
END_TEST

/* The service's upstream call reaches sendMessage only when its trigger
 * names a category and an event. */
START_TEST(test_check_signalr_trigger_without_event)
{
    set_binding("sendMessage", "invocation", "event", NULL);
    EXPECT_ONE_FAIL("function sendMessage:",
                    "binding 'invocation' names no event");
}
END_TEST

START_TEST(test_check_signalr_trigger_wrong_category)
{
    set_binding("onConnected", "invocation", "category",
                json_object_new_string("connection"));
    EXPECT_ONE_FAIL("function onConnected:",
                    "has category 'connection': it must be 'messages' or "
                    "'connections'");
}
END_TEST

START_TEST(test_check_wrong_hub)
{
    set_binding("groups", "signalRGroupActions", "hubName",
                json_object_new_string("chat"));
    EXPECT_ONE_FAIL("function groups:", "hubName 'chat'",
                    "the app's other SignalR bindings use 'notifications'");
}
END_TEST

START_TEST(test_check_function_json_not_json)
{
    char p[PATH_MAX];
    path_in_app(p, sizeof p, "index/function.json");
    pubtest_write(p, "{\"bindings\": [}");
    EXPECT_ONE_FAIL("function index: index/function.json is not valid JSON");
}
END_TEST

START_TEST(test_check_wrong_worker_runtime)
{
    struct json_object *ls = pubtest_json_load(app, "local.settings.json");
    json_object_object_add(json_object_object_get(ls, "Values"),
                           "FUNCTIONS_WORKER_RUNTIME",
                           json_object_new_string("node"));
    pubtest_json_save(app, "local.settings.json", ls);
    json_object_put(ls);
    EXPECT_ONE_FAIL("FUNCTIONS_WORKER_RUNTIME is 'node'", "'custom'");
}
END_TEST

START_TEST(test_check_bad_connection_string)
{
    struct json_object *ls = pubtest_json_load(app, "local.settings.json");
    /* No scheme in the endpoint; the key is there and must not leak. */
    json_object_object_add(
        json_object_object_get(ls, "Values"), "AzureSignalRConnectionString",
        json_object_new_string("Endpoint=localhost;AccessKey=" PUBTEST_KEY
                               ";Version=1.0;"));
    pubtest_json_save(app, "local.settings.json", ls);
    json_object_put(ls);
    EXPECT_ONE_FAIL("local.settings.json: AzureSignalRConnectionString does "
                    "not parse",
                    "az signalr key list");
}
END_TEST

START_TEST(test_check_settings_from_the_environment)
{
    /* Without local.settings.json (as in Azure), the app settings are
     * environment variables. */
    char p[PATH_MAX], *out = NULL, *err = NULL;
    path_in_app(p, sizeof p, "local.settings.json");
    ck_assert_int_eq(unlink(p), 0);
    const char *argv[] = {checker_abs(), "--check", "--app", app, NULL};
    const char *good[] = {"AzureSignalRConnectionString=Endpoint=https://"
                          "x.service.signalr.net;AccessKey=" PUBTEST_KEY
                          ";Version=1.0;",
                          NULL};
    ck_assert_int_eq(pubtest_run(argv, good, RUN_MS, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "ok   environment: "
                                      "AzureSignalRConnectionString parses; "
                                      "clients will connect to https://"
                                      "x.service.signalr.net/client/"
                                      "?hub=notifications"));
    ck_assert_ptr_null(strstr(out, PUBTEST_KEY));
    free(out);
    free(err);
    const char *bad[] = {"AzureSignalRConnectionString=AccessKey=" PUBTEST_KEY,
                         NULL};
    ck_assert_int_eq(pubtest_run(argv, bad, RUN_MS, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(out, "FAIL environment: "
                                      "AzureSignalRConnectionString does not "
                                      "parse"));
    ck_assert_ptr_null(strstr(out, PUBTEST_KEY));
    free(out);
    free(err);
}
END_TEST

/* Any custom handler (Go, Rust, a script): it cannot say what it serves,
 * so the folders are checked alone. */
START_TEST(test_check_handler_that_does_not_describe_itself)
{
    char p[PATH_MAX], *out = NULL;
    script_handler("bin/other", "#!/bin/sh\necho not json\nexit 0\n");
    /* A folder with no code of ours is no mistake for such a handler. */
    path_in_app(p, sizeof p, "chat");
    pubtest_mkdirs(p);
    char q[PATH_MAX];
    path_in_app(p, sizeof p, "chat/function.json");
    path_in_app(q, sizeof q, "broadcast/function.json");
    pubtest_copy(q, p, 0644);
    int st = run_check(app, &out);
    ck_assert_msg(st == 0, "exit %d:\n%s", st, out);
    ck_assert_ptr_nonnull(strstr(out, "ok   handler: does not describe its "
                                      "functions"));
    ck_assert_ptr_nonnull(strstr(out, "ok   function chat: a httpTrigger "
                                      "'req'\n"));
    free(out);
}
END_TEST

/* A handler that answers --describe but leaves a process holding its
 * output: the preflight still ends in bounded time, and stops them all. */
START_TEST(test_check_describe_is_bounded)
{
    char *out = NULL;
    script_handler("bin/lingers",
                   "#!/bin/sh\nsleep 59.5 &\necho '{\"functions\":[]}'\n");
    run_check(app, &out); /* bounded by RUN_MS, or the test fails */
    ck_assert_ptr_nonnull(strstr(out, "ok   handler: does not describe"));
    free(out);
    /* The process it left was stopped with it. */
    ck_assert_int_ne(system("pgrep -f '^sleep 59.5$' >/dev/null"), 0);
}
END_TEST

START_TEST(test_check_app_root_from_environment_and_cwd)
{
    char *out = NULL, *err = NULL;
    char rootenv[PATH_MAX + 32];
    snprintf(rootenv, sizeof rootenv, "FUNCTIONS_APP_ROOT_PATH=%s", app);
    const char *argv[] = {checker_abs(), "--check", NULL};
    const char *env[] = {rootenv, NULL};
    ck_assert_int_eq(pubtest_run(argv, env, RUN_MS, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, app));
    free(out);
    free(err);
    /* No variable: the current directory, when it holds host.json. */
    const char *sh[] = {"/bin/sh", "-c", "cd \"$1\" && exec \"$2\" --check",
                        "sh",      app,  checker_abs(),
                        NULL};
    const char *noenv[] = {"FUNCTIONS_APP_ROOT_PATH=", NULL};
    ck_assert_int_eq(pubtest_run(sh, noenv, RUN_MS, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "0 failed"));
    free(out);
    free(err);
    /* Neither: a clear error, exit 1. */
    const char *sh2[] = {
        "/bin/sh", "-c",          "cd / && exec \"$1\" --check",
        "sh",      checker_abs(), NULL};
    ck_assert_int_eq(pubtest_run(sh2, noenv, RUN_MS, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "--app DIR"));
    free(out);
    free(err);
}
END_TEST

START_TEST(test_check_bad_arguments)
{
    char *out = NULL, *err = NULL;
    const char *argv[] = {checker_abs(), "--check", "--verbose", NULL};
    ck_assert_int_eq(pubtest_run(argv, NULL, RUN_MS, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "unexpected argument '--verbose'"));
    free(out);
    free(err);
    const char *nodir[] = {checker_abs(), "--check", "--app",
                           "/nonexistent/app", NULL};
    ck_assert_int_eq(pubtest_run(nodir, NULL, RUN_MS, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(out, "FAIL app folder /nonexistent/app"));
    free(out);
    free(err);
}
END_TEST

Suite *preflight_suite(void)
{
    Suite *s = suite_create("preflight");
    TCase *tc = tcase_create("check");
    tcase_add_checked_fixture(tc, app_setup, app_teardown);
    tcase_add_test(tc, test_check_passes_on_the_app);
    tcase_add_test(tc, test_check_host_json_not_json);
    tcase_add_test(tc, test_check_host_json_wrong_version);
    tcase_add_test(tc, test_check_host_json_no_extension_bundle);
    tcase_add_test(tc, test_check_host_json_forwarding_on);
    tcase_add_test(tc, test_check_executable_missing);
    tcase_add_test(tc, test_check_executable_without_exec_bit);
    tcase_add_test(tc, test_check_wrong_default_executable_path);
    tcase_add_test(tc, test_check_folder_without_code);
    tcase_add_test(tc, test_check_code_without_folder);
    tcase_add_test(tc, test_check_renamed_bindings_pass);
    tcase_add_test(tc, test_check_binding_without_direction);
    tcase_add_test(tc, test_check_signalr_binding_without_hub);
    tcase_add_test(tc, test_check_wrong_trigger_type);
    tcase_add_test(tc, test_check_signalr_trigger_without_event);
    tcase_add_test(tc, test_check_signalr_trigger_wrong_category);
    tcase_add_test(tc, test_check_wrong_hub);
    tcase_add_test(tc, test_check_function_json_not_json);
    tcase_add_test(tc, test_check_wrong_worker_runtime);
    tcase_add_test(tc, test_check_bad_connection_string);
    tcase_add_test(tc, test_check_settings_from_the_environment);
    tcase_add_test(tc, test_check_handler_that_does_not_describe_itself);
    tcase_add_test(tc, test_check_describe_is_bounded);
    tcase_add_test(tc, test_check_app_root_from_environment_and_cwd);
    tcase_add_test(tc, test_check_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}
