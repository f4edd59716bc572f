/* check_tier.c - the tier limits and usage (src/emulator/tier.c) against
 * the published numbers in tests/vectors/signalr/tier-limits.json. */
#include <string.h>

#include <check.h>

#include <json-c/json.h>

#include "emulator/tier.h"
#include "emulator_suites.h"
#include "runner.h"

#define DAY 86400L
#define NOON (20000L * DAY + 43200L) /* some day at 12:00 UTC */

static struct json_object *field(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    ck_assert_msg(json_object_object_get_ex(o, k, &v), "no '%s'", k);
    return v;
}

static long long num(struct json_object *o, const char *k)
{
    return json_object_get_int64(field(o, k));
}

START_TEST(test_tier_limits_as_published)
{
    struct json_object *v = runner_vector("signalr/tier-limits.json");
    struct json_object *tiers = field(v, "tiers");
    static const char *const names[] = {"free", "standard", "premium"};
    char err[160];
    for (size_t i = 0; i < 3; i++) {
        struct json_object *t = field(tiers, names[i]);
        struct tier tr;
        int max = (int)num(t, "maxUnits");
        const int try_units[] = {1, max / 2 ? max / 2 : 1, max};
        for (size_t k = 0; k < 3; k++) {
            int units = try_units[k];
            ck_assert_int_eq(
                tier_init(&tr, names[i], units, 0, err, sizeof err), 0);
            ck_assert_int_eq(tr.max_conns,
                             num(t, "connectionsPerUnit") * units);
            ck_assert_int_eq(tr.msgs_day,
                             num(t, "messagesPerUnitPerDay") * units);
            ck_assert_int_eq(tr.msgs_enforced, json_object_get_boolean(field(
                                                   t, "messagesEnforced")));
        }
        ck_assert_int_eq(tier_init(&tr, names[i], max + 1, 0, err, sizeof err),
                         -1);
        ck_assert_ptr_nonnull(strstr(err, names[i]));
        ck_assert_int_eq(tier_init(&tr, names[i], 0, 0, err, sizeof err), -1);
    }
    struct json_object *rates = field(v, "connectionsPerSecond");
    for (size_t i = 0; i < json_object_array_length(rates); i++) {
        struct json_object *r = json_object_array_get_idx(rates, i);
        struct tier tr;
        ck_assert_int_eq(tier_init(&tr,
                                   json_object_get_string(field(r, "tier")),
                                   (int)num(r, "units"), 0, err, sizeof err),
                         0);
        ck_assert_int_eq(tr.rate_per_s, num(r, "rate"));
    }
    ck_assert_str_eq(TIER_CONN_LIMIT_TEXT,
                     json_object_get_string(field(v, "connectionLimitText")));
    ck_assert_str_eq(
        TIER_MSG_LIMIT_TEXT,
        json_object_get_string(field(field(v, "messageLimitClose"), "error")));
    ck_assert_int_eq(TIER_MESSAGE_UNIT, num(v, "messageUnitBytes"));
    json_object_put(v);
}
END_TEST

START_TEST(test_tier_bad_names)
{
    struct tier t;
    char err[160];
    ck_assert_int_eq(tier_init(&t, "gold", 1, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "gold"));
    ck_assert_int_eq(tier_init(&t, "", 1, 0, err, sizeof err), -1);
    ck_assert_int_eq(tier_init(&t, "FREE", 1, 0, err, sizeof err), 0);
    ck_assert_str_eq(tier_name(&t), "Free");
    ck_assert_int_eq(tier_init(&t, "free", 1, -1, err, sizeof err), -1);
    ck_assert_int_eq(tier_init(&t, "premium", 1000, 5, err, sizeof err), 0);
    ck_assert_int_eq(t.msgs_day, 5);
    ck_assert_str_eq(tier_name(&t), "Premium");
}
END_TEST

START_TEST(test_tier_connections)
{
    struct tier t;
    char err[160];
    ck_assert_int_eq(tier_init(&t, "free", 1, 0, err, sizeof err), 0);
    ck_assert_int_eq(tier_negotiate(&t, 19, NOON), TIER_OK);
    ck_assert_int_eq(tier_negotiate(&t, 20, NOON), TIER_OVER_CONNS);
    ck_assert_int_eq(tier_connect(&t, 20, 5000, NOON), TIER_OVER_CONNS);
    ck_assert_int_eq(t.refused_conns, 2);
    ck_assert_str_eq(tier_verdict_text(TIER_OVER_CONNS), TIER_CONN_LIMIT_TEXT);
    ck_assert_ptr_null(tier_verdict_text(TIER_OK));
    /* Recovered: one fewer connected, accepted again. */
    ck_assert_int_eq(tier_negotiate(&t, 19, NOON), TIER_OK);
}
END_TEST

START_TEST(test_tier_connect_rate)
{
    struct tier t;
    char err[160];
    ck_assert_int_eq(tier_init(&t, "free", 1, 0, err, sizeof err), 0);
    /* 20 in one second, the 21st refused, the next second again. */
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(tier_connect(&t, 0, 7000 + i, NOON), TIER_OK);
    ck_assert_int_eq(tier_connect(&t, 0, 7999, NOON), TIER_OVER_RATE);
    ck_assert_str_eq(tier_verdict_text(TIER_OVER_RATE), TIER_RATE_LIMIT_TEXT);
    ck_assert_int_eq(tier_connect(&t, 0, 8000, NOON), TIER_OK);
    /* Refusals for the rate are not connection-limit refusals. */
    ck_assert_int_eq(t.refused_conns, 0);
}
END_TEST

