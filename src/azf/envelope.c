/*
 * envelope.c - the invocation envelope in one pass (see envelope.h).
 *
 * yajl calls back for each token; yajl_get_bytes_consumed, read inside a
 * callback, is the offset just past that token, and a value starts at the
 * first byte after the previous token that is not white space, ':' or ','.
 * So each recorded member gets its span without a second look at the text.
 * yajl allocates from the envelope's arena: nothing is freed per token.
 */
#include "envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_parse.h>

#include "util/arena.h"
#include "util/jsonx.h"
#include "util/limits.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define NOT_RECORDED (-3)

struct member {
    const char *key; /* in the body, or in the arena when it had escapes */
    size_t klen;
    size_t start, end; /* the value: body[start..end) */
    int parent;        /* a member, or ENVELOPE_ROOT */
    int last;          /* one past the last member inside this one */
    enum env_kind kind;
    int decoded;                   /* value is set (it may be NULL) */
    struct json_object *value;     /* json-c's reading of the span */
    int unwrapped_set;             /* unwrapped is set */
    struct json_object *unwrapped; /* value with the host's layers undone */
    const char *text;              /* a string's text, once asked for */
    size_t tlen;
};

struct envelope {
    const char *body;
    size_t len;
    enum env_kind root;
    struct member *m;
    int n, cap;
    struct arena arena;
    /* The parse in progress. */
    yajl_handle h;
    size_t prev;                      /* end of the previous token */
    int depth;                        /* containers open */
    int pending;                      /* member awaiting its value */
    int open[LIMIT_JSON_DEPTH + 1];   /* member each container is */
    int parent[LIMIT_JSON_DEPTH + 1]; /* whose members its keys are */
};

struct envelope *envelope_new(void)
{
    struct envelope *e = xcalloc(1, sizeof *e);
    arena_init(&e->arena);
    return e;
}

void envelope_reset(struct envelope *e)
{
    for (int i = 0; i < e->n; i++) {
        json_object_put(e->m[i].value);
        json_object_put(e->m[i].unwrapped);
    }
    e->n = 0;
    e->root = ENV_NONE;
    e->body = NULL;
    e->len = 0;
    arena_reset(&e->arena);
}

void envelope_free(struct envelope *e)
{
    if (!e)
        return;
    envelope_reset(e);
    arena_release(&e->arena);
    free(e->m);
    free(e);
}

/* --- yajl's memory: the arena ------------------------------------------ */

/* Each block remembers its size, for realloc. */
#define HDR sizeof(max_align_t)

static void *y_malloc(void *ctx, size_t n)
{
    size_t *p = arena_alloc(ctx, HDR + n);
    *p = n;
    return (char *)p + HDR;
}

static void *y_realloc(void *ctx, void *old, size_t n)
{
    if (!old)
        return y_malloc(ctx, n);
    size_t had = *(size_t *)(void *)((char *)old - HDR);
    if (n <= had)
        return old;
    void *p = y_malloc(ctx, n);
    memcpy(p, old, had);
    return p;
}

static void y_free(void *ctx, void *p)
{
    (void)ctx;
    (void)p;
}

/* --- the callbacks -------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t value_start(const struct envelope *e)
{
    size_t i = e->prev;
    while (i < e->len &&
           (is_space(e->body[i]) || e->body[i] == ':' || e->body[i] == ','))
        i++;
    return i;
}

/* A value begins: the pending member (if any) is it. Returns the member
 * or -1. */
static int begin_value(struct envelope *e, enum env_kind kind)
{
    int m = e->pending;
    e->pending = -1;
    if (e->depth == 0 && e->root == ENV_NONE)
        e->root = kind;
    if (m < 0)
        return -1;
    e->m[m].kind = kind;
    e->m[m].start = value_start(e);
    return m;
}

static int scalar(void *ctx, enum env_kind kind)
{
    struct envelope *e = ctx;
    size_t end = yajl_get_bytes_consumed(e->h);
    int m = begin_value(e, kind);
    if (m >= 0) {
        e->m[m].end = end;
        e->m[m].last = m + 1;
    }
    e->prev = end;
    return 1;
}

static int on_null(void *ctx)
{
    return scalar(ctx, ENV_NULL);
}

