#!/usr/bin/env bash
# make function NAME=<name> TRIGGER=<http|timer|queue|signalr>: a new
# function of this app, in the two places a function lives:
#   <name>/function.json       its trigger and bindings (what the host reads)
#   src/app/<name>.c           its code, registered under <name>
#   tests/app/check_<name>.c   its test, run by `make test`
# Each file has a small working body; nothing else needs editing (the
# Makefile finds sources by pattern, the function registers itself).
# Refuses a name that is not a valid function name or that exists.
set -euo pipefail
cd "$(dirname "$0")/.."

name=${1:-}
trigger=${2:-}
die() { echo "make function: $*" >&2; exit 2; }

[ -n "$name" ] || die "usage: make function NAME=<name> TRIGGER=<http|timer|queue|signalr>"
# The host's rule for function names: a letter, then letters, digits, _ or
# -, at most 128 characters.
[[ $name =~ ^[A-Za-z][A-Za-z0-9_-]{0,127}$ ]] \
  || die "'$name' is not a valid function name: start with a letter, then letters, digits, '_' or '-' (at most 128)"
case "$trigger" in
  http|timer|queue|signalr) ;;
  *) die "TRIGGER must be http, timer, queue or signalr (got '${trigger}')" ;;
esac
# A C identifier and file name for it.
id=$(printf '%s' "$name" | tr -- '-' '_')
for fj in */function.json; do
  d=${fj%/function.json}
  [ "${d,,}" != "${name,,}" ] \
    || die "a function named '$d' exists already ($d/function.json)"
done
[ ! -e "$name" ] || die "'$name' exists already"
for f in "src/app/$id.c" "tests/app/check_$id.c"; do
  [ ! -e "$f" ] || die "$f exists already"
done
# The hub this app's SignalR bindings use.
hub=$(sed -n 's/.*"hubName": *"\([^"]*\)".*/\1/p' */function.json 2>/dev/null | head -1)
hub=${hub:-notifications}

mkdir "$name"
case "$trigger" in
http)
  kind=AZF_HTTP
  cat > "$name/function.json" <<JSON
{
  "bindings": [
    {
      "type": "httpTrigger",
      "direction": "in",
      "name": "req",
      "authLevel": "function",
      "methods": ["get", "post"]
    },
    {
      "type": "http",
      "direction": "out",
      "name": "res"
    }
  ]
}
JSON
  body='    /* GET /api/@NAME@?name=Ada or POST {"name": "Ada"} */
    static const char *const fields[] = {"name", NULL};
    const char *who = azf_query(inv, "name");
    if (!who && azf_body(inv, NULL)) {
        struct json_object *body = azf_body_object(inv, fields);
        if (!body || !azf_field_string(inv, body, "name", &who))
            return AZF_DONE; /* answered with a 400 naming the problem */
    }
    if (!who)
        who = "world";
    struct json_object *reply = json_object_new_object();
    json_object_object_add(reply, "hello", json_object_new_string(who));
    azf_info(inv, "greeted %s", who);
    return azf_reply_json(inv, 200, reply);'
  envelope='{"Data":{"req":{"Url":"http://localhost:7071/api/@NAME@?name=Ada","Method":"GET","Query":{"name":"Ada"},"Headers":{},"Params":{}}},"Metadata":{}}'
  checks='    ck_assert_int_eq(json_object_get_int(json_object_object_get(
                         json_object_object_get(
                             json_object_object_get(r, "Outputs"), "res"),
                         "statusCode")),
                     200);'
  ;;
timer)
  kind=AZF_TIMER
  cat > "$name/function.json" <<JSON
{
  "bindings": [
    {
      "type": "timerTrigger",
      "direction": "in",
      "name": "myTimer",
      "schedule": "0 */5 * * * *"
    }
  ]
}
JSON
  body='    /* Every 5 minutes (function.json: schedule, six fields, UTC). */
    struct json_object *late = json_object_object_get(azf_trigger(inv),
                                                      "IsPastDue");
    if (json_object_get_boolean(late))
        azf_warn(inv, "running late");
    azf_info(inv, "tick at %lld", (long long)azf_now(inv));
    return AZF_DONE;'
  envelope='{"Data":{"myTimer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"@NAME@"}}}'
  checks='    ck_assert(json_object_is_type(json_object_object_get(r, "Logs"),
                                  json_type_array));'
  ;;
