/*
 * check_runtime.c - the custom-handler runtime (src/azf) with functions of
 * its own, registered here, in a throw-away app folder whose function.json
 * files each test writes: every accessor of azf.h on the envelope the host
 * sends for its trigger (HTTP, timer, queue, Event Grid, SignalR), every
 * output, the one return convention, logs on stdout and in Logs, and what
 * happens when code and function.json disagree.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "azf/azf.h"
#include "azf/dispatch.h"
#include "runner.h"
#include "util/jsonx.h"

/* --- functions under test ------------------------------------------------ */

static azf_status echo_http(azf_inv *inv)
{
    size_t len = 0;
    const char *body = azf_body(inv, &len);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(azf_name(inv)));
    json_object_object_add(o, "method",
                           json_object_new_string(azf_method(inv)));
    json_object_object_add(o, "url", json_object_new_string(azf_url(inv)));
    json_object_object_add(o, "q", json_object_new_string(azf_query(inv, "q")));
    json_object_object_add(o, "id",
                           json_object_new_string(azf_param(inv, "id")));
    json_object_object_add(o, "h",
                           json_object_new_string(azf_header(inv, "X-TEST")));
    json_object_object_add(
        o, "body", body ? json_object_new_string_len(body, (int)len) : NULL);
    json_object_object_add(
        o, "setting", json_object_new_string(azf_setting(inv, "MY_SETTING")));
    json_object_object_add(o, "app", json_object_new_string(azf_app_data(inv)));
    json_object_object_add(o, "invocationId",
                           json_object_new_string(azf_invocation_id(inv)));
    azf_reply_header(inv, "X-Before", "1");
    azf_info(inv, "echo %s", azf_method(inv));
    azf_status st = azf_reply_json(inv, 201, o);
    azf_reply_header(inv, "X-After", "2");
    return st;
}
AZF_FUNCTION("echoHttp", AZF_HTTP, echo_http)

static azf_status strict_body(azf_inv *inv)
{
    static const char *const allowed[] = {"action", "n", NULL};
    const char *action = NULL;
    struct json_object *b = azf_body_object(inv, allowed);
    if (!b || !azf_field_string(inv, b, "action", &action))
        return AZF_DONE;
    return azf_reply_text(inv, 200, "text/plain", action ? action : "-",
                          action ? strlen(action) : 1);
}
AZF_FUNCTION("strictBody", AZF_HTTP, strict_body)

static azf_status queue_fn(azf_inv *inv)
{
    size_t len = 0;
    const char *text = azf_queue_text(inv, &len);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "text",
                           json_object_new_string_len(text, (int)len));
    json_object_object_add(o, "dequeueCount",
                           json_object_new_int64(azf_queue_dequeue_count(inv)));
    json_object_object_add(
        o, "id", json_object_new_string(azf_metadata_text(inv, "Id")));
    azf_output(inv, "outQueue", o);
    azf_output(inv, "outQueue", json_object_new_string("second"));
    azf_warn(inv, "dequeued %ld times", azf_queue_dequeue_count(inv));
    return AZF_DONE;
}
AZF_FUNCTION("queueFn", AZF_QUEUE, queue_fn)

static struct json_object *str_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static azf_status grid_fn(azf_inv *inv)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(azf_event_id(inv)));
    json_object_object_add(o, "type",
                           json_object_new_string(azf_event_type(inv)));
    json_object_object_add(o, "subject", str_or_null(azf_event_subject(inv)));
    json_object_object_add(o, "data", json_object_get(azf_event_data(inv)));
    azf_return(inv, o);
    return AZF_DONE;
}
AZF_FUNCTION("gridFn", AZF_EVENTGRID, grid_fn)

