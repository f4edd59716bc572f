/* check_listen.c - the loopback listening sockets of func-local and the
 * emulator (src/util/listen.c): both loopbacks on one port by default, one
 * address with --bind, a port in use on either address is an error. The
 * IPv6 cases are skipped where this machine has no ::1. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host_test.h"
#include "util/listen.h"
#include "util/banned.h"

/* addr:port of family into a; returns its length. */
static socklen_t addr_of(int family, const char *addr, int port,
                         struct sockaddr_storage *a)
{
    memset(a, 0, sizeof *a);
    if (family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, addr, &v6->sin6_addr);
        return sizeof *v6;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)a;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, addr, &v4->sin_addr);
    return sizeof *v4;
}

/* A socket bound to addr:port (not listening), or -1. */
static int bound(int family, const char *addr, int port)
{
    struct sockaddr_storage a;
    socklen_t len = addr_of(family, addr, port, &a);
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int have_ipv6(void)
{
    int fd = bound(AF_INET6, "::1", 0);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* 1 when a TCP connection to addr:port is accepted by the kernel. */
static int connects(int family, const char *addr, int port)
{
    struct sockaddr_storage a;
    socklen_t len = addr_of(family, addr, port, &a);
    int fd = socket(family, SOCK_STREAM, 0);
    int rc = connect(fd, (struct sockaddr *)&a, len);
    close(fd);
    return rc == 0;
}

START_TEST(test_listen_default_is_both_loopbacks_on_one_port)
{
    struct listen_set ls;
    char err[256];
    ck_assert_int_eq(listen_open(&ls, NULL, 0, 16, err, sizeof err), 0);
    ck_assert_int_gt(ls.port, 0);
    ck_assert_str_eq(ls.host[0], "127.0.0.1");
    ck_assert(connects(AF_INET, "127.0.0.1", ls.port));
    if (have_ipv6()) {
        ck_assert_uint_eq(ls.n, 2);
        ck_assert_str_eq(ls.host[1], "[::1]");
        ck_assert_str_eq(ls.note, "");
        ck_assert(connects(AF_INET6, "::1", ls.port));
    } else {
        ck_assert_uint_eq(ls.n, 1);
        ck_assert_ptr_nonnull(strstr(ls.note, "127.0.0.1 only"));
    }
    listen_close(&ls);
    ck_assert_uint_eq(ls.n, 0);
}
END_TEST

START_TEST(test_listen_bind_narrows_to_one_address)
{
    struct listen_set ls;
    char err[256];
    ck_assert_int_eq(listen_open(&ls, "127.0.0.1", 0, 16, err, sizeof err), 0);
    ck_assert_uint_eq(ls.n, 1);
    ck_assert_str_eq(ls.host[0], "127.0.0.1");
    if (have_ipv6())
        ck_assert(!connects(AF_INET6, "::1", ls.port));
    listen_close(&ls);
    if (!have_ipv6())
        return;
    static const char *const v6[] = {"::1", "[::1]"};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(listen_open(&ls, v6[i], 0, 16, err, sizeof err), 0);
        ck_assert_uint_eq(ls.n, 1);
        ck_assert_str_eq(ls.host[0], "[::1]");
        ck_assert(connects(AF_INET6, "::1", ls.port));
        ck_assert(!connects(AF_INET, "127.0.0.1", ls.port));
        listen_close(&ls);
    }
}
END_TEST

START_TEST(test_listen_bad_address_and_port_in_use)
{
    struct listen_set ls, busy;
    char err[256];
    ck_assert_int_eq(listen_open(&ls, "localhost", 0, 16, err, sizeof err), -1);
    ck_assert_str_eq(err, "localhost is not an IPv4 or IPv6 address");
    ck_assert_int_eq(listen_open(&busy, NULL, 0, 16, err, sizeof err), 0);
    ck_assert_int_eq(listen_open(&ls, NULL, busy.port, 16, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "127.0.0.1"));
    ck_assert_ptr_nonnull(strstr(err, "the port is in use"));
    listen_close(&busy);
}
END_TEST

/* Taken on ::1 alone: an error naming [::1], and 127.0.0.1 let go. */
START_TEST(test_listen_port_taken_on_ipv6_only)
{
    if (!have_ipv6())
        return;
    struct listen_set ls;
    char err[256];
    int v6 = bound(AF_INET6, "::1", 0);
    ck_assert_int_ge(v6, 0);
    ck_assert_int_eq(listen(v6, 4), 0);
    struct sockaddr_in6 a;
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(v6, (struct sockaddr *)&a, &len), 0);
    int port = ntohs(a.sin6_port);
    int free4 = bound(AF_INET, "127.0.0.1", port);
    if (free4 < 0) { /* someone has it on 127.0.0.1 too: nothing to show */
        close(v6);
        return;
    }
    close(free4);
    ck_assert_int_eq(listen_open(&ls, NULL, port, 16, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "[::1]"));
    ck_assert_ptr_nonnull(strstr(err, "the port is in use"));
    free4 = bound(AF_INET, "127.0.0.1", port);
    ck_assert_int_ge(free4, 0);
    close(free4);
    close(v6);
}
END_TEST

Suite *listen_suite(void)
{
    Suite *s = suite_create("listen");
    TCase *tc = tcase_create("listen");
    tcase_add_test(tc, test_listen_default_is_both_loopbacks_on_one_port);
    tcase_add_test(tc, test_listen_bind_narrows_to_one_address);
    tcase_add_test(tc, test_listen_bad_address_and_port_in_use);
    tcase_add_test(tc, test_listen_port_taken_on_ipv6_only);
    suite_add_tcase(s, tc);
    return s;
}
