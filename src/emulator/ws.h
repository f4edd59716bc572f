/*
 * ws.h - one server-side WebSocket over a non-blocking socket, via wslay.
 *
 * The socket comes from libmicrohttpd's upgrade (the HTTP handshake is done
 * there; ws_accept_key computes its Sec-WebSocket-Accept). Receiving,
 * ping/pong and the close handshake are wslay_event's. Sending is ours, so
 * that a fan-out serializes once: ws_frame_text builds a complete unmasked
 * text frame with wslay_frame_send and a capturing callback into a shared
 * struct msg; each socket's queue holds references plus an offset and is
 * written with writev. wslay_event's own output (pongs, close frames) is
 * captured the same way and queued behind what is already there, so frames
 * never interleave. A queue over LIMIT_CONN_SENDBUF bytes is an error: the
 * owner closes that client, and nobody else waits for it.
 * Not an event loop: the owner calls ws_on_readable/ws_on_writable when
 * epoll says so, and ws_want_write to know whether to watch EPOLLOUT.
 * ws_send_* write at once; ws_queue_* only queue, for an owner that writes
 * each socket once per loop turn (ws_on_writable) whatever it queued.
 * Does not own the socket: never closes it (the caller of ws_new does,
 * after ws_free or before; ws never touches fd outside its calls).
 */
#ifndef EMULATOR_WS_H
#define EMULATOR_WS_H

#include <stddef.h>
#include <stdint.h>

#include "emulator/limits.h" /* LIMIT_CONN_SENDBUF */
#include "emulator/msg.h"

struct ws;

/* Called for every complete text or binary message; p is borrowed. */
typedef void (*ws_message_fn)(void *owner, const char *p, size_t n);

/* Take over fd (non-blocking from now on). extra holds bytes the HTTP
 * layer read past the handshake; they are consumed first. Returns a new
 * object (free with ws_free); never NULL. */
struct ws *ws_new(int fd, const char *extra, size_t extra_len,
                  ws_message_fn on_message, void *owner);
void ws_free(struct ws *w);

/* Read and dispatch everything available, then write what is queued.
 * Returns 0, or -1 when the peer is gone, broke the protocol or sent its
 * close frame (our reply is queued and written if the socket takes it):
 * the owner then ends the connection. */
int ws_on_readable(struct ws *w);
/* Write what is queued. Returns 0, or -1 on a write error. */
int ws_on_writable(struct ws *w);
/* 1 when bytes wait in the queue. */
int ws_want_write(const struct ws *w);

/* Queue a shared frame (takes a new reference). Returns 0, or -1 when the
 * queue cap is exceeded or a close was already sent (nothing queued). */
int ws_send_frame(struct ws *w, struct msg *frame);
/* Build and queue a text frame holding n bytes of p. Same returns. */
int ws_send_text(struct ws *w, const char *p, size_t n);
/* As ws_send_frame/ws_send_text (same checks, same returns), but only
 * queue: nothing is written until ws_on_writable or ws_on_readable. */
int ws_queue_frame(struct ws *w, struct msg *frame);
int ws_queue_text(struct ws *w, const char *p, size_t n);
/* Queue a close frame with code (e.g. 1000) and then nothing else. */
void ws_close(struct ws *w, uint16_t code, const char *reason);
/* 1 once our close frame is written and the peer's arrived (or the peer
 * is gone): the connection can end cleanly. */
int ws_closed(const struct ws *w);
/* 1 once the peer's close frame arrived (it left on purpose, not a drop). */
int ws_close_received(const struct ws *w);
/* Bytes waiting in the queue. */
size_t ws_queued(const struct ws *w);

/* A complete unmasked text frame carrying n bytes of p, one reference
 * (caller unrefs); never NULL. */
struct msg *ws_frame_text(const char *p, size_t n);
/* The same as a binary frame (the MessagePack hub protocol's). */
struct msg *ws_frame_binary(const char *p, size_t n);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2) into out
 * (>= 29 bytes). Returns 0, or -1 when key is not 24 base64 characters. */
int ws_accept_key(const char *key, char *out, size_t outlen);

#endif
