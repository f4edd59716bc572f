/*
 * listen.h - the listening sockets of the local programs (the emulator and
 * func-local): "localhost" as ASP.NET Core servers read it.
 *
 * By default a program listens on both loopback addresses, 127.0.0.1 and
 * ::1, on one port: clients that resolve localhost to ::1 first (Node 18
 * on Debian 12) reach it as well as those that take 127.0.0.1. Never the
 * wildcard address: a dual-stack "::" socket would listen on every
 * interface. An address given on the command line (--bind) narrows it to
 * that one socket. The sockets are opened here and handed to
 * libmicrohttpd (MHD_OPTION_LISTEN_SOCKET, one daemon per socket), which
 * then owns and closes them. No logging: a fallback is described in note.
 */
#ifndef UTIL_LISTEN_H
#define UTIL_LISTEN_H

#include <stddef.h>

#define LISTEN_MAX 2

struct listen_set {
    int fd[LISTEN_MAX];        /* listening, non-blocking, close-on-exec */
    char host[LISTEN_MAX][48]; /* as in a URL: "127.0.0.1", "[::1]" */
    size_t n;
    int port;       /* the port every socket is bound to */
    char note[160]; /* "" or why ::1 was left out */
};

/* Open the sockets and listen (backlog). addr NULL: 127.0.0.1, then ::1
 * on the same port; when ::1 cannot be used (no IPv6) 127.0.0.1 alone,
 * with the reason in ls->note; with port 0 both share the port picked for
 * 127.0.0.1 (a few tries when it is taken on ::1). Else addr is one IPv4
 * or IPv6 address ("::1" or "[::1]"). A port in use is an error on either
 * address. Returns 0, or -1 with the reason in err and nothing open. */
int listen_open(struct listen_set *ls, const char *addr, int port, int backlog,
                char *err, size_t errlen);
/* Close the sockets still held (fd >= 0); those handed over are set to -1
 * by their new owner's caller. */
void listen_close(struct listen_set *ls);

#endif