static azf_status signalr_fn(azf_inv *inv)
{
    static const char *const excluded[] = {"c2", "c3", NULL};
    struct json_object *args = json_object_new_array();
    json_object_array_add(args,
                          json_object_new_string(azf_signalr_caller(inv)));
    azf_send(inv, &(struct azf_message){.target = "t",
                                        .arguments = args,
                                        .group_name = "g",
                                        .excluded = excluded,
                                        .output = "toClients"});
    azf_group(inv, &(struct azf_group_action){
                       .action = "add",
                       .group_name = "g",
                       .connection_id = azf_signalr_connection_id(inv),
                       .output = "toClients"});
    azf_return(inv, json_object_get(azf_signalr_arguments(inv)));
    return AZF_DONE;
}
AZF_FUNCTION("signalrFn", AZF_SIGNALR, signalr_fn)

/* Reads both shapes of a SignalR invocation, whatever its category. */
static azf_status signalr_any(azf_inv *inv)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "event",
                           json_object_new_string(azf_signalr_event(inv)));
    json_object_object_add(
        o, "nargs",
        json_object_new_int64(
            (int64_t)json_object_array_length(azf_signalr_arguments(inv))));
    azf_return(inv, o);
    return AZF_DONE;
}
AZF_FUNCTION("onEvent", AZF_SIGNALR, signalr_any)

static azf_status timer_fails(azf_inv *inv)
{
    azf_info(inv, "before the failure");
    return azf_fail(inv, "the %s is down", "database");
}
AZF_FUNCTION("timerFails", AZF_TIMER, timer_fails)

static azf_status sends_without_output(azf_inv *inv)
{
    azf_broadcast(inv, "t", json_object_new_int(1));
    return azf_reply_text(inv, 200, "text/plain", "ok", 2);
}
AZF_FUNCTION("noSignalROutput", AZF_HTTP, sends_without_output)

static azf_status returns_http(azf_inv *inv)
{
    return azf_reply_error(inv, 404, "nothing at %s", azf_param(inv, "id"));
}
AZF_FUNCTION("returnsHttp", AZF_HTTP, returns_http)
AZF_FUNCTION("httpButTimer", AZF_HTTP, returns_http)

/* Enough of everything that the invocation's lists (headers, outputs,
 * items, decoded values) grow several times and its memory takes more than
 * one chunk; the query's tag says which call an answer comes from. */
static azf_status many(azf_inv *inv)
{
    static char big[20000];
    char name[16];
    const char *tag = azf_query(inv, "tag");
    for (int i = 0; i < 9; i++) {
        snprintf(name, sizeof name, "X-H%d", i);
        azf_reply_header(inv, name, tag);
    }
    azf_reply_header(inv, "X-H0", "again");
    for (int i = 0; i < 10; i++)
        azf_output(inv, "outQueue", i == 5 ? NULL : json_object_new_int(i));
    for (int i = 0; i < 6; i++)
        if (!azf_body_object(inv, NULL))
            return AZF_DONE;
    azf_info(inv, "%s", tag);
    memset(big, tag[0], sizeof big - 1);
    return azf_reply_text(inv, 200, "text/plain", big, sizeof big - 1);
}
AZF_FUNCTION("many", AZF_HTTP, many)

/* --- the app folder --------------------------------------------------------
 */

static char app[256];

static void write_fn(const char *name, const char *bindings)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", app, name);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/%s/function.json", app, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"bindings\": [%s]}", bindings);
    fclose(f);
}

#define HTTP_IN                                                                \
    "{\"type\":\"httpTrigger\",\"direction\":\"in\",\"name\":\"req\","         \
    "\"authLevel\":\"anonymous\"}"
#define HTTP_OUT "{\"type\":\"http\",\"direction\":\"out\",\"name\":\"res\"}"

