/*
 * hdesc.h - the handler's description in host.json, as the Functions host
 * reads it: the `customHandler` section, or the legacy `httpWorker` one
 * (`customHandler` wins when both are there), and the command line the
 * host builds from it.
 *
 *   "customHandler": {
 *     "description": {
 *       "defaultExecutablePath": "node",      required, %VAR% expanded
 *       "defaultWorkerPath": "server.js",     optional, %VAR% expanded
 *       "arguments": ["--inspect"],           before the worker path
 *       "workerArguments": ["--verbose"],     after it
 *       "workerDirectory": "bin",             where a relative executable is
 *                                             looked for (default: app root)
 *       "workingDirectory": "."               the process's cwd (default:
 *     },                                      app root; relative to it)
 *     "enableForwardingHttpRequest": true
 *   }
 *
 * The command line is the host's: one string " arg1 arg2 \"workerPath\"
 * warg1", every %NAME% expanded from the handler's environment (unknown
 * ones are removed), then split as .NET splits a command line on Unix
 * (blanks separate, double quotes group, backslashes escape quotes). So an
 * argument holding a space becomes two, and only the worker path is
 * quoted.
 *
 * Reads host.json's parsed object and checks files; never logs. struct
 * hdesc owns its strings (hdesc_release()).
 */
#ifndef HOST_HDESC_H
#define HOST_HDESC_H

#include <stddef.h>

#include <json-c/json.h>

enum hdesc_section {
    HDESC_CUSTOM_HANDLER, /* "customHandler" */
    HDESC_HTTP_WORKER,    /* the legacy "httpWorker": HTTP-only functions
                             are always forwarded, to /<function name> */
};

struct hdesc {
    enum hdesc_section section;
    int both_sections; /* httpWorker was there too (ignored; warn) */
    int forwarding;    /* enableForwardingHttpRequest */
    char *exe;         /* defaultExecutablePath as written */
    char *worker_path; /* defaultWorkerPath as written, or NULL */
    char **args;       /* arguments */
    size_t nargs;
    char **worker_args; /* workerArguments */
    size_t nworker_args;
    char *worker_dir; /* absolute workerDirectory */
    char *workdir;    /* absolute workingDirectory */
};

/* Read the section from host.json's root object; root is the absolute app
 * folder. Returns 0, or -1 with "host.json: field: problem" in err (d then
 * holds nothing to release). */
int hdesc_load(struct json_object *host_json, const char *root, struct hdesc *d,
               char *err, size_t errlen);
void hdesc_release(struct hdesc *d);

/* A variable of the handler's environment, or NULL. */
typedef const char *(*hdesc_getenv)(void *ctx, const char *name);

/* The executable as the host resolves it: exe (defaultExecutablePath, or
 * an override) with %NAME% expanded; a relative one becomes
 * worker_dir/exe when that file exists, else stays a name for PATH. New
 * string. */
char *hdesc_executable(const struct hdesc *d, const char *exe, hdesc_getenv env,
                       void *ctx);

/* The argument vector after the executable (NULL-ended, each string and
 * the vector new; free with hdesc_free_argv()). */
char **hdesc_arguments(const struct hdesc *d, hdesc_getenv env, void *ctx);
void hdesc_free_argv(char **argv);

/* .NET's Environment.ExpandEnvironmentVariables on Unix: %NAME% replaced
 * when NAME is set, left as it is otherwise. New string. */
char *hdesc_expand(const char *s, hdesc_getenv env, void *ctx);

/* A command line split as .NET does on Unix (ParseArgumentsIntoList).
 * NULL-ended new vector; *n gets the count. */
char **hdesc_split(const char *line, size_t *n);

#endif
