/* check_rest_route.c - REST routing table (src/emulator/rest.c). */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "emulator/rest.h"
#include "emulator_suites.h"

struct route_case {
    const char *method, *path;
    int rc, status; /* expected return and (on failure) status */
    enum rest_op op;
    int v1;
    const char *hub, *user, *group, *conn;
};

static const struct route_case CASES[] = {
    {"GET", "/api/health", 0, 0, REST_HEALTH, 0, NULL, NULL, NULL, NULL},
    {"HEAD", "/api/v1/health", 0, 0, REST_HEALTH, 1, NULL, NULL, NULL, NULL},
    {"POST", "/api/health", -1, 405, 0, 0, NULL, NULL, NULL, NULL},
    {"POST", "/api/hubs/chat/:send", 0, 0, REST_SEND_ALL, 0, "chat", NULL, NULL,
     NULL},
    {"POST", "/api/v1/hubs/Chat", 0, 0, REST_SEND_ALL, 1, "Chat", NULL, NULL,
     NULL},
    {"POST", "/api/v1/hubs/chat/", 0, 0, REST_SEND_ALL, 1, "chat", NULL, NULL,
     NULL},
    {"POST", "/api/hubs/chat/:closeConnections", 0, 0, REST_CLOSE_ALL, 0,
     "chat", NULL, NULL, NULL},
    {"POST", "/api/hubs/chat/users/user1/:send", 0, 0, REST_SEND_USER, 0,
     "chat", "user1", NULL, NULL},
    {"POST", "/api/v1/hubs/chat/users/a%2Fb", 0, 0, REST_SEND_USER, 1, "chat",
     "a/b", NULL, NULL},
    {"POST", "/api/hubs/chat/groups/room%201/:send", 0, 0, REST_SEND_GROUP, 0,
     "chat", NULL, "room 1", NULL},
    {"POST", "/api/hubs/chat/connections/abc/:send", 0, 0, REST_SEND_CONN, 0,
     "chat", NULL, NULL, "abc"},
    {"HEAD", "/api/hubs/chat/connections/abc", 0, 0, REST_CONN_EXISTS, 0,
     "chat", NULL, NULL, "abc"},
    {"GET", "/api/v1/hubs/chat/connections/abc", 0, 0, REST_CONN_EXISTS, 1,
     "chat", NULL, NULL, "abc"},
    {"DELETE", "/api/hubs/chat/connections/abc", 0, 0, REST_CONN_CLOSE, 0,
     "chat", NULL, NULL, "abc"},
    {"DELETE", "/api/hubs/chat/connections/abc/groups", 0, 0,
     REST_CONN_LEAVE_ALL, 0, "chat", NULL, NULL, "abc"},
    {"PUT", "/api/hubs/chat/groups/g/connections/abc", 0, 0,
     REST_GROUP_ADD_CONN, 0, "chat", NULL, "g", "abc"},
    {"PUT", "/api/hubs/chat/connections/abc/groups/g", 0, 0,
     REST_GROUP_ADD_CONN, 0, "chat", NULL, "g", "abc"},
    {"DELETE", "/api/hubs/chat/groups/g/connections/abc", 0, 0,
     REST_GROUP_REMOVE_CONN, 0, "chat", NULL, "g", "abc"},
    {"HEAD", "/api/hubs/chat/groups/g", 0, 0, REST_GROUP_EXISTS, 0, "chat",
     NULL, "g", NULL},
    {"GET", "/api/hubs/chat/groups/g/connections", 0, 0, REST_GROUP_LIST, 0,
     "chat", NULL, "g", NULL},
    {"HEAD", "/api/hubs/chat/users/u", 0, 0, REST_USER_EXISTS, 0, "chat", "u",
     NULL, NULL},
    {"PUT", "/api/hubs/chat/users/u/groups/g", 0, 0, REST_USER_GROUP_ADD, 0,
     "chat", "u", "g", NULL},
    {"PUT", "/api/v1/hubs/chat/groups/g/users/u", 0, 0, REST_USER_GROUP_ADD, 1,
     "chat", "u", "g", NULL},
    {"DELETE", "/api/hubs/chat/users/u/groups/g", 0, 0, REST_USER_GROUP_REMOVE,
     0, "chat", "u", "g", NULL},
    {"GET", "/api/v1/hubs/chat/groups/g/users/u", 0, 0, REST_USER_IN_GROUP, 1,
     "chat", "u", "g", NULL},
    {"HEAD", "/api/hubs/chat/users/u/groups/g", 0, 0, REST_USER_IN_GROUP, 0,
     "chat", "u", "g", NULL},
    {"DELETE", "/api/hubs/chat/users/u/groups", 0, 0, REST_USER_LEAVE_ALL, 0,
     "chat", "u", NULL, NULL},
    {"POST", "/api/hubs/chat/users/u/:closeConnections", 0, 0, REST_CLOSE_USER,
     0, "chat", "u", NULL, NULL},
    {"POST", "/api/hubs/chat/groups/g/:closeConnections", 0, 0,
     REST_CLOSE_GROUP, 0, "chat", NULL, "g", NULL},
    {"POST", "/api/hubs/chat/:generateToken", 0, 0, REST_GENERATE_TOKEN, 0,
     "chat", NULL, NULL, NULL},
    {"POST", "/api/hubs/chat/connections/abc/:invoke", 0, 0, REST_CONN_INVOKE,
     0, "chat", NULL, NULL, "abc"},
    {"GET", "/api/usage", 0, 0, REST_USAGE, 0, NULL, NULL, NULL, NULL},
    {"HEAD", "/api/usage", 0, 0, REST_USAGE, 0, NULL, NULL, NULL, NULL},
    {"DELETE", "/api/usage", 0, 0, REST_USAGE_RESET, 0, NULL, NULL, NULL, NULL},
    /* failures */
    {"GET", "/api/hubs/chat/:generateToken", -1, 405, 0, 0, NULL, NULL, NULL,
     NULL},
    {"GET", "/api/hubs/chat/connections/abc/:invoke", -1, 405, 0, 0, NULL, NULL,
     NULL, NULL},
    {"POST", "/api/usage", -1, 405, 0, 0, NULL, NULL, NULL, NULL},
    {"POST", "/api/hubs/chat/connections/abc/streams/s1/:send", -1, 404, 0, 0,
     NULL, NULL, NULL, NULL},
    {"GET", "/api/hubs/chat", -1, 405, 0, 0, NULL, NULL, NULL, NULL},
    {"PATCH", "/api/hubs/chat/users/u", -1, 405, 0, 0, NULL, NULL, NULL, NULL},
    {"POST", "/api/hubs/chat/nothing/x", -1, 404, 0, 0, NULL, NULL, NULL, NULL},
    {"POST", "/api/hubs", -1, 404, 0, 0, NULL, NULL, NULL, NULL},
    {"POST", "/api/hubs/chat/users/%zz", -1, 400, 0, 0, NULL, NULL, NULL, NULL},
    {"POST", "/api/hubs/chat/users//:send", -1, 404, 0, 0, NULL, NULL, NULL,
     NULL},
    {"POST", "/client/negotiate", -1, 404, 0, 0, NULL, NULL, NULL, NULL},
};

