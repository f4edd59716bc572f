/*
 * inv.c - the function author's API (azf.h) over one invocation (inv.h).
 *
 * Reading: accessors look up the members the dispatch step's one pass over
 * the envelope recorded (envelope.h) and decode only what they return; values
 * the host JSON-encoded (custom-handler protocol: strings, numbers and
 * arrays arrive as JSON text in a string) are decoded on demand and kept in
 * inv->keep so the pointers handed out live as long as the invocation.
 * Writing: outputs are kept as the function gave them (items as json-c
 * values, the HTTP reply as its status, headers and body text) and written
 * once, straight into the response text, by inv_encode.
 * Memory: the invocation's own lists and texts are in the thread's arena
 * (struct inv_memory), reset for the next invocation, never freed one by
 * one; only the json-c values (the function's, and those decoded for it)
 * are heap objects, put by inv_release.
 */
#include "inv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/jsonx.h"
#include "util/limits.h"
#include "util/banned.h"

/* Logs and stdout lines have no cap of their own. */
#define LOG_MAX ((size_t)1 << 30)

void inv_memory_init(struct inv_memory *m)
{
    arena_init(&m->arena);
    buf_init(&m->logs, LOG_MAX);
    buf_init(&m->lines, LOG_MAX);
}

void inv_memory_release(struct inv_memory *m)
{
    arena_release(&m->arena);
    buf_release(&m->logs);
    buf_release(&m->lines);
}

void inv_init(struct azf_inv *inv, struct inv_memory *mem,
              const struct azf_context *ctx, const struct catalog_fn *fn,
              azf_kind kind, struct envelope *env, int data,
              const char *invocation_id)
{
    memset(inv, 0, sizeof *inv);
    arena_reset(&mem->arena);
    buf_reset(&mem->logs);
    buf_reset(&mem->lines);
    inv->mem = mem;
    inv->ctx = ctx;
    inv->fn = fn;
    inv->kind = kind;
    inv->env = env;
    inv->data = data;
    inv->trigger = envelope_member(env, data, fn->trigger_name);
    inv->invocation_id = invocation_id ? invocation_id : "";
    inv->now = time(NULL);
}

void inv_release(struct azf_inv *inv)
{
    for (size_t i = 0; i < inv->noutputs; i++)
        for (size_t j = 0; j < inv->outputs[i].nitems; j++)
            json_object_put(inv->outputs[i].items[j]);
    for (size_t i = 0; i < inv->nkeep; i++)
        json_object_put(inv->keep[i]);
    json_object_put(inv->ret);
    inv->ret = NULL;
    inv->outputs = NULL;
    inv->keep = NULL;
    inv->headers = NULL;
    inv->body = NULL;
    inv->noutputs = inv->nkeep = inv->nheaders = 0;
}

/* A list in the arena with room for one more element after its n: it
 * doubles when n reaches a power of two (4, 8, ...), the old copy left to
 * the arena's reset. */
static void *list_room(struct arena *a, void *list, size_t n, size_t size)
{
    int full = n == 0 || (n >= 4 && (n & (n - 1)) == 0);
    if (!full)
        return list;
    void *bigger = arena_alloc(a, (n ? 2 * n : 4) * size);
    if (n)
        memcpy(bigger, list, n * size);
    return bigger;
}

/* Keep v (taken) alive for the invocation; returns it borrowed. */
static struct json_object *keep(struct azf_inv *inv, struct json_object *v)
{
    if (!v)
        return NULL;
    inv->keep =
        list_room(&inv->mem->arena, inv->keep, inv->nkeep, sizeof *inv->keep);
    inv->keep[inv->nkeep++] = v;
    return v;
}

