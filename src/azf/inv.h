/*
 * inv.h - one invocation as the runtime holds it: the handle behind
 * azf_inv (azf.h), made by the dispatch step for one call of one function
 * and freed after its reply is encoded.
 *
 * The invocation owns the outputs the function wrote (kept as they came,
 * encoded once by inv_encode) and every value it decoded for the function;
 * the envelope, the catalog entry, the context and the memory are borrowed
 * from the dispatch step.
 */
#ifndef AZF_INV_H
#define AZF_INV_H

#include <time.h>

#include <json-c/json.h>

#include "azf.h"
#include "catalog.h"
#include "envelope.h"
#include "util/arena.h"
#include "util/buf.h"

/* What every invocation of one running app shares (borrowed). */
struct azf_context {
    const char *app_root;
    void *app_data;
    /* An app setting by name, or NULL (getenv when NULL). */
    const char *(*setting)(const char *name);
};

/* What an invocation keeps its own bookkeeping in: the reply's body and
 * headers, the lists of outputs and of decoded values (in the arena), its
 * Logs and stdout lines. One per thread, kept from one invocation to the
 * next and reset by inv_init, so a thread stops calling malloc for them
 * once they have grown to what its invocations need. */
struct inv_memory {
    struct arena arena;
    struct buf logs;  /* Logs: JSON strings separated by ',' */
    struct buf lines; /* for stdout: per log call, '0' + level, message, NUL */
};

void inv_memory_init(struct inv_memory *m);
void inv_memory_release(struct inv_memory *m);

/* An output binding's items, in the order the function added them. */
struct inv_output {
    const char *name;           /* the binding's (borrowed from the catalog) */
    struct json_object **items; /* owned, each; the list is in the arena */
    size_t nitems;
};

/* A header of the HTTP reply. */
struct inv_header {
    char *name;
    char *value;
};

struct azf_inv {
    const struct azf_context *ctx;
    struct inv_memory *mem; /* borrowed */
    const struct catalog_fn *fn;
    azf_kind kind;
    struct envelope *env; /* the envelope's records (borrowed) */
    int data;             /* its member Data */
    int trigger;          /* Data.<trigger name>, or -1 */
    /* The HTTP reply: status 0 when there is none. */
    int status;
    char *body; /* in the arena, as the headers */
    size_t body_len;
    struct inv_header *headers;
    size_t nheaders;
    const char *reply_to;       /* its binding's name (inv_finish), or NULL */
    struct inv_output *outputs; /* one per output binding written */
    size_t noutputs;
    struct json_object *ret;   /* ReturnValue, or NULL (null) */
    struct json_object **keep; /* decoded values handed out (owned, each) */
    size_t nkeep;
    const char *invocation_id;
    time_t now;
    char failure[256]; /* why the invocation failed (azf_fail), or "" */
    int misconfigured; /* an output the code wrote has no binding */
};

/* Start an invocation of fn on the envelope env, whose member Data is
 * data (its trigger checked by the caller), in mem (reset here; it must
 * outlive the invocation and serve no other at the same time). */
void inv_init(struct azf_inv *inv, struct inv_memory *mem,
              const struct azf_context *ctx, const struct catalog_fn *fn,
              azf_kind kind, struct envelope *env, int data,
              const char *invocation_id);
/* Find the HTTP reply's binding (its http output, or $return). */
void inv_finish(struct azf_inv *inv);
/* Append the response {"Outputs", "Logs", "ReturnValue"} to out: each
 * value the function gave as json_object is serialized once, the rest is
 * written as it is. Returns 0, or -1 when out is full. */
int inv_encode(const struct azf_inv *inv, struct buf *out);
void inv_release(struct azf_inv *inv);

/* The status code of the HTTP reply, or 0 when there is none. */
int inv_reply_status(const struct azf_inv *inv);

#endif
