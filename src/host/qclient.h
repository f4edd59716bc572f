/*
 * qclient.h - the Azure Storage Queue service's REST API with libcurl,
 * signed with Shared Key (sharedkey.h), version QCLIENT_API_VERSION:
 * create a queue, put, get, update (visibility) and delete messages.
 *
 * Transient failures (no answer, 408, 429, 500, 502, 503, 504) are retried
 * up to `retries` times with exponential delays of 0.8 s, 1.6 s, ... as the
 * Azure SDK's pipeline does, each retry logged (path without query; the key
 * and the signature never appear). Other answers fail at once. Errors read
 * "<METHOD> <path>: the queue service answered 404 QueueNotFound: The
 * specified queue does not exist." or "<METHOD> <path>: <curl error>".
 * Thread-safe with a shared pool.
 */
#ifndef HOST_QCLIENT_H
#define HOST_QCLIENT_H

#include <stddef.h>

#include "host/curlpool.h"
#include "host/qxml.h"
#include "host/storconn.h"

#define QCLIENT_API_VERSION "2020-10-02"
#define QCLIENT_TIMEOUT_MS 30000L
#define QCLIENT_RETRIES 3

/* What a failed call got: status 0 = no answer; code = x-ms-error-code. */
struct qclient_fail {
    long status;
    char code[64];
};

/* PUT /<queue>: 0 when it was created or already exists. */
int qclient_create(struct curlpool *pool, const struct storconn *cs,
                   const char *queue, int retries, struct qclient_fail *f,
                   char *err, size_t errlen);

/* POST /<queue>/messages with text as MessageText (XML-escaped here). */
int qclient_put(struct curlpool *pool, const struct storconn *cs,
                const char *queue, const char *text, int retries,
                struct qclient_fail *f, char *err, size_t errlen);

/* GET /<queue>/messages?numofmessages=n&visibilitytimeout=s. */
int qclient_get(struct curlpool *pool, const struct storconn *cs,
                const char *queue, int n, long visibility_s, int retries,
                struct qmsg **msgs, size_t *count, struct qclient_fail *f,
                char *err, size_t errlen);

/* PUT /<queue>/messages/<id>?popreceipt=&visibilitytimeout=s; the new
 * pop receipt into new_pop[new_pop_len]. */
int qclient_update(struct curlpool *pool, const struct storconn *cs,
                   const char *queue, const char *id, const char *pop,
                   long visibility_s, int retries, char *new_pop,
                   size_t new_pop_len, struct qclient_fail *f, char *err,
                   size_t errlen);

/* DELETE /<queue>/messages/<id>?popreceipt=. */
int qclient_delete(struct curlpool *pool, const struct storconn *cs,
                   const char *queue, const char *id, const char *pop,
                   int retries, struct qclient_fail *f, char *err,
                   size_t errlen);

#endif
