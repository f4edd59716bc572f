/* worker.c - the handler process and its supervisor (see worker.h). */
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/invoker.h"
#include "host/payload.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

extern char **environ;

enum worker_state { W_STARTING, W_READY, W_EXITED, W_FAILED };

struct worker {
    const struct app *app;
    int port;
    char *exe; /* resolved: absolute, or a name looked up on PATH */
    pthread_t sup;
    int sup_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    enum worker_state state;
    int stopping;
    pid_t pid;
    int restart_requested; /* the next exit is ours: restart, no count */
    int inited;            /* lock and cond initialised */
    time_t failures[WORKER_MAX_FAILURES];
    size_t nfail;
    char last_err[256];
};

struct reader {
    struct worker *w;
    int fd;
    int is_err;
    pthread_t th;
};

/* Bind 127.0.0.1:0 and read the port back, as the host does. */
static int free_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int port = -1;
    if (fd < 0)
        return -1;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static char **build_env(const struct worker *w, const char *worker_id,
                        size_t *count);
static void free_vec(char **v);

struct envctx {
    char **env;
    size_t n;
};

static const char *env_lookup(void *ctx, const char *name);

struct worker *worker_new(const struct app *app, char *err, size_t errlen)
{
    const char *exe = getenv("FUNC_LOCAL_HANDLER");
    const struct hdesc *hd = &app->handler;
    struct stat st;
    if (!exe || !*exe)
        exe = hd->exe;
    if (hd->both_sections)
        log_warn("Both httpWorker and customHandler sections are specified "
                 "in host.json file. customHandler takes precedence.");
    else if (hd->section == HDESC_HTTP_WORKER)
        log_warn("Section httpWorker will be deprecated. Please use "
                 "customHandler section.");
    if (stat(hd->workdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen,
                 "host.json: customHandler.description."
                 "workingDirectory: %s is not a folder",
                 hd->workdir);
        return NULL;
    }
    int port = free_port();
    if (port <= 0) {
        snprintf(err, errlen, "cannot find a free port for the handler");
        return NULL;
    }
    struct worker *w = xcalloc(1, sizeof *w);
    w->app = app;
    w->port = port;
    /* The executable as the host resolves it, %VAR% from the handler's
     * environment (a worker id changes nothing in it). */
    struct envctx ec;
    ec.env = build_env(w, "", &ec.n);
    char *path = hdesc_executable(hd, exe, env_lookup, &ec);
    free_vec(ec.env);
    w->exe = path;
    if (path[0] != '/' && strchr(path, '/')) {
        snprintf(err, errlen,
                 "host.json: customHandler.description."
                 "defaultExecutablePath: %s/%s does not "
                 "exist (build it first: make)",
                 hd->worker_dir, path);
        worker_free(w);
        return NULL;
    }
    if (path[0] == '/' && access(path, X_OK) != 0) {
        snprintf(err, errlen,
                 "host.json: customHandler.description."
                 "defaultExecutablePath: %s: %s",
                 path, strerror(errno));
        worker_free(w);
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->inited = 1;
    return w;
}

int worker_port(const struct worker *w)
{
    return w->port;
}

/* --- environment and arguments -------------------------------------- */

static int env_has(char **env, size_t n, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (strncmp(env[i], name, nl) == 0 && env[i][nl] == '=')
            return 1;
    return 0;
}

static void env_set(char ***env, size_t *n, const char *name, const char *value)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < *n; i++)
        if (strncmp((*env)[i], name, nl) == 0 && (*env)[i][nl] == '=') {
            free((*env)[i]);
            (*env)[i] = xasprintf("%s=%s", name, value);
            return;
        }
    *env = xrealloc(*env, (*n + 2) * sizeof **env);
    (*env)[(*n)++] = xasprintf("%s=%s", name, value);
    (*env)[*n] = NULL;
}

static const char *env_get(char **env, size_t n, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (strncmp(env[i], name, nl) == 0 && env[i][nl] == '=')
            return env[i] + nl + 1;
    return NULL;
}

