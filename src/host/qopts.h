/*
 * qopts.h - the queue trigger's options and its polling back-off, as the
 * Storage Queues extension (v5) has them (QueuesOptions,
 * RandomizedExponentialBackoffStrategy):
 *
 *   host.json "extensions": {"queues": {"batchSize": 16 (1..32),
 *     "newBatchThreshold": batchSize/2 * processors, "maxPollingInterval":
 *     "00:01:00" (>= 100 ms), "visibilityTimeout": "00:00:00",
 *     "maxDequeueCount": 5 (>= 1), "messageEncoding": "base64"|"none"}}
 *
 * Names are case-insensitive; time spans are "[d.]hh:mm:ss[.fffffff]".
 * Pure: no I/O, no logging.
 */
#ifndef HOST_QOPTS_H
#define HOST_QOPTS_H

#include <stddef.h>

#include <json-c/json.h>

#define QOPTS_MIN_POLL_MS 100L /* QueuePollingIntervals.Minimum */
#define QOPTS_MAX_BATCH 32

struct qopts {
    int batch_size;
    int new_batch_threshold;
    long max_polling_ms;
    long visibility_timeout_ms; /* a failed message's new visibility */
    int max_dequeue_count;
    int base64; /* messageEncoding base64 (1) or none (0) */
};

/* The defaults for nproc processors, then extensions.queues (may be NULL)
 * over them. Returns 0, or -1 with "host.json: extensions.queues.<name>:
 * problem" in err. */
int qopts_parse(struct json_object *queues, int nproc, struct qopts *o,
                char *err, size_t errlen);

/* "[d.]hh:mm:ss[.fraction]" → milliseconds, or -1. */
long qopts_timespan_ms(const char *s);

/* The polling back-off: min QOPTS_MIN_POLL_MS, max maxPollingInterval,
 * delta = min. */
struct qbackoff {
    long min_ms, max_ms, delta_ms;
    long current_ms;
    unsigned exponent;
};
void qbackoff_init(struct qbackoff *b, long max_ms);
/* The next delay: succeeded (messages were found) → min; otherwise
 * min + r * 2^(exponent-1) * delta with r = 0.8 + 0.4 * rnd (rnd in
 * [0, 1)), capped at max. */
long qbackoff_next(struct qbackoff *b, int succeeded, double rnd);

/* A queue name the service takes: 3-63 characters of a-z, 0-9 and '-',
 * starting and ending with a letter or digit, no "--". Returns 0, or -1
 * with the rule in err. */
int qopts_check_queue_name(const char *q, char *err, size_t errlen);

/* "<queue>-poison", or NULL when the queue has none (its name ends in
 * "-poison" or is too long: 63 characters at most). New string. */
char *qopts_poison_name(const char *queue);

#endif
