/* upconf.c - the emulator's upstream templates (see upconf.h). */
#include "upconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "proto/upstream.h"
#include "util/jsonfile.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

void upconf_init(struct upconf *c)
{
    c->t = NULL;
    c->n = 0;
}

void upconf_release(struct upconf *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->t[i].url);
        free(c->t[i].hub);
        free(c->t[i].category);
        free(c->t[i].event);
    }
    free(c->t);
    upconf_init(c);
}

static int absolute_http(const char *url)
{
    const char *rest;
    if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8;
    else
        return 0;
    /* a host, and nothing a header line or a URL cannot hold */
    if (!*rest || *rest == '/' || *rest == '?' || *rest == '#')
        return 0;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

int upconf_add(struct upconf *c, const char *url, const char *hub,
               const char *category, const char *event, char *err,
               size_t errlen)
{
    if (!url || !*url) {
        snprintf(err, errlen, "an upstream template needs a UrlTemplate");
        return -1;
    }
    if (!absolute_http(url)) {
        char *shown = upconf_loggable(url);
        snprintf(err, errlen,
                 "upstream URL template '%.200s' is not an absolute "
                 "http:// or https:// URL",
                 shown);
        free(shown);
        return -1;
    }
    c->t = xrealloc(c->t, (c->n + 1) * sizeof *c->t);
    struct upconf_template *t = &c->t[c->n++];
    t->url = xstrdup(url);
    t->hub = xstrdup(hub ? hub : "*");
    t->category = xstrdup(category ? category : "*");
    t->event = xstrdup(event ? event : "*");
    return 0;
}

/* A pattern member: absent → "*" (*out NULL); else it must be a string. */
static int pattern(struct json_object *item, const char *name, const char **out,
                   size_t index, char *err, size_t errlen)
{
    *out = NULL;
    if (!jsonx_has_ci(item, name))
        return 0;
    struct json_object *v = jsonx_get_ci(item, name);
    if (!v || !json_object_is_type(v, json_type_string)) {
        snprintf(err, errlen,
                 "UpstreamSettings.Templates[%zu].%s must be a "
                 "string",
                 index, name);
        return -1;
    }
    *out = json_object_get_string(v);
    return 0;
}

/* Add the templates of a parsed settings.json, all or nothing. */
static int load_root(struct upconf *c, struct json_object *root, char *err,
                     size_t errlen)
{
    struct upconf add;
    int rc = -1;
    char why[200];
    upconf_init(&add);
    struct json_object *us = jsonx_get_ci(root, "UpstreamSettings");
    struct json_object *ts = jsonx_get_ci(us, "Templates");
    if (!json_object_is_type(root, json_type_object) ||
        !json_object_is_type(us, json_type_object) ||
        !json_object_is_type(ts, json_type_array)) {
        snprintf(err, errlen,
                 "want {\"UpstreamSettings\":{\"Templates\":"
                 "[...]}}");
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(ts); i++) {
        struct json_object *item = json_object_array_get_idx(ts, i);
        const char *h, *cat, *ev;
        if (!json_object_is_type(item, json_type_object)) {
            snprintf(err, errlen,
                     "UpstreamSettings.Templates[%zu] is not an object", i);
            goto out;
        }
        if (pattern(item, "HubPattern", &h, i, err, errlen) < 0 ||
            pattern(item, "CategoryPattern", &cat, i, err, errlen) < 0 ||
            pattern(item, "EventPattern", &ev, i, err, errlen) < 0)
            goto out;
        const char *url = jsonx_str(item, "UrlTemplate");
        if (upconf_add(&add, url, h, cat, ev, why, sizeof why) < 0) {
            snprintf(err, errlen, "UpstreamSettings.Templates[%zu]: %s", i,
                     why);
            goto out;
        }
    }
    /* All or nothing: move the new templates over. */
    c->t = xrealloc(c->t, (c->n + add.n + 1) * sizeof *c->t);
    if (add.n)
        memcpy(c->t + c->n, add.t, add.n * sizeof *add.t);
    c->n += add.n;
    free(add.t);
    upconf_init(&add);
    rc = 0;
out:
    upconf_release(&add);
    return rc;
}

/* settings.json as .NET configuration reads it: an optional UTF-8 BOM,
 * comments and trailing commas allowed, nothing but white space after the
 * value. */
int upconf_load_json(struct upconf *c, const char *text, size_t len, char *err,
                     size_t errlen)
{
    struct json_object *root = NULL;
    char why[200];
    if (jsonfile_parse(text, len, JSONFILE_LENIENT, &root, why, sizeof why) <
        0) {
        snprintf(err, errlen, "not valid JSON: %s", why);
        return -1;
    }
    int rc = load_root(c, root, err, errlen);
    json_object_put(root);
    return rc;
}

int upconf_load_file(struct upconf *c, const char *path, char *err,
                     size_t errlen)
{
    struct json_object *root = NULL;
    char why[300];
    int rc = jsonfile_load(path, JSONFILE_LENIENT, &root, why, sizeof why);
    if (rc == 1) {
        snprintf(err, errlen, "%s: %s", path, strerror(ENOENT));
        return -1;
    }
    if (rc == JSONFILE_SYNTAX) {
        snprintf(err, errlen, "%s: not valid JSON: %s", path, why);
        return -1;
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    rc = load_root(c, root, why, sizeof why);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, why);
    json_object_put(root);
    return rc;
}

char *upconf_url(const struct upconf *c, const char *hub, const char *category,
                 const char *event)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct upconf_template *t = &c->t[i];
        if (upstream_pattern_match(t->hub, hub, 0) &&
            upstream_pattern_match(t->category, category, 0) &&
            upstream_pattern_match(t->event, event, 0))
            return upstream_expand(t->url, hub, category, event);
    }
    return NULL;
}

char *upconf_loggable(const char *url)
{
    return xstrndup(url, strcspn(url, "?#"));
}
