/*
 * azf.h - write Azure Functions in C: the custom-handler runtime's API for
 * function authors. This header is all a function needs.
 *
 * A function is a folder holding function.json (its trigger and bindings,
 * read by the Functions host and, at start, by this runtime) and one C
 * file that registers it by the folder's name:
 *
 *     #include "azf/azf.h"
 *
 *     static azf_status hello(azf_inv *inv)
 *     {
 *         const char *who = azf_query(inv, "name");
 *         azf_info(inv, "greeting %s", who ? who : "nobody");
 *         return azf_reply_text(inv, 200, "text/plain", "hello", 5);
 *     }
 *     AZF_FUNCTION("hello", AZF_HTTP, hello)
 *
 * The runtime (server, envelope, dispatch) calls the function once per
 * invocation with an opaque handle; the function reads its trigger and
 * inputs through accessors and writes its outputs through the calls below.
 * Binding names live only in function.json: "the HTTP reply" is the
 * function's `http` output, "SignalR messages" go to its `signalR` output,
 * whatever they are named.
 *
 * Ownership, for the whole API: every pointer the API returns is borrowed
 * from the invocation and valid until the function returns; every
 * json_object passed to the API is taken (the invocation owns it).
 *
 * Functions run concurrently, on several worker threads: the app's own
 * state (azf_app_data) must be safe to share; everything reached through
 * the invocation belongs to the calling thread alone.
 *
 * One return convention: a function returns AZF_DONE when its outputs are
 * written (a caller's mistake answered with a 4xx reply is DONE) or
 * AZF_FAILED when the invocation itself fails (azf_fail): the host then
 * writes no output and fails the invocation (an HTTP caller gets 500; a
 * SignalR caller's invoke() gets an error; a queue message is retried).
 * Calls that answer for the function (azf_reply_*, azf_fail) return the
 * status to return, so a function can `return azf_reply_error(...)`.
 * Checks that may answer a caller's mistake (azf_body_object,
 * azf_field_string) return NULL/false after answering with a 4xx naming
 * the problem; the function then returns AZF_DONE.
 *
 * Logs: azf_info/azf_warn/azf_error lines are prefixed with the function's
 * name, go to the invocation's Logs (shown by the host, and in Application
 * Insights) and, with their level and the invocation id, to stdout, which
 * the host also logs, so they survive a failed invocation.
 */
#ifndef AZF_AZF_H
#define AZF_AZF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

typedef struct azf_inv azf_inv;

typedef enum azf_status {
    AZF_DONE = 0,   /* outputs written; the reply carries them */
    AZF_FAILED = 1, /* the invocation failed (see azf_fail) */
} azf_status;

/* The trigger a function's code is written for. The runtime checks it
 * against function.json at start and the envelope before each call, so a
 * function never sees an envelope of another shape. */
typedef enum azf_kind {
    AZF_HTTP,      /* httpTrigger */
    AZF_TIMER,     /* timerTrigger */
    AZF_SIGNALR,   /* signalRTrigger (messages or connections) */
    AZF_QUEUE,     /* queueTrigger (Azure Storage queues) */
    AZF_EVENTGRID, /* eventGridTrigger */
} azf_kind;

typedef azf_status (*azf_fn)(azf_inv *inv);

/* Register fn as the function `name` (its folder's name: a string that
 * lives as long as the program) for trigger kind, from the function's own
 * C file; only before the program serves (AZF_FUNCTION runs before main).
 * One C function may be registered under several names. */
#define AZF_FUNCTION(name, kind, fn)                                           \
    __attribute__((constructor)) static void AZF_CAT(azf_reg_, __LINE__)(void) \
    {                                                                          \
        azf_register(name, kind, fn);                                          \
    }
#define AZF_CAT(a, b) AZF_CAT2(a, b)
#define AZF_CAT2(a, b) a##b
void azf_register(const char *name, azf_kind kind, azf_fn fn);

/* --- the invocation ------------------------------------------------------ */

const char *azf_name(azf_inv *inv);          /* the function's name */
const char *azf_invocation_id(azf_inv *inv); /* "" when the host sent none */
time_t azf_now(azf_inv *inv);                /* invocation time, UTC */
/* An app setting (in Azure and locally: the process environment), or
 * NULL. */
const char *azf_setting(azf_inv *inv, const char *name);
/* The app folder (host.json's folder), no trailing slash. */
const char *azf_app_root(azf_inv *inv);
/* The app's own state, as given to azf_main (NULL if none). */
void *azf_app_data(azf_inv *inv);

/* --- HTTP trigger ------------------------------------------------------- */

const char *azf_method(azf_inv *inv); /* "GET", "POST", ... */
const char *azf_url(azf_inv *inv);    /* as the caller sent it */
/* A query parameter, a route parameter ({name} in the route), a request
 * header (name case-insensitive; the first value): NULL when absent. */
const char *azf_query(azf_inv *inv, const char *name);
const char *azf_param(azf_inv *inv, const char *name);
const char *azf_header(azf_inv *inv, const char *name);
/* The request body as text (NULL when the caller sent none). */
const char *azf_body(azf_inv *inv, size_t *len);
/* The body as a JSON object whose members are all in allowed
 * (NULL-terminated; NULL allows any). NULL after answering the caller:
 * 400 when there is no body, it is not a JSON object or it holds a member
 * not allowed (named); 413 over 1 MB. */
struct json_object *azf_body_object(azf_inv *inv, const char *const *allowed);
/* An optional string member key of obj: *out is its value or NULL when
 * absent. false after answering 400 when it is not a string or holds a
 * NUL. */
bool azf_field_string(azf_inv *inv, struct json_object *obj, const char *key,
                      const char **out);