static int on_bool(void *ctx, int v)
{
    (void)v;
    return scalar(ctx, ENV_BOOL);
}

static int on_number(void *ctx, const char *s, size_t n)
{
    (void)s;
    (void)n;
    return scalar(ctx, ENV_NUMBER);
}

/* A recorded string's text: in the body when it has no escapes (copied
 * when asked), else as yajl decoded it, kept now. yajl and json-c read
 * invalid \u surrogates differently, so text with \u is left to json-c. */
static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    struct envelope *e = ctx;
    const char *t = (const char *)s;
    int m = e->pending;
    int rc = scalar(ctx, ENV_STRING);
    if (m >= 0 && (t < e->body || t >= e->body + e->len)) {
        struct member *v = &e->m[m];
        if (!memmem(e->body + v->start, v->end - v->start, "\\u", 2)) {
            v->text = arena_strndup(&e->arena, t, n);
            v->tlen = n;
        }
    }
    return rc;
}

static int open_container(struct envelope *e, enum env_kind kind)
{
    if (e->depth >= LIMIT_JSON_DEPTH)
        return 0; /* as json-c: nesting too deep */
    int m = begin_value(e, kind);
    int d = ++e->depth;
    e->open[d] = m;
    if (kind == ENV_OBJECT && d <= ENVELOPE_DEPTH)
        e->parent[d] = d == 1 ? ENVELOPE_ROOT : m >= 0 ? m : NOT_RECORDED;
    else
        e->parent[d] = NOT_RECORDED;
    e->prev = yajl_get_bytes_consumed(e->h);
    return 1;
}

static int close_container(void *ctx)
{
    struct envelope *e = ctx;
    size_t end = yajl_get_bytes_consumed(e->h);
    int m = e->open[e->depth--];
    if (m >= 0) {
        e->m[m].end = end;
        e->m[m].last = e->n;
    }
    e->pending = -1;
    e->prev = end;
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, ENV_OBJECT);
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, ENV_ARRAY);
}

static int on_key(void *ctx, const unsigned char *key, size_t n)
{
    struct envelope *e = ctx;
    int parent = e->parent[e->depth];
    e->prev = yajl_get_bytes_consumed(e->h);
    e->pending = -1;
    if (parent == NOT_RECORDED)
        return 1;
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->m = xrealloc(e->m, (size_t)e->cap * sizeof *e->m);
    }
    const char *k = (const char *)key;
    if (k < e->body || k >= e->body + e->len) {
        /* Decoded from escapes: json-c keeps a key up to its first NUL. */
        k = arena_strndup(&e->arena, k, n);
        n = strlen(k);
    }
    e->m[e->n] = (struct member){.key = k, .klen = n, .parent = parent};
    e->pending = e->n++;
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_bool,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = close_container,
    .yajl_start_array = on_start_array,
    .yajl_end_array = close_container,
};

/* --- parsing ------------------------------------------------------------ */

/* Why body is refused, in jsonx_parse's words when json-c refuses it too;
 * else (a form only json-c lets through) in yajl's. */
static void refusal(struct envelope *e, char *err, size_t errlen)
{
    struct json_object *v = NULL;
    if (jsonx_parse(e->body, e->len, &v, err, errlen) < 0)
        return;
    json_object_put(v);
    unsigned char *why = e->h ? yajl_get_error(e->h, 0, NULL, 0) : NULL;
    snprintf(err, errlen, "invalid JSON: %s",
             why ? (const char *)why : "control character");
    if (why)
        yajl_free_error(e->h, why);
    /* yajl's message ends with a newline. */
    size_t n = strlen(err);
    if (n && err[n - 1] == '\n')
        err[n - 1] = '\0';
}

/* yajl does not see bytes after the value that begin a token it cannot
 * finish ("{}\""): only white space may follow. A scalar's end is not
 * known here (yajl ends a number on a byte of its own), so json-c judges
 * those: the host never sends one, and they are refused anyway. */
static int tail_ok(struct envelope *e)
{
    if (e->root != ENV_OBJECT && e->root != ENV_ARRAY) {
        struct json_object *v = NULL;
        char err[8];
        if (jsonx_parse(e->body, e->len, &v, err, sizeof err) < 0)
            return 0;
        json_object_put(v);
        return 1;
    }
    for (size_t i = e->prev; i < e->len; i++)
        if (!is_space(e->body[i]))
            return 0;
    return 1;
}

