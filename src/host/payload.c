/* payload.c - the host → handler invocation request (see payload.h). */
#include "payload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/utf8.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Kestrel's known request headers keep this casing whatever the client
 * sent; other names keep the client's casing. */
static const char *const known_headers[] = {
    "Accept",
    "Accept-Charset",
    "Accept-Encoding",
    "Accept-Language",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Method",
    "Authorization",
    "Baggage",
    "Cache-Control",
    "Connection",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Location",
    "Content-MD5",
    "Content-Range",
    "Content-Type",
    "Cookie",
    "Correlation-Context",
    "Date",
    "Expect",
    "Expires",
    "From",
    "Grpc-Accept-Encoding",
    "Grpc-Encoding",
    "Grpc-Timeout",
    "Host",
    "If-Match",
    "If-Modified-Since",
    "If-None-Match",
    "If-Range",
    "If-Unmodified-Since",
    "Keep-Alive",
    "Last-Modified",
    "Max-Forwards",
    "Origin",
    "Pragma",
    "Proxy-Authorization",
    "Range",
    "Referer",
    "Request-Id",
    "TE",
    "traceparent",
    "tracestate",
    "Trailer",
    "Transfer-Encoding",
    "Translate",
    "Upgrade",
    "Upgrade-Insecure-Requests",
    "User-Agent",
    "Via",
    "Warning",
};

const char *payload_header_name(const char *name)
{
    for (size_t i = 0; i < sizeof known_headers / sizeof known_headers[0]; i++)
        if (strcasecmp(name, known_headers[i]) == 0)
            return known_headers[i];
    return name;
}

void payload_guid(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) {
        /* Only uniqueness matters here, not secrecy. */
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)rand();
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

char *payload_utf8_text(const char *s, size_t len, size_t *outlen)
{
    struct buf b;
    buf_init(&b, (size_t)-1);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t k = utf8_seq(u + i, len - i);
        if (k == 0 || (k == 1 && u[i] == 0)) {
            buf_append(&b, "\xEF\xBF\xBD", 3);
            i++;
        } else {
            buf_append(&b, u + i, k);
            i += k;
        }
    }
    return buf_take(&b, outlen);
}

struct json_object *payload_encode(struct json_object *v)
{
    if (v && json_object_is_type(v, json_type_object))
        return v;
    struct json_object *s =
        json_object_new_string(v ? jsonx_compact(v) : "null");
    json_object_put(v);
    return s;
}

/* Query as an object; a repeated name gets its values joined with ','. */
static struct json_object *query_object(const struct payload_http *r)
{
    struct json_object *q = json_object_new_object();
    for (size_t i = 0; i < r->nquery; i++) {
        const char *name = r->query[i].name;
        const char *val = r->query[i].value ? r->query[i].value : "";
        struct json_object *prev = NULL;
        if (json_object_object_get_ex(q, name, &prev)) {
            char *j = xasprintf("%s,%s", json_object_get_string(prev), val);
            json_object_object_add(q, name, json_object_new_string(j));
            free(j);
        } else {
            json_object_object_add(q, name, json_object_new_string(val));
        }
    }
    return q;
}

/* The existing member of obj whose name equals name case-insensitively. */
static struct json_object *get_ci_exact(struct json_object *obj,
                                        const char *name, const char **key)
{
    json_object_object_foreach(obj, k, v)
    {
        if (strcasecmp(k, name) == 0) {
            *key = k;
            return v;
        }
    }
    return NULL;
}

/* Headers grouped case-insensitively: name → array of values. */
static struct json_object *header_arrays(const struct payload_http *r)
{
    struct json_object *h = json_object_new_object();
    for (size_t i = 0; i < r->nheaders; i++) {
        const char *key;
        const char *val = r->headers[i].value ? r->headers[i].value : "";
        struct json_object *arr = get_ci_exact(h, r->headers[i].name, &key);
        if (!arr) {
            arr = json_object_new_array();
            json_object_object_add(h, payload_header_name(r->headers[i].name),
                                   arr);
        }
        json_object_array_add(arr, json_object_new_string(val));
    }
    return h;
}

#define CLAIM_NAME "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
#define CLAIM_ROLE                                                             \
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
#define CLAIM_FN "http://schemas.microsoft.com/2017/07/functions/claims/"

