/*
 * inv.h - one invocation as the runtime holds it: the handle behind
 * azf_inv (azf.h), made by the dispatch step for one call of one function
 * and freed after its reply is encoded.
 *
 * The invocation owns the response under construction and every value it
 * decoded for the function; the envelope, the catalog entry and the
 * context are borrowed from the dispatch step.
 */
#ifndef AZF_INV_H
#define AZF_INV_H

#include <time.h>

#include <json-c/json.h>

#include "azf.h"
#include "catalog.h"

/* What every invocation of one running app shares (borrowed). */
struct azf_context {
    const char *app_root;
    void *app_data;
    /* An app setting by name, or NULL (getenv when NULL). */
    const char *(*setting)(const char *name);
};

struct azf_inv {
    const struct azf_context *ctx;
    const struct catalog_fn *fn;
    azf_kind kind;
    struct json_object *env;     /* the envelope (borrowed) */
    struct json_object *trigger; /* Data.<trigger name> as sent (borrowed) */
    struct json_object *resp;    /* {"Outputs", "Logs", "ReturnValue"} */
    struct json_object *reply;   /* the HTTP reply, or NULL */
    struct json_object *headers; /* its headers (kept in reply when set) */
    struct json_object *keep;    /* decoded values handed out (an array) */
    struct json_object *lines;   /* [{level, message}] for stdout */
    const char *invocation_id;
    time_t now;
    char failure[256]; /* why the invocation failed (azf_fail), or "" */
    int misconfigured; /* an output the code wrote has no binding */
};

/* Start an invocation of fn (its trigger checked by the caller). */
void inv_init(struct azf_inv *inv, const struct azf_context *ctx,
              const struct catalog_fn *fn, azf_kind kind,
              struct json_object *env, const char *invocation_id);
/* Move the HTTP reply into Outputs (or ReturnValue for $return). */
void inv_finish(struct azf_inv *inv);
void inv_release(struct azf_inv *inv);

/* The status code of the HTTP reply, or 0 when there is none. */
int inv_reply_status(const struct azf_inv *inv);

#endif