static char **build_env(const struct worker *w, const char *worker_id,
                        size_t *count)
{
    size_t n = 0;
    for (char **e = environ; *e; e++)
        n++;
    char **env = xcalloc(n + 1, sizeof *env);
    for (size_t i = 0; i < n; i++)
        env[i] = xstrdup(environ[i]);
    /* Values from local.settings.json, unless already set: the process
     * environment wins, as with Core Tools. */
    for (size_t i = 0; i < w->app->nvalues; i++)
        if (!env_has(env, n, w->app->values[i].name))
            env_set(&env, &n, w->app->values[i].name, w->app->values[i].value);
    char port[16];
    snprintf(port, sizeof port, "%d", w->port);
    env_set(&env, &n, "FUNCTIONS_CUSTOMHANDLER_PORT", port);
    env_set(&env, &n, "FUNCTIONS_CUSTOMHANDLER_WORKER_ID", worker_id);
    env_set(&env, &n, "FUNCTIONS_HTTPWORKER_PORT", port);
    env_set(&env, &n, "FUNCTIONS_HTTPWORKER_ID", worker_id);
    env_set(&env, &n, "FUNCTIONS_APP_ROOT_PATH", w->app->root);
    *count = n;
    return env;
}

static const char *env_lookup(void *ctx, const char *name)
{
    const struct envctx *ec = ctx;
    return env_get(ec->env, ec->n, name);
}

/* The executable, then the arguments the host builds (hdesc.h). */
static char **build_argv(const struct worker *w, char **env, size_t nenv)
{
    struct envctx ec = {env, nenv};
    char **args = hdesc_arguments(&w->app->handler, env_lookup, &ec);
    size_t n = 0;
    while (args[n])
        n++;
    char **argv = xcalloc(n + 2, sizeof *argv);
    argv[0] = xstrdup(w->exe);
    memcpy(argv + 1, args, n * sizeof *args);
    free(args); /* the strings now belong to argv */
    return argv;
}

static void free_vec(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* --- output forwarding ----------------------------------------------- */

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    FILE *f = fdopen(r->fd, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    if (!f) {
        close(r->fd);
        return NULL;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        fprintf(stderr, "[handler] %s\n", line);
        if (r->is_err) {
            pthread_mutex_lock(&r->w->lock);
            snprintf(r->w->last_err, sizeof r->w->last_err, "%s", line);
            pthread_mutex_unlock(&r->w->lock);
        }
    }
    free(line);
    fclose(f);
    return NULL;
}

/* --- one run of the process ------------------------------------------ */

static pid_t spawn(struct worker *w, int *out_fd, int *err_fd)
{
    char guid[37];
    size_t nenv;
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    payload_guid(guid);
    char **env = build_env(w, guid, &nenv);
    char **argv = build_argv(w, env, nenv);
    pid_t pid = -1;
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        log_error("handler: pipe: %s", strerror(errno));
        goto out;
    }
    pid = fork();
    if (pid == 0) {
        /* Child: only async-signal-safe calls until exec. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        setpgid(0, 0); /* a terminal's Ctrl-C reaches func-local only */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        if (chdir(w->app->handler.workdir) < 0) {
            static const char m[] = "cannot enter the working directory\n";
            (void)!write(2, m, sizeof m - 1);
            _exit(127);
        }
        if (strchr(w->exe, '/'))
            execve(w->exe, argv, env);
        else
            execvpe(w->exe, argv, env);
        static const char m[] = "cannot execute the handler program\n";
        (void)!write(2, m, sizeof m - 1);
        _exit(127);
    }
    if (pid < 0)
        log_error("handler: fork: %s", strerror(errno));
    else
        log_info("handler started: %s (pid %d, port %d, worker id %s)", w->exe,
                 (int)pid, w->port, guid);
out:
    if (po[1] >= 0)
        close(po[1]);
    if (pe[1] >= 0)
        close(pe[1]);
    if (pid > 0) {
        *out_fd = po[0];
        *err_fd = pe[0];
    } else {
        if (po[0] >= 0)
            close(po[0]);
        if (pe[0] >= 0)
            close(pe[0]);
    }
    free_vec(env);
    free_vec(argv);
    return pid;
}

