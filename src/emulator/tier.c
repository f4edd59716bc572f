/* tier.c - the pricing-tier limits and the day's usage (see tier.h). */
#include "tier.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/banned.h"

#define DAY_S 86400L

static long rate_for(enum tier_kind k, int units)
{
    if (k == TIER_FREE)
        return 20;
    if (units <= 10)
        return 400;
    if (units <= 20)
        return 600;
    if (units <= 50)
        return 2000;
    return 8000;
}

int tier_init(struct tier *t, const char *name, int units,
              long long msgs_override, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    int max_units;
    if (strcasecmp(name, "free") == 0) {
        t->kind = TIER_FREE;
        max_units = 1;
    } else if (strcasecmp(name, "standard") == 0) {
        t->kind = TIER_STANDARD;
        max_units = 100;
    } else if (strcasecmp(name, "premium") == 0) {
        t->kind = TIER_PREMIUM;
        max_units = 1000;
    } else {
        snprintf(err, errlen,
                 "unknown tier '%s': want free, standard or "
                 "premium",
                 name);
        return -1;
    }
    if (units < 1 || units > max_units) {
        snprintf(err, errlen, "the %s tier takes 1 to %d unit(s), not %d", name,
                 max_units, units);
        return -1;
    }
    if (msgs_override < 0) {
        snprintf(err, errlen, "messages a day must be positive");
        return -1;
    }
    t->units = units;
    t->max_conns = t->kind == TIER_FREE ? 20 : 1000L * units;
    t->msgs_day = t->kind == TIER_FREE ? 20000 : 1000000LL * units;
    if (msgs_override)
        t->msgs_day = msgs_override;
    t->msgs_enforced = t->kind == TIER_FREE;
    t->rate_per_s = rate_for(t->kind, units);
    t->rate_sec = -1;
    return 0;
}

const char *tier_name(const struct tier *t)
{
    switch (t->kind) {
    case TIER_FREE:
        return "Free";
    case TIER_STANDARD:
        return "Standard";
    default:
        return "Premium";
    }
}

const char *tier_verdict_text(enum tier_verdict v)
{
    switch (v) {
    case TIER_OVER_CONNS:
        return TIER_CONN_LIMIT_TEXT;
    case TIER_OVER_MSGS:
        return TIER_MSG_LIMIT_TEXT;
    case TIER_OVER_RATE:
        return TIER_RATE_LIMIT_TEXT;
    default:
        return NULL;
    }
}

/* A new UTC day resets the message count. */
static void roll_day(struct tier *t, long wall_s)
{
    long day = wall_s / DAY_S;
    if (day != t->day)
        tier_reset_day(t, wall_s);
}

void tier_reset_day(struct tier *t, long wall_s)
{
    t->day = wall_s / DAY_S;
    t->msgs_used = 0;
    t->exhausted = 0;
    t->close_due = 0;
    t->over_noted = 0;
}

enum tier_verdict tier_negotiate(struct tier *t, size_t connected, long wall_s)
{
    roll_day(t, wall_s);
    if (t->exhausted)
        return TIER_OVER_MSGS;
    if ((long)connected >= t->max_conns) {
        t->refused_conns++;
        return TIER_OVER_CONNS;
    }
    return TIER_OK;
}

enum tier_verdict tier_connect(struct tier *t, size_t connected,
                               long long mono_ms, long wall_s)
{
    enum tier_verdict v = tier_negotiate(t, connected, wall_s);
    if (v != TIER_OK)
        return v;
    long long sec = mono_ms / 1000;
    if (sec != t->rate_sec) {
        t->rate_sec = sec;
        t->rate_count = 0;
    }
    if (t->rate_count >= t->rate_per_s)
        return TIER_OVER_RATE;
    t->rate_count++;
    return TIER_OK;
}

long long tier_message_units(size_t len)
{
    long long n =
        (long long)((len + TIER_MESSAGE_UNIT - 1) / TIER_MESSAGE_UNIT);
    return n ? n : 1;
}

int tier_count_message(struct tier *t, size_t len, long wall_s, int *noted)
{
    roll_day(t, wall_s);
    *noted = 0;
    if (t->exhausted)
        return -1;
    t->msgs_used += tier_message_units(len);
    if (t->msgs_used >= t->msgs_day) {
        if (t->msgs_enforced) {
            t->exhausted = 1;
            t->close_due = 1;
        } else if (!t->over_noted) {
            t->over_noted = 1;
            *noted = 1;
        }
    }
    return 0;
}

static struct json_object *num_or_null(int have, long long v)
{
    return have ? json_object_new_int64(v) : NULL;
}

struct json_object *tier_usage(struct tier *t, size_t connected, long wall_s)
{
    struct json_object *o = json_object_new_object();
    struct json_object *c = json_object_new_object();
    struct json_object *m = json_object_new_object();
    if (t)
        roll_day(t, wall_s);
    json_object_object_add(o, "tier",
                           t ? json_object_new_string(tier_name(t)) : NULL);
    json_object_object_add(o, "units",
                           num_or_null(t != NULL, t ? t->units : 0));
    json_object_object_add(c, "current",
                           json_object_new_int64((long long)connected));
    json_object_object_add(c, "limit",
                           num_or_null(t != NULL, t ? t->max_conns : 0));
    json_object_object_add(c, "refused",
                           num_or_null(t != NULL, t ? t->refused_conns : 0));
    json_object_object_add(c, "ratePerSecond",
                           num_or_null(t != NULL, t ? t->rate_per_s : 0));
    json_object_object_add(o, "connections", c);
    json_object_object_add(m, "used",
                           num_or_null(t != NULL, t ? t->msgs_used : 0));
    json_object_object_add(m, "limit",
                           num_or_null(t != NULL, t ? t->msgs_day : 0));
    json_object_object_add(
        m, "enforced", t ? json_object_new_boolean(t->msgs_enforced) : NULL);
    json_object_object_add(m, "exhausted",
                           t ? json_object_new_boolean(t->exhausted) : NULL);
    json_object_object_add(m, "unitBytes",
                           json_object_new_int(TIER_MESSAGE_UNIT));
    if (t) {
        /* The next 00:00 UTC, when the day's count starts again. */
        time_t next = (time_t)((wall_s / DAY_S + 1) * DAY_S);
        struct tm tm;
        char when[32];
        gmtime_r(&next, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_object_add(m, "resetsAt", json_object_new_string(when));
    } else {
        json_object_object_add(m, "resetsAt", NULL);
    }
    json_object_object_add(o, "messages", m);
    return o;
}
