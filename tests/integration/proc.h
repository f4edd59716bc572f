/*
 * proc.h - start a program under test, read what it printed, stop it.
 *
 * For black-box tests: the child gets the parent's environment plus the
 * given NAME=VALUE pairs (a pair with an empty value unsets NAME), its
 * stdout and stderr go to files the test can read, and every wait is
 * bounded.
 */
#ifndef TESTS_PROC_H
#define TESTS_PROC_H

#include <sys/types.h>

struct proc {
    pid_t pid;
    char out_path[128]; /* captured stdout */
    char err_path[128]; /* captured stderr */
};

/* Start argv[0] with extra environment (NULL-terminated "K=V" list).
 * Returns 0 or -1. */
int proc_start(struct proc *p, const char *const argv[],
               const char *const env[]);
/* Wait up to timeout_ms for the child to exit; returns its exit status
 * (0-255), 128+signal when killed, or -1 on timeout. */
int proc_wait(struct proc *p, int timeout_ms);
/* SIGTERM, then SIGKILL after timeout_ms; returns as proc_wait. */
int proc_stop(struct proc *p, int timeout_ms);
/* Remove the capture files. */
void proc_release(struct proc *p);
/* Whole stdout / stderr so far (new string, caller frees). */
char *proc_stdout(const struct proc *p);
char *proc_stderr(const struct proc *p);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int proc_free_port(void);
/* Poll http://127.0.0.1:port/ until any HTTP answer, up to timeout_ms.
 * Returns 0 when it answered. */
int proc_wait_http(int port, int timeout_ms);
/* Path of a built program: $BINDIR/name (BINDIR defaults to "bin"). */
const char *proc_bin(const char *name);

#endif