/* --- other triggers, inputs and metadata --------------------------------- */

/* The trigger's value (Data.<trigger name>), JSON-decoded where the host
 * sent JSON text: a timer's TimerInfo, a queue message, an Event Grid
 * event, a SignalR invocation context, an HTTP request object. */
struct json_object *azf_trigger(azf_inv *inv);
/* An input binding's value by name (Data.<name>), decoded as above. */
struct json_object *azf_input(azf_inv *inv, const char *name);
/* Trigger metadata by name (Metadata.<name>; e.g. a queue's DequeueCount,
 * Id, InsertionTime, ExpirationTime, NextVisibleTime, PopReceipt), or
 * NULL. */
struct json_object *azf_metadata(azf_inv *inv, const char *name);
/* The same as text (a string's value, a number's digits), or NULL. */
const char *azf_metadata_text(azf_inv *inv, const char *name);

/* Queue trigger: the message as text (a JSON message: its JSON text) and
 * how many times it has been dequeued (1 the first time; 0 if unknown). */
const char *azf_queue_text(azf_inv *inv, size_t *len);
long azf_queue_dequeue_count(azf_inv *inv);

/* Event Grid trigger: the event's fields (Event Grid or CloudEvents
 * schema: id, type/eventType, subject, data), or NULL. */
const char *azf_event_id(azf_inv *inv);
const char *azf_event_type(azf_inv *inv);
const char *azf_event_subject(azf_inv *inv);
struct json_object *azf_event_data(azf_inv *inv);

/* SignalR trigger: who called (its user id, else its connection id), its
 * connection and user ids (user: NULL when anonymous), the event
 * ("connected", "disconnected" or the hub method's name; "" when the
 * service sent none) and the invocation's arguments (an array, empty for
 * connection events; never NULL). */
const char *azf_signalr_caller(azf_inv *inv);
const char *azf_signalr_connection_id(azf_inv *inv);
const char *azf_signalr_user_id(azf_inv *inv);
const char *azf_signalr_event(azf_inv *inv);
struct json_object *azf_signalr_arguments(azf_inv *inv);

/* --- outputs ----------------------------------------------------------- */

/* The HTTP reply (the function's http output, or ReturnValue when it is
 * named $return): status, Content-Type and body. JSON bodies are sent as
 * their compact text with Content-Type application/json. */
azf_status azf_reply_json(azf_inv *inv, int status, struct json_object *body);
azf_status azf_reply_text(azf_inv *inv, int status, const char *content_type,
                          const char *text, size_t len);
/* {"error": message} with status, and the message logged (a warning for
 * 4xx, an error for 5xx). */
azf_status azf_reply_error(azf_inv *inv, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A header of the reply (set before or after the reply itself). */
void azf_reply_header(azf_inv *inv, const char *name, const char *value);

/* One SignalR message to the function's signalR output (or the output
 * named `output` when it has several): to everyone, or to one user, group
 * or connection; excluded: connection ids left out (NULL-terminated, may be
 * NULL). arguments is an array (taken; NULL sends no argument). */
struct azf_message {
    const char *target;
    struct json_object *arguments;
    const char *user_id;
    const char *group_name;
    const char *connection_id;
    const char *const *excluded;
    const char *output;
};
void azf_send(azf_inv *inv, const struct azf_message *m);
/* The common case: target(arg) to everyone (arg taken). */
void azf_broadcast(azf_inv *inv, const char *target, struct json_object *arg);

/* A group action on the signalR output: add or remove a user or a
 * connection to/from group, or remove a user from all groups
 * ("removeAll", group NULL). */
struct azf_group_action {
    const char *action; /* "add", "remove", "removeAll" */
    const char *group_name;
    const char *user_id;
    const char *connection_id;
    const char *output;
};
void azf_group(azf_inv *inv, const struct azf_group_action *a);

/* Any other output binding by name (a queue message, a blob, ...): value
 * is added as one item (taken; called again, one more item). How the host
 * writes an item: an object as its (indented) JSON text; a string as its
 * text, except that a string which is valid base64 ("test", "aGk=") is
 * decoded to bytes and one that looks like JSON is parsed first; a
 * number as its digits. Send objects, or text that cannot be read as
 * base64. */
void azf_output(azf_inv *inv, const char *name, struct json_object *value);

/* The function's return value (ReturnValue; for a SignalR invocation, the
 * result the caller's invoke() receives). */
void azf_return(azf_inv *inv, struct json_object *value);

/* --- logs and failure -------------------------------------------------- */

typedef enum azf_level { AZF_INFO, AZF_WARN, AZF_ERROR } azf_level;
void azf_log(azf_inv *inv, azf_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define azf_info(inv, ...) azf_log(inv, AZF_INFO, __VA_ARGS__)
#define azf_warn(inv, ...) azf_log(inv, AZF_WARN, __VA_ARGS__)
#define azf_error(inv, ...) azf_log(inv, AZF_ERROR, __VA_ARGS__)

/* Fail the invocation with a reason (logged as an error, sent to the host
 * as the failure's message). Returns AZF_FAILED. */
azf_status azf_fail(azf_inv *inv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --- the program --------------------------------------------------------- */

/* What the app gives the runtime: its description for --help, and its own
 * state (created before serving, freed after; both may be NULL). */
struct azf_app {
    const char *description;
    void *(*init)(void);
    void (*fini)(void *data);
};

/* The handler program: serves the registered functions on
 * 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT until SIGTERM. Returns the exit
 * status (0 after SIGTERM/SIGINT, 1 bad configuration, 2 the port cannot
 * be bound, 3 the server cannot start). */
int azf_main(int argc, char **argv, const struct azf_app *app);

#endif
