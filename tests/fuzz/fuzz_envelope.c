/* fuzz_envelope.c - the handler's dispatch step: any bytes as the body of
 * POST /{function}, for the app's functions read from the repository's
 * function.json files. The first byte picks the function. The same bytes
 * then go to the envelope reader alone, which must agree with json-c: it
 * accepts only what jsonx_parse accepts, refuses what jsonx_parse refuses
 * with the same reason, and finds the same values under the same names. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats.h"
#include "azf/dispatch.h"
#include "azf/envelope.h"
#include "azf/registry.h"
#include "util/jsonx.h"

static const char *setting(const char *name)
{
    (void)name;
    return "Endpoint=http://x;AccessKey=k";
}

/* Every member of dom (an object) is found in e under parent, equal, down
 * to ENVELOPE_DEPTH levels. */
static void same_members(struct envelope *e, int parent,
                         struct json_object *dom, int level)
{
    json_object_object_foreach(dom, key, val)
    {
        (void)val;
        int m = envelope_member(e, parent, key);
        struct json_object *v = jsonx_get_ci(dom, key);
        if (m < 0 || !json_object_equal(envelope_value(e, m), v))
            abort();
        if (v && json_object_is_type(v, json_type_object) &&
            level < ENVELOPE_DEPTH)
            same_members(e, m, v, level + 1);
    }
}

static void agree(const char *s, size_t n)
{
    static struct envelope *e;
    char want[200] = "", got[200] = "";
    struct json_object *dom = NULL;
    if (!e)
        e = envelope_new();
    int ok = jsonx_parse(s, n, &dom, want, sizeof want) == 0;
    int rc = envelope_parse(e, s, n, got, sizeof got);
    if (rc == 0 && !ok)
        abort(); /* accepted what json-c refuses */
    if (!ok && strcmp(want, got) != 0)
        abort(); /* refused for another reason */
    if (rc == 0 && dom && json_object_is_type(dom, json_type_object))
        same_members(e, ENVELOPE_ROOT, dom, 1);
    json_object_put(dom);
    envelope_reset(e);
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
    char *out =
        dispatch(d, name, (const char *)data + 1, size - 1, "id", &status);
    free(out);
    agree((const char *)data + 1, size - 1);
    return 0;
}
