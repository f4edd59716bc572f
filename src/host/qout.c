/* qout.c - the queue output binding's messages (see qout.h). */
#include "qout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/qcodec.h"
#include "host/result.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* One item's body bytes (new, caller frees), or NULL for no message. */
static char *item_bytes(struct json_object *v, size_t *len)
{
    if (!v)
        return NULL;
    char *out;
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        unsigned char *raw = *s ? qcodec_b64_decode(s, len) : NULL;
        if (raw)
            return (char *)raw;
        out = xstrdup(s);
    } else if (json_object_is_type(v, json_type_object) ||
               json_object_is_type(v, json_type_array)) {
        out = result_indent(v);
    } else {
        out = xstrdup(jsonx_compact(v));
    }
    *len = strlen(out);
    return out;
}

static int add_item(struct qout_plan *plan, struct json_object *v, int base64,
                    char *err, size_t errlen)
{
    size_t len = 0;
    char *bytes = item_bytes(v, &len);
    if (!bytes)
        return 0;
    char *text = base64 ? qcodec_b64_encode(bytes, len) : xstrndup(bytes, len);
    free(bytes);
    if (strlen(text) > QOUT_MAX_MESSAGE) {
        snprintf(err, errlen,
                 "item %zu: the message is %zu bytes once encoded; the queue "
                 "service takes at most %d",
                 plan->n, strlen(text), QOUT_MAX_MESSAGE);
        free(text);
        return -1;
    }
    plan->texts = xrealloc(plan->texts, (plan->n + 1) * sizeof *plan->texts);
    plan->texts[plan->n++] = text;
    return 0;
}

int qout_plan(struct json_object *value, int base64, struct qout_plan *plan,
              char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    int rc = 0;
    if (value && json_object_is_type(value, json_type_array)) {
        for (size_t i = 0; rc == 0 && i < json_object_array_length(value); i++)
            rc = add_item(plan, json_object_array_get_idx(value, i), base64,
                          err, errlen);
    } else {
        rc = add_item(plan, value, base64, err, errlen);
    }
    if (rc < 0)
        qout_plan_release(plan);
    return rc;
}

void qout_plan_release(struct qout_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++)
        free(plan->texts[i]);
    free(plan->texts);
    memset(plan, 0, sizeof *plan);
}
