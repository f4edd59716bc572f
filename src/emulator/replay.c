/* replay.c - stateful reconnect's bookkeeping (see replay.h). */
#include "replay.h"

#include <string.h>

#include "proto/hubproto.h"
#include "util/xalloc.h"
#include "util/banned.h"

void replay_init(struct replay *r, size_t max_bytes, size_t max_messages)
{
    memset(r, 0, sizeof *r);
    r->max_bytes = max_bytes ? max_bytes : REPLAY_MAX_BYTES;
    r->max_messages = max_messages ? max_messages : REPLAY_MAX_MESSAGES;
    r->next_in = 1;
}

void replay_release(struct replay *r)
{
    for (size_t i = 0; i < r->n; i++)
        msg_unref(r->items[r->head + i].frame);
    free(r->items);
    r->items = NULL;
    r->head = r->n = r->cap = 0;
    r->bytes = r->messages = 0;
}

int replay_push(struct replay *r, struct msg *frame, size_t bytes,
                unsigned count)
{
    if (count == 0 || r->bytes > r->max_bytes || r->messages >= r->max_messages)
        return -1;
    if (r->head + r->n == r->cap) {
        if (r->head) { /* reuse what acks freed at the front */
            memmove(r->items, r->items + r->head, r->n * sizeof *r->items);
            r->head = 0;
        }
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 16;
            r->items = xrealloc(r->items, r->cap * sizeof *r->items);
        }
    }
    struct replay_item *it = &r->items[r->head + r->n++];
    it->frame = msg_ref(frame);
    it->bytes = bytes;
    it->first = r->sent + 1;
    it->count = count;
    r->sent += count;
    r->bytes += bytes;
    r->messages += count;
    return 0;
}

void replay_ack(struct replay *r, long long id)
{
    while (r->n) {
        struct replay_item *it = &r->items[r->head];
        if (it->first + (long long)it->count - 1 > id)
            break;
        r->bytes -= it->bytes;
        r->messages -= it->count;
        msg_unref(it->frame);
        r->head++;
        r->n--;
    }
    if (!r->n)
        r->head = 0;
}

long long replay_first(const struct replay *r)
{
    return r->n ? r->items[r->head].first : r->sent + 1;
}

const struct replay_item *replay_at(const struct replay *r, size_t i)
{
    return i < r->n ? &r->items[r->head + i] : NULL;
}

int replay_sequenced(int type)
{
    return type >= HUBPROTO_INVOCATION && type <= HUBPROTO_CANCEL_INVOCATION;
}

int replay_should_process(struct replay *r, int type)
{
    if (r->wait_sequence) {
        if (type != HUBPROTO_SEQUENCE)
            return 0;
        r->wait_sequence = 0;
        return 1;
    }
    if (!replay_sequenced(type))
        return 1;
    long long id = r->next_in++;
    if (id <= r->latest_in)
        return 0; /* sent again after a resume: acted on already */
    r->latest_in = id;
    return 1;
}

int replay_reset_sequence(struct replay *r, long long id)
{
    if (id > r->next_in || id < 1)
        return -1;
    r->next_in = id;
    return 0;
}

long long replay_ack_due(struct replay *r)
{
    if (r->latest_in <= r->acked_in)
        return 0;
    r->acked_in = r->latest_in;
    return r->acked_in;
}

void replay_resumed(struct replay *r)
{
    r->wait_sequence = 1;
}
