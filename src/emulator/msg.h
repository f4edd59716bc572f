/*
 * msg.h - a reference-counted, immutable byte buffer.
 *
 * What a fan-out shares: a message is serialized once (for WebSockets, the
 * complete frame) and every recipient's send queue holds a reference plus
 * its own offset, so a broadcast to 10,000 clients costs one allocation,
 * not 10,000 copies. Not thread-safe (one thread); not a queue.
 */
#ifndef EMULATOR_MSG_H
#define EMULATOR_MSG_H

#include <stddef.h>

struct msg {
    unsigned refs;
    size_t len;
    size_t cap;
    char data[];
};

/* New message holding a copy of n bytes, one reference; never NULL. */
struct msg *msg_new(const void *p, size_t n);
/* New empty message with room for cap bytes (filled with msg_append while
 * the caller holds the only reference); never NULL. */
struct msg *msg_new_cap(size_t cap);
/* Append while building. Returns 0, or -1 when cap would be exceeded. */
int msg_append(struct msg *m, const void *p, size_t n);
/* Take one more reference; returns m. */
struct msg *msg_ref(struct msg *m);
/* Drop one reference, freeing the message with the last. NULL is a no-op. */
void msg_unref(struct msg *m);

#endif
