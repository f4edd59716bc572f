/*
 * sigtrigger.h - the signalRTrigger binding: what the Functions SignalR
 * extension does with one upstream request from the service
 * (POST /runtime/webhooks/signalr), up to the invocation and back:
 *
 *  - check the request: content type (application/json, or
 *    application/x-msgpack for a MessagePack client's invocation; else
 *    415), the X-ASRS routing headers
 *    (400), a function whose signalRTrigger matches hub, category and
 *    event case-insensitively (404), X-ASRS-Signature against every access
 *    key (401, constant-time, proto/upstream.h), the body (400);
 *  - shape the trigger value as the extension does for a non-.NET worker:
 *    the InvocationContext object for Data.<binding name> (Arguments,
 *    Error, Category, Event, Hub, ConnectionId, UserId, Headers, Query,
 *    Claims; PascalCase, nulls kept) and parameterNames mapped onto the
 *    arguments in Metadata (JSON-encoded once more, as payload_encode());
 *  - write the answer for the service: a Completion hub record for an
 *    invocation with an id (proto/hubproto.h), nothing otherwise.
 *
 * Pure: no I/O, no logging; err never holds a key or a signature. Not the
 * invocation itself (dispatch.h) nor the HTTP front (front.h).
 */
#ifndef HOST_SIGTRIGGER_H
#define HOST_SIGTRIGGER_H

#include <stddef.h>

#include <json-c/json.h>

#include "host/app.h"
#include "host/payload.h"

#define SIGTRIGGER_PATH "/runtime/webhooks/signalr"

/* One upstream request as the HTTP server received it (all borrowed). */
struct sigtrigger_req {
    const char *content_type;         /* NULL when absent */
    const struct payload_kv *headers; /* as received, in arrival order */
    size_t nheaders;
    const char *body;
    size_t body_len;
};

/* A checked request: the routing headers (borrowed from the request) and
 * the parsed body (owned; release with sigtrigger_msg_release). */
struct sigtrigger_msg {
    const char *connection_id;
    const char *hub;
    const char *category;
    const char *event;
    int type;                      /* 1 invocation, 10 connected, 11 closed */
    char *invocation_id;           /* invocations with an id, else NULL */
    struct json_object *arguments; /* invocations: the array (owned) */
    char *error;                   /* close with an error, else NULL */
    int msgpack; /* the body is MessagePack: so is the answer */
};

/* First value of header name (case-insensitive) in r, borrowed, or NULL. */
const char *sigtrigger_header(const struct sigtrigger_req *r, const char *name);

/* Content type (415) and routing headers (400). Returns 0 and fills the
 * header part of m, or the HTTP status with the reason in err. */
int sigtrigger_route(const struct sigtrigger_req *r, struct sigtrigger_msg *m,
                     char *err, size_t errlen);

/* The function whose signalRTrigger matches (hub, category, event),
 * case-insensitively, borrowed; NULL when none does (404). */
const struct app_function *sigtrigger_find(const struct app *app,
                                           const char *hub,
                                           const char *category,
                                           const char *event);

/* Does X-ASRS-Signature hold the HMAC of the connection id under one of
 * keys? 0 yes; -1 no (401) with the reason in err. */
int sigtrigger_verify(const struct sigtrigger_req *r, const char *const *keys,
                      size_t nkeys, const char *connection_id, char *err,
                      size_t errlen);

/* Parse the body for m->category: {"type":1, "target", "arguments",
 * "invocationId"?} for messages (with m->msgpack, the same Invocation as
 * one MessagePack array without length prefix, proto/hubmsgpack.h: the
 * service sends connection events as JSON only) (target must equal the event,
 * as the extension asserts), {"type":10} for connected, {"type":11, "error"?}
 * for disconnected; keys case-insensitive, a trailing 0x1E tolerated. Returns
 * 0, or -1 (400) with the reason in err. */
int sigtrigger_parse_body(const struct sigtrigger_req *r,
                          struct sigtrigger_msg *m, char *err, size_t errlen);
void sigtrigger_msg_release(struct sigtrigger_msg *m);

/* The InvocationContext object (new reference) for Data.<name>. */
struct json_object *sigtrigger_context(const struct sigtrigger_req *r,
                                       const struct sigtrigger_msg *m);

/* Metadata for the invocation: each of binding's parameterNames bound to
 * the argument at its position (JSON-encoded by payload_encode()), plus sys
 * (taken). Returns 0 and a new object in *md, or -1 with the extension's
 * message when the counts differ ("The function accept 1 arguments but
 * message provided 2."); sys is released then. */
int sigtrigger_metadata(struct json_object *binding,
                        const struct sigtrigger_msg *m, struct json_object *sys,
                        struct json_object **md, char *err, size_t errlen);

/* The body for the service after an invocation with an id: a Completion
 * record ending in 0x1E, with "result": the function's ReturnValue
 * (borrowed; NULL writes "result":null, as CompletionMessage.WithResult
 * does) or "error": error when error is not NULL. New string, caller
 * frees; *len gets its length. */
char *sigtrigger_completion(const char *invocation_id,
                            struct json_object *result, const char *error,
                            size_t *len);
/* The answer for a MessagePack invocation: the Completion record rec (n
 * bytes, taken) transcoded into one framed MessagePack message, as the
 * extension's MessagePackHubProtocol writes it. New string; *len set. */
char *sigtrigger_completion_msgpack(char *rec, size_t n, size_t *len);

#endif