static void app_setup(void)
{
    snprintf(app, sizeof app, "/tmp/azf-app-%d", (int)getpid());
    mkdir(app, 0755);
    write_fn("echoHttp", HTTP_IN "," HTTP_OUT);
    write_fn("strictBody", HTTP_IN "," HTTP_OUT);
    write_fn("queueFn",
             "{\"type\":\"queueTrigger\",\"direction\":\"in\",\"name\":"
             "\"order\",\"queueName\":\"orders\"},{\"type\":\"queue\","
             "\"direction\":\"out\",\"name\":\"outQueue\",\"queueName\":"
             "\"done\"}");
    write_fn("gridFn", "{\"type\":\"eventGridTrigger\",\"direction\":\"in\","
                       "\"name\":\"event\"}");
    write_fn("signalrFn",
             "{\"type\":\"signalRTrigger\",\"direction\":\"in\",\"name\":"
             "\"ctx\",\"hubName\":\"h\",\"category\":\"messages\",\"event\":"
             "\"m\"},{\"type\":\"signalR\",\"direction\":\"out\",\"name\":"
             "\"toClients\",\"hubName\":\"h\"},{\"type\":\"signalR\","
             "\"direction\":\"out\",\"name\":\"other\",\"hubName\":\"h\"}");
    write_fn("onEvent",
             "{\"type\":\"signalRTrigger\",\"direction\":\"in\",\"name\":"
             "\"ctx\",\"hubName\":\"h\",\"category\":\"connections\","
             "\"event\":\"connected\"}");
    write_fn("timerFails", "{\"type\":\"timerTrigger\",\"direction\":\"in\","
                           "\"name\":\"t\",\"schedule\":\"0 * * * * *\"}");
    write_fn("noSignalROutput", HTTP_IN "," HTTP_OUT);
    write_fn("returnsHttp",
             HTTP_IN ",{\"type\":\"http\",\"direction\":\"out\",\"name\":"
                     "\"$return\"}");
    write_fn("httpButTimer", "{\"type\":\"timerTrigger\",\"direction\":"
                             "\"in\",\"name\":\"t\"}");
    write_fn("many",
             HTTP_IN "," HTTP_OUT ",{\"type\":\"queue\",\"direction\":\"out\","
                     "\"name\":\"outQueue\",\"queueName\":\"done\"}");
    write_fn("noCode", HTTP_IN "," HTTP_OUT);
    write_fn("broken", "");
}

static void app_teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", app);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *setting(const char *name)
{
    return strcmp(name, "MY_SETTING") == 0 ? "on" : NULL;
}

/* POST /name with envelope text; returns the reply (parsed) and status. */
static struct json_object *call(const char *name, const char *envelope,
                                int *status)
{
    char err[256];
    static char data[] = "app-data";
    struct dispatch_config cfg = {
        .app_root = app, .app_data = data, .setting = setting};
    struct dispatcher *d = dispatcher_new(&cfg, err, sizeof err);
    ck_assert_msg(d != NULL, "%s", err);
    char *out = dispatch(d, name, envelope, strlen(envelope), "inv-1", status);
    dispatcher_free(d);
    struct json_object *r = json_tokener_parse(out);
    ck_assert_msg(r != NULL, "not JSON: %s", out);
    free(out);
    return r;
}

static struct json_object *at(struct json_object *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o;
         k = strtok_r(NULL, ".", &save))
        o = json_object_is_type(o, json_type_array)
                ? json_object_array_get_idx(o, (size_t)atoi(k))
                : json_object_object_get(o, k);
    return o;
}

static const char *str_at(struct json_object *o, const char *path)
{
    return json_object_get_string(at(o, path));
}

/* --- tests -----------------------------------------------------------------
 */

