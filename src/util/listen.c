/* listen.c - loopback listening sockets (see listen.h). */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/banned.h"

/* Tries at a port free on both loopbacks when the caller asked for 0. */
#define LISTEN_PORT_TRIES 8

union sa {
    struct sockaddr any;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
};

/* Parse an IPv4 or IPv6 literal (brackets allowed around the latter). */
static int parse_addr(const char *s, int port, union sa *a, socklen_t *len)
{
    char tmp[64];
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, s, &a->v4.sin_addr) == 1) {
        a->v4.sin_family = AF_INET;
        a->v4.sin_port = htons((uint16_t)port);
        *len = sizeof a->v4;
        return 0;
    }
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof tmp) {
        memcpy(tmp, s + 1, n - 2);
        tmp[n - 2] = '\0';
        s = tmp;
    }
    if (inet_pton(AF_INET6, s, &a->v6.sin6_addr) == 1) {
        a->v6.sin6_family = AF_INET6;
        a->v6.sin6_port = htons((uint16_t)port);
        *len = sizeof a->v6;
        return 0;
    }
    return -1;
}

/* One socket bound to a and listening; -1 with errno set on failure. */
static int open_one(const union sa *a, socklen_t len, int backlog)
{
    int fd =
        socket(a->any.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* ::1 only, never IPv4-mapped addresses as well. */
    if (a->any.sa_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
        goto fail;
    if (bind(fd, &a->any, len) < 0 || listen(fd, backlog) < 0)
        goto fail;
    return fd;
fail:;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

static int bound_port(int fd)
{
    union sa a;
    socklen_t len = sizeof a;
    if (getsockname(fd, &a.any, &len) < 0)
        return -1;
    return ntohs(a.any.sa_family == AF_INET6 ? a.v6.sin6_port : a.v4.sin_port);
}

static void host_of(const union sa *a, char *out, size_t outlen)
{
    char ip[INET6_ADDRSTRLEN];
    if (a->any.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a->v6.sin6_addr, ip, sizeof ip);
        snprintf(out, outlen, "[%s]", ip);
    } else {
        inet_ntop(AF_INET, &a->v4.sin_addr, ip, sizeof ip);
        snprintf(out, outlen, "%s", ip);
    }
}

/* Add a socket for a to ls. */
static int add(struct listen_set *ls, const union sa *a, socklen_t len,
               int backlog)
{
    int fd = open_one(a, len, backlog);
    if (fd < 0)
        return -1;
    ls->fd[ls->n] = fd;
    host_of(a, ls->host[ls->n], sizeof ls->host[ls->n]);
    ls->n++;
    return 0;
}

static int fail_bind(struct listen_set *ls, const char *host, int port,
                     char *err, size_t errlen)
{
    int e = errno;
    listen_close(ls);
    snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port,
             e == EADDRINUSE ? "the port is in use" : strerror(e));
    return -1;
}

int listen_open(struct listen_set *ls, const char *addr, int port, int backlog,
                char *err, size_t errlen)
{
    union sa a;
    socklen_t len;
    memset(ls, 0, sizeof *ls);
    for (size_t i = 0; i < LISTEN_MAX; i++)
        ls->fd[i] = -1;
    if (addr) {
        if (parse_addr(addr, port, &a, &len) < 0) {
            snprintf(err, errlen, "%s is not an IPv4 or IPv6 address", addr);
            return -1;
        }
        char host[64];
        host_of(&a, host, sizeof host);
        if (add(ls, &a, len, backlog) < 0)
            return fail_bind(ls, host, port, err, errlen);
        ls->port = bound_port(ls->fd[0]);
        return 0;
    }
    for (int tries = 0;; tries++) {
        parse_addr("127.0.0.1", port, &a, &len);
        if (add(ls, &a, len, backlog) < 0)
            return fail_bind(ls, "127.0.0.1", port, err, errlen);
        ls->port = bound_port(ls->fd[0]);
        parse_addr("::1", ls->port, &a, &len);
        if (add(ls, &a, len, backlog) == 0)
            return 0;
        if (errno != EADDRINUSE) {
            /* No IPv6 here (EADDRNOTAVAIL, EAFNOSUPPORT): IPv4 alone. */
            snprintf(ls->note, sizeof ls->note,
                     "IPv6 loopback unavailable (%s): listening on "
                     "127.0.0.1 only",
                     strerror(errno));
            return 0;
        }
        /* The port picked for 127.0.0.1 is taken on ::1: pick again. */
        if (port != 0 || tries + 1 == LISTEN_PORT_TRIES)
            return fail_bind(ls, "[::1]", ls->port, err, errlen);
        listen_close(ls);
    }
}

void listen_close(struct listen_set *ls)
{
    for (size_t i = 0; i < ls->n; i++) {
        if (ls->fd[i] >= 0)
            close(ls->fd[i]);
        ls->fd[i] = -1;
    }
    ls->n = 0;
}
