/* runner.c - the shared main() of every Check runner (see runner.h). */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int runner_main(const suite_fn *suites, size_t n)
{
    SRunner *sr = srunner_create(suites[0]());
    for (size_t i = 1; i < n; i++)
        srunner_add_suite(sr, suites[i]());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

const char *runner_data_dir(void)
{
    return "tests/vectors";
}

struct json_object *runner_vector(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", runner_data_dir(), rel);
    struct json_object *o = json_object_from_file(path);
    ck_assert_msg(o != NULL, "cannot read %s as JSON", path);
    return o;
}

char *runner_tmpdir(const char *name)
{
    const char *t = getenv("TMPDIR");
    if (!t || !*t)
        t = "/tmp";
    size_t n = strlen(t) + strlen(name) + sizeof "/.XXXXXX";
    char *d = malloc(n);
    ck_assert_ptr_nonnull(d);
    snprintf(d, n, "%s/%s.XXXXXX", t, name);
    ck_assert_msg(mkdtemp(d) != NULL, "cannot make %s", d);
    return d;
}

void runner_rmtree(const char *dir)
{
    char cmd[1024];
    ck_assert(strchr(dir, '\'') == NULL);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

char *runner_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *p = malloc(cap);
    size_t r;
    while (p && (r = fread(p + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            char *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                p = NULL;
                break;
            }
            p = q;
            cap *= 2;
        }
    }
    fclose(f);
    if (p) {
        p[n] = '\0';
        if (len)
            *len = n;
    }
    return p;
}
