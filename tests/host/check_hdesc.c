/* check_hdesc.c - the handler's description and the host's command line
 * (HttpWorkerOptionsSetup, HttpWorkerDescription, DefaultWorkerProcessFactory,
 * .NET's command-line split on Unix). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/hdesc.h"
#include "host_test.h"
#include "runner.h"
#include "util/buf.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char *fake_env(void *ctx, const char *name)
{
    (void)ctx;
    if (!strcmp(name, "PORT"))
        return "7777";
    if (!strcmp(name, "HOME_DIR"))
        return "/home/me";
    if (!strcmp(name, "EMPTY"))
        return "";
    return NULL;
}

/* Load host.json text for an app rooted at root. */
static int load(const char *text, const char *root, struct hdesc *d, char *err,
                size_t errlen)
{
    struct json_object *j = json_tokener_parse(text);
    ck_assert_ptr_nonnull(j);
    int rc = hdesc_load(j, root, d, err, errlen);
    json_object_put(j);
    return rc;
}

/* A vector as one string, "|"-separated. */
static char *join(char **v)
{
    struct buf b;
    buf_init(&b, (size_t)-1);
    for (size_t i = 0; v[i]; i++) {
        if (i)
            buf_puts(&b, "|");
        buf_puts(&b, v[i]);
    }
    hdesc_free_argv(v);
    return buf_take(&b, NULL);
}

/* The arguments as one string. */
static char *joined(const struct hdesc *d)
{
    return join(hdesc_arguments(d, fake_env, NULL));
}

START_TEST(test_hdesc_the_host_sample_http_worker)
{
    struct hdesc d;
    char err[256];
    ck_assert_int_eq(
        load("{\"version\":\"2.0\",\"httpWorker\":{\"description\":"
             "{\"defaultExecutablePath\":\"node\","
             "\"defaultWorkerPath\":\"server.js\"}}}",
             "/app", &d, err, sizeof err),
        0);
    ck_assert_int_eq(d.section, HDESC_HTTP_WORKER);
    ck_assert_int_eq(d.both_sections, 0);
    ck_assert_int_eq(d.forwarding, 0);
    ck_assert_str_eq(d.exe, "node");
    ck_assert_str_eq(d.workdir, "/app");
    ck_assert_str_eq(d.worker_dir, "/app");
    char *a = joined(&d);
    ck_assert_str_eq(a, "server.js");
    free(a);
    /* no file /app/node: a program on PATH */
    char *exe = hdesc_executable(&d, d.exe, fake_env, NULL);
    ck_assert_str_eq(exe, "node");
    free(exe);
    hdesc_release(&d);
}
END_TEST

START_TEST(test_hdesc_custom_handler_wins_and_forwards)
{
    struct hdesc d;
    char err[256];
    ck_assert_int_eq(
        load("{\"httpWorker\":{\"description\":{\"defaultExecutablePath\":"
             "\"old\"}},\"CUSTOMHANDLER\":{\"enableForwardingHttpRequest\":"
             "\"True\",\"description\":{\"defaultExecutablePath\":\"new\","
             "\"arguments\":[\"server.js\"],\"workingDirectory\":\"w\","
             "\"workerDirectory\":\"/abs\"}}}",
             "/app", &d, err, sizeof err),
        0);
    ck_assert_int_eq(d.section, HDESC_CUSTOM_HANDLER);
    ck_assert_int_eq(d.both_sections, 1);
    ck_assert_int_eq(d.forwarding, 1);
    ck_assert_str_eq(d.exe, "new");
    ck_assert_str_eq(d.workdir, "/app/w");
    ck_assert_str_eq(d.worker_dir, "/abs");
    hdesc_release(&d);
}
END_TEST

START_TEST(test_hdesc_command_line_as_the_host_builds_it)
{
    struct hdesc d;
    char err[256];
    ck_assert_int_eq(
        load("{\"customHandler\":{\"description\":{\"defaultExecutablePath\":"
             "\"dotnet\",\"defaultWorkerPath\":\"my app/run.dll\","
             "\"arguments\":[\"--xTest1 --xTest2\",\"--port=%PORT%\"],"
             "\"workerArguments\":[\"--x %UNSET% y\",\"%HOME_DIR%/a\","
             "\"100%\"]}}}",
             "/app", &d, err, sizeof err),
        0);
    char *a = joined(&d);
    /* arguments split at blanks, the worker path quoted (one argument),
     * %VAR% expanded, an unresolved %...% removed */
    ck_assert_str_eq(a, "--xTest1|--xTest2|--port=7777|my app/run.dll|--x|y|"
                        "/home/me/a|100%");
    free(a);
    hdesc_release(&d);
}
END_TEST

