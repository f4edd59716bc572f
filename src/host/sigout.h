/*
 * sigout.h - the signalR output binding: items → SignalR REST calls.
 *
 * Reads Outputs.<name> as the host and the SignalR extension do: an array
 * of objects, a lone object, or a string holding either; each object is a
 * message (it has "target") or a group action (it has "action": add,
 * remove, removeAll), property names matched case-insensitively. Each item
 * becomes one call of the 2022-06-01 data-plane API, in item order. Errors
 * carry the extension's own messages (tests/vectors/signalr-output-items.json).
 *
 * Pure planning only: sigrest.h performs the calls. No I/O, no logging.
 */
#ifndef HOST_SIGOUT_H
#define HOST_SIGOUT_H

#include <stddef.h>

#include <json-c/json.h>

#define SIGOUT_API_VERSION "2022-06-01"

struct sigout_call {
    const char *method; /* "POST", "PUT" or "DELETE" (static) */
    char *path;         /* "/api/hubs/<hub>/...?api-version=2022-06-01" */
    char *body;         /* {"Target":...,"Arguments":[...]} or NULL */
    int not_existed_ok; /* 404 + Error.Connection.NotExisted is success */
};

struct sigout_plan {
    struct sigout_call *calls;
    size_t n;
};

/* Plan the calls for one output value (borrowed; NULL plans nothing) to
 * hub. Returns 0, or -1 with the reason in err (plan then empty). */
int sigout_plan(struct json_object *value, const char *hub,
                struct sigout_plan *plan, char *err, size_t errlen);
void sigout_plan_release(struct sigout_plan *plan);

#endif
