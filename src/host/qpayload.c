/* qpayload.c - a queue trigger's Data and Metadata (see qpayload.h). */
#include "qpayload.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host/payload.h"
#include "util/jsonx.h"
#include "util/banned.h"

void qpayload_time(long long t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

struct json_object *qpayload_data(const char *text)
{
    return payload_encode(json_object_new_string(text));
}

static void add_time(struct json_object *md, const char *name, long long t)
{
    char buf[32];
    if (t <= 0)
        return;
    qpayload_time(t, buf);
    json_object_object_add(md, name, json_object_new_string(buf));
}

/* The top-level properties of a JSON-object message. */
static void add_properties(struct json_object *md, const char *text)
{
    size_t i = strspn(text, " \t\r\n");
    struct json_object *obj = NULL;
    char err[64];
    if (text[i] != '{' ||
        jsonx_parse(text, strlen(text), &obj, err, sizeof err) < 0 ||
        !json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return;
    }
    json_object_object_foreach(obj, k, v)
    {
        if (!v || json_object_is_type(v, json_type_array))
            continue;
        struct json_object *val =
            json_object_is_type(v, json_type_object)
                ? json_object_get(v)
                : payload_encode(json_object_new_string(
                      json_object_is_type(v, json_type_string)
                          ? json_object_get_string(v)
                          : jsonx_compact(v)));
        json_object_object_add(md, k, val);
    }
    json_object_put(obj);
}

struct json_object *qpayload_metadata(const struct qmsg *m, const char *text,
                                      struct json_object *sys)
{
    struct json_object *md = json_object_new_object();
    char n[24];
    snprintf(n, sizeof n, "%ld", m->dequeue_count);
    json_object_object_add(md, "DequeueCount", json_object_new_string(n));
    add_time(md, "ExpirationTime", m->expires);
    json_object_object_add(md, "Id",
                           payload_encode(json_object_new_string(m->id)));
    add_time(md, "InsertionTime", m->inserted);
    add_time(md, "NextVisibleTime", m->next_visible);
    json_object_object_add(
        md, "PopReceipt",
        payload_encode(json_object_new_string(m->pop_receipt)));
    json_object_object_add(md, "sys", sys);
    /* Properties of the message override the built-in names (the
     * extension's rule for binding data from the value). */
    add_properties(md, text);
    return md;
}