/* A Claim as Newtonsoft writes System.Security.Claims.Claim (Subject, a
 * loop back to the identity, left out). */
static struct json_object *claim(const char *type, const char *value)
{
    struct json_object *c = json_object_new_object();
    json_object_object_add(c, "Issuer",
                           json_object_new_string("LOCAL AUTHORITY"));
    json_object_object_add(c, "OriginalIssuer",
                           json_object_new_string("LOCAL AUTHORITY"));
    json_object_object_add(c, "Properties", json_object_new_object());
    json_object_object_add(c, "Type", json_object_new_string(type));
    json_object_object_add(c, "Value", json_object_new_string(value));
    json_object_object_add(
        c, "ValueType",
        json_object_new_string("http://www.w3.org/2001/XMLSchema#string"));
    return c;
}

/* A ClaimsIdentity: type NULL for the anonymous one. */
static struct json_object *identity(const char *type, const char *name,
                                    struct json_object *claims)
{
    struct json_object *id = json_object_new_object();
    json_object_object_add(id, "AuthenticationType",
                           type ? json_object_new_string(type) : NULL);
    json_object_object_add(id, "IsAuthenticated",
                           json_object_new_boolean(type != NULL));
    json_object_object_add(id, "Actor", NULL);
    json_object_object_add(id, "BootstrapContext", NULL);
    json_object_object_add(id, "Claims",
                           claims ? claims : json_object_new_array());
    json_object_object_add(id, "Label", NULL);
    json_object_object_add(id, "Name",
                           name ? json_object_new_string(name) : NULL);
    json_object_object_add(id, "NameClaimType",
                           json_object_new_string(CLAIM_NAME));
    json_object_object_add(id, "RoleClaimType",
                           json_object_new_string(CLAIM_ROLE));
    return id;
}

/* HttpContext.User's identities as the host's authentication handler
 * makes them: App Service Authentication's user, then the key's level;
 * with neither, one anonymous identity. */
static struct json_object *identities(const struct payload_http *r)
{
    struct json_object *arr = json_object_new_array();
    if (r->user) {
        struct json_object *c = json_object_new_array();
        json_object_array_add(
            c, claim("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
                     "nameidentifier",
                     r->user));
        json_object_array_add(c, claim(CLAIM_NAME, r->user));
        json_object_array_add(arr, identity(r->idp ? r->idp : "", r->user, c));
    }
    if (r->key_level) {
        struct json_object *c = json_object_new_array();
        json_object_array_add(c, claim(CLAIM_FN "authlevel", r->key_level));
        json_object_array_add(c, claim(CLAIM_FN "invoke", "true"));
        if (r->key_name && *r->key_name)
            json_object_array_add(c, claim(CLAIM_FN "keyid", r->key_name));
        json_object_array_add(arr, identity("WebJobsAuthLevel", NULL, c));
    }
    if (json_object_array_length(arr) == 0)
        json_object_array_add(arr, identity(NULL, NULL, NULL));
    return arr;
}