/* Record a failure; returns 1 when the limit is now exceeded. */
static int count_failure(struct worker *w)
{
    time_t now = time(NULL);
    size_t k = 0;
    for (size_t i = 0; i < w->nfail; i++)
        if (now - w->failures[i] < WORKER_FAILURE_WINDOW_S)
            w->failures[k++] = w->failures[i];
    w->nfail = k;
    if (w->nfail < WORKER_MAX_FAILURES)
        w->failures[w->nfail++] = now;
    return w->nfail >= WORKER_MAX_FAILURES;
}

static void set_state(struct worker *w, enum worker_state s)
{
    pthread_mutex_lock(&w->lock);
    w->state = s;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static int is_stopping(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    int stop = w->stopping;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

/* A new run begins: state starting, no stderr line yet. Returns 1 when
 * the worker is stopping instead. */
static int begin_run(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    int stop = w->stopping;
    w->state = W_STARTING;
    w->last_err[0] = '\0';
    pthread_mutex_unlock(&w->lock);
    return stop;
}

enum readiness { READY, READY_EXITED, READY_STOPPED, READY_TIMED_OUT };

/* Readiness: any HTTP answer to GET /, as the host probes, within
 * WORKER_INIT_TIMEOUT_MS; a handler that never answers is killed. With
 * READY_EXITED the process is reaped and its status is in *status. */
static enum readiness await_ready(struct worker *w, pid_t pid, int *status)
{
    long long deadline = clock_mono_ms() + WORKER_INIT_TIMEOUT_MS;
    for (;;) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return READY_EXITED;
        if (is_stopping(w))
            return READY_STOPPED;
        if (invoker_probe(w->port, 1000)) {
            log_info("handler ready on 127.0.0.1:%d", w->port);
            set_state(w, W_READY);
            return READY;
        }
        if (clock_mono_ms() > deadline) {
            log_error("Initializing HttpWorker timed out. (no answer "
                      "to GET / within %d s)",
                      WORKER_INIT_TIMEOUT_MS / 1000);
            kill(pid, SIGKILL);
            return READY_TIMED_OUT;
        }
        clock_sleep_ms(WORKER_READY_POLL_MS);
    }
}

/* Wait for the process to end; its wait status goes to *status. */
static void reap(pid_t pid, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, 0);
        if (r == pid || (r < 0 && errno != EINTR))
            return;
    }
}

/* One run of the handler: spawn it, copy its output to the log, wait for
 * it to be ready, then for it to end. Returns -1 when it could not be
 * spawned, else 0 with its wait status in *status and *timed_out set when
 * it was killed for never becoming ready. */
static int run_once(struct worker *w, int *status, int *timed_out)
{
    int ofd = -1, efd = -1;
    pid_t pid = spawn(w, &ofd, &efd);
    if (pid < 0)
        return -1;
    pthread_mutex_lock(&w->lock);
    w->pid = pid;
    if (w->stopping)
        kill(pid, SIGTERM);
    pthread_mutex_unlock(&w->lock);
    struct reader ro = {w, ofd, 0, 0}, re = {w, efd, 1, 0};
    int ro_ok = pthread_create(&ro.th, NULL, reader_main, &ro) == 0;
    int re_ok = pthread_create(&re.th, NULL, reader_main, &re) == 0;
    if (!ro_ok)
        close(ofd);
    if (!re_ok)
        close(efd);
    enum readiness r = await_ready(w, pid, status);
    *timed_out = r == READY_TIMED_OUT;
    if (r != READY_EXITED)
        reap(pid, status);
    if (ro_ok)
        pthread_join(ro.th, NULL);
    if (re_ok)
        pthread_join(re.th, NULL);
    return 0;
}

/* The run is over: no process, waiters woken. Returns 1 when the worker
 * is stopping; *requested tells whether worker_restart asked for it. */
static int end_run(struct worker *w, int *requested)
{
    pthread_mutex_lock(&w->lock);
    w->pid = 0;
    w->state = W_STARTING;
    int stop = w->stopping;
    *requested = w->restart_requested;
    w->restart_requested = 0;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return stop;
}

enum run_end { RUN_RESTART, RUN_EXITED, RUN_FAILED };

