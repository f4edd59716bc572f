/* fuzz_jsonx.c - strict JSON parsing and string-layer unwrapping. */
#include <stdint.h>

#include "proto/invoke.h"
#include "util/jsonx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_object *o = NULL;
    char err[128];
    if (jsonx_parse((const char *)data, size, &o, err, sizeof err) == 0) {
        json_object_put(invoke_decode_object(o));
        jsonx_get_ci(o, "data");
        json_object_put(o);
    }
    return 0;
}
