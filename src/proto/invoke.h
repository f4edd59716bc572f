/*
 * invoke.h - the custom-handler invocation protocol, as the handler sees it.
 *
 * Request  (host → handler): POST /{function} {"Data": {...}, "Metadata":
 * {...}} Response (handler → host): {"Outputs": {...}, "Logs": [...],
 * "ReturnValue": x} (the request and response vectors of tests/vectors). Values
 * in Data arrive JSON-encoded up to twice; header values are arrays of strings;
 * keys are PascalCase but compared case-insensitively, as Newtonsoft does.
 *
 * Ownership: functions named *_new and invoke_http_* return a new reference
 * the caller puts; values passed to invoke_resp_set_output are taken (the
 * response owns them afterwards); every getter returns a borrowed reference
 * that lives as long as the envelope it came from.
 */
#ifndef PROTO_INVOKE_H
#define PROTO_INVOKE_H

#include <stddef.h>

#include <json-c/json.h>

#define INVOKE_HDR_ID "X-Azure-Functions-InvocationId"
#define INVOKE_HDR_VERSION "X-Azure-Functions-HostVersion"

/* --- reading the request ---------------------------------------------- */

/* Data.<name> of the envelope (borrowed), or NULL. */
struct json_object *invoke_data(struct json_object *env, const char *name);
/* Metadata.<name> of the envelope (borrowed), or NULL. */
struct json_object *invoke_metadata(struct json_object *env, const char *name);

/* Data.req.Body: present only when the caller sent Content-Length > 0.
 * Returns the raw text (borrowed) and its length, or NULL when absent. */
const char *invoke_req_body(struct json_object *req, size_t *len);
/* First value of a request header, name case-insensitive (values may be an
 * array of strings, as the host sends them, or a plain string). */
const char *invoke_req_header(struct json_object *req, const char *name);
/* Query and route parameter lookups (strings; NULL when absent). */
const char *invoke_req_query(struct json_object *req, const char *name);
const char *invoke_req_param(struct json_object *req, const char *name);

/* Decode a binding value that is an object, or a JSON string holding one, up
 * to two string layers deep (the host sends signalRConnectionInfo as a JSON
 * string holding a JSON string). Returns a new reference to the object,
 * or NULL when the value is none of these. */
struct json_object *invoke_decode_object(struct json_object *v);

/* --- building the response -------------------------------------------- */

/* {"Outputs": {}, "Logs": [], "ReturnValue": null} */
struct json_object *invoke_resp_new(void);
/* Outputs.<name> = value (taken; NULL removes nothing and stores null). */
void invoke_resp_set_output(struct json_object *resp, const char *name,
                            struct json_object *value);
/* Append one line to Logs. */
void invoke_resp_log(struct json_object *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Borrowed Outputs.<name> of a response under construction, or NULL. */
struct json_object *invoke_resp_output(struct json_object *resp,
                                       const char *name);

/* An http output: {"statusCode": status, "headers": {"Content-Type": ct},
 * "body": body}. body is copied. */
struct json_object *invoke_http_res(int status, const char *content_type,
                                    const char *body, size_t body_len);
/* The same with a JSON body: json is serialized compactly into the body
 * string, as the host writes strings verbatim; json is taken. */
struct json_object *invoke_http_json(int status, struct json_object *json);
/* {"error": "<message>"} with the given status. */
struct json_object *invoke_http_error(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
