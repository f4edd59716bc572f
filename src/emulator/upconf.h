/*
 * upconf.h - where upstream calls go: the emulator's upstream templates.
 *
 * An ordered list of {UrlTemplate, HubPattern, CategoryPattern,
 * EventPattern}, filled from --upstream (patterns "*") and from the
 * official emulator's settings.json
 *   {"UpstreamSettings":{"Templates":[{"UrlTemplate":..., "HubPattern":...,
 *    "CategoryPattern":..., "EventPattern":...}]}}
 * (read as .NET configuration reads it: property names matched
 * case-insensitively, a UTF-8 BOM, comments and trailing commas allowed;
 * a missing pattern is "*"; an empty one matches nothing). The first
 * template whose three patterns match gets the call. Patterns are "*",
 * "a,b,c" or an exact name, compared
 * case-sensitively like the official emulator (proto/upstream.h has the
 * matcher and the {hub}/{category}/{event} expansion).
 * Pure: no I/O except upconf_load_file reading the file it is given, no
 * logging; errors go to the caller's err buffer. Not the HTTP client
 * (upclient.h is).
 */
#ifndef EMULATOR_UPCONF_H
#define EMULATOR_UPCONF_H

#include <stddef.h>

/* What `--upstream default` stands for: the local Functions host. */
#define UPCONF_DEFAULT_URL "http://localhost:7071/runtime/webhooks/signalr"

struct upconf_template {
    char *url, *hub, *category, *event; /* owned */
};

struct upconf {
    struct upconf_template *t; /* owned array */
    size_t n;
};

void upconf_init(struct upconf *c);
void upconf_release(struct upconf *c);

/* Append a template (strings copied; NULL patterns mean "*"). The URL
 * template must be an absolute http:// or https:// URL. Returns 0, or -1
 * with a reason in err. */
int upconf_add(struct upconf *c, const char *url, const char *hub,
               const char *category, const char *event, char *err,
               size_t errlen);

/* Append the templates of a settings.json text (len bytes). Returns 0, or
 * -1 with a reason in err (nothing appended then). */
int upconf_load_json(struct upconf *c, const char *text, size_t len, char *err,
                     size_t errlen);
/* The same from a file. */
int upconf_load_file(struct upconf *c, const char *path, char *err,
                     size_t errlen);

/* The expanded URL of the first matching template for (hub, category,
 * event): a new string (caller frees), or NULL when none matches. */
char *upconf_url(const struct upconf *c, const char *hub, const char *category,
                 const char *event);

/* url without its query and fragment, for log lines (an Azure function
 * URL carries its key in ?code=). New string, caller frees. */
char *upconf_loggable(const char *url);

#endif
