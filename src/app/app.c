/* app.c - what the app's functions share (see app.h). */
#include "app.h"

#include "util/banned.h"

static void *app_init(void)
{
    return stats_new();
}

static void app_fini(void *data)
{
    stats_free(data);
}

const struct azf_app app_description = {
    .description = "Azure Functions custom handler for the notifications app.",
    .init = app_init,
    .fini = app_fini,
};

void app_iso_time(time_t t, char *out, size_t outlen)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
