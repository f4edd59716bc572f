/* route.c - route template matching (see route.h). */
#include "route.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"
#include "util/banned.h"

#define ROUTE_MAX_SEGS 64

struct segs {
    char *copy;
    char *s[ROUTE_MAX_SEGS];
    size_t n;
};

/* Split on '/', dropping one trailing empty segment. -1 when too many. */
static int split(const char *p, struct segs *out)
{
    out->copy = xstrdup(p);
    out->n = 0;
    size_t len = strlen(out->copy);
    if (len && out->copy[len - 1] == '/')
        out->copy[len - 1] = '\0';
    if (!out->copy[0])
        return 0;
    char *cur = out->copy;
    for (;;) {
        if (out->n == ROUTE_MAX_SEGS)
            return -1;
        out->s[out->n++] = cur;
        char *slash = strchr(cur, '/');
        if (!slash)
            break;
        *slash = '\0';
        cur = slash + 1;
    }
    return 0;
}

/* A parameter segment "{...}" parsed in place. */
struct param {
    char name[128];
    int catch_all;
    int optional;
    char constraint[32];
};

/* Returns 1 if seg is a parameter, 0 if a literal, -1 if malformed. */
static int parse_param(const char *seg, struct param *p, char *err,
                       size_t errlen)
{
    size_t n = strlen(seg);
    memset(p, 0, sizeof *p);
    if (!strchr(seg, '{') && !strchr(seg, '}'))
        return 0;
    if (n < 3 || seg[0] != '{' || seg[n - 1] != '}' ||
        memchr(seg + 1, '{', n - 2) || memchr(seg + 1, '}', n - 2)) {
        snprintf(err, errlen,
                 "segment \"%s\": a parameter must be a whole "
                 "segment {name}",
                 seg);
        return -1;
    }
    const char *b = seg + 1;
    size_t len = n - 2;
    while (len && *b == '*') {
        p->catch_all = 1;
        b++;
        len--;
    }
    const char *colon = memchr(b, ':', len);
    const char *eq = memchr(b, '=', len);
    size_t nl = len;
    if (colon)
        nl = (size_t)(colon - b);
    if (eq && (size_t)(eq - b) < nl)
        nl = (size_t)(eq - b);
    if (nl && b[nl - 1] == '?') {
        p->optional = 1;
        nl--;
    }
    if (len && b[len - 1] == '?')
        p->optional = 1;
    if (nl == 0 || nl >= sizeof p->name) {
        snprintf(err, errlen, "segment \"%s\": bad parameter name", seg);
        return -1;
    }
    memcpy(p->name, b, nl);
    for (size_t i = 0; i < nl; i++)
        if (!isalnum((unsigned char)p->name[i]) && p->name[i] != '_' &&
            p->name[i] != '-') {
            snprintf(err, errlen, "segment \"%s\": bad parameter name", seg);
            return -1;
        }
    if (colon) {
        const char *c = colon + 1;
        size_t cl = strcspn(c, ":=?}");
        if (cl >= sizeof p->constraint)
            cl = sizeof p->constraint - 1;
        memcpy(p->constraint, c, cl);
    }
    return 1;
}

static int constraint_ok(const char *c, const char *v)
{
    if (!c[0])
        return 1;
    if (!strcasecmp(c, "int") || !strcasecmp(c, "long")) {
        const char *s = v + (*v == '-');
        if (!*s)
            return 0;
        for (; *s; s++)
            if (!isdigit((unsigned char)*s))
                return 0;
        return 1;
    }
    if (!strcasecmp(c, "alpha")) {
        for (const char *s = v; *s; s++)
            if (!isalpha((unsigned char)*s))
                return 0;
        return 1;
    }
    if (!strcasecmp(c, "bool"))
        return !strcasecmp(v, "true") || !strcasecmp(v, "false");
    if (!strcasecmp(c, "guid")) {
        size_t hex = 0;
        for (const char *s = v; *s; s++) {
            if (isxdigit((unsigned char)*s))
                hex++;
            else if (!strchr("-{}()", *s))
                return 0;
        }
        return hex == 32;
    }
    return 1;
}

int route_check(const char *tmpl, char *err, size_t errlen)
{
    struct segs t = {0};
    struct param p;
    int rc = -1;
    if (split(tmpl, &t) < 0) {
        snprintf(err, errlen, "too many segments");
        goto out;
    }
    for (size_t i = 0; i < t.n; i++) {
        int k = parse_param(t.s[i], &p, err, errlen);
        if (k < 0)
            goto out;
        if (k == 0 && !t.s[i][0]) {
            snprintf(err, errlen, "empty segment");
            goto out;
        }
        if (k == 1 && (p.catch_all || p.optional) && i + 1 != t.n) {
            snprintf(err, errlen,
                     "{%s%s}: only the last segment may be "
                     "optional or a catch-all",
                     p.catch_all ? "*" : "", p.name);
            goto out;
        }
    }
    rc = 0;
out:
    free(t.copy);
    return rc;
}

