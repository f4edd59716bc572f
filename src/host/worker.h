/*
 * worker.h - the custom handler process, run as the Functions host runs it.
 *
 * One free port on 127.0.0.1, chosen once and kept across restarts, goes
 * into FUNCTIONS_CUSTOMHANDLER_PORT and FUNCTIONS_HTTPWORKER_PORT; a new
 * worker id per start into FUNCTIONS_CUSTOMHANDLER_WORKER_ID and
 * FUNCTIONS_HTTPWORKER_ID; FUNCTIONS_APP_ROOT_PATH is the absolute app
 * root. The environment is func-local's own plus the local.settings.json
 * Values it does not already have. Readiness: GET / every 25 ms, up to
 * 30 s. After a crash (non-zero exit or a signal) the process is started
 * again; exit code 200 restarts without counting; exit 0 is not restarted;
 * the third failure within 30 minutes is fatal. stdout and stderr are
 * forwarded line by line to stderr with the prefix "[handler] ".
 *
 * The command line is the host's (hdesc.h): the executable, `arguments`,
 * the quoted `defaultWorkerPath`, `workerArguments`, %VAR% expanded from
 * that environment, run in `workingDirectory`.
 *
 * FUNC_LOCAL_HANDLER=/path, when set, replaces defaultExecutablePath (the
 * sanitizer build runs build-san/bin/handler this way).
 *
 * Owns the process and its threads; logs what happens to them.
 */
#ifndef HOST_WORKER_H
#define HOST_WORKER_H

#include "host/app.h"

#define WORKER_READY_POLL_MS 25
#define WORKER_INIT_TIMEOUT_MS 30000
#define WORKER_MAX_FAILURES 3
#define WORKER_FAILURE_WINDOW_S (30 * 60)
#define WORKER_STOP_GRACE_MS 2000

struct worker;

/* Prepare (no process yet): picks the port. app is borrowed and must
 * outlive the worker. Returns NULL with the reason in err. */
struct worker *worker_new(const struct app *app, char *err, size_t errlen);

/* Start the process and its supervisor thread. Returns 0 or -1. */
int worker_start(struct worker *w);

/* The handler's port. */
int worker_port(const struct worker *w);

/* Wait until the handler answers its readiness probe. Returns 1 when
 * ready, 0 when timeout_ms passed first, -1 when it will never be ready
 * (gave up, exited with 0, or stopping). */
int worker_wait_ready(struct worker *w, long timeout_ms);

/* Kill the running process and start a new one, without counting it as a
 * failure: what the host does after a function timeout. */
void worker_restart(struct worker *w);

/* 1 once the restart limit was exceeded (the host shuts down). */
int worker_failed(struct worker *w);

/* Stop the process: SIGTERM, SIGKILL after WORKER_STOP_GRACE_MS, and join
 * the supervisor. Safe to call more than once. */
void worker_stop(struct worker *w);
void worker_free(struct worker *w);

#endif