START_TEST(test_hdesc_split_like_dotnet)
{
    static const struct {
        const char *line;
        const char *want; /* "|"-joined */
    } cases[] = {
        {"  a   b\tc ", "a|b|c"},
        {"\"a b\" c", "a b|c"},
        {"a\"b c\"d", "ab cd"},
        {"\"a \"\"quoted\"\" b\"", "a \"quoted\" b"},
        {"a\\\\b", "a\\\\b"},
        {"a\\\"b", "a\"b"},
        {"a\\\\\"b c\"", "a\\b c"},
        {"\"\"", ""},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        char *got = join(hdesc_split(cases[i].line, &n));
        if (!cases[i].want)
            ck_assert_uint_eq(n, 0);
        else
            ck_assert_msg(!strcmp(got, cases[i].want), "[%s] -> [%s]",
                          cases[i].line, got);
        free(got);
    }
}
END_TEST

START_TEST(test_hdesc_expand_like_dotnet)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"%PORT%", "7777"},     {"a%PORT%b%PORT%", "a7777b7777"},
        {"%UNSET%", "%UNSET%"}, {"%UNSET%PORT%", "%UNSET7777"},
        {"50%", "50%"},         {"%EMPTY%x", "x"},
        {"%%PORT%", "%7777"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *x = hdesc_expand(cases[i].in, fake_env, NULL);
        ck_assert_msg(!strcmp(x, cases[i].out), "%s -> %s", cases[i].in, x);
        free(x);
    }
}
END_TEST

START_TEST(test_hdesc_executable_in_the_worker_directory)
{
    struct hdesc d;
    char err[256], host[512];
    char *dir = runner_tmpdir("host-hdesc");
    ht_write(dir, "bin/handler", "#!/bin/sh\n");
    snprintf(host, sizeof host,
             "{\"customHandler\":{\"description\":{\"defaultExecutablePath\":"
             "\"handler\",\"workerDirectory\":\"bin\"}}}");
    ck_assert_int_eq(load(host, dir, &d, err, sizeof err), 0);
    char *exe = hdesc_executable(&d, d.exe, fake_env, NULL);
    char *want = xasprintf("%s/bin/handler", dir);
    ck_assert_str_eq(exe, want);
    free(exe);
    free(want);
    hdesc_release(&d);
    runner_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_hdesc_refuses_what_the_host_refuses)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{}", "host.json: customHandler: missing"},
        {"{\"httpWorker\":{\"invalid\":{}}}",
         "host.json: httpWorker.description: missing (Missing worker "
         "Description.)"},
        {"{\"httpWorker\":{\"description\":{\"langauge\":\"x\"}}}",
         "WorkerDescription DefaultExecutablePath cannot be empty"},
        {"{\"customHandler\":{\"description\":{\"defaultExecutablePath\":"
         "\"x\",\"workerArguments\":\"a\"}}}",
         "customHandler.description.workerArguments: must be an array"},
        {"{\"customHandler\":{\"description\":{\"defaultExecutablePath\":"
         "\"x\",\"workerArguments\":[\"a\",1]}}}",
         "customHandler.description.workerArguments[1]: must be a string"},
        {"{\"customHandler\":{\"enableForwardingHttpRequest\":1,"
         "\"description\":{\"defaultExecutablePath\":\"x\"}}}",
         "customHandler.enableForwardingHttpRequest: must be true or false"},
        {"{\"customHandler\":{\"description\":{\"defaultExecutablePath\":"
         "\"x\",\"defaultWorkerPath\":[]}}}",
         "customHandler.description.defaultWorkerPath: must be a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hdesc d;
        char err[256] = "";
        ck_assert_int_eq(load(cases[i].json, "/app", &d, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].want) != NULL, "%s: %s",
                      cases[i].json, err);
    }
}
END_TEST

Suite *hdesc_suite(void)
{
    Suite *s = suite_create("hdesc");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_hdesc_the_host_sample_http_worker);
    tcase_add_test(tc, test_hdesc_custom_handler_wins_and_forwards);
    tcase_add_test(tc, test_hdesc_command_line_as_the_host_builds_it);
    tcase_add_test(tc, test_hdesc_split_like_dotnet);
    tcase_add_test(tc, test_hdesc_expand_like_dotnet);
    tcase_add_test(tc, test_hdesc_executable_in_the_worker_directory);
    tcase_add_test(tc, test_hdesc_refuses_what_the_host_refuses);
    suite_add_tcase(s, tc);
    return s;
}