START_TEST(test_http_accessors_and_reply)
{
    int st = 0;
    struct json_object *r = call(
        "echoHttp",
        "{\"Data\":{\"req\":{\"Url\":\"http://localhost:7071/api/e?q=1\","
        "\"Method\":\"PUT\",\"Query\":{\"q\":\"1\"},\"Headers\":{\"X-Test\":"
        "[\"hv\",\"second\"]},\"Params\":{\"id\":\"42\"},\"Body\":\"b\\u00e9\"}"
        "},"
        "\"Metadata\":{}}",
        &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_object_get_int(at(r, "Outputs.res.statusCode")), 201);
    ck_assert_str_eq(str_at(r, "Outputs.res.headers.Content-Type"),
                     "application/json");
    /* Headers set before and after the reply both go out. */
    ck_assert_str_eq(str_at(r, "Outputs.res.headers.X-Before"), "1");
    ck_assert_str_eq(str_at(r, "Outputs.res.headers.X-After"), "2");
    struct json_object *b = json_tokener_parse(str_at(r, "Outputs.res.body"));
    ck_assert_str_eq(str_at(b, "name"), "echoHttp");
    ck_assert_str_eq(str_at(b, "method"), "PUT");
    ck_assert_str_eq(str_at(b, "url"), "http://localhost:7071/api/e?q=1");
    ck_assert_str_eq(str_at(b, "q"), "1");
    ck_assert_str_eq(str_at(b, "id"), "42");
    ck_assert_str_eq(str_at(b, "h"), "hv");
    ck_assert_str_eq(str_at(b, "body"), "b\xc3\xa9");
    ck_assert_str_eq(str_at(b, "setting"), "on");
    ck_assert_str_eq(str_at(b, "app"), "app-data");
    ck_assert_str_eq(str_at(b, "invocationId"), "inv-1");
    /* Logs: prefixed with the function's name. */
    ck_assert_str_eq(str_at(r, "Logs.0"), "echoHttp: echo PUT");
    ck_assert(json_object_object_get_ex(r, "ReturnValue", NULL));
    json_object_put(b);
    json_object_put(r);
}
END_TEST