queue)
  kind=AZF_QUEUE
  # A storage queue name: 3-63 of a-z, 0-9 and single hyphens inside.
  queue=$(printf '%s' "${name,,}" | tr '_' '-' | tr -s '-' | sed 's/^-*//; s/-*$//')
  queue="${queue:0:57}"
  queue="${queue%-}-items"
  cat > "$name/function.json" <<JSON
{
  "bindings": [
    {
      "type": "queueTrigger",
      "direction": "in",
      "name": "message",
      "queueName": "$queue",
      "connection": "AzureWebJobsStorage"
    }
  ]
}
JSON
  body='    /* A message on the storage queue named in function.json. */
    size_t len = 0;
    const char *text = azf_queue_text(inv, &len);
    if (azf_queue_dequeue_count(inv) > 3)
        azf_warn(inv, "dequeued %ld times", azf_queue_dequeue_count(inv));
    azf_info(inv, "got %zu bytes: %.*s", len, (int)(len > 80 ? 80 : len),
             text);
    return AZF_DONE;'
  envelope='{"Data":{"message":"\"hello\""},"Metadata":{"DequeueCount":"1","Id":"\"1\"","sys":{"MethodName":"@NAME@"}}}'
  checks='    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
                         json_object_object_get(r, "Logs"), 0)),
                     "@NAME@: got 5 bytes: hello");'
  ;;
signalr)
  kind=AZF_SIGNALR
  cat > "$name/function.json" <<JSON
{
  "bindings": [
    {
      "type": "signalRTrigger",
      "direction": "in",
      "name": "invocation",
      "hubName": "$hub",
      "category": "messages",
      "event": "$name",
      "connectionStringSetting": "AzureSignalRConnectionString"
    },
    {
      "type": "signalR",
      "direction": "out",
      "name": "signalRMessages",
      "hubName": "$hub",
      "connectionStringSetting": "AzureSignalRConnectionString"
    }
  ]
}
JSON
  body='    /* A client'"'"'s connection.invoke("@NAME@", ...): tell everyone, and
     * answer the caller with its arguments. */
    struct json_object *args = azf_signalr_arguments(inv);
    azf_broadcast(inv, "@NAME@", json_object_new_string(azf_signalr_caller(inv)));
    azf_return(inv, json_object_get(args));
    azf_info(inv, "%zu arguments from %s", json_object_array_length(args),
             azf_signalr_caller(inv));
    return AZF_DONE;'
  envelope='{"Data":{"invocation":{"ConnectionId":"c1","UserId":"","Hub":"@HUB@","Category":"messages","Event":"@NAME@","Arguments":["hi"]}},"Metadata":{}}'
  checks='    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
                         json_object_object_get(r, "ReturnValue"), 0)),
                     "hi");'
  ;;
esac

# Placeholders no function name can hold ('@' is not allowed in one).
fill() {
  local h=${hub//\\/\\\\}
  h=${h//&/\\&}
  h=${h//\//\\/}
  sed -e "s/@HUB@/$h/g" -e "s/@NAME@/$name/g"
}
body=$(printf '%s\n' "$body" | fill)
checks=$(printf '%s\n' "$checks" | fill)
# The envelope as a C string literal.
cenv=$(printf '%s' "$envelope" | fill | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')

cat > "src/app/$id.c" <<C
/*
 * $id.c - the $name function ($trigger trigger; see $name/function.json).
 */
#include "app.h"

#include "util/banned.h"

static azf_status fn_$id(azf_inv *inv)
{
$body
}

AZF_FUNCTION("$name", $kind, fn_$id)
C

cat > "tests/app/check_$id.c" <<C
/* check_$id.c - the $name function, called as the host calls it. */
#include <check.h>
#include <json-c/json.h>

#include "app/app_test.h"

START_TEST(test_fn_${id}_answers)
{
    int status = 0;
    struct json_object *r = app_test_call("$name", "$cenv", &status);
    ck_assert_int_eq(status, 200);
$checks
    json_object_put(r);
}
END_TEST

static TCase *fn_${id}_case(void)
{
    TCase *tc = tcase_create("$name");
    tcase_add_test(tc, test_fn_${id}_answers);
    return tc;
}
APP_TEST_CASE(fn_${id}_case)
C

echo "make function: created $name/function.json, src/app/$id.c, tests/app/check_$id.c ($trigger trigger)"
echo "make function: build and test with: make && make check"
