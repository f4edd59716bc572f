/*
 * replay.h - stateful reconnect's bookkeeping for one connection.
 *
 * Both directions of ASP.NET Core's MessageBuffer (the service is built on
 * it; src/SignalR/common/Shared/MessageBuffer.cs): the messages sent and
 * not yet acknowledged, kept to be sent again when the client comes back
 * on a new transport, and the sequence of the messages received, so that
 * what the client sends again after a reconnect is acted on once.
 *
 * Only "sequenced" messages count, those of HubProtocol.md's
 * HubInvocationMessage: Invocation, StreamItem, Completion,
 * StreamInvocation, CancelInvocation (types 1-5). Ping, Close, Ack and
 * Sequence are not numbered. Ids start at 1 and grow by 1 in each
 * direction.
 *
 * What is kept is the WebSocket frame each send went out in (a struct msg
 * reference, shared with the fan-out that built it), with how many
 * sequenced messages it carried (a frame may carry several records). The
 * buffer is bounded by bytes and by messages: a frame is taken while the
 * bytes held are not over the byte bound (so one frame larger than it is
 * still taken when the buffer is empty, as ASP.NET Core writes one message
 * past its limit before it waits) and fewer than the message bound are
 * held (a hard cap); otherwise it is refused.
 *
 * Pure: no I/O, no clock, no logging. Not thread-safe.
 */
#ifndef EMULATOR_REPLAY_H
#define EMULATOR_REPLAY_H

#include <stddef.h>

#include "emulator/msg.h"

/* ASP.NET Core's HubOptions.StatefulReconnectBufferSize default: bytes
 * sent and not yet acknowledged. */
#define REPLAY_MAX_BYTES 100000u
/* Messages sent and not yet acknowledged: the emulator's own bound (ASP.NET
 * Core bounds bytes only), so that many tiny messages cannot grow the
 * index without end. */
#define REPLAY_MAX_MESSAGES 10000u

struct replay_item {
    struct msg *frame; /* one reference, owned */
    size_t bytes;      /* the hub messages' bytes (not the frame header) */
    long long first;   /* sequence id of its first message */
    unsigned count;    /* sequenced messages it carries, >= 1 */
};

struct replay {
    /* what was sent: items[head .. head+n) */
    struct replay_item *items;
    size_t head, n, cap;
    size_t bytes;     /* held, sum of items' bytes */
    size_t messages;  /* held, sum of items' counts */
    long long sent;   /* sequenced messages sent so far (the last id) */
    size_t max_bytes; /* bounds, REPLAY_MAX_* by default */
    size_t max_messages;
    /* what was received */
    long long next_in;   /* id the next sequenced message will have */
    long long latest_in; /* the highest id acted on (0: none) */
    long long acked_in;  /* the last id we acknowledged */
    int wait_sequence;   /* after a resume: ignore all until a Sequence */
};

/* An empty buffer with the given bounds (0: the default). */
void replay_init(struct replay *r, size_t max_bytes, size_t max_messages);
/* Drop every reference held. */
void replay_release(struct replay *r);

/* Keep frame (a reference is taken) carrying count >= 1 sequenced
 * messages of bytes bytes. Returns 0, or -1 when the buffer is already
 * over a bound (nothing kept, ids not used: the connection cannot keep
 * its promise and must end). */
int replay_push(struct replay *r, struct msg *frame, size_t bytes,
                unsigned count);
/* The client acknowledged every message up to id: frames all of whose
 * messages are acknowledged are dropped. An id past what was sent acks
 * everything. */
void replay_ack(struct replay *r, long long id);
/* The id to put in the Sequence message sent on a resume: the first
 * message held, or the next id when none is held. */
long long replay_first(const struct replay *r);
/* Held frames in order: the i-th (0 <= i < r->n), borrowed. */
const struct replay_item *replay_at(const struct replay *r, size_t i);

/* 1 for a type that is numbered (1-5), else 0. */
int replay_sequenced(int type);

/* A message of the given type came from the client. Returns 1 to act on
 * it, 0 to ignore it (a duplicate sent again after a resume, or anything
 * but a Sequence while one is awaited). */
int replay_should_process(struct replay *r, int type);
/* The client's Sequence message: its next message has id. Returns 0, or
 * -1 when id is past what was received (ASP.NET Core's "Sequence ID
 * greater than amount of messages we've received."). */
int replay_reset_sequence(struct replay *r, long long id);
/* The id to acknowledge now, or 0 when nothing new was received since the
 * last acknowledgment (then nothing is to be sent); marks it sent. */
long long replay_ack_due(struct replay *r);
/* The transport was replaced: what the client sends is ignored until its
 * Sequence message. */
void replay_resumed(struct replay *r);

#endif
