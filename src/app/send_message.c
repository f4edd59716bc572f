/*
 * send_message.c - the chat: a client's connection.invoke("sendMessage",
 * text) reaches this function through the service's upstream and its
 * signalRTrigger (category messages, event sendMessage, parameterNames
 * ["message"]).
 *
 * It broadcasts newMessage {from, message, at} to everyone (from: the
 * caller's user id, else its connection id; at: ISO-8601 UTC) and returns
 * {"ok": true, "at": at}, which the extension sends back to the caller as
 * the invocation's result. A message that is not a string, is empty (or
 * only blanks), holds a NUL or is over APP_MESSAGE_MAX bytes fails the
 * invocation: the caller's invoke() gets an error and nothing is sent.
 */
#include "app.h"

#include <string.h>

#include "util/banned.h"

static azf_status send_message(azf_inv *inv)
{
    struct json_object *args = azf_signalr_arguments(inv);
    if (json_object_array_length(args) != 1)
        return azf_fail(inv,
                        "sendMessage takes one argument, the message text "
                        "(got %zu)",
                        json_object_array_length(args));
    struct json_object *m = json_object_array_get_idx(args, 0);
    if (!m || !json_object_is_type(m, json_type_string))
        return azf_fail(inv, "the message must be a string");
    const char *text = json_object_get_string(m);
    size_t len = (size_t)json_object_get_string_len(m);
    if (strlen(text) != len)
        return azf_fail(inv, "the message must not contain NUL");
    if (len > APP_MESSAGE_MAX)
        return azf_fail(inv,
                        "the message is %zu bytes, over the %d byte "
                        "limit",
                        len, APP_MESSAGE_MAX);
    if (strspn(text, " \t\r\n") == len)
        return azf_fail(inv, "the message is empty");

    char at[32];
    const char *from = azf_signalr_caller(inv);
    app_iso_time(azf_now(inv), at, sizeof at);
    struct json_object *payload = json_object_new_object();
    json_object_object_add(payload, "from", json_object_new_string(from));
    json_object_object_add(payload, "message", json_object_get(m));
    json_object_object_add(payload, "at", json_object_new_string(at));
    azf_broadcast(inv, "newMessage", payload);

    struct json_object *ack = json_object_new_object();
    json_object_object_add(ack, "ok", json_object_new_boolean(1));
    json_object_object_add(ack, "at", json_object_new_string(at));
    azf_return(inv, ack);
    azf_info(inv, "%zu-byte message from %s broadcast as newMessage", len,
             from);
    return AZF_DONE;
}

AZF_FUNCTION("sendMessage", AZF_SIGNALR, send_message)
