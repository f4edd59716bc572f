/*
 * fn_send_message.c - the chat: a client's connection.invoke("sendMessage",
 * text) reaches this function through the service's upstream and the
 * signalRTrigger binding "invocation" (category messages, event
 * sendMessage, parameterNames ["message"]).
 *
 * It broadcasts newMessage {from, message, at} to everyone through the
 * signalRMessages output (from: the caller's user id, else its connection
 * id; at: ISO-8601 UTC) and returns {"ok": true, "at": at} as ReturnValue,
 * which the extension sends back to the caller as the invocation's result.
 * A message that is not a string, is empty (or only blanks), holds a NUL or
 * is over FN_MESSAGE_MAX bytes fails the invocation (fn.h: FN_FAILED): the
 * caller's invoke() gets an error and nothing is broadcast.
 */
#include "fn.h"

#include <stdio.h>
#include <string.h>

#include "proto/invoke.h"
#include "util/jsonx.h"
#include "util/banned.h"

int fn_send_message(struct fn_ctx *ctx, struct json_object *env,
                    struct json_object *resp)
{
    static const char fname[] = "sendMessage";
    struct json_object *ic = NULL;
    const char *from = NULL;
    if (fn_invocation_context(ctx, env, &ic, &from) < 0)
        return -1;
    struct json_object *args = jsonx_get_ci(ic, "Arguments");
    if (!args || !json_object_is_type(args, json_type_array)) {
        snprintf(ctx->err, sizeof ctx->err,
                 "Data.invocation.Arguments is missing or not an array");
        return -1;
    }
    if (json_object_array_length(args) != 1)
        return fn_fail_invocation(ctx, resp, fname,
                                  "sendMessage takes one argument, the "
                                  "message text (got %zu)",
                                  json_object_array_length(args));
    struct json_object *m = json_object_array_get_idx(args, 0);
    if (!m || !json_object_is_type(m, json_type_string))
        return fn_fail_invocation(ctx, resp, fname,
                                  "the message must be a string");
    const char *text = json_object_get_string(m);
    size_t len = (size_t)json_object_get_string_len(m);
    if (strlen(text) != len)
        return fn_fail_invocation(ctx, resp, fname,
                                  "the message must not contain NUL");
    if (len > FN_MESSAGE_MAX)
        return fn_fail_invocation(ctx, resp, fname,
                                  "the message is %zu bytes, over the %d "
                                  "byte limit",
                                  len, FN_MESSAGE_MAX);
    if (strspn(text, " \t\r\n") == len)
        return fn_fail_invocation(ctx, resp, fname,
                                  "the message is empty");

    char at[32];
    fn_iso_time(ctx->now, at, sizeof at);
    struct json_object *payload = json_object_new_object();
    json_object_object_add(payload, "from", json_object_new_string(from));
    json_object_object_add(payload, "message", json_object_get(m));
    json_object_object_add(payload, "at", json_object_new_string(at));
    struct json_object *margs = json_object_new_array();
    json_object_array_add(margs, payload);
    struct json_object *msg = json_object_new_object();
    json_object_object_add(msg, "target", json_object_new_string("newMessage"));
    json_object_object_add(msg, "arguments", margs);
    struct json_object *list = json_object_new_array();
    json_object_array_add(list, msg);
    invoke_resp_set_output(resp, "signalRMessages", list);

    struct json_object *ack = json_object_new_object();
    json_object_object_add(ack, "ok", json_object_new_boolean(1));
    json_object_object_add(ack, "at", json_object_new_string(at));
    json_object_object_add(resp, "ReturnValue", ack);
    invoke_resp_log(resp, "%s: %zu-byte message from %s broadcast as "
                          "newMessage",
                    fname, len, from);
    return 0;
}
