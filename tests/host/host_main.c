/* host_main.c - the check_host runner and the suites' helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_test.h"
#include "runner.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct json_object *ht_vector(const char *rel)
{
    char path[1024];
    size_t len;
    char err[200];
    struct json_object *o = NULL;
    snprintf(path, sizeof path, "%s/%s", runner_spec_dir(), rel);
    char *text = runner_slurp(path, &len);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    ck_assert_msg(jsonx_parse(text, len, &o, err, sizeof err) == 0, "%s: %s",
                  path, err);
    free(text);
    return o;
}

char *ht_tmpdir(void)
{
    char *d = xstrdup("/tmp/check_host.XXXXXX");
    ck_assert(mkdtemp(d) != NULL);
    return d;
}

void ht_write(const char *dir, const char *rel, const char *text)
{
    char path[1024];
    const char *slash = strchr(rel, '/');
    if (slash) {
        snprintf(path, sizeof path, "%s/%.*s", dir, (int)(slash - rel), rel);
        mkdir(path, 0755);
    }
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

void ht_rmtree(const char *dir)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
}

RUNNER_MAIN(app_suite, route_suite, payload_suite, result_suite, sigout_suite,
            conninfo_suite, ncrontab_suite, sigtrigger_suite, listen_suite)