int envelope_parse(struct envelope *e, const char *body, size_t len, char *err,
                   size_t errlen)
{
    envelope_reset(e);
    if (jsonx_check_text(body, len, err, errlen) < 0)
        return -1;
    e->body = body;
    e->len = len;
    e->prev = 0;
    e->depth = 0;
    e->pending = -1;
    e->h = NULL;
    /* yajl takes \v and \f for white space; JSON does not. Inside a
     * string yajl refuses them too, so any is an error. */
    if (memchr(body, '\v', len) || memchr(body, '\f', len)) {
        refusal(e, err, errlen);
        return -1;
    }
    yajl_alloc_funcs af = {y_malloc, y_realloc, y_free, &e->arena};
    e->h = yajl_alloc(&callbacks, &af, e);
    /* utf8_valid has checked every byte, more strictly than yajl would. */
    yajl_config(e->h, yajl_dont_validate_strings, 1);
    yajl_status st = yajl_parse(e->h, (const unsigned char *)body, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(e->h);
    int rc = st == yajl_status_ok && tail_ok(e) ? 0 : -1;
    if (rc < 0)
        refusal(e, err, errlen);
    yajl_free(e->h);
    e->h = NULL;
    return rc;
}

/* --- reading ------------------------------------------------------------ */

enum env_kind envelope_kind(const struct envelope *e, int m)
{
    if (m == ENVELOPE_ROOT)
        return e->root;
    return m >= 0 && m < e->n ? e->m[m].kind : ENV_NONE;
}

int envelope_member(const struct envelope *e, int parent, const char *name)
{
    if (envelope_kind(e, parent) != ENV_OBJECT)
        return -1;
    int from = parent == ENVELOPE_ROOT ? 0 : parent + 1;
    int to = parent == ENVELOPE_ROOT ? e->n : e->m[parent].last;
    size_t len = strlen(name);
    int exact = -1, ci = -1;
    for (int i = from; i < to; i++) {
        const struct member *m = &e->m[i];
        if (m->parent != parent || m->klen != len)
            continue;
        if (memcmp(m->key, name, len) == 0)
            exact = i;
        else if (ci < 0 && strncasecmp(m->key, name, len) == 0)
            ci = i;
    }
    if (exact >= 0 || ci < 0)
        return exact;
    /* The first key that matches, with its last value. */
    for (int i = to - 1; i > ci; i--)
        if (e->m[i].parent == parent && e->m[i].klen == len &&
            memcmp(e->m[i].key, e->m[ci].key, len) == 0)
            return i;
    return ci;
}

struct json_object *envelope_value(struct envelope *e, int m)
{
    if (m < 0 || m >= e->n)
        return NULL;
    struct member *v = &e->m[m];
    if (!v->decoded) {
        char err[128];
        v->decoded = 1;
        /* The span was accepted as part of the whole: it parses. */
        if (jsonx_parse(e->body + v->start, v->end - v->start, &v->value, err,
                        sizeof err) < 0)
            v->value = NULL;
    }
    return v->value;
}

struct json_object *envelope_decoded(struct envelope *e, int m)
{
    struct json_object *v = envelope_value(e, m);
    if (!v || !json_object_is_type(v, json_type_string))
        return v;
    struct member *x = &e->m[m];
    if (!x->unwrapped_set) {
        x->unwrapped_set = 1;
        x->unwrapped = jsonx_unwrap(v, 2);
    }
    return x->unwrapped;
}

const char *envelope_text(struct envelope *e, int m, size_t *len)
{
    if (envelope_kind(e, m) != ENV_STRING)
        return NULL;
    struct member *v = &e->m[m];
    if (!v->text) {
        const char *raw = e->body + v->start + 1;
        size_t n = v->end - v->start - 2;
        if (!memchr(raw, '\\', n)) {
            v->text = arena_strndup(&e->arena, raw, n);
            v->tlen = n;
        } else {
            struct json_object *s = envelope_value(e, m);
            v->text = json_object_get_string(s);
            v->tlen = (size_t)json_object_get_string_len(s);
        }
    }
    if (len)
        *len = v->tlen;
    return v->text;
}
