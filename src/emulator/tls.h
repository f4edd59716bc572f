/*
 * tls.h - TLS (HTTPS and WSS) on the emulator's port, with OpenSSL.
 *
 * libmicrohttpd speaks plain HTTP on sockets it is given; this module puts
 * TLS in front of it. Each accepted TCP connection gets a relay: a
 * non-blocking SSL object on the client's socket and one end of a
 * socketpair whose other end goes to libmicrohttpd (http.c), which never
 * knows. The relay runs in the loop: the handshake (SSL_accept), then
 * SSL_read -> the socketpair and the socketpair -> SSL_write, each
 * direction through a bounded buffer (a full buffer stops reading its
 * source), WANT_READ / WANT_WRITE turned into the epoll events the SSL
 * object waits for. An upgraded WebSocket goes on through the same relay,
 * so conn.c and ws.c see a plain socket in both modes.
 *
 * Ends: libmicrohttpd closing its end flushes what is left, sends
 * close_notify and closes the client's socket; the client closing (or a
 * TLS error) flushes what was decrypted and shuts the socketpair down for
 * writing, so libmicrohttpd (or the WebSocket) sees the end of input. A
 * failed handshake is one info line (the peer and OpenSSL's reason) and a
 * closed socket; a plain HTTP request sent to the TLS port gets a 400 in
 * plain HTTP naming the problem first, as web servers do. TLS 1.2 is the
 * minimum; no renegotiation. Nothing decrypted is ever logged.
 *
 * Owns the SSL_CTX and every relay; borrows the loop. A relay that ends is
 * freed by the next tls_reap (after the loop turn: another event of the
 * same turn may still name it). Not thread-safe.
 */
#ifndef EMULATOR_TLS_H
#define EMULATOR_TLS_H

#include <stddef.h>

#include "emulator/loop.h"

struct tls;

/* Load the certificate chain (PEM, the server's certificate first) and
 * its private key (PEM) and check that they match. Returns NULL after
 * logging why (unreadable file, bad PEM, key not the certificate's). */
struct tls *tls_new(struct loop *l, const char *cert_file,
                    const char *key_file);
/* Close every relay (no close_notify) and free t. NULL is a no-op. */
void tls_free(struct tls *t);

/* Take fd, a TCP socket just accepted from peer (for log lines, e.g.
 * "127.0.0.1:40312"), and start its handshake. Returns the plain end of
 * the relay's socketpair (non-blocking, close-on-exec) for the HTTP
 * server, which then owns it; or -1 after logging, fd closed. */
int tls_accept(struct tls *t, int fd, const char *peer);

/* Free the relays that ended; call once per loop turn after the events. */
void tls_reap(struct tls *t);

/* At shutdown, once the HTTP server has closed its ends: run the loop
 * (nothing but the relays is left in it) until every relay has sent what
 * it holds and closed, or bound_ms passed. Then tls_free. */
void tls_drain(struct tls *t, long long bound_ms);

#endif
