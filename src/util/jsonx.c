/* jsonx.c - json-c helpers (see jsonx.h). */
#include "jsonx.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/limits.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* One tokener per thread, reset for each text: creating one costs about a
 * tenth of parsing a whole invocation envelope. Freed when its thread
 * exits. */
static pthread_key_t tok_key;
static pthread_once_t tok_once = PTHREAD_ONCE_INIT;

static void tok_free(void *p)
{
    json_tokener_free(p);
}

static void tok_key_init(void)
{
    pthread_key_create(&tok_key, tok_free);
}

static struct json_tokener *thread_tokener(void)
{
    pthread_once(&tok_once, tok_key_init);
    struct json_tokener *tok = pthread_getspecific(tok_key);
    if (!tok) {
        tok = json_tokener_new_ex(LIMIT_JSON_DEPTH);
        /* UTF-8 is checked once, strictly, by utf8_valid before parsing
         * (json-c's own check would be a weaker second pass). */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        pthread_setspecific(tok_key, tok);
    }
    json_tokener_reset(tok);
    return tok;
}

int jsonx_check_text(const char *s, size_t len, char *err, size_t errlen)
{
    if (len == 0) {
        snprintf(err, errlen, "empty JSON text");
        return -1;
    }
    if (memchr(s, '\0', len)) {
        snprintf(err, errlen, "JSON text contains a NUL byte");
        return -1;
    }
    size_t bad = 0;
    if (!utf8_valid(s, len, &bad)) {
        snprintf(err, errlen, "invalid UTF-8 at byte %zu", bad);
        return -1;
    }
    if (len > (size_t)0x7fffffff) {
        snprintf(err, errlen, "JSON text too large");
        return -1;
    }
    return 0;
}

int jsonx_parse(const char *s, size_t len, struct json_object **out, char *err,
                size_t errlen)
{
    *out = NULL;
    if (jsonx_check_text(s, len, err, errlen) < 0)
        return -1;
    struct json_tokener *tok = thread_tokener();
    struct json_object *v = json_tokener_parse_ex(tok, s, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue && used == len) {
        /* A bare literal or number ends only at a delimiter: give one. */
        v = json_tokener_parse_ex(tok, " ", 1);
        jerr = json_tokener_get_error(tok);
    }
    if (jerr == json_tokener_continue) {
        snprintf(err, errlen, "truncated JSON text");
        goto fail;
    }
    if (jerr != json_tokener_success) {
        snprintf(err, errlen, "invalid JSON at byte %zu: %s", used,
                 json_tokener_error_desc(jerr));
        goto fail;
    }
    /* Trailing white space is fine, anything else is not. */
    for (size_t i = used; i < len; i++) {
        if (!strchr(" \t\r\n", s[i])) {
            snprintf(err, errlen, "unexpected bytes after JSON value at %zu",
                     i);
            goto fail;
        }
    }
    *out = v;
    return 0;
fail:
    json_object_put(v);
    return -1;
}

struct json_object *jsonx_get_ci(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object))
        return NULL;
    if (json_object_object_get_ex(obj, key, &v))
        return v;
    json_object_object_foreach(obj, k, val)
    {
        if (strcasecmp(k, key) == 0)
            return val;
    }
    return NULL;
}

int jsonx_has_ci(struct json_object *obj, const char *key)
{
    if (!obj || !json_object_is_type(obj, json_type_object))
        return 0;
    if (json_object_object_get_ex(obj, key, NULL))
        return 1;
    json_object_object_foreach(obj, k, val)
    {
        (void)val;
        if (strcasecmp(k, key) == 0)
            return 1;
    }
    return 0;
}

const char *jsonx_str(struct json_object *obj, const char *key)
{
    struct json_object *v = jsonx_get_ci(obj, key);
    if (!v || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

struct json_object *jsonx_unwrap(struct json_object *v, int max_layers)
{
    struct json_object *cur = json_object_get(v);
    char err[128];
    for (int i = 0;
         i < max_layers && cur && json_object_is_type(cur, json_type_string);
         i++) {
        struct json_object *next = NULL;
        const char *s = json_object_get_string(cur);
        size_t n = (size_t)json_object_get_string_len(cur);
        if (jsonx_parse(s, n, &next, err, sizeof err) < 0 || !next)
            break;
        json_object_put(cur);
        cur = next;
    }
    return cur;
}

char *jsonx_error_text(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    char *s = xstrdup(jsonx_compact(o));
    json_object_put(o);
    return s;
}

const char *jsonx_compact(struct json_object *v)
{
    return json_object_to_json_string_ext(
        v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int jsonx_append_string(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    static const char named[] = "\"\\\b\n\r\t\f", letter[] = "\"\\bnrtf";
    size_t run = 0; /* start of the bytes not appended yet */
    int rc = buf_append(b, "\"", 1);
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        const char *k = c ? memchr(named, c, sizeof named - 1) : NULL;
        char esc[6] = {'\\',        k ? letter[k - named] : 'u',
                       '0',         '0',
                       hex[c >> 4], hex[c & 0xf]};
        rc = buf_append(b, s + run, i - run);
        if (rc == 0)
            rc = buf_append(b, esc, k ? 2 : 6);
        run = i + 1;
    }
    if (rc == 0)
        rc = buf_append(b, s + run, n - run);
    return rc == 0 ? buf_append(b, "\"", 1) : rc;
}
