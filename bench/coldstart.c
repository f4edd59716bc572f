/*
 * coldstart.c - time from exec to the first HTTP 200 on GET /, the way the
 * Functions host waits for a custom handler (it polls GET / until any
 * answer), but polling every 100 µs so the poll interval is not the figure.
 *
 *   coldstart RUNS program [args...]   → one JSON line on stdout
 *
 * Each run gets a fresh free port in FUNCTIONS_CUSTOMHANDLER_PORT. Also
 * reports the program's RSS 500 ms after it became ready (first run).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

static int got_200(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int ok = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        char buf[64];
        ssize_t n;
        if (write(fd, req, sizeof req - 1) > 0 &&
            (n = read(fd, buf, sizeof buf - 1)) > 12) {
            buf[n] = '\0';
            ok = strncmp(buf + 9, "200", 3) == 0;
        }
    }
    close(fd);
    return ok;
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: coldstart RUNS program [args...]\n");
        return 2;
    }
    int runs = (int)strtol(argv[1], NULL, 10);
    double *t = calloc((size_t)runs, sizeof *t);
    long rss = -1;
    for (int i = 0; i < runs; i++) {
        char env[64];
        int port = free_port();
        snprintf(env, sizeof env, "%d", port);
        double t0 = now_ms();
        pid_t pid = fork();
        if (pid == 0) {
            setenv("FUNCTIONS_CUSTOMHANDLER_PORT", env, 1);
            freopen("/dev/null", "w", stdout);
            freopen("/dev/null", "w", stderr);
            execvp(argv[2], argv + 2);
            _exit(127);
        }
        while (!got_200(port)) {
            if (now_ms() - t0 > 30000) {
                fprintf(stderr, "coldstart: %s not ready in 30 s\n", argv[2]);
                kill(pid, SIGKILL);
                return 1;
            }
            usleep(100);
        }
        t[i] = now_ms() - t0;
        if (i == 0) {
            usleep(500000);
            rss = rss_kb(pid);
        }
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    qsort(t, (size_t)runs, sizeof *t, cmp);
    printf("{\"runs\":%d,\"median_ms\":%.2f,\"min_ms\":%.2f,\"max_ms\":%.2f,"
           "\"rss_idle_kb\":%ld}\n",
           runs, t[runs / 2], t[0], t[runs - 1], rss);
    free(t);
    return 0;
}
