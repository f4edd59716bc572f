/* proc.c - programs under test as child processes (see proc.h). */
#include "proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

static int counter;

int proc_start(struct proc *p, const char *const argv[],
               const char *const env[])
{
    snprintf(p->out_path, sizeof p->out_path, "/tmp/proc-%d-%d.out",
             (int)getpid(), counter);
    snprintf(p->err_path, sizeof p->err_path, "/tmp/proc-%d-%d.err",
             (int)getpid(), counter++);
    p->pid = fork();
    if (p->pid < 0)
        return -1;
    if (p->pid == 0) {
        int o = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        for (const char *const *kv = env; kv && *kv; kv++) {
            const char *eq = strchr(*kv, '=');
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(eq - *kv), *kv);
            if (eq[1])
                setenv(name, eq + 1, 1);
            else
                unsetenv(name);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return 0;
}

int proc_wait(struct proc *p, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            if (WIFEXITED(st))
                return WEXITSTATUS(st);
            return 128 + WTERMSIG(st);
        }
        usleep(10000);
    }
    return -1;
}

int proc_stop(struct proc *p, int timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    int r = proc_wait(p, timeout_ms);
    if (r < 0) {
        kill(p->pid, SIGKILL);
        proc_wait(p, 5000);
    }
    return r;
}

void proc_release(struct proc *p)
{
    if (p->pid > 0)
        proc_stop(p, 2000);
    unlink(p->out_path);
    unlink(p->err_path);
}

char *proc_stdout(const struct proc *p)
{
    char *s = runner_slurp(p->out_path, NULL);
    return s ? s : strdup("");
}

char *proc_stderr(const struct proc *p)
{
    char *s = runner_slurp(p->err_path, NULL);
    return s ? s : strdup("");
}

int proc_free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(sa.sin_port);
}

int proc_wait_http(int port, int timeout_ms)
{
    char req[] = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    for (int waited = 0; waited <= timeout_ms; waited += 25) {
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((unsigned short)port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            char buf[16];
            if (write(fd, req, sizeof req - 1) > 0 &&
                read(fd, buf, sizeof buf) > 0 &&
                strncmp(buf, "HTTP/1.", 7) == 0) {
                close(fd);
                return 0;
            }
        }
        close(fd);
        usleep(25000);
    }
    return -1;
}

const char *proc_bin(const char *name)
{
    static char path[256];
    const char *dir = getenv("BINDIR");
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "bin", name);
    return path;
}