START_TEST(test_body_object_answers_the_callers_mistakes)
{
    static const struct {
        const char *body; /* JSON text of Data.req.Body, or NULL */
        int status;
        const char *error;
    } cases[] = {
        {NULL, 400, "request body is required"},
        {"\"{\"", 400, "request body is not valid JSON"},
        {"\"[1]\"", 400, "request body must be a JSON object"},
        {"\"{\\\"other\\\":1}\"", 400, "unknown field 'other'"},
        {"\"{\\\"Action\\\":1}\"", 400,
         "unknown field 'Action': the key is 'action'"},
        {"\"{\\\"actionName\\\":1}\"", 400, "the key is 'action'"},
        {"\"{\\\"action\\\":1}\"", 400, "field 'action' must be a string"},
        {"\"{\\\"action\\\":\\\"a\\\\u0000b\\\"}\"", 400,
         "field 'action' must not contain NUL"},
        {"\"{\\\"action\\\":\\\"go\\\",\\\"n\\\":1}\"", 200, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char env[512];
        int st = 0;
        snprintf(env, sizeof env,
                 "{\"Data\":{\"req\":{\"Method\":\"POST\"%s%s}},"
                 "\"Metadata\":{}}",
                 cases[i].body ? ",\"Body\":" : "",
                 cases[i].body ? cases[i].body : "");
        struct json_object *r = call("strictBody", env, &st);
        ck_assert_int_eq(st, 200); /* the caller's mistake is an output */
        ck_assert_int_eq(json_object_get_int(at(r, "Outputs.res.statusCode")),
                         cases[i].status);
        if (cases[i].error)
            ck_assert_msg(strstr(str_at(r, "Outputs.res.body"), cases[i].error),
                          "case %zu: %s", i, str_at(r, "Outputs.res.body"));
        else
            ck_assert_str_eq(str_at(r, "Outputs.res.body"), "go");
        json_object_put(r);
    }
}
END_TEST

/* An envelope of tests/azf/envelopes/ as text. */
static char *envelope(const char *file)
{
    char p[256];
    snprintf(p, sizeof p, "tests/azf/envelopes/%s", file);
    char *t = runner_slurp(p, NULL);
    ck_assert_msg(t != NULL, "cannot read %s", p);
    return t;
}

START_TEST(test_invocations_in_a_row_keep_their_own_values)
{
    for (const char *tag = "a"; *tag <= 'b'; tag = *tag == 'a' ? "b" : "c") {
        char env[256];
        int st = 0;
        snprintf(env, sizeof env,
                 "{\"Data\":{\"req\":{\"Method\":\"POST\",\"Query\":{"
                 "\"tag\":\"%s\"},\"Body\":\"{\\\"k\\\":1}\"}},"
                 "\"Metadata\":{}}",
                 tag);
        struct json_object *r = call("many", env, &st);
        ck_assert_int_eq(st, 200);
        ck_assert_str_eq(str_at(r, "Outputs.res.headers.X-H0"), "again");
        ck_assert_str_eq(str_at(r, "Outputs.res.headers.X-H8"), tag);
        ck_assert_str_eq(str_at(r, "Outputs.res.headers.Content-Type"),
                         "text/plain");
        const char *body = str_at(r, "Outputs.res.body");
        ck_assert_uint_eq(strlen(body), 19999);
        ck_assert_uint_eq(strspn(body, tag), 19999);
        struct json_object *q = at(r, "Outputs.outQueue");
        ck_assert_uint_eq(json_object_array_length(q), 10);
        ck_assert_ptr_null(json_object_array_get_idx(q, 5));
        ck_assert_int_eq(json_object_get_int(json_object_array_get_idx(q, 9)),
                         9);
        ck_assert_uint_eq(json_object_array_length(at(r, "Logs")), 1);
        char line[16];
        snprintf(line, sizeof line, "many: %s", tag);
        ck_assert_str_eq(str_at(r, "Logs.0"), line);
        json_object_put(r);
    }
}
END_TEST

START_TEST(test_queue_trigger_and_named_output)
{
    int st = 0;
    char *env = envelope("queue-text.json");
    struct json_object *r = call("queueFn", env, &st);
    free(env);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str_at(r, "Outputs.outQueue.0.text"), "hello queue");
    ck_assert_int_eq(
        json_object_get_int(at(r, "Outputs.outQueue.0.dequeueCount")), 1);
    ck_assert_str_eq(str_at(r, "Outputs.outQueue.0.id"),
                     "3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b15");
    ck_assert_str_eq(str_at(r, "Outputs.outQueue.1"), "second");
    ck_assert_str_eq(str_at(r, "Logs.0"), "queueFn: dequeued 1 times");
    json_object_put(r);

    /* A JSON message: its JSON text. */
    env = envelope("queue-json.json");
    r = call("queueFn", env, &st);
    free(env);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str_at(r, "Outputs.outQueue.0.text"), "{\"orderId\":7}");
    ck_assert_int_eq(
        json_object_get_int(at(r, "Outputs.outQueue.0.dequeueCount")), 2);
    json_object_put(r);

    /* No message: the host could not have sent that. */
    r = call("queueFn", "{\"Data\":{},\"Metadata\":{}}", &st);
    ck_assert_int_eq(st, 400);
    ck_assert_str_eq(str_at(r, "error"),
                     "malformed invocation envelope: Data.order is missing");
    json_object_put(r);
}
END_TEST

START_TEST(test_event_grid_trigger_both_schemas)
{
    int st = 0;
    char *env = envelope("eventgrid-event.json");
    struct json_object *r = call("gridFn", env, &st);
    free(env);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str_at(r, "ReturnValue.id"), "1807");
    ck_assert_str_eq(str_at(r, "ReturnValue.type"), "Order.Created");
    ck_assert_str_eq(str_at(r, "ReturnValue.subject"), "orders/7");
    ck_assert_int_eq(json_object_get_int(at(r, "ReturnValue.data.orderId")), 7);
    json_object_put(r);

    env = envelope("eventgrid-cloudevent.json");
    r = call("gridFn", env, &st);
    free(env);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str_at(r, "ReturnValue.id"), "A234-1234");
    ck_assert_str_eq(str_at(r, "ReturnValue.type"), "Order.Created");
    ck_assert_ptr_null(at(r, "ReturnValue.subject"));
    ck_assert_int_eq(json_object_get_int(at(r, "ReturnValue.data.orderId")), 7);
    json_object_put(r);

    /* Not an event. */
    r = call("gridFn", "{\"Data\":{\"event\":\"\\\"x\\\"\"},\"Metadata\":{}}",
             &st);
    ck_assert_int_eq(st, 400);
    json_object_put(r);
}
END_TEST

