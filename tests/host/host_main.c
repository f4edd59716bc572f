/* host_main.c - the check_host runner and ht_write() (host_test.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "host_test.h"
#include "runner.h"
#include "util/banned.h"

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

RUNNER_MAIN(app_suite, route_suite, payload_suite, result_suite, sigout_suite,
            conninfo_suite, ncrontab_suite, sigtrigger_suite, listen_suite)
