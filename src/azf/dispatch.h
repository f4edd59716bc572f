/*
 * dispatch.h - one invocation without sockets: decode the envelope once,
 * find the function, check the envelope against its trigger, call it,
 * encode the reply once, log. The server calls it for POST /{name}; tests
 * (the app's and a function author's) call it directly with an envelope.
 *
 * Replies: 200 with {"Outputs", "Logs", "ReturnValue"}; 500 {"error"} when
 * the function failed its invocation (the host then fails it); for what
 * the host could never send, 404 (no such function) or 400 (a malformed
 * envelope), each with a JSON {"error"} and a log line.
 */
#ifndef AZF_DISPATCH_H
#define AZF_DISPATCH_H

#include <stddef.h>

#include "util/buf.h"

struct dispatch_config {
    const char *app_root; /* the folder with host.json and the function
                             folders (borrowed for the dispatcher's life) */
    void *app_data;       /* given to functions (azf_app_data) */
    /* App settings by name (NULL: the environment). */
    const char *(*setting)(const char *name);
};

struct dispatcher;

/* Read the app's function.json files and match them with the registered
 * functions (mismatches are logged: the host would not start those either).
 * NULL with err when the app folder cannot be read. */
struct dispatcher *dispatcher_new(const struct dispatch_config *cfg, char *err,
                                  size_t errlen);
void dispatcher_free(struct dispatcher *d);

/* The largest response dispatch writes (a bigger one is a 500). */
#define DISPATCH_RESPONSE_MAX ((size_t)1 << 30)

/* Run function name on the envelope body[0..len). *status gets the HTTP
 * status of the reply; returns its body (new string, caller frees).
 * invocation_id may be NULL. Thread-safe. */
char *dispatch(struct dispatcher *d, const char *name, const char *body,
               size_t len, const char *invocation_id, int *status);
/* The same, the reply's body written into out (emptied first; a reply over
 * out->max is a 500 saying so); returns the status. For a caller that
 * keeps one buffer from one invocation to the next (the server: one per
 * connection). */
int dispatch_into(struct dispatcher *d, const char *name, const char *body,
                  size_t len, const char *invocation_id, struct buf *out);

#endif