static const char *header_value(const struct payload_http *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* The body as the host puts it in Body: base64 for binary media types
 * (application/octet-stream, multipart/...), otherwise text. */
static struct json_object *body_value(const struct payload_http *r)
{
    const char *ct = header_value(r, "Content-Type");
    if (ct && (strncasecmp(ct, "application/octet-stream", 24) == 0 ||
               strncasecmp(ct, "multipart/", 10) == 0)) {
        size_t cap = 4 * ((r->body_len + 2) / 3) + 1;
        unsigned char *out = xmalloc(cap);
        int n = EVP_EncodeBlock(out, (const unsigned char *)r->body,
                                (int)r->body_len);
        struct json_object *v =
            json_object_new_string_len((const char *)out, n < 0 ? 0 : n);
        free(out);
        return v;
    }
    size_t n;
    char *t = payload_utf8_text(r->body ? r->body : "", r->body_len, &n);
    struct json_object *v = json_object_new_string_len(t, (int)n);
    free(t);
    return v;
}

static int has_body(const struct payload_http *r)
{
    return r->content_length > 0;
}

struct json_object *payload_http_req(const struct payload_http *r,
                                     struct json_object *params)
{
    struct json_object *req = json_object_new_object();
    json_object_object_add(req, "Url", json_object_new_string(r->url));
    json_object_object_add(req, "Method", json_object_new_string(r->method));
    json_object_object_add(req, "Query", query_object(r));
    json_object_object_add(req, "Headers", header_arrays(r));
    json_object_object_add(req, "Params",
                           params ? json_object_get(params)
                                  : json_object_new_object());
    json_object_object_add(req, "Identities", identities(r));
    if (has_body(r))
        json_object_object_add(req, "Body", body_value(r));
    return req;
}

struct json_object *payload_http_metadata(const struct payload_http *r,
                                          struct json_object *params,
                                          struct json_object *sys)
{
    struct json_object *md = json_object_new_object();
    char err[128];
    /* Every top-level property of a JSON object body. */
    if (has_body(r) && r->body) {
        size_t i = 0;
        while (i < r->body_len && strchr(" \t\r\n", r->body[i]))
            i++;
        struct json_object *body = NULL;
        if (i < r->body_len && r->body[i] == '{' &&
            jsonx_parse(r->body, r->body_len, &body, err, sizeof err) == 0 &&
            json_object_is_type(body, json_type_object)) {
            json_object_object_foreach(body, k, v)
            {
                if (!v || json_object_is_type(v, json_type_array))
                    continue;
                json_object_object_add(md, k,
                                       payload_encode(json_object_get(v)));
            }
        }
        json_object_put(body);
    }
    for (size_t i = 0; i < r->nquery; i++) {
        if (strcasecmp(r->query[i].name, "code") == 0)
            continue;
        struct json_object *q = query_object(r);
        struct json_object *v = NULL;
        json_object_object_get_ex(q, r->query[i].name, &v);
        json_object_object_add(md, r->query[i].name,
                               payload_encode(json_object_get(v)));
        json_object_put(q);
    }
    if (params) {
        json_object_object_foreach(params, k, v) json_object_object_add(
            md, k, v ? payload_encode(json_object_get(v)) : NULL);
    }
    json_object_object_add(md, "Query", query_object(r));
    struct json_object *h = json_object_new_object();
    for (size_t i = 0; i < r->nheaders; i++) {
        const char *key;
        const char *val = r->headers[i].value ? r->headers[i].value : "";
        struct json_object *prev = get_ci_exact(h, r->headers[i].name, &key);
        if (prev) {
            char *j = xasprintf("%s,%s", json_object_get_string(prev), val);
            json_object_object_add(h, key, json_object_new_string(j));
            free(j);
        } else {
            json_object_object_add(h, payload_header_name(r->headers[i].name),
                                   json_object_new_string(val));
        }
    }
    json_object_object_add(md, "Headers", h);
    json_object_object_add(md, "sys", sys);
    return md;
}

struct json_object *payload_sys(const char *fn, long long now_ns)
{
    char guid[37], when[64];
    struct tm tm;
    time_t secs = (time_t)(now_ns / 1000000000LL);
    long frac = (long)((now_ns % 1000000000LL) / 100); /* 100 ns ticks */
    gmtime_r(&secs, &tm);
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%07ldZ", frac);
    payload_guid(guid);
    struct json_object *sys = json_object_new_object();
    json_object_object_add(sys, "MethodName", json_object_new_string(fn));
    json_object_object_add(sys, "UtcNow", json_object_new_string(when));
    json_object_object_add(sys, "RandGuid", json_object_new_string(guid));
    return sys;
}

struct json_object *payload_timer(int past_due)
{
    struct json_object *t = json_object_new_object();
    struct json_object *sched = json_object_new_object();
    json_object_object_add(sched, "AdjustForDST", json_object_new_boolean(1));
    json_object_object_add(t, "Schedule", sched);
    /* No storage-backed schedule monitor runs locally. */
    json_object_object_add(t, "ScheduleStatus", NULL);
    json_object_object_add(t, "IsPastDue",
                           json_object_new_boolean(past_due != 0));
    return t;
}

char *payload_envelope(struct json_object *data, struct json_object *metadata,
                       size_t *len)
{
    struct json_object *env = json_object_new_object();
    json_object_object_add(env, "Data", data);
    json_object_object_add(env, "Metadata", metadata);
    const char *s = jsonx_compact(env);
    size_t n = strlen(s);
    char *out = xstrndup(s, n);
    json_object_put(env);
    if (len)
        *len = n;
    return out;
}
