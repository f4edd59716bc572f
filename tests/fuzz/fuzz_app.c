/* fuzz_app.c - loading an app folder (host.json, function.json,
 * local.settings.json). The input is split on 0x00 bytes into up to three
 * files: host.json, f/function.json, local.settings.json (a missing part
 * leaves that file out), written into a fresh folder under /dev/shm (or
 * $TMPDIR) and loaded with app_load. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/app.h"

static char root[256];

static void put(const char *rel, const uint8_t *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (n && fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

static void drop(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(root, sizeof root, "%s/fuzz_app.%ld", base, (long)getpid());
        mkdir(root, 0700);
        char f[300];
        snprintf(f, sizeof f, "%s/f", root);
        mkdir(f, 0700);
    }
    static const char *const files[] = {"host.json", "f/function.json",
                                        "local.settings.json"};
    size_t start = 0;
    for (int i = 0; i < 3; i++) {
        if (start > size) {
            drop(files[i]);
            continue;
        }
        const uint8_t *nul = memchr(data + start, 0, size - start);
        size_t end = nul ? (size_t)(nul - data) : size;
        put(files[i], data + start, end - start);
        start = nul ? end + 1 : size + 1;
    }
    struct app app;
    char err[512];
    if (app_load(root, &app, err, sizeof err) == 0) {
        (void)app_find(&app, "f");
        (void)app_setting(&app, "AzureSignalRConnectionString");
        app_release(&app);
    }
    return 0;
}