START_TEST(test_signalr_trigger_messages_groups_and_return)
{
    int st = 0;
    struct json_object *r =
        call("signalrFn",
             "{\"Data\":{\"ctx\":{\"ConnectionId\":\"c1\",\"UserId\":\"alice\","
             "\"Hub\":\"h\",\"Category\":\"messages\",\"Event\":\"m\","
             "\"Arguments\":[\"x\",2]}},\"Metadata\":{}}",
             &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str_at(r, "Outputs.toClients.0.target"), "t");
    ck_assert_str_eq(str_at(r, "Outputs.toClients.0.arguments.0"), "alice");
    ck_assert_str_eq(str_at(r, "Outputs.toClients.0.groupName"), "g");
    ck_assert_str_eq(str_at(r, "Outputs.toClients.0.excluded.1"), "c3");
    ck_assert_str_eq(str_at(r, "Outputs.toClients.1.action"), "add");
    ck_assert_str_eq(str_at(r, "Outputs.toClients.1.connectionId"), "c1");
    ck_assert_ptr_null(at(r, "Outputs.other"));
    ck_assert_int_eq(json_object_get_int(at(r, "ReturnValue.1")), 2);
    json_object_put(r);
    /* A messages trigger without Arguments is not what the service sends. */
    r = call("signalrFn",
             "{\"Data\":{\"ctx\":{\"ConnectionId\":\"c1\"}},\"Metadata\":{}}",
             &st);
    ck_assert_int_eq(st, 400);
    ck_assert_str_eq(str_at(r, "error"),
                     "malformed invocation envelope: Data.ctx.Arguments is "
                     "missing or not an array");
    json_object_put(r);
}
END_TEST

/* Capture what dispatch writes on stdout while calling name. */
static char *stdout_of(const char *name, const char *env, int *st)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/azf-stdout-%d", (int)getpid());
    fflush(stdout);
    int saved = dup(1);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    close(fd);
    json_object_put(call(name, env, st));
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    char *text = runner_slurp(path, NULL);
    unlink(path);
    return text;
}

/* The accessors are total: a connection event has no arguments (an empty
 * list), a message no event (""), and neither crashes a function that
 * reads both. */
START_TEST(test_signalr_accessors_never_null)
{
    int st = 0;
    struct json_object *r =
        call("onEvent",
             "{\"Data\":{\"ctx\":{\"ConnectionId\":\"c1\",\"Event\":"
             "\"connected\"}},\"Metadata\":{}}",
             &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str_at(r, "ReturnValue.event"), "connected");
    ck_assert_int_eq(json_object_get_int(at(r, "ReturnValue.nargs")), 0);
    json_object_put(r);
    r = call("signalrFn",
             "{\"Data\":{\"ctx\":{\"ConnectionId\":\"c1\",\"Arguments\":"
             "[]}},\"Metadata\":{}}",
             &st);
    ck_assert_int_eq(st, 200);
    json_object_put(r);
}
END_TEST

