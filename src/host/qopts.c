/* qopts.c - queue trigger options and back-off (see qopts.h). */
#include "qopts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define QUEUE_NAME_MAX 63

long qopts_timespan_ms(const char *s)
{
    long d = 0, h, m, sec, frac_ms = 0;
    char *end;
    const char *dot = strchr(s, '.'), *colon = strchr(s, ':');
    if (!colon)
        return -1;
    if (dot && dot < colon) {
        d = strtol(s, &end, 10);
        if (end != dot || d < 0)
            return -1;
        s = dot + 1;
    }
    if (!isdigit((unsigned char)*s))
        return -1;
    h = strtol(s, &end, 10);
    if (*end != ':' || h < 0 || h > 23)
        return -1;
    m = strtol(end + 1, &end, 10);
    if (*end != ':' || m < 0 || m > 59)
        return -1;
    sec = strtol(end + 1, &end, 10);
    if (sec < 0 || sec > 59)
        return -1;
    if (*end == '.') {
        long scale = 100;
        for (end++; isdigit((unsigned char)*end); end++) {
            frac_ms += (*end - '0') * scale;
            scale /= 10;
        }
    }
    if (*end)
        return -1;
    return (((d * 24 + h) * 60 + m) * 60 + sec) * 1000 + frac_ms;
}

static int get_int(struct json_object *q, const char *name, int min, int max,
                   int *out, char *err, size_t errlen)
{
    struct json_object *v = jsonx_get_ci(q, name);
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < min || json_object_get_int64(v) > max) {
        snprintf(err, errlen,
                 "host.json: extensions.queues.%s: must be a whole number "
                 "from %d to %d",
                 name, min, max);
        return -1;
    }
    *out = (int)json_object_get_int64(v);
    return 1;
}

static int get_span(struct json_object *q, const char *name, long min,
                    long *out, char *err, size_t errlen)
{
    struct json_object *v = jsonx_get_ci(q, name);
    if (!v)
        return 0;
    long ms = json_object_is_type(v, json_type_string)
                  ? qopts_timespan_ms(json_object_get_string(v))
                  : -1;
    if (ms < min) {
        snprintf(err, errlen,
                 "host.json: extensions.queues.%s: must be a time span "
                 "such as \"00:00:10\"%s",
                 name, min > 0 ? " (at least 00:00:00.100)" : "");
        return -1;
    }
    *out = ms;
    return 1;
}

int qopts_parse(struct json_object *queues, int nproc, struct qopts *o,
                char *err, size_t errlen)
{
    o->batch_size = 16;
    o->max_polling_ms = 60 * 1000L;
    o->visibility_timeout_ms = 0;
    o->max_dequeue_count = 5;
    o->base64 = 1;
    int nbt = -1;
    if (queues && !json_object_is_type(queues, json_type_object)) {
        snprintf(err, errlen,
                 "host.json: extensions.queues: must be an "
                 "object");
        return -1;
    }
    if (get_int(queues, "batchSize", 1, QOPTS_MAX_BATCH, &o->batch_size, err,
                errlen) < 0 ||
        get_int(queues, "newBatchThreshold", 0, 1 << 20, &nbt, err, errlen) <
            0 ||
        get_int(queues, "maxDequeueCount", 1, 1 << 20, &o->max_dequeue_count,
                err, errlen) < 0 ||
        get_span(queues, "maxPollingInterval", QOPTS_MIN_POLL_MS,
                 &o->max_polling_ms, err, errlen) < 0 ||
        get_span(queues, "visibilityTimeout", 0, &o->visibility_timeout_ms, err,
                 errlen) < 0)
        return -1;
    o->new_batch_threshold =
        nbt >= 0 ? nbt : (o->batch_size / 2) * (nproc > 0 ? nproc : 1);
    struct json_object *enc = jsonx_get_ci(queues, "messageEncoding");
    if (enc) {
        const char *e = json_object_is_type(enc, json_type_string)
                            ? json_object_get_string(enc)
                            : "";
        if (strcasecmp(e, "base64") == 0)
            o->base64 = 1;
        else if (strcasecmp(e, "none") == 0)
            o->base64 = 0;
        else {
            snprintf(err, errlen,
                     "host.json: extensions.queues."
                     "messageEncoding: must be \"base64\" or "
                     "\"none\"");
            return -1;
        }
    }
    return 0;
}

void qbackoff_init(struct qbackoff *b, long max_ms)
{
    memset(b, 0, sizeof *b);
    b->min_ms = QOPTS_MIN_POLL_MS;
    b->delta_ms = QOPTS_MIN_POLL_MS;
    b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
}

long qbackoff_next(struct qbackoff *b, int succeeded, double rnd)
{
    if (succeeded) {
        b->current_ms = b->min_ms;
        b->exponent = 1;
    } else if (b->current_ms != b->max_ms) {
        double interval = (double)b->min_ms;
        if (b->exponent > 0)
            interval +=
                (0.8 + 0.4 * rnd) *
                (double)(1ULL << (b->exponent > 60 ? 60 : b->exponent - 1)) *
                (double)b->delta_ms;
        if (interval < (double)b->max_ms) {
            b->current_ms = (long)interval;
            b->exponent++;
        } else {
            b->current_ms = b->max_ms;
        }
    }
    return b->current_ms;
}

char *qopts_poison_name(const char *queue)
{
    size_t n = strlen(queue);
    static const char suffix[] = "-poison";
    if (n >= sizeof suffix - 1 &&
        strcasecmp(queue + n - (sizeof suffix - 1), suffix) == 0)
        return NULL;
    if (n + sizeof suffix - 1 > QUEUE_NAME_MAX)
        return NULL;
    return xasprintf("%s%s", queue, suffix);
}

int qopts_check_queue_name(const char *q, char *err, size_t errlen)
{
    size_t n = strlen(q);
    int ok = n >= 3 && n <= QUEUE_NAME_MAX && q[0] != '-' && q[n - 1] != '-' &&
             !strstr(q, "--");
    for (size_t i = 0; ok && i < n; i++)
        ok = (q[i] >= 'a' && q[i] <= 'z') || (q[i] >= '0' && q[i] <= '9') ||
             q[i] == '-';
    if (!ok)
        snprintf(err, errlen,
                 "\"%.70s\" is not a valid queue name: 3-63 lower-case "
                 "letters, digits and single hyphens, starting and ending "
                 "with a letter or digit",
                 q);
    return ok ? 0 : -1;
}
