/*
 * result.h - the handler's reply to an invocation, read as the Functions
 * host reads it (tests/vectors/handler-response-cases.json):
 *
 *   {"Outputs": {"<binding>": value}, "Logs": ["..."], "ReturnValue": x}
 *
 * result_parse() accepts only what the host accepts (2xx, a JSON content
 * type, a JSON object with Logs a list of strings) and refuses the rest
 * with a reason. result_http() maps the http output binding (res) to the
 * response the caller gets: its statusCode, headers and body.
 * Pure: no I/O, no logging; reasons never quote the reply body (it may
 * carry access tokens).
 */
#ifndef HOST_RESULT_H
#define HOST_RESULT_H

#include <stddef.h>

#include <json-c/json.h>

struct result_header {
    char *name;
    char *value;
};

/* What the HTTP caller receives. All strings owned; release with
 * result_http_release(). */
struct result_http {
    int status;
    char *content_type;            /* NULL: no Content-Type header */
    struct result_header *headers; /* other headers, in order */
    size_t nheaders;
    char *body; /* never NULL after result_http() */
    size_t body_len;
};

/* Check the transport reply. content_type may be NULL (no header). Returns
 * 0 and a new reference in *reply, or -1 with the reason in err. */
int result_parse(long status, const char *content_type, const char *body,
                 size_t len, struct json_object **reply, char *err,
                 size_t errlen);

/* The Logs array of a parsed reply (borrowed), or NULL. */
struct json_object *result_logs(struct json_object *reply);

/* Outputs.<name> with an exact-case key (borrowed; NULL when absent or
 * null). */
struct json_object *result_output(struct json_object *reply, const char *name);

/* Map the http output binding named name ("$return": ReturnValue, where
 * "status" also counts and a plain string is the body). Returns 0 and
 * fills out, or -1 with the reason in err (out then holds nothing). */
int result_http(struct json_object *reply, const char *name,
                struct result_http *out, char *err, size_t errlen);
void result_http_release(struct result_http *out);

/* v as Newtonsoft writes it with Formatting.Indented (2 spaces, "a": 1).
 * New string (caller frees). */
char *result_indent(struct json_object *v);

#endif
