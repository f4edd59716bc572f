/*
 * pubtest.h - helpers shared by the publish tests: temporary copies of the
 * app folder, files and JSON edits, running a program to completion with a
 * bounded wait, and one POST to a handler.
 *
 * Every helper fails the current Check test (ck_assert) instead of
 * returning an error, so tests read as the steps they take. Strings
 * returned are new and the caller frees them.
 */
#ifndef TESTS_PUBTEST_H
#define TESTS_PUBTEST_H

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

/* The repository's example key: it must never appear in any output. */
#define PUBTEST_KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

/* Make a new empty temporary directory; its path goes to dir. */
void pubtest_tmpdir(char *dir, size_t len);
/* rm -rf dir (no-op when it does not exist). */
void pubtest_rmtree(const char *dir);
/* mkdir -p. */
void pubtest_mkdirs(const char *dir);
/* Copy a file, creating or replacing to with the given mode. */
void pubtest_copy(const char *from, const char *to, mode_t mode);
/* Write text to path (replacing it). */
void pubtest_write(const char *path, const char *text);
/* A copy of the repository's app folder in a new temporary directory:
 * host.json, local.settings.json, every function folder and bin/handler
 * (a copy of exe). */
void pubtest_app_copy(char *dir, size_t len, const char *exe);
/* Load dir/rel as JSON (new reference; fails the test if it cannot). */
struct json_object *pubtest_json_load(const char *dir, const char *rel);
/* Write v (not taken) to dir/rel, pretty-printed. */
void pubtest_json_save(const char *dir, const char *rel, struct json_object *v);
/* The binding named name in a function.json object (borrowed), or NULL. */
struct json_object *pubtest_binding(struct json_object *fj, const char *name);

/* Run argv[0] (an absolute path) to completion with extra environment
 * ("K=V"; "K=" unsets K), waiting at most timeout_ms. Returns its exit
 * status (128+signal if killed; the test fails on timeout) and its stdout
 * and stderr in *out and *err when those are non-NULL. */
int pubtest_run(const char *const argv[], const char *const env[],
                int timeout_ms, char **out, char **err);

/* Lines of text that start with prefix. */
unsigned pubtest_count_lines(const char *text, const char *prefix);

/* POST body to http://127.0.0.1:port/path as the Functions host does
 * (chunked, JSON). Returns the reply body; *status gets the HTTP status. */
char *pubtest_post(int port, const char *path, const char *body, long *status);

#endif
