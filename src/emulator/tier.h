/*
 * tier.h - the opt-in pricing-tier simulation: the published limits of
 * Azure SignalR Service's Free, Standard and Premium tiers, and the
 * day's usage counted against them.
 *
 * Limits (Microsoft's "SignalR Service limits" and "messages and
 * connections" pages; the connection rates from the service team's answer
 * in Azure/azure-signalr issue 1282; facts in tests/vectors/signalr/
 * tier-limits.json):
 *   - concurrent connections: Free 20, Standard and Premium 1,000 a unit;
 *   - messages a day: Free 20,000 (a hard quota: over it the service
 *     closes every client with "Message count reaches limit." and refuses
 *     new ones with 429 until 00:00 UTC), Standard and Premium 1,000,000
 *     a unit included (more is billed, not refused: counted and logged);
 *     outbound only, pings not counted, each message in 2 KB units;
 *   - new connections a second: Free 20; 1-10 units 400, up to 20 units
 *     600, up to 50 units 2,000, more 8,000.
 * Pure: the caller gives the clock (monotonic ms for the rate, wall
 * seconds for the UTC day) and the number of connected clients; no I/O,
 * no logging (the result codes say what to log). Owned by its caller.
 */
#ifndef EMULATOR_TIER_H
#define EMULATOR_TIER_H

#include <stddef.h>

#include <json-c/json.h>

enum tier_kind { TIER_FREE, TIER_STANDARD, TIER_PREMIUM };

/* The 429 texts: the connection one is the service's (Azure/azure-signalr
 * issue 241), the message one its Close error (issue 635); the rate text
 * is the emulator's own (the service's is not published). */
#define TIER_CONN_LIMIT_TEXT "Connection count reaches limit."
#define TIER_MSG_LIMIT_TEXT "Message count reaches limit."
#define TIER_RATE_LIMIT_TEXT "Connection rate reaches limit."

/* Bytes of one billed message unit. */
#define TIER_MESSAGE_UNIT 2048u

struct tier {
    enum tier_kind kind;
    int units;
    long max_conns;      /* concurrent connections */
    long long msgs_day;  /* messages a day (included, or quota on Free) */
    int msgs_enforced;   /* Free: a hard quota */
    long rate_per_s;     /* new connections a second */
    long day;            /* UTC day (epoch s / 86400) of msgs_used */
    long long msgs_used; /* this UTC day, in 2 KB units */
    long long rate_sec;  /* monotonic second of rate_count */
    long rate_count;     /* connections admitted in rate_sec */
    long refused_conns;  /* 429s for the connection limit, this run */
    int exhausted;       /* Free and msgs_used >= msgs_day */
    int close_due;       /* exhausted: every client is to be closed */
    int over_noted;      /* Standard/Premium: the overage line logged */
};

/* Parse --tier NAME (free, standard, premium; any case) with units
 * (Free: 1 only; Standard 1..100; Premium 1..1000) and an optional
 * messages-a-day override (> 0, or 0 for the tier's own). Returns 0 and
 * fills t, or -1 with the reason in err. */
int tier_init(struct tier *t, const char *name, int units,
              long long msgs_override, char *err, size_t errlen);
const char *tier_name(const struct tier *t);

enum tier_verdict {
    TIER_OK,
    TIER_OVER_CONNS, /* TIER_CONN_LIMIT_TEXT */
    TIER_OVER_MSGS,  /* TIER_MSG_LIMIT_TEXT */
    TIER_OVER_RATE   /* TIER_RATE_LIMIT_TEXT */
};
/* The text a verdict answers with (NULL for TIER_OK). */
const char *tier_verdict_text(enum tier_verdict v);

/* May a client negotiate now, with connected clients connected? */
enum tier_verdict tier_negotiate(struct tier *t, size_t connected, long wall_s);
/* May a negotiated client open its transport now? Admitting it counts
 * towards the rate of the current second (mono_ms). */
enum tier_verdict tier_connect(struct tier *t, size_t connected,
                               long long mono_ms, long wall_s);

/* One outbound message of len bytes to one client. Returns 0 when it may
 * go (and counts it), -1 when the day's quota is used up (Free: not
 * sent). Sets close_due when this message used the quota up; *noted is
 * set to 1 the first time a Standard/Premium day passes its included
 * messages (for one log line). */
int tier_count_message(struct tier *t, size_t len, long wall_s, int *noted);
/* The units a message of len bytes costs: ceil(len / 2 KB), at least 1. */
long long tier_message_units(size_t len);

/* Start a new day now (the 00:00 UTC reset, on demand). */
void tier_reset_day(struct tier *t, long wall_s);

/* The usage report (GET /api/usage): a new object. t may be NULL (no
 * tier: only the current connections, no limits). */
struct json_object *tier_usage(struct tier *t, size_t connected, long wall_s);

#endif
