/*
 * preflight.h - the preflight check behind `func-local --check [--app DIR]`.
 *
 * Reads a function app folder the way the Functions host will and reports,
 * one line per item, what would stop the handler from starting or from
 * being invoked in Azure: host.json (valid, version 2.0, extension bundle,
 * customHandler executable present and executable, no raw-request
 * forwarding), every function folder (malformed bindings, SignalR bindings
 * without a hub or a category and event) and, when the handler describes
 * itself (`handler --describe`, the runtime's list of its functions and
 * their triggers), each folder against the code registered under its name
 * (a folder without code, code without a folder, a trigger of another type
 * than the code is written for), local.settings.json (the worker runtime,
 * the SignalR connection strings, the URL clients will get). What the
 * executable needs to start is not its business: the published handler is
 * one static executable (mk/publish.mk). A development tool: the binary
 * Azure runs does not carry it.
 *
 *   ok   host.json: valid JSON, version 2.0
 *   FAIL function broadcast: binding 'req' has type 'timerTrigger', the
 *        handler's code is written for a httpTrigger; fix: ...
 *
 * It is not a JSON-schema validator (the tests run the SchemaStore schemas)
 * and it never prints an access key or a token.
 */
#ifndef HOST_PREFLIGHT_H
#define HOST_PREFLIGHT_H

#include <stdio.h>

/* Run every check on the app folder root (borrowed) and write one line per
 * item to out. Returns the number of failed items: 0 when all pass. */
unsigned preflight_app(const char *root, FILE *out);

/* The app folder to check when --app is not given: $FUNCTIONS_APP_ROOT_PATH,
 * else the current directory when it holds host.json. Writes it to dir and
 * returns 0, or returns -1 with the reason in err. */
int preflight_default_root(char *dir, size_t dirlen, char *err, size_t errlen);

/* `func-local --check [--app DIR]`: argv[1] is "--check". Reports on stdout
 * and returns the process exit code: 0 when every check passes, 1 when any
 * fails or the arguments are wrong. */
int preflight_main(int argc, char **argv);

#endif