/* What an exit the host did not ask for means, as the Functions host
 * reads it: code 0 ends the worker for good, code 200 asks for a restart,
 * anything else (logged with the last stderr line) is a failure. */
static enum run_end classify_exit(struct worker *w, int status, int timed_out)
{
    if (timed_out)
        return RUN_FAILED;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        log_error("handler exited with code 0: not restarted (as the "
                  "Functions host does); invocations will fail");
        return RUN_EXITED;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 200) {
        log_info("handler asked for a restart (exit code 200)");
        return RUN_RESTART;
    }
    pthread_mutex_lock(&w->lock);
    char last[256];
    snprintf(last, sizeof last, "%s", w->last_err);
    pthread_mutex_unlock(&w->lock);
    if (WIFSIGNALED(status))
        log_error("handler killed by signal %d%s%s", WTERMSIG(status),
                  last[0] ? "; last stderr: " : "", last);
    else
        log_error("handler exited with code %d%s%s", WEXITSTATUS(status),
                  last[0] ? "; last stderr: " : "", last);
    return RUN_FAILED;
}

/* The restart policy: runs until stopped, restarting after a failure
 * while fewer than WORKER_MAX_FAILURES fall within the window. */
static void *supervisor_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        int status = 0, timed_out = 0, requested = 0;
        if (begin_run(w))
            break;
        if (run_once(w, &status, &timed_out) < 0) {
            if (count_failure(w))
                goto fatal;
            clock_sleep_ms(1000);
            continue;
        }
        if (end_run(w, &requested))
            break;
        if (requested) {
            log_info("handler stopped for a restart; starting it again");
            continue;
        }
        enum run_end e = classify_exit(w, status, timed_out);
        if (e == RUN_EXITED) {
            set_state(w, W_EXITED);
            return NULL;
        }
        if (e == RUN_RESTART)
            continue;
        if (count_failure(w))
            goto fatal;
        log_warn("restarting the handler (failure %zu of %d allowed in %d "
                 "minutes)",
                 w->nfail, WORKER_MAX_FAILURES - 1,
                 WORKER_FAILURE_WINDOW_S / 60);
    }
    return NULL;
fatal:
    log_error("Exceeded http worker restart retry count. Shutting down "
              "Functions Host");
    set_state(w, W_FAILED);
    return NULL;
}

int worker_start(struct worker *w)
{
    if (pthread_create(&w->sup, NULL, supervisor_main, w) != 0)
        return log_error("handler: cannot start the supervisor thread");
    w->sup_started = 1;
    return 0;
}

int worker_wait_ready(struct worker *w, long timeout_ms)
{
    struct timespec ts;
    int rc = 0;
    clock_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&w->lock);
    for (;;) {
        if (w->state == W_READY) {
            rc = 1;
            break;
        }
        if (w->state == W_EXITED || w->state == W_FAILED || w->stopping) {
            rc = -1;
            break;
        }
        if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT) {
            rc = w->state == W_READY ? 1 : 0;
            break;
        }
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void worker_restart(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    if (w->pid > 0 && !w->stopping) {
        w->restart_requested = 1;
        w->state = W_STARTING; /* new invocations wait for the new one */
        kill(w->pid, SIGKILL);
    }
    pthread_mutex_unlock(&w->lock);
}

int worker_failed(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    int f = w->state == W_FAILED;
    pthread_mutex_unlock(&w->lock);
    return f;
}

void worker_stop(struct worker *w)
{
    struct timespec ts;
    if (!w || !w->sup_started)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cond);
    if (w->pid > 0)
        kill(w->pid, SIGTERM);
    clock_deadline(&ts, WORKER_STOP_GRACE_MS);
    while (w->pid > 0)
        if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT)
            break;
    if (w->pid > 0) {
        log_warn("handler did not stop within %d ms: SIGKILL",
                 WORKER_STOP_GRACE_MS);
        kill(w->pid, SIGKILL);
    }
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->sup, NULL);
    w->sup_started = 0;
}

void worker_free(struct worker *w)
{
    if (!w)
        return;
    worker_stop(w);
    if (w->inited) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
    }
    free(w->exe);
    free(w);
}