START_TEST(test_tier_message_units)
{
    ck_assert_int_eq(tier_message_units(0), 1);
    ck_assert_int_eq(tier_message_units(1), 1);
    ck_assert_int_eq(tier_message_units(2048), 1);
    ck_assert_int_eq(tier_message_units(2049), 2);
    ck_assert_int_eq(tier_message_units(4096), 2); /* "a 4 KB message = 2" */
    ck_assert_int_eq(tier_message_units(5000), 3);
}
END_TEST

START_TEST(test_tier_free_quota_and_new_day)
{
    struct tier t;
    char err[160];
    int noted;
    ck_assert_int_eq(tier_init(&t, "free", 1, 5, err, sizeof err), 0);
    ck_assert_int_eq(tier_count_message(&t, 100, NOON, &noted), 0);
    ck_assert_int_eq(tier_count_message(&t, 3000, NOON, &noted), 0);
    ck_assert_int_eq(t.msgs_used, 3);
    ck_assert(!t.close_due);
    /* The one that reaches the quota goes; then nothing does. */
    ck_assert_int_eq(tier_count_message(&t, 4096, NOON, &noted), 0);
    ck_assert_int_eq(t.msgs_used, 5);
    ck_assert(t.exhausted && t.close_due);
    ck_assert_int_eq(tier_count_message(&t, 1, NOON, &noted), -1);
    ck_assert_int_eq(t.msgs_used, 5);
    ck_assert_int_eq(tier_negotiate(&t, 0, NOON), TIER_OVER_MSGS);
    ck_assert_int_eq(tier_connect(&t, 0, 1, NOON), TIER_OVER_MSGS);
    /* 00:00 UTC: a new day, everything allowed again. */
    long midnight = (NOON / DAY + 1) * DAY;
    ck_assert_int_eq(tier_negotiate(&t, 0, midnight - 1), TIER_OVER_MSGS);
    ck_assert_int_eq(tier_negotiate(&t, 0, midnight), TIER_OK);
    ck_assert_int_eq(t.msgs_used, 0);
    ck_assert(!t.exhausted && !t.close_due);
    /* And on demand. */
    for (int i = 0; i < 5; i++)
        tier_count_message(&t, 1, midnight, &noted);
    ck_assert(t.exhausted);
    tier_reset_day(&t, midnight);
    ck_assert_int_eq(tier_count_message(&t, 1, midnight, &noted), 0);
}
END_TEST

START_TEST(test_tier_standard_counts_only)
{
    struct tier t;
    char err[160];
    int noted, notes = 0;
    ck_assert_int_eq(tier_init(&t, "standard", 3, 2, err, sizeof err), 0);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(tier_count_message(&t, 10, NOON, &noted), 0);
        notes += noted;
    }
    ck_assert_int_eq(notes, 1);
    ck_assert_int_eq(t.msgs_used, 5);
    ck_assert(!t.exhausted && !t.close_due);
    ck_assert_int_eq(tier_negotiate(&t, 2999, NOON), TIER_OK);
    ck_assert_int_eq(tier_negotiate(&t, 3000, NOON), TIER_OVER_CONNS);
}
END_TEST

START_TEST(test_tier_usage_report)
{
    struct tier t;
    char err[160];
    int noted;
    ck_assert_int_eq(tier_init(&t, "free", 1, 0, err, sizeof err), 0);
    tier_count_message(&t, 5000, NOON, &noted);
    struct json_object *u = tier_usage(&t, 7, NOON);
    ck_assert_str_eq(json_object_get_string(field(u, "tier")), "Free");
    ck_assert_int_eq(num(field(u, "connections"), "current"), 7);
    ck_assert_int_eq(num(field(u, "connections"), "limit"), 20);
    ck_assert_int_eq(num(field(u, "messages"), "used"), 3);
    ck_assert_int_eq(num(field(u, "messages"), "limit"), 20000);
    ck_assert_str_eq(
        json_object_get_string(field(field(u, "messages"), "resetsAt")),
        "2024-10-05T00:00:00Z");
    json_object_put(u);
    /* Without a tier: connections only, every limit null. */
    u = tier_usage(NULL, 2, NOON);
    ck_assert(json_object_is_type(field(u, "tier"), json_type_null));
    ck_assert_int_eq(num(field(u, "connections"), "current"), 2);
    ck_assert(json_object_is_type(field(field(u, "connections"), "limit"),
                                  json_type_null));
    ck_assert(json_object_is_type(field(field(u, "messages"), "used"),
                                  json_type_null));
    json_object_put(u);
}
END_TEST

Suite *tier_suite(void)
{
    Suite *s = suite_create("tier");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_tier_limits_as_published);
    tcase_add_test(tc, test_tier_bad_names);
    tcase_add_test(tc, test_tier_connections);
    tcase_add_test(tc, test_tier_connect_rate);
    tcase_add_test(tc, test_tier_message_units);
    tcase_add_test(tc, test_tier_free_quota_and_new_day);
    tcase_add_test(tc, test_tier_standard_counts_only);
    tcase_add_test(tc, test_tier_usage_report);
    suite_add_tcase(s, tc);
    return s;
}
