/*
 * runner.h - one Check runner per program, one list of suites per runner.
 *
 * Each runner's main() is RUNNER_MAIN(suite_a, suite_b, ...). Check itself
 * honours CK_RUN_SUITE=name and CK_RUN_CASE=name to run one part, and forks
 * per test so a crash fails one test, not the run.
 */
#ifndef TESTS_RUNNER_H
#define TESTS_RUNNER_H

#include <stddef.h>

#include <check.h>
#include <json-c/json.h>

typedef Suite *(*suite_fn)(void);

int runner_main(const suite_fn *suites, size_t n);

#define RUNNER_MAIN(...)                                                       \
    int main(void)                                                             \
    {                                                                          \
        static const suite_fn suites[] = {__VA_ARGS__};                        \
        return runner_main(suites, sizeof suites / sizeof suites[0]);          \
    }

/* The repository's test data folder, tests/vectors (see its README.md),
 * relative to the repository root where every runner runs; borrowed. */
const char *runner_data_dir(void);
/* runner_data_dir()/rel parsed as JSON (new reference); fails the test
 * when the file is missing or not JSON. */
struct json_object *runner_vector(const char *rel);
/* A new empty folder $TMPDIR/<name>.XXXXXX (/tmp without TMPDIR); fails
 * the test when it cannot. The caller frees the string after
 * runner_rmtree() has removed the folder. */
char *runner_tmpdir(const char *name);
/* Remove dir and everything under it; fails the test when it cannot. */
void runner_rmtree(const char *dir);
/* Read a whole file into a new NUL-terminated string, or NULL. */
char *runner_slurp(const char *path, size_t *len);

#endif