static void vlog(struct azf_inv *inv, azf_level level, const char *fmt,
                 va_list ap)
{
    char msg[1024], line[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    int n = snprintf(line, sizeof line, "%s: %s", inv->fn->name, msg);
    struct buf *logs = &inv->mem->logs, *lines = &inv->mem->lines;
    if (logs->len)
        buf_append(logs, ",", 1);
    jsonx_append_string(logs, line,
                        n < (int)sizeof line ? (size_t)n : sizeof line - 1);
    char lv = (char)('0' + level);
    buf_append(lines, &lv, 1);
    buf_append(lines, msg, strlen(msg) + 1);
}

void azf_log(azf_inv *inv, azf_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(inv, level, fmt, ap);
    va_end(ap);
}

azf_status azf_fail(azf_inv *inv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(inv->failure, sizeof inv->failure, fmt, ap);
    va_end(ap);
    azf_log(inv, AZF_ERROR, "failed: %s", inv->failure);
    return AZF_FAILED;
}

/* Code asked for an output function.json does not declare: a mistake of
 * the app, not of the caller. The invocation fails with the reason. */
static void misconfigured(struct azf_inv *inv, const char *what,
                          const char *name)
{
    if (!inv->misconfigured)
        azf_fail(inv, "%s%s%s%s (function.json of %s)", what, name ? " '" : "",
                 name ? name : "", name ? "'" : "", inv->fn->name);
    inv->misconfigured = 1;
}

/* --- the invocation ------------------------------------------------------ */

const char *azf_name(azf_inv *inv)
{
    return inv->fn->name;
}

const char *azf_invocation_id(azf_inv *inv)
{
    return inv->invocation_id;
}

time_t azf_now(azf_inv *inv)
{
    return inv->now;
}

const char *azf_setting(azf_inv *inv, const char *name)
{
    return inv->ctx->setting ? inv->ctx->setting(name) : getenv(name);
}

const char *azf_app_root(azf_inv *inv)
{
    return inv->ctx->app_root;
}

void *azf_app_data(azf_inv *inv)
{
    return inv->ctx->app_data;
}

/* --- HTTP trigger -------------------------------------------------------- */

static int http_req(azf_inv *inv)
{
    return inv->kind == AZF_HTTP ? inv->trigger : -1;
}

/* A string member of the request, or of its object member `in`. */
static const char *req_text(azf_inv *inv, const char *in, const char *name,
                            size_t *len)
{
    int m = http_req(inv);
    if (in)
        m = envelope_member(inv->env, m, in);
    return envelope_text(inv->env, envelope_member(inv->env, m, name), len);
}

const char *azf_method(azf_inv *inv)
{
    return req_text(inv, NULL, "Method", NULL);
}

const char *azf_url(azf_inv *inv)
{
    return req_text(inv, NULL, "Url", NULL);
}

const char *azf_query(azf_inv *inv, const char *name)
{
    return req_text(inv, "Query", name, NULL);
}

const char *azf_param(azf_inv *inv, const char *name)
{
    return req_text(inv, "Params", name, NULL);
}

/* The host sends each header's values as an array of strings. */
const char *azf_header(azf_inv *inv, const char *name)
{
    int h = envelope_member(inv->env, http_req(inv), "Headers");
    int m = envelope_member(inv->env, h, name);
    if (envelope_kind(inv->env, m) != ENV_ARRAY)
        return envelope_text(inv->env, m, NULL);
    struct json_object *v = envelope_value(inv->env, m);
    v = json_object_array_length(v) ? json_object_array_get_idx(v, 0) : NULL;
    if (!v || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

const char *azf_body(azf_inv *inv, size_t *len)
{
    size_t n = 0;
    const char *s = req_text(inv, NULL, "Body", &n);
    if (len)
        *len = s ? n : 0;
    return s;
}

/* The allowed name the unknown key was probably meant to be: the same
 * letters in another case, or a name the key starts with. */
static const char *meant(const char *key, const char *const *allowed)
{
    for (const char *const *a = allowed; *a; a++)
        if (strncasecmp(key, *a, strlen(*a)) == 0)
            return *a;
    return NULL;
}

struct json_object *azf_body_object(azf_inv *inv, const char *const *allowed)
{
    size_t len = 0;
    char err[160];
    struct json_object *body = NULL;
    const char *s = azf_body(inv, &len);
    if (!s || len == 0) {
        azf_reply_error(inv, 400,
                        "request body is required: send JSON with "
                        "Content-Length");
        return NULL;
    }
    if (len > LIMIT_USER_BODY) {
        azf_reply_error(inv, 413, "request body is over %u bytes",
                        LIMIT_USER_BODY);
        return NULL;
    }
    if (jsonx_parse(s, len, &body, err, sizeof err) < 0) {
        azf_reply_error(inv, 400, "request body is not valid JSON: %s", err);
        return NULL;
    }
    if (!body || !json_object_is_type(body, json_type_object)) {
        json_object_put(body);
        azf_reply_error(inv, 400, "request body must be a JSON object");
        return NULL;
    }
    keep(inv, body);
    if (!allowed)
        return body;
    json_object_object_foreach(body, key, val)
    {
        (void)val;
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(key, *a) == 0;
        if (known)
            continue;
        const char *hint = meant(key, allowed);
        /* The key is truncated so a huge key cannot flood the error. */
        if (hint)
            azf_reply_error(inv, 400, "unknown field '%.64s': the key is '%s'",
                            key, hint);
        else
            azf_reply_error(inv, 400, "unknown field '%.64s'", key);
        return NULL;
    }
    return body;
}

bool azf_field_string(azf_inv *inv, struct json_object *obj, const char *key,
                      const char **out)
{
    struct json_object *v = NULL;
    *out = NULL;
    if (!json_object_object_get_ex(obj, key, &v))
        return true;
    if (!v || !json_object_is_type(v, json_type_string)) {
        azf_reply_error(inv, 400, "field '%s' must be a string", key);
        return false;
    }
    if (strlen(json_object_get_string(v)) !=
        (size_t)json_object_get_string_len(v)) {
        azf_reply_error(inv, 400, "field '%s' must not contain NUL", key);
        return false;
    }
    *out = json_object_get_string(v);
    return true;
}

/* --- other triggers, inputs, metadata ------------------------------------ */

/* The trigger's value as sent (borrowed), or NULL. */
static struct json_object *trigger(azf_inv *inv)
{
    return envelope_value(inv->env, inv->trigger);
}

struct json_object *azf_trigger(azf_inv *inv)
{
    return envelope_decoded(inv->env, inv->trigger);
}

/* Member name of object member parent, decoded. */
static struct json_object *member_value(azf_inv *inv, int parent,
                                        const char *name)
{
    return envelope_decoded(inv->env, envelope_member(inv->env, parent, name));
}

struct json_object *azf_input(azf_inv *inv, const char *name)
{
    return member_value(inv, inv->data, name);
}

struct json_object *azf_metadata(azf_inv *inv, const char *name)
{
    int md = envelope_member(inv->env, ENVELOPE_ROOT, "Metadata");
    return member_value(inv, md, name);
}

/* A decoded scalar as text: a string's value, anything else's JSON. */
static const char *as_text(struct json_object *v, size_t *len)
{
    if (!v) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (!json_object_is_type(v, json_type_string)) {
        const char *t = jsonx_compact(v);
        if (len)
            *len = strlen(t);
        return t;
    }
    if (len)
        *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

const char *azf_metadata_text(azf_inv *inv, const char *name)
{
    return as_text(azf_metadata(inv, name), NULL);
}

const char *azf_queue_text(azf_inv *inv, size_t *len)
{
    if (inv->kind != AZF_QUEUE)
        return as_text(NULL, len);
    /* The message: a string holding the message's JSON text (a text
     * message: a JSON string literal; a JSON message: its JSON). */
    struct json_object *v = trigger(inv);
    if (v && json_object_is_type(v, json_type_string)) {
        struct json_object *inner = jsonx_unwrap(v, 1);
        if (inner && json_object_is_type(inner, json_type_string))
            return as_text(keep(inv, inner), len);
        json_object_put(inner);
    }
    return as_text(v, len);
}

long azf_queue_dequeue_count(azf_inv *inv)
{
    const char *s = azf_metadata_text(inv, "DequeueCount");
    return s ? strtol(s, NULL, 10) : 0;
}

static struct json_object *event(azf_inv *inv)
{
    if (inv->kind != AZF_EVENTGRID)
        return NULL;
    struct json_object *e = azf_trigger(inv);
    return e && json_object_is_type(e, json_type_object) ? e : NULL;
}

const char *azf_event_id(azf_inv *inv)
{
    return jsonx_str(event(inv), "id");
}

const char *azf_event_type(azf_inv *inv)
{
    const char *t = jsonx_str(event(inv), "eventType"); /* Event Grid */
    return t ? t : jsonx_str(event(inv), "type");       /* CloudEvents */
}

const char *azf_event_subject(azf_inv *inv)
{
    return jsonx_str(event(inv), "subject");
}

struct json_object *azf_event_data(azf_inv *inv)
{
    return jsonx_get_ci(event(inv), "data");
}

static struct json_object *sr(azf_inv *inv)
{
    return inv->kind == AZF_SIGNALR ? trigger(inv) : NULL;
}

const char *azf_signalr_connection_id(azf_inv *inv)
{
    return jsonx_str(sr(inv), "ConnectionId");
}

const char *azf_signalr_user_id(azf_inv *inv)
{
    const char *u = jsonx_str(sr(inv), "UserId");
    return u && *u ? u : NULL;
}

const char *azf_signalr_caller(azf_inv *inv)
{
    const char *u = azf_signalr_user_id(inv);
    return u ? u : azf_signalr_connection_id(inv);
}

const char *azf_signalr_event(azf_inv *inv)
{
    const char *e = jsonx_str(sr(inv), "Event");
    return e ? e : "";
}

struct json_object *azf_signalr_arguments(azf_inv *inv)
{
    struct json_object *a = jsonx_get_ci(sr(inv), "Arguments");
    if (a && json_object_is_type(a, json_type_array))
        return a;
    /* A connection event has none: an empty list, never NULL. */
    return keep(inv, json_object_new_array());
}

/* --- outputs ------------------------------------------------------------ */

/* Set a reply header: a name set again gets the new value. */
static void set_header(azf_inv *inv, const char *name, const char *value)
{
    struct arena *a = &inv->mem->arena;
    char *v = arena_strndup(a, value, strlen(value));
    for (size_t i = 0; i < inv->nheaders; i++)
        if (strcmp(inv->headers[i].name, name) == 0) {
            inv->headers[i].value = v;
            return;
        }
    inv->headers =
        list_room(a, inv->headers, inv->nheaders, sizeof *inv->headers);
    inv->headers[inv->nheaders++] =
        (struct inv_header){arena_strndup(a, name, strlen(name)), v};
}

static azf_status set_reply(azf_inv *inv, int status, const char *type,
                            const char *body, size_t len)
{
    inv->body = arena_strndup(&inv->mem->arena, body, len);
    inv->body_len = len;
    inv->status = status;
    set_header(inv, "Content-Type", type);
    return AZF_DONE;
}

azf_status azf_reply_json(azf_inv *inv, int status, struct json_object *body)
{
    const char *text = jsonx_compact(body);
    set_reply(inv, status, "application/json", text, strlen(text));
    json_object_put(body);
    return AZF_DONE;
}

azf_status azf_reply_text(azf_inv *inv, int status, const char *content_type,
                          const char *text, size_t len)
{
    if (!text)
        len = 0;
    return set_reply(inv, status,
                     content_type ? content_type : "application/octet-stream",
                     text ? text : "", len);
}

azf_status azf_reply_error(azf_inv *inv, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    azf_log(inv, status >= 500 ? AZF_ERROR : AZF_WARN, "%d %s", status, msg);
    char *body = jsonx_error_text("%s", msg);
    azf_reply_text(inv, status, "application/json", body, strlen(body));
    free(body);
    return AZF_DONE;
}

void azf_reply_header(azf_inv *inv, const char *name, const char *value)
{
    if (name && *name && value)
        set_header(inv, name, value);
}

int inv_reply_status(const struct azf_inv *inv)
{
    return inv->status;
}

void inv_finish(struct azf_inv *inv)
{
    if (!inv->status)
        return;
    const struct catalog_binding *b =
        catalog_output(inv->fn, "http", NULL, NULL);
    if (!b)
        misconfigured(inv, "the function replied but has no http output", NULL);
    else
        inv->reply_to = b->name;
}

/* {"statusCode": status, "headers": {...}, "body": text} */
static int encode_reply(const struct azf_inv *inv, struct buf *out)
{
    int rc = buf_printf(out, "{\"statusCode\":%d,\"headers\":{", inv->status);
    for (size_t i = 0; i < inv->nheaders && rc == 0; i++) {
        const struct inv_header *h = &inv->headers[i];
        rc = (i ? buf_append(out, ",", 1) : 0) ||
             jsonx_append_string(out, h->name, strlen(h->name)) ||
             buf_append(out, ":", 1) ||
             jsonx_append_string(out, h->value, strlen(h->value));
    }
    return rc || buf_puts(out, "},\"body\":") ||
                   jsonx_append_string(out, inv->body, inv->body_len) ||
                   buf_append(out, "}", 1)
               ? -1
               : 0;
}

/* "name": */
static int encode_key(struct buf *out, int first, const char *name)
{
    return (first ? 0 : buf_append(out, ",", 1)) ||
                   jsonx_append_string(out, name, strlen(name)) ||
                   buf_append(out, ":", 1)
               ? -1
               : 0;
}

int inv_encode(const struct azf_inv *inv, struct buf *out)
{
    int to_return = inv->reply_to && strcmp(inv->reply_to, "$return") == 0;
    int to_output = inv->reply_to && !to_return;
    int rc = buf_puts(out, "{\"Outputs\":{");
    int first = 1;
    for (size_t i = 0; i < inv->noutputs && rc == 0; i++) {
        const struct inv_output *o = &inv->outputs[i];
        if (to_output && strcmp(o->name, inv->reply_to) == 0)
            continue; /* the reply takes the binding */
        rc = encode_key(out, first, o->name) || buf_append(out, "[", 1);
        for (size_t j = 0; j < o->nitems && rc == 0; j++)
            rc = (j ? buf_append(out, ",", 1) : 0) ||
                 buf_puts(out, jsonx_compact(o->items[j]));
        rc = rc || buf_append(out, "]", 1);
        first = 0;
    }
    if (rc == 0 && to_output)
        rc = encode_key(out, first, inv->reply_to) || encode_reply(inv, out);
    if (rc == 0)
        rc = buf_puts(out, "},\"Logs\":[") ||
             buf_append(out, inv->mem->logs.data, inv->mem->logs.len) ||
             buf_puts(out, "],\"ReturnValue\":");
    if (rc == 0)
        rc = to_return  ? encode_reply(inv, out)
             : inv->ret ? buf_puts(out, jsonx_compact(inv->ret))
                        : buf_puts(out, "null");
    return rc || buf_append(out, "}", 1) ? -1 : 0;
}

/* Append item (taken) to Outputs.<name>, a list of items. */
static void add_item(azf_inv *inv, const char *name, struct json_object *item)
{
    struct inv_output *o = NULL;
    for (size_t i = 0; i < inv->noutputs && !o; i++)
        if (strcmp(inv->outputs[i].name, name) == 0)
            o = &inv->outputs[i];
    struct arena *a = &inv->mem->arena;
    if (!o) {
        inv->outputs =
            list_room(a, inv->outputs, inv->noutputs, sizeof *inv->outputs);
        o = &inv->outputs[inv->noutputs++];
        *o = (struct inv_output){.name = name};
    }
    o->items = list_room(a, o->items, o->nitems, sizeof *o->items);
    o->items[o->nitems++] = item;
}

/* The signalR output to write to: the one named, else the only one. */
static const char *signalr_output(azf_inv *inv, const char *name)
{
    size_t n = 0;
    const struct catalog_binding *b =
        catalog_output(inv->fn, "signalR", name, &n);
    if (!b)
        misconfigured(
            inv, name ? "no signalR output named" : "no signalR output binding",
            name);
    else if (!name && n > 1)
        misconfigured(inv, "several signalR outputs: name one", NULL);
    else
        return b->name;
    return NULL;
}

static void add_string(struct json_object *o, const char *key, const char *v)
{
    if (v)
        json_object_object_add(o, key, json_object_new_string(v));
}

void azf_send(azf_inv *inv, const struct azf_message *m)
{
    const char *out = signalr_output(inv, m->output);
    if (!out) {
        json_object_put(m->arguments);
        return;
    }
    struct json_object *msg = json_object_new_object();
    add_string(msg, "target", m->target);
    json_object_object_add(msg, "arguments",
                           m->arguments ? m->arguments
                                        : json_object_new_array());
    add_string(msg, "connectionId", m->connection_id);
    add_string(msg, "userId", m->user_id);
    add_string(msg, "groupName", m->group_name);
    if (m->excluded) {
        struct json_object *ex = json_object_new_array();
        for (const char *const *e = m->excluded; *e; e++)
            json_object_array_add(ex, json_object_new_string(*e));
        json_object_object_add(msg, "excluded", ex);
    }
    add_item(inv, out, msg);
}

void azf_broadcast(azf_inv *inv, const char *target, struct json_object *arg)
{
    struct json_object *args = json_object_new_array();
    json_object_array_add(args, arg);
    azf_send(inv, &(struct azf_message){.target = target, .arguments = args});
}

void azf_group(azf_inv *inv, const struct azf_group_action *a)
{
    const char *out = signalr_output(inv, a->output);
    if (!out)
        return;
    struct json_object *item = json_object_new_object();
    add_string(item, "action", a->action);
    add_string(item, "groupName", a->group_name);
    add_string(item, "userId", a->user_id);
    add_string(item, "connectionId", a->connection_id);
    add_item(inv, out, item);
}

void azf_output(azf_inv *inv, const char *name, struct json_object *value)
{
    const char *binding = NULL; /* the name, as the catalog keeps it */
    for (size_t i = 0; name && i < inv->fn->nbindings && !binding; i++)
        if (inv->fn->bindings[i].out &&
            strcmp(inv->fn->bindings[i].name, name) == 0)
            binding = inv->fn->bindings[i].name;
    if (!binding) {
        json_object_put(value);
        misconfigured(inv, "no output binding named", name ? name : "(null)");
        return;
    }
    add_item(inv, binding, value);
}

void azf_return(azf_inv *inv, struct json_object *value)
{
    json_object_put(inv->ret);
    inv->ret = value;
}