static void eq_or_null(const char *want, const char *got, const char *what,
                       size_t i)
{
    if (!want)
        ck_assert_msg(got == NULL, "case %zu: %s should be NULL", i, what);
    else
        ck_assert_msg(got && strcmp(want, got) == 0, "case %zu: %s = %s", i,
                      what, got ? got : "(null)");
}

START_TEST(test_rest_routes_table)
{
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const struct route_case *c = &CASES[i];
        struct rest_route rt;
        char err[128];
        int status = 0;
        int rc =
            rest_route_parse(c->method, c->path, &rt, &status, err, sizeof err);
        ck_assert_msg(rc == c->rc, "case %zu (%s %s): rc %d (%s)", i, c->method,
                      c->path, rc, rc ? err : "");
        if (rc) {
            ck_assert_msg(status == c->status, "case %zu: status %d", i,
                          status);
            ck_assert_ptr_null(rt.hub);
            continue;
        }
        ck_assert_msg(rt.op == c->op, "case %zu: op %d", i, (int)rt.op);
        ck_assert_int_eq(rt.v1, c->v1);
        eq_or_null(c->hub, rt.hub, "hub", i);
        eq_or_null(c->user, rt.user, "user", i);
        eq_or_null(c->group, rt.group, "group", i);
        eq_or_null(c->conn, rt.conn, "conn", i);
        rest_route_release(&rt);
    }
}
END_TEST

Suite *rest_route_suite(void)
{
    Suite *s = suite_create("rest_route");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_rest_routes_table);
    suite_add_tcase(s, tc);
    return s;
}