int route_match(const char *tmpl, const char *path, struct json_object *params)
{
    struct segs t = {0}, ps = {0};
    struct param p;
    char err[128];
    struct json_object *found = json_object_new_object();
    int ok = 0;
    if (split(tmpl, &t) < 0 || split(path, &ps) < 0)
        goto out;
    size_t i;
    for (i = 0; i < t.n; i++) {
        int k = parse_param(t.s[i], &p, err, sizeof err);
        if (k < 0)
            goto out;
        if (k == 0) {
            if (i >= ps.n || strcasecmp(t.s[i], ps.s[i]) != 0)
                goto out;
            continue;
        }
        if (p.catch_all) {
            struct json_object *v = NULL;
            if (i < ps.n) {
                /* ps.s[] are consecutive pieces of one copy: re-join. */
                size_t len = 0;
                for (size_t j = i; j < ps.n; j++)
                    len += strlen(ps.s[j]) + 1;
                char *joined = xmalloc(len + 1);
                size_t at = 0;
                for (size_t j = i; j < ps.n; j++) {
                    size_t l = strlen(ps.s[j]);
                    if (at)
                        joined[at++] = '/';
                    memcpy(joined + at, ps.s[j], l);
                    at += l;
                }
                joined[at] = '\0';
                v = json_object_new_string(joined);
                free(joined);
            }
            json_object_object_add(found, p.name, v);
            ps.n = i; /* everything consumed */
            i = t.n;
            break;
        }
        if (i >= ps.n) {
            if (!p.optional)
                goto out;
            json_object_object_add(found, p.name, NULL);
            continue;
        }
        if (!ps.s[i][0] || !constraint_ok(p.constraint, ps.s[i]))
            goto out;
        json_object_object_add(found, p.name, json_object_new_string(ps.s[i]));
    }
    if (i < ps.n || (t.n < ps.n))
        goto out;
    ok = 1;
    if (params) {
        json_object_object_foreach(found, k, v)
            json_object_object_add(params, k, json_object_get(v));
    }
out:
    free(t.copy);
    free(ps.copy);
    json_object_put(found);
    return ok;
}

/* The precedence digits of a template (see route.h); returns the count. */
static size_t precedence_digits(const char *tmpl, int *digits, size_t max)
{
    struct segs t = {0};
    struct param p;
    char err[128];
    size_t n = 0;
    if (split(tmpl, &t) == 0)
        for (size_t i = 0; i < t.n && n < max; i++) {
            int k = parse_param(t.s[i], &p, err, sizeof err);
            int d = 1;
            if (k == 1)
                d = (p.catch_all ? 5 : 3) - (p.constraint[0] ? 1 : 0);
            digits[n++] = d;
        }
    free(t.copy);
    return n;
}

int route_precedence_cmp(const char *a, const char *b)
{
    int da[ROUTE_MAX_SEGS], db[ROUTE_MAX_SEGS];
    size_t na = precedence_digits(a, da, ROUTE_MAX_SEGS);
    size_t nb = precedence_digits(b, db, ROUTE_MAX_SEGS);
    for (size_t i = 0; i < na || i < nb; i++) {
        int x = i < na ? da[i] : 0, y = i < nb ? db[i] : 0;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* A value the constraint accepts. */
static const char *sample_value(const char *c)
{
    if (!strcasecmp(c, "int") || !strcasecmp(c, "long"))
        return "1";
    if (!strcasecmp(c, "bool"))
        return "true";
    if (!strcasecmp(c, "guid"))
        return "00000000-0000-0000-0000-000000000001";
    return "x";
}

int route_sample(const char *tmpl, char *out, size_t outlen)
{
    struct segs t = {0};
    struct param p;
    char err[128];
    size_t used = 0;
    int rc = 0;
    out[0] = '\0';
    if (split(tmpl, &t) < 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        int k = parse_param(t.s[i], &p, err, sizeof err);
        const char *v = k == 1 ? sample_value(p.constraint) : t.s[i];
        int w = snprintf(out + used, outlen - used, "%s%s", i ? "/" : "", v);
        if (w < 0 || (size_t)w >= outlen - used)
            rc = -1;
        else
            used += (size_t)w;
    }
    free(t.copy);
    return rc;
}
