/*
 * qout.h - the queue output binding: Outputs.<name> → the messages to put.
 *
 * As the host writes a custom handler's output to a queue collector: an
 * array is several messages, in order; each item (or the lone value):
 *   - a string that is valid base64 ("aGk=") is decoded to bytes (the
 *     host's base64 step for non-HTTP outputs), any other string is its
 *     UTF-8 text;
 *   - an object is its JSON text, indented as Newtonsoft writes it;
 *   - a number or boolean is its JSON text; null is no message.
 * Each message body is then put as MessageText: base64 of the bytes when
 * messageEncoding is base64 (the default), else the text itself.
 * Pure: no I/O, no logging.
 */
#ifndef HOST_QOUT_H
#define HOST_QOUT_H

#include <stddef.h>

#include <json-c/json.h>

#define QOUT_MAX_MESSAGE 65536 /* the service's limit, after encoding */

struct qout_plan {
    char **texts; /* MessageText of each message, as put */
    size_t n;
};

/* Plan value (borrowed; NULL plans nothing). Returns 0, or -1 with the
 * reason in err (a message over QOUT_MAX_MESSAGE; plan then empty). */
int qout_plan(struct json_object *value, int base64, struct qout_plan *plan,
              char *err, size_t errlen);
void qout_plan_release(struct qout_plan *plan);

#endif
