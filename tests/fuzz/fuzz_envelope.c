/* fuzz_envelope.c - the handler's dispatch step: any bytes as the body of
 * POST /{function}, for the app's functions read from the repository's
 * function.json files. The first byte picks the function. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/stats.h"
#include "azf/dispatch.h"
#include "azf/registry.h"

static const char *setting(const char *name)
{
    (void)name;
    return "Endpoint=http://x;AccessKey=k";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dispatcher *d;
    if (!d) {
        char err[256];
        struct dispatch_config cfg = {
            .app_root = ".", .app_data = stats_new(), .setting = setting};
        freopen("/dev/null", "w", stdout);
        d = dispatcher_new(&cfg, err, sizeof err);
        if (!d)
            abort();
    }
    if (size < 1)
        return 0;
    size_t n = 0;
    const struct azf_entry *all = registry_all(&n);
    const char *name = all[data[0] % n].name;
    int status = 0;
    char *out = dispatch(d, name, (const char *)data + 1, size - 1, "id",
                         &status);
    free(out);
    return 0;
}
