/*
 * payload.h - the invocation request the host POSTs to the handler, built
 * as the Functions host builds it (the request vectors of tests/vectors):
 *
 *   {"Data": {"<trigger>": <request or TimerInfo>, "<input>": <value>},
 *    "Metadata": {..., "sys": {"MethodName", "UtcNow", "RandGuid"}}}
 *
 * Data.req for an HTTP trigger has Url, Method, Query (object of strings),
 * Headers (name → array of strings), Params, Identities (the App Service
 * user's identity, then the key's, else one anonymous) and, only when the
 * caller sent Content-Length > 0, Body (text; base64 for binary types).
 * Scalars and arrays in Data/Metadata are JSON-encoded into a string once
 * more. Pure: no I/O, no logging. Every function returns a new
 * json-c reference the caller puts, unless it says it takes one.
 */
#ifndef HOST_PAYLOAD_H
#define HOST_PAYLOAD_H

#include <stddef.h>

#include <json-c/json.h>

struct payload_kv {
    const char *name;
    const char *value;
};

/* One caller request as the HTTP server received it (all borrowed). */
struct payload_http {
    const char *method;
    const char *url;                /* absolute, with the query string */
    const struct payload_kv *query; /* decoded, in arrival order */
    size_t nquery;
    const struct payload_kv *headers; /* as received, in arrival order */
    size_t nheaders;
    const char *body;
    size_t body_len;
    long long content_length; /* -1 when the header is absent */
    /* Who is calling, for Identities: the level and name of the key that
     * opened the function (NULL: none), and App Service Authentication's
     * signed-in user and its provider (NULL: none). */
    const char *key_level;
    const char *key_name;
    const char *user;
    const char *idp;
};

/* Data.<trigger> for an HTTP trigger; params (borrowed) is the route
 * parameter object, or NULL for {}. */
struct json_object *payload_http_req(const struct payload_http *r,
                                     struct json_object *params);

/* Metadata for an HTTP trigger: body properties, query, route parameters,
 * Query, Headers, and sys (taken). */
struct json_object *payload_http_metadata(const struct payload_http *r,
                                          struct json_object *params,
                                          struct json_object *sys);

/* {"MethodName": fn, "UtcNow": "<ISO, 7 fraction digits>Z",
 * "RandGuid": "<new guid>"} for the time now_ns (UTC epoch nanoseconds). */
struct json_object *payload_sys(const char *fn, long long now_ns);

/* The TimerInfo object (Schedule, ScheduleStatus, IsPastDue) with
 * ScheduleStatus null (no monitor). */
struct json_object *payload_timer(int past_due);

/* As the host encodes values: an object stays as it is; anything else
 * becomes a JSON string of its compact serialization ("hello" →
 * "\"hello\"", 4 → "4"). Takes v. */
struct json_object *payload_encode(struct json_object *v);

/* The compact wire text of {"Data": data, "Metadata": metadata}; takes
 * both. Returns a new string (caller frees). */
char *payload_envelope(struct json_object *data, struct json_object *metadata,
                       size_t *len);

/* The header name as Kestrel reports it: canonical casing for the headers
 * it knows, otherwise as received. Borrowed (static or name itself). */
const char *payload_header_name(const char *name);

/* A new random (version 4) GUID in lower-case text into out[37]. */
void payload_guid(char out[37]);

/* Text with invalid UTF-8 replaced by U+FFFD, as .NET decodes it. New
 * string (caller frees); *outlen gets its length. */
char *payload_utf8_text(const char *s, size_t len, size_t *outlen);

#endif
