/*
 * qlisten.h - the queueTrigger listeners, as the Storage Queues extension
 * runs them (QueueListener, QueueProcessor):
 *
 * One polling thread per queue-triggered function. It creates the queue
 * when missing, then Get Messages with numofmessages = batchSize and a
 * visibility of 10 minutes (FUNC_LOCAL_QUEUE_VISIBILITY seconds), renewed
 * at half-time while the function runs. Each message runs on its own
 * thread; once a batch is out, the next Get waits until no more than
 * newBatchThreshold messages of that function are in flight. An empty
 * queue or a storage error backs off (100 ms, then randomized exponential
 * up to maxPollingInterval; logged with the service's error, never a key).
 *
 * Per message: not valid base64 (messageEncoding base64) → moved to
 * <queue>-poison; DequeueCount > maxDequeueCount → poison; else the
 * invocation: success → Delete; failure → poison when DequeueCount >=
 * maxDequeueCount, else Update with visibilityTimeout so it reappears.
 * Nothing is deleted before its function succeeded, so a kill at any
 * point leaves the message to reappear when its visibility ends.
 */
#ifndef HOST_QLISTEN_H
#define HOST_QLISTEN_H

#include "host/app.h"
#include "host/dispatch.h"

#define QLISTEN_VISIBILITY_S 600L

struct qlisten;

/* Start a thread for every APP_FN_QUEUE function that is not disabled
 * (app and d borrowed).
 * Never NULL; a function whose thread cannot start is logged. */
struct qlisten *qlisten_start(const struct app *app, struct dispatch *d);

/* Stop polling, wait up to timeout_ms for messages in flight, join the
 * threads. Returns the number of messages still in flight: 0 means q was
 * freed; otherwise q is left to the exiting process. NULL is a no-op. */
int qlisten_stop(struct qlisten *q, long timeout_ms);

#endif