START_TEST(test_failure_is_a_500_and_logs_survive_on_stdout)
{
    int st = 0;
    char *out = stdout_of("timerFails", "{\"Data\":{},\"Metadata\":{}}", &st);
    ck_assert_int_eq(st, 500);
    /* One line per log call with its level and the invocation id, then
     * the outcome. */
    ck_assert_ptr_nonnull(strstr(out, "\"level\":\"info\",\"function\":"
                                      "\"timerFails\",\"invocationId\":"
                                      "\"inv-1\",\"message\":\"before the "
                                      "failure\""));
    ck_assert_ptr_nonnull(strstr(out, "\"level\":\"error\",\"function\":"
                                      "\"timerFails\",\"invocationId\":"
                                      "\"inv-1\",\"message\":\"failed: the "
                                      "database is down\""));
    ck_assert_ptr_nonnull(strstr(out, "\"status\":500"));
    free(out);
    struct json_object *r =
        call("timerFails", "{\"Data\":{},\"Metadata\":{}}", &st);
    ck_assert_str_eq(str_at(r, "error"), "the database is down");
    json_object_put(r);
}
END_TEST

START_TEST(test_code_and_function_json_disagree)
{
    int st = 0;
    /* Sending to SignalR without a signalR output fails the invocation,
     * naming the cause; the reply it set is not sent. */
    struct json_object *r =
        call("noSignalROutput", "{\"Data\":{\"req\":{}},\"Metadata\":{}}", &st);
    ck_assert_int_eq(st, 500);
    ck_assert_str_eq(str_at(r, "error"),
                     "no signalR output binding (function.json of "
                     "noSignalROutput)");
    json_object_put(r);
    /* Written for an HTTP trigger, declared with a timer. */
    r = call("httpButTimer", "{\"Data\":{},\"Metadata\":{}}", &st);
    ck_assert_int_eq(st, 500);
    ck_assert_ptr_nonnull(strstr(str_at(r, "error"), "written for a "
                                                     "httpTrigger but "
                                                     "function.json declares "
                                                     "a timerTrigger"));
    json_object_put(r);
    /* A folder without code, code without a folder, an unknown name. */
    const char *names[] = {"noCode", "nowhere", "x/../echoHttp"};
    for (size_t i = 0; i < 3; i++) {
        r = call(names[i], "{\"Data\":{},\"Metadata\":{}}", &st);
        ck_assert_int_eq(st, 404);
        json_object_put(r);
    }
    /* A function.json that is not JSON: the function answers why. */
    r = call("broken", "{}", &st);
    ck_assert_int_eq(st, 404); /* no code registered under that name */
    json_object_put(r);
}
END_TEST

START_TEST(test_http_return_binding_and_case_insensitive_names)
{
    int st = 0;
    struct json_object *r =
        call("RETURNSHTTP",
             "{\"Data\":{\"req\":{\"Params\":{\"id\":\"7\"}}},\"Metadata\":{}}",
             &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_object_get_int(at(r, "ReturnValue.statusCode")), 404);
    ck_assert_str_eq(str_at(r, "ReturnValue.body"),
                     "{\"error\":\"nothing at 7\"}");
    ck_assert_ptr_null(at(r, "Outputs.res"));
    ck_assert_str_eq(str_at(r, "Logs.0"), "returnsHttp: 404 nothing at 7");
    json_object_put(r);
}
END_TEST

Suite *runtime_suite(void)
{
    Suite *s = suite_create("runtime");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, app_setup, app_teardown);
    tcase_add_test(tc, test_http_accessors_and_reply);
    tcase_add_test(tc, test_body_object_answers_the_callers_mistakes);
    tcase_add_test(tc, test_invocations_in_a_row_keep_their_own_values);
    tcase_add_test(tc, test_queue_trigger_and_named_output);
    tcase_add_test(tc, test_event_grid_trigger_both_schemas);
    tcase_add_test(tc, test_signalr_trigger_messages_groups_and_return);
    tcase_add_test(tc, test_signalr_accessors_never_null);
    tcase_add_test(tc, test_failure_is_a_500_and_logs_survive_on_stdout);
    tcase_add_test(tc, test_code_and_function_json_disagree);
    tcase_add_test(tc, test_http_return_binding_and_case_insensitive_names);
    suite_add_tcase(s, tc);
    return s;
}

Suite *envelope_suite(void);

RUNNER_MAIN(runtime_suite, envelope_suite)
