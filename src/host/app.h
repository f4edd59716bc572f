/*
 * app.h - the function app folder as the local host reads it.
 *
 * Loads host.json (customHandler.description, functionTimeout, the HTTP
 * route prefix), every <dir>/function.json (one function per folder, named
 * after the folder) and local.settings.json (Values, Host.LocalHttpPort,
 * Host.CORS, Host.CORSCredentials), and checks them the way the Functions
 * host does before it starts anything (customHandler, bindings, schedules).
 * A problem is reported in err naming the file and the field.
 *
 * Not the process launcher (worker.h) nor the HTTP side (front.h): this
 * module only reads files and never logs. Everything in struct app is owned
 * by it and released by app_release().
 */
#ifndef HOST_APP_H
#define HOST_APP_H

#include <stddef.h>

#include <json-c/json.h>

#include "host/authlevel.h"
#include "host/hdesc.h"
#include "host/qopts.h"

/* APP_FN_ERROR: a function this host cannot serve (a binding type it does
 * not implement). As the Functions host does with a function "in error",
 * it is listed at start with the reason and never invoked; the rest of the
 * app runs. */
enum app_fn_kind {
    APP_FN_HTTP,
    APP_FN_TIMER,
    APP_FN_SIGNALR,
    APP_FN_QUEUE,
    APP_FN_ERROR
};

/* HTTP methods as bits; 0 in app_function.methods means "every method". */
enum {
    APP_M_GET = 1 << 0,
    APP_M_POST = 1 << 1,
    APP_M_PUT = 1 << 2,
    APP_M_DELETE = 1 << 3,
    APP_M_PATCH = 1 << 4,
    APP_M_HEAD = 1 << 5,
    APP_M_OPTIONS = 1 << 6,
};

struct app_function {
    char *name; /* folder name, case kept: the handler path /name */
    enum app_fn_kind kind;
    char *error;        /* APP_FN_ERROR: why it cannot be served */
    char *trigger_name; /* the trigger binding's name ("req", "myTimer") */
    /* HTTP trigger */
    enum auth_level auth_level; /* authLevel; "function" when unset */
    char *route;                /* route template (function name when unset) */
    unsigned methods;           /* APP_M_* bits; 0 = any method */
    char *http_out;             /* name of the http output binding, or NULL */
    /* exactly one input binding, the httpTrigger, and one output, the http
     * one: what the host forwards raw (hdesc.h, forward.h) */
    int http_in_out;
    /* AzureWebJobs.<name>.Disabled is "true" or "1" (select.h) */
    int disabled;
    /* timer trigger */
    char *schedule;
    int run_on_startup;
    int use_monitor;
    /* signalRTrigger: hubName, category, event and the binding itself,
     * borrowed from bindings */
    const char *sr_hub;
    const char *sr_category;
    const char *sr_event;
    struct json_object *sr_binding;
    /* queueTrigger: the queue (%settings% resolved, lower-cased) and the
     * binding's "connection" (NULL: AzureWebJobsStorage) */
    char *queue_name;
    char *queue_connection;
    /* every binding, as read (a new reference owned here) */
    struct json_object *bindings;
};

struct app_setting {
    char *name;
    char *value;
};

struct app {
    char *root;              /* absolute path of the app folder */
    struct hdesc handler;    /* customHandler (or httpWorker) */
    long function_timeout_s; /* functionTimeout; -1 unbounded */
    char *route_prefix;      /* extensions.http.routePrefix, default "api" */
    struct app_function *fns;
    size_t nfns;
    struct app_setting *values; /* local.settings.json Values */
    size_t nvalues;
    int port;    /* Host.LocalHttpPort, else 7071 */
    char **cors; /* Host.CORS origins ("*" allowed) */
    size_t ncors;
    int cors_credentials;
    struct qopts queues; /* host.json extensions.queues over the defaults */
};

/* Read the app in dir. Returns 0, or -1 with "file: field: problem" in err.
 * app needs no init; on error it holds nothing to release. */
int app_load(const char *dir, struct app *app, char *err, size_t errlen);
void app_release(struct app *app);

/* Keep the functions keep() accepts, release the others (order kept).
 * Call before anything borrows a function. */
void app_keep(struct app *app,
              int (*keep)(const struct app_function *fn, void *ctx), void *ctx);

/* The function named name (exact case, then case-insensitive), borrowed. */
const struct app_function *app_find(const struct app *app, const char *name);

/* An app setting as the handler sees it: func-local's own environment wins,
 * then local.settings.json Values. Borrowed; NULL when unset. */
const char *app_setting(const struct app *app, const char *name);

/* "POST,GET" for a method mask (0 → every method); writes into out. */
void app_methods_text(unsigned methods, char *out, size_t outlen);
/* APP_M_* bit of a method name (any case), or 0 when unknown. */
unsigned app_method_bit(const char *method);

#endif
