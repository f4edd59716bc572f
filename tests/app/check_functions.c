/*
 * check_functions.c - the app's functions through the runtime's dispatch
 * step (their function.json files read as the handler reads them), no
 * sockets: every vector of tests/vectors, then the table of caller
 * mistakes in
 * tests/fixtures/handler/bad-input.json.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "app/app.h"
#include "app/app_test.h"
#include "azf/dispatch.h"
#include "runner.h"
#include "util/jsonx.h"

#define CONNSTR                                                                \
    "Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWX"   \
    "YZ0123456789ABCDEFGH;Version=1.0;"

/* A throw-away app folder: the repository's function folders (linked) and
 * a www/ of its own. */
static char *app;
static char www[300];

static void make_www(void)
{
    char p[1024], cmd[1024];
    app = runner_tmpdir("fn-app");
    snprintf(www, sizeof www, "%s/www", app);
    snprintf(cmd, sizeof cmd,
             "for f in */function.json; do ln -s \"$PWD/${f%%/*}\" '%s/'; "
             "done",
             app);
    ck_assert_int_eq(system(cmd), 0);
    mkdir(www, 0755);
    snprintf(p, sizeof p, "%s/lib", www);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/index.html", www);
    FILE *f = fopen(p, "w");
    fputs("<!doctype html><title>t</title>", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/lib/app.js", www);
    f = fopen(p, "w");
    fputs("console.log(1);", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/secret.html", www);
    symlink("/etc/hostname", p);
}

static void drop_www(void)
{
    runner_rmtree(app);
    free(app);
}

/* POST /fn with the envelope text to the throw-away app, as the handler
 * serves it, with connstr as the connection string setting. */
static char *app_dispatch(struct stats *st, const char *connstr, const char *fn,
                          const char *text, size_t len, const char *id,
                          int *status)
{
    return app_test_dispatch(app, st, connstr, fn, text, len, id, status);
}

/* Run function fn on envelope env; returns the parsed reply. */
static struct json_object *run(struct stats *st, const char *fn,
                               struct json_object *env, int *status)
{
    const char *text = jsonx_compact(env);
    char *out =
        app_dispatch(st, CONNSTR, fn, text, strlen(text), "test-id", status);
    struct json_object *r = json_tokener_parse(out);
    free(out);
    ck_assert_ptr_nonnull(r);
    return r;
}

static struct json_object *path(struct json_object *o, const char *a,
                                const char *b, const char *c)
{
    struct json_object *v = o;
    if (a)
        v = json_object_object_get(v, a);
    if (b)
        v = json_object_object_get(v, b);
    if (c)
        v = json_object_object_get(v, c);
    return v;
}

static void assert_logs_are_strings(struct json_object *r)
{
    struct json_object *logs = json_object_object_get(r, "Logs");
    ck_assert(json_object_is_type(logs, json_type_array));
    ck_assert_uint_ge(json_object_array_length(logs), 1);
    for (size_t i = 0; i < json_object_array_length(logs); i++)
        ck_assert(json_object_is_type(json_object_array_get_idx(logs, i),
                                      json_type_string));
    ck_assert(json_object_object_get_ex(r, "ReturnValue", NULL));
    ck_assert_ptr_null(json_object_object_get(r, "ReturnValue"));
}

START_TEST(test_fn_negotiate_vector)
{
    struct stats *st = stats_new();
    struct json_object *req = runner_vector("negotiate-request.json");
    struct json_object *exp = runner_vector("negotiate-expected-response.json");
    int status = 0;
    struct json_object *r =
        run(st, "negotiate", json_object_object_get(req, "body"), &status);
    ck_assert_int_eq(status, 200);
    ck_assert(json_object_equal(path(r, "Outputs", NULL, NULL),
                                path(exp, "body", "Outputs", NULL)));
    assert_logs_are_strings(r);
    ck_assert_int_eq(stats_negotiations_recent(st, time(NULL)), 1);
    json_object_put(r);
    json_object_put(req);
    json_object_put(exp);
    stats_free(st);
}
END_TEST

START_TEST(test_fn_user_negotiate_needs_the_principal_header)
{
    struct stats *st = stats_new();
    struct json_object *req = runner_vector("negotiate-request.json");
    struct json_object *env = json_object_object_get(req, "body");
    struct json_object *hdrs = path(env, "Data", "req", "Headers");
    int status = 0;
    struct json_object *r = run(st, "userNegotiate", env, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_int_eq(
        json_object_get_int(path(r, "Outputs", "res", "statusCode")), 401);
    json_object_put(r);
    struct json_object *arr = json_object_new_array();
    json_object_array_add(arr, json_object_new_string("alice"));
    json_object_object_add(hdrs, "X-MS-CLIENT-PRINCIPAL-ID", arr);
    r = run(st, "userNegotiate", env, &status);
    ck_assert_int_eq(
        json_object_get_int(path(r, "Outputs", "res", "statusCode")), 200);
    json_object_put(r);
    json_object_put(req);
    stats_free(st);
}
END_TEST

START_TEST(test_fn_negotiate_without_binding_is_a_500_res)
{
    struct stats *st = stats_new();
    struct json_object *req = runner_vector("negotiate-request.json");
    struct json_object *env = json_object_object_get(req, "body");
    json_object_object_del(json_object_object_get(env, "Data"),
                           "connectionInfo");
    int status = 0;
    struct json_object *r = run(st, "negotiate", env, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_int_eq(
        json_object_get_int(path(r, "Outputs", "res", "statusCode")), 500);
    ck_assert_int_eq(stats_negotiations_recent(st, time(NULL)), 0);
    json_object_put(r);
    json_object_put(req);
    stats_free(st);
}
END_TEST

START_TEST(test_fn_broadcast_vector)
{
    struct stats *st = stats_new();
    struct json_object *req = runner_vector("broadcast-request.json");
    struct json_object *exp = runner_vector("broadcast-expected-response.json");
    int status = 0;
    struct json_object *r =
        run(st, "broadcast", json_object_object_get(req, "body"), &status);
    ck_assert_int_eq(status, 200);
    ck_assert(
        json_object_equal(path(r, "Outputs", "signalRMessages", NULL),
                          path(exp, "body", "Outputs", "signalRMessages")));
    struct json_object *res = path(r, "Outputs", "res", NULL);
    struct json_object *eres = path(exp, "body", "Outputs", "res");
    ck_assert(json_object_equal(json_object_object_get(res, "statusCode"),
                                json_object_object_get(eres, "statusCode")));
    ck_assert(json_object_equal(json_object_object_get(res, "headers"),
                                json_object_object_get(eres, "headers")));
    struct json_object *body = json_tokener_parse(
        json_object_get_string(json_object_object_get(res, "body")));
    ck_assert(json_object_get_boolean(json_object_object_get(body, "sent")));
    json_object_put(body);
    assert_logs_are_strings(r);
    json_object_put(r);
    json_object_put(req);
    json_object_put(exp);
    stats_free(st);
}
END_TEST

/* Body JSON in, the signalRMessages item out. */
static struct json_object *broadcast_item(const char *bodytext)
{
    struct stats *st = stats_new();
    struct json_object *req = runner_vector("broadcast-request.json");
    struct json_object *env = json_object_object_get(req, "body");
    json_object_object_add(path(env, "Data", "req", NULL), "Body",
                           json_object_new_string(bodytext));
    int status = 0;
    struct json_object *r = run(st, "broadcast", env, &status);
    struct json_object *item = json_object_get(json_object_array_get_idx(
        path(r, "Outputs", "signalRMessages", NULL), 0));
    json_object_put(r);
    json_object_put(req);
    stats_free(st);
    return item;
}

START_TEST(test_fn_broadcast_recipients_and_any_json_message)
{
    struct json_object *i =
        broadcast_item("{\"message\":{\"a\":[1,null,true]},\"target\":\"t\","
                       "\"userId\":\"u1\"}");
    ck_assert_str_eq(jsonx_compact(i),
                     "{\"target\":\"t\",\"arguments\":[{\"a\":"
                     "[1,null,true]}],\"userId\":\"u1\"}");
    json_object_put(i);
    i = broadcast_item("{\"message\":null,\"groupName\":\"ops\"}");
    ck_assert_str_eq(jsonx_compact(i),
                     "{\"target\":\"newNotification\",\"arguments\":[null],"
                     "\"groupName\":\"ops\"}");
    json_object_put(i);
    i = broadcast_item("{\"message\":42,\"connectionId\":\"c1\"}");
    ck_assert_str_eq(jsonx_compact(i),
                     "{\"target\":\"newNotification\",\"arguments\":[42],"
                     "\"connectionId\":\"c1\"}");
    json_object_put(i);
}
END_TEST

START_TEST(test_fn_groups_actions)
{
    struct stats *st = stats_new();
    struct json_object *req = runner_vector("broadcast-request.json");
    struct json_object *env = json_object_object_get(req, "body");
    struct {
        const char *body, *item;
    } cases[] = {
        {"{\"action\":\"add\",\"groupName\":\"ops\",\"userId\":\"u\"}",
         "{\"action\":\"add\",\"groupName\":\"ops\",\"userId\":\"u\"}"},
        {"{\"action\":\"Remove\",\"groupName\":\"ops\",\"connectionId\":\"c\"}",
         "{\"action\":\"remove\",\"groupName\":\"ops\",\"connectionId\":"
         "\"c\"}"},
        {"{\"action\":\"removeAll\",\"userId\":\"u\"}",
         "{\"action\":\"removeAll\",\"userId\":\"u\"}"},
    };
    for (size_t k = 0; k < 3; k++) {
        json_object_object_add(path(env, "Data", "req", NULL), "Body",
                               json_object_new_string(cases[k].body));
        int status = 0;
        struct json_object *r = run(st, "groups", env, &status);
        ck_assert_int_eq(status, 200);
        ck_assert_int_eq(
            json_object_get_int(path(r, "Outputs", "res", "statusCode")), 200);
        ck_assert_str_eq(
            jsonx_compact(json_object_array_get_idx(
                path(r, "Outputs", "signalRGroupActions", NULL), 0)),
            cases[k].item);
        json_object_put(r);
    }
    json_object_put(req);
    stats_free(st);
}
END_TEST

START_TEST(test_fn_status_update_vector_and_honest_values)
{
    struct stats *st = stats_new();
    struct json_object *req = runner_vector("timer-request.json");
    struct json_object *exp = runner_vector("timer-expected-response.json");
    struct json_object *env = json_object_object_get(req, "body");
    stats_negotiation(st, time(NULL));
    stats_negotiation(st, time(NULL));
    int status = 0;
    struct json_object *r = run(st, "statusUpdate", env, &status);
    ck_assert_int_eq(status, 200);
    struct json_object *msgs = path(r, "Outputs", "signalRMessages", NULL);
    struct json_object *emsgs = path(exp, "body", "Outputs", "signalRMessages");
    ck_assert_uint_eq(json_object_array_length(msgs), 1);
    struct json_object *m = json_object_array_get_idx(msgs, 0);
    struct json_object *em = json_object_array_get_idx(emsgs, 0);
    ck_assert_str_eq(jsonx_str(m, "target"), jsonx_str(em, "target"));
    struct json_object *arg =
        json_object_array_get_idx(json_object_object_get(m, "arguments"), 0);
    struct json_object *earg =
        json_object_array_get_idx(json_object_object_get(em, "arguments"), 0);
    /* Same keys and types as the vector; values are this instance's. */
    json_object_object_foreach(earg, key, val)
    {
        struct json_object *got = json_object_object_get(arg, key);
        ck_assert_msg(got != NULL, "missing %s", key);
        ck_assert_int_eq(json_object_get_type(got), json_object_get_type(val));
    }
    ck_assert_int_eq(json_object_object_length(arg), 3);
    regex_t re;
    regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
            REG_EXTENDED | REG_NOSUB);
    ck_assert_int_eq(regexec(&re, jsonx_str(arg, "timestamp"), 0, NULL, 0), 0);
    regfree(&re);
    ck_assert_int_eq(
        json_object_get_int(json_object_object_get(arg, "activeUsers")), 2);
    /* www/index.html exists and the connection string parses. */
    ck_assert(json_object_get_boolean(
        json_object_object_get(arg, "servicesHealthy")));
    ck_assert_ptr_null(path(r, "Outputs", "res", NULL));
    assert_logs_are_strings(r);
    json_object_put(r);
    json_object_put(req);
    json_object_put(exp);
    stats_free(st);
}
END_TEST

START_TEST(test_fn_status_update_reports_a_failed_self_check)
{
    struct stats *st = stats_new();
    struct json_object *req = runner_vector("timer-request.json");
    const char *text = jsonx_compact(json_object_object_get(req, "body"));
    int status = 0;
    char *out = app_dispatch(st, "Endpoint=nope", "statusUpdate", text,
                             strlen(text), NULL, &status);
    struct json_object *r = json_tokener_parse(out);
    struct json_object *arg = json_object_array_get_idx(
        json_object_object_get(
            json_object_array_get_idx(
                path(r, "Outputs", "signalRMessages", NULL), 0),
            "arguments"),
        0);
    ck_assert(!json_object_get_boolean(
        json_object_object_get(arg, "servicesHealthy")));
    ck_assert_ptr_nonnull(strstr(out, "self-check failed"));
    free(out);
    json_object_put(r);
    json_object_put(req);
    stats_free(st);
}
END_TEST

static struct json_object *index_env(const char *file)
{
    struct json_object *req = runner_vector("broadcast-request.json");
    struct json_object *env =
        json_object_get(json_object_object_get(req, "body"));
    struct json_object *r = path(env, "Data", "req", NULL);
    json_object_object_del(r, "Body");
    json_object_object_add(r, "Method", json_object_new_string("GET"));
    struct json_object *params = json_object_new_object();
    if (file)
        json_object_object_add(params, "file", json_object_new_string(file));
    else
        json_object_object_add(params, "file", NULL);
    json_object_object_add(r, "Params", params);
    json_object_put(req);
    return env;
}

START_TEST(test_fn_index_serves_files_with_types)
{
    struct stats *st = stats_new();
    const char *files[] = {NULL, "index.html", "lib/app.js"};
    const char *types[] = {"text/html; charset=utf-8",
                           "text/html; charset=utf-8",
                           "text/javascript; charset=utf-8"};
    for (size_t k = 0; k < 3; k++) {
        struct json_object *env = index_env(files[k]);
        int status = 0;
        struct json_object *r = run(st, "index", env, &status);
        struct json_object *res = path(r, "Outputs", "res", NULL);
        ck_assert_int_eq(
            json_object_get_int(json_object_object_get(res, "statusCode")),
            200);
        ck_assert_str_eq(
            jsonx_str(json_object_object_get(res, "headers"), "Content-Type"),
            types[k]);
        ck_assert_ptr_nonnull(jsonx_str(res, "body"));
        json_object_put(r);
        json_object_put(env);
    }
    /* A symbolic link out of www/ is not followed. */
    struct json_object *env = index_env("secret.html");
    int status = 0;
    struct json_object *r = run(st, "index", env, &status);
    ck_assert_int_eq(
        json_object_get_int(path(r, "Outputs", "res", "statusCode")), 404);
    json_object_put(r);
    json_object_put(env);
    stats_free(st);
}
END_TEST

START_TEST(test_fn_bad_input_table)
{
    char p[512];
    snprintf(p, sizeof p, "tests/fixtures/handler/bad-input.json");
    struct json_object *root = json_object_from_file(p);
    ck_assert_ptr_nonnull(root);
    struct json_object *cases = json_object_object_get(root, "cases");
    size_t n = json_object_array_length(cases);
    ck_assert_uint_ge(n, 40);
    struct stats *st = stats_new();
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(cases, i);
        const char *fn = jsonx_str(c, "function");
        struct json_object *env = index_env(jsonx_str(c, "file"));
        struct json_object *body = json_object_object_get(c, "body");
        if (body)
            json_object_object_add(path(env, "Data", "req", NULL), "Body",
                                   json_object_get(body));
        int status = 0;
        struct json_object *r = run(st, fn, env, &status);
        ck_assert_msg(status == 200, "case %zu: transport %d", i, status);
        struct json_object *res = path(r, "Outputs", "res", NULL);
        int code =
            json_object_get_int(json_object_object_get(res, "statusCode"));
        int want = json_object_get_int(json_object_object_get(c, "status"));
        ck_assert_msg(code == want, "case %zu (%s): got %d want %d", i, fn,
                      code, want);
        struct json_object *eb = json_tokener_parse(jsonx_str(res, "body"));
        const char *err = jsonx_str(eb, "error");
        ck_assert_msg(err && strstr(err, jsonx_str(c, "error")),
                      "case %zu: error '%s' lacks '%s'", i,
                      err ? err : "(none)", jsonx_str(c, "error"));
        ck_assert_msg(path(r, "Outputs", "signalRMessages", NULL) == NULL &&
                          path(r, "Outputs", "signalRGroupActions", NULL) ==
                              NULL,
                      "case %zu produced a SignalR output", i);
        /* The error also reaches Logs (they survive a 200 transport). */
        ck_assert_ptr_nonnull(
            strstr(jsonx_compact(json_object_object_get(r, "Logs")),
                   jsonx_str(c, "error")));
        json_object_put(eb);
        json_object_put(r);
        json_object_put(env);
    }
    stats_free(st);
    json_object_put(root);
}
END_TEST

START_TEST(test_fn_malformed_envelopes_and_unknown_functions)
{
    struct stats *st = stats_new();
    struct {
        const char *fn, *body;
        int status;
    } cases[] = {
        {"nosuch", "{}", 404},
        {"broadcast", "", 400},
        {"broadcast", "not json", 400},
        {"broadcast", "[]", 400},
        {"broadcast", "{\"Metadata\":{}}", 400},
        {"broadcast", "{\"Data\":[]}", 400},
        {"broadcast", "{\"Data\":{}}", 400},
        {"broadcast", "{\"Data\":{\"req\":\"x\"}}", 400},
        {"statusUpdate", "{\"Data\":{\"myTimer\":5}}", 400},
        {"negotiate", "{\"Data\":{\"req\":{}}} trailing", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = 0;
        char *out = app_dispatch(st, CONNSTR, cases[i].fn, cases[i].body,
                                 strlen(cases[i].body), NULL, &status);
        ck_assert_msg(status == cases[i].status, "case %zu: %d", i, status);
        struct json_object *r = json_tokener_parse(out);
        ck_assert_msg(jsonx_str(r, "error") != NULL, "case %zu: %s", i, out);
        json_object_put(r);
        free(out);
    }
    stats_free(st);
}
END_TEST

/* The envelope func-local (and the extension) sends for a signalRTrigger:
 * Data.invocation is the InvocationContext object, Metadata maps
 * parameterNames (tests/host/check_sigtrigger.c checks that shape). */
static struct json_object *trigger_env(const char *event, const char *user,
                                       const char *args_json)
{
    char text[8192];
    snprintf(text, sizeof text,
             "{\"Data\":{\"invocation\":{\"Arguments\":%s,\"Error\":null,"
             "\"Category\":\"%s\",\"Event\":\"%s\",\"Hub\":\"notifications\","
             "\"ConnectionId\":\"conn-1\",\"UserId\":%s%s%s,\"Headers\":{},"
             "\"Query\":{\"hub\":\"notifications\"},\"Claims\":null}},"
             "\"Metadata\":{\"sys\":{\"MethodName\":\"x\"}}}",
             args_json,
             strcmp(event, "sendMessage") ? "connections" : "messages", event,
             user ? "\"" : "", user ? user : "null", user ? "\"" : "");
    struct json_object *env = json_tokener_parse(text);
    ck_assert_msg(env != NULL, "bad envelope %s", text);
    return env;
}

START_TEST(test_fn_send_message_broadcasts_and_acknowledges)
{
    struct stats *st = stats_new();
    struct json_object *env = trigger_env("sendMessage", NULL, "[\"hi all\"]");
    int status = 0;
    struct json_object *r = run(st, "sendMessage", env, &status);
    ck_assert_int_eq(status, 200);
    struct json_object *msgs = path(r, "Outputs", "signalRMessages", NULL);
    ck_assert_int_eq(json_object_array_length(msgs), 1);
    struct json_object *m = json_object_array_get_idx(msgs, 0);
    ck_assert_str_eq(jsonx_str(m, "target"), "newMessage");
    struct json_object *args = json_object_object_get(m, "arguments");
    ck_assert_int_eq(json_object_array_length(args), 1);
    struct json_object *a = json_object_array_get_idx(args, 0);
    ck_assert_str_eq(jsonx_str(a, "from"), "conn-1");
    ck_assert_str_eq(jsonx_str(a, "message"), "hi all");
    regex_t re;
    ck_assert_int_eq(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                             "[0-9]{2}Z$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    ck_assert_int_eq(regexec(&re, jsonx_str(a, "at"), 0, NULL, 0), 0);
    regfree(&re);
    struct json_object *ack = json_object_object_get(r, "ReturnValue");
    ck_assert(json_object_get_boolean(json_object_object_get(ack, "ok")));
    ck_assert_str_eq(jsonx_str(ack, "at"), jsonx_str(a, "at"));
    ck_assert_ptr_null(
        json_object_object_get(json_object_object_get(r, "Outputs"), "res"));
    json_object_put(r);
    json_object_put(env);
    /* A signed-in caller is named by its user id. */
    env = trigger_env("sendMessage", "alice", "[\"from alice\"]");
    r = run(st, "sendMessage", env, &status);
    a = json_object_array_get_idx(
        json_object_object_get(
            json_object_array_get_idx(
                path(r, "Outputs", "signalRMessages", NULL), 0),
            "arguments"),
        0);
    ck_assert_str_eq(jsonx_str(a, "from"), "alice");
    json_object_put(r);
    json_object_put(env);
    stats_free(st);
}
END_TEST

START_TEST(test_fn_send_message_bad_messages_fail_the_invocation)
{
    struct stats *st = stats_new();
    char big[APP_MESSAGE_MAX + 8];
    memset(big, 'x', sizeof big);
    big[0] = '[';
    big[1] = '"';
    big[APP_MESSAGE_MAX + 3] = '"';
    big[APP_MESSAGE_MAX + 4] = ']';
    big[APP_MESSAGE_MAX + 5] = '\0';
    struct {
        const char *args, *why;
    } cases[] = {
        {"[42]", "must be a string"},
        {"[{\"text\":\"x\"}]", "must be a string"},
        {"[null]", "must be a string"},
        {"[\"\"]", "empty"},
        {"[\" \\t\\n \"]", "empty"},
        {"[\"a\\u0000b\"]", "NUL"},
        {"[]", "one argument"},
        {"[\"a\",\"b\"]", "one argument"},
        {big, "over the 2000 byte limit"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct json_object *env =
            trigger_env("sendMessage", NULL, cases[i].args);
        int status = 0;
        const char *text = jsonx_compact(env);
        char *out = app_dispatch(st, CONNSTR, "sendMessage", text, strlen(text),
                                 "id", &status);
        /* A non-2xx reply fails the invocation in the host: no output is
         * written, the caller gets a Completion error. */
        ck_assert_msg(status == 500, "case %zu: %d %s", i, status, out);
        struct json_object *r = json_tokener_parse(out);
        ck_assert_msg(strstr(jsonx_str(r, "error"), cases[i].why),
                      "case %zu: %s", i, out);
        ck_assert_ptr_null(json_object_object_get(r, "Outputs"));
        json_object_put(r);
        free(out);
        json_object_put(env);
    }
    /* Exactly APP_MESSAGE_MAX bytes is fine. */
    big[APP_MESSAGE_MAX + 2] = '"';
    big[APP_MESSAGE_MAX + 3] = ']';
    big[APP_MESSAGE_MAX + 4] = '\0';
    struct json_object *env = trigger_env("sendMessage", NULL, big);
    int status = 0;
    struct json_object *r = run(st, "sendMessage", env, &status);
    ck_assert_int_eq(status, 200);
    json_object_put(r);
    json_object_put(env);
    stats_free(st);
}
END_TEST

START_TEST(test_fn_presence_events)
{
    struct stats *st = stats_new();
    static const char *const events[] = {"connected", "disconnected"};
    static const char *const fns[] = {"onConnected", "onDisconnected"};
    for (int i = 0; i < 2; i++) {
        for (int u = 0; u < 2; u++) {
            struct json_object *env =
                trigger_env(events[i], u ? "bob" : NULL, "null");
            int status = 0;
            struct json_object *r = run(st, fns[i], env, &status);
            ck_assert_int_eq(status, 200);
            struct json_object *m = json_object_array_get_idx(
                path(r, "Outputs", "signalRMessages", NULL), 0);
            ck_assert_str_eq(jsonx_str(m, "target"), "presence");
            struct json_object *p = json_object_array_get_idx(
                json_object_object_get(m, "arguments"), 0);
            ck_assert_str_eq(jsonx_str(p, "connectionId"), "conn-1");
            ck_assert_str_eq(jsonx_str(p, "event"), events[i]);
            ck_assert(json_object_object_get_ex(p, "userId", NULL));
            if (u)
                ck_assert_str_eq(jsonx_str(p, "userId"), "bob");
            else
                ck_assert_ptr_null(json_object_object_get(p, "userId"));
            ck_assert_ptr_null(json_object_object_get(r, "ReturnValue"));
            json_object_put(r);
            json_object_put(env);
        }
    }
    stats_free(st);
}
END_TEST

START_TEST(test_fn_trigger_envelopes_the_host_never_sends)
{
    struct stats *st = stats_new();
    struct {
        const char *fn, *body;
    } cases[] = {
        {"sendMessage", "{\"Data\":{}}"},
        {"sendMessage", "{\"Data\":{\"invocation\":\"x\"}}"},
        {"sendMessage", "{\"Data\":{\"invocation\":{\"Arguments\":[\"a\"]}}}"},
        {"sendMessage", "{\"Data\":{\"invocation\":{\"ConnectionId\":\"c\","
                        "\"Arguments\":\"a\"}}}"},
        {"onConnected", "{\"Data\":{\"invocation\":{\"ConnectionId\":\"c\"}}}"},
        {"onDisconnected", "{\"Data\":{\"invocation\":{\"ConnectionId\":\"c\","
                           "\"Event\":\"other\"}}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = 0;
        char *out = app_dispatch(st, CONNSTR, cases[i].fn, cases[i].body,
                                 strlen(cases[i].body), NULL, &status);
        ck_assert_msg(status == 400, "case %zu: %d", i, status);
        ck_assert_msg(strstr(out, "Data.invocation"), "case %zu: %s", i, out);
        free(out);
    }
    stats_free(st);
}
END_TEST

Suite *fn_suite(void)
{
    Suite *s = suite_create("fn");
    TCase *tc = tcase_create("vectors");
    tcase_add_checked_fixture(tc, make_www, drop_www);
    tcase_add_test(tc, test_fn_negotiate_vector);
    tcase_add_test(tc, test_fn_user_negotiate_needs_the_principal_header);
    tcase_add_test(tc, test_fn_negotiate_without_binding_is_a_500_res);
    tcase_add_test(tc, test_fn_broadcast_vector);
    tcase_add_test(tc, test_fn_broadcast_recipients_and_any_json_message);
    tcase_add_test(tc, test_fn_groups_actions);
    tcase_add_test(tc, test_fn_status_update_vector_and_honest_values);
    tcase_add_test(tc, test_fn_status_update_reports_a_failed_self_check);
    tcase_add_test(tc, test_fn_index_serves_files_with_types);
    tcase_add_test(tc, test_fn_send_message_broadcasts_and_acknowledges);
    tcase_add_test(tc, test_fn_presence_events);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad input");
    tcase_add_checked_fixture(tc, make_www, drop_www);
    tcase_add_test(tc, test_fn_bad_input_table);
    tcase_add_test(tc, test_fn_malformed_envelopes_and_unknown_functions);
    tcase_add_test(tc, test_fn_send_message_bad_messages_fail_the_invocation);
    tcase_add_test(tc, test_fn_trigger_envelopes_the_host_never_sends);
    suite_add_tcase(s, tc);
    return s;
}
