/*
 * qpayload.h - a queue trigger's Data and Metadata, as the Functions host
 * gives them to a custom handler (tests/azf/envelopes/queue-*.json):
 *
 *   Data.<trigger>: the message text, JSON-encoded once more as every
 *     non-object value ("\"hello\"")
 *   Metadata: DequeueCount ("1"), ExpirationTime, InsertionTime,
 *     NextVisibleTime ("2025-01-08T00:00:00+00:00"), Id and PopReceipt
 *     ("\"...\""), sys; for a message that is a JSON object, each
 *     top-level property (objects as they are, scalars as their text
 *     encoded once more, arrays and nulls left out). QueueTrigger is not
 *     sent: the host leaves out binding data named "*trigger" (the value is
 *     in Data).
 *
 * Pure: no I/O, no logging.
 */
#ifndef HOST_QPAYLOAD_H
#define HOST_QPAYLOAD_H

#include <json-c/json.h>

#include "host/qxml.h"

/* Data.<trigger> for text (the decoded message). New reference. */
struct json_object *qpayload_data(const char *text);

/* The Metadata object for m with text its decoded message; sys is taken.
 * New reference. */
struct json_object *qpayload_metadata(const struct qmsg *m, const char *text,
                                      struct json_object *sys);

/* "YYYY-MM-DDTHH:MM:SS+00:00" for epoch seconds t into out[32]. */
void qpayload_time(long long t, char out[32]);

#endif
