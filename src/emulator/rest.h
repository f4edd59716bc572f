/*
 * rest.h - the data-plane REST API under /api.
 *
 * Both forms of the service's API: 1.0 (/api/v1/hubs/...) and
 * 2022-06-01 (/api/hubs/...:send), each accepting the other's spellings
 * like the official emulator does (both user-group path orders,
 * /connections/{c}/groups/{g}), the 2024-12-01 listing of a group's
 * connections with its paging (restpage.h), :generateToken, connection
 * :invoke (held in clientres.h), /api/health and /api/usage (anonymous;
 * tier.h). Routing is a table matched
 * against the raw path split on '/', each segment percent-decoded after
 * the split (rest_route_parse, pure, tested without sockets); rest_handle
 * checks names, the token, the body, then acts on the registry and fans
 * out. Hubs are created lazily here too. Not the client endpoint.
 */
#ifndef EMULATOR_REST_H
#define EMULATOR_REST_H

#include <stddef.h>

#include <microhttpd.h>

#include "emulator/auth.h"
#include "emulator/clientres.h"
#include "emulator/hub.h"
#include "emulator/http.h"
#include "emulator/tier.h"

enum rest_op {
    REST_HEALTH,
    REST_SEND_ALL,
    REST_SEND_USER,
    REST_SEND_GROUP,
    REST_SEND_CONN,
    REST_CLOSE_ALL,
    REST_CLOSE_USER,
    REST_CLOSE_GROUP,
    REST_CONN_EXISTS,
    REST_CONN_CLOSE,
    REST_CONN_LEAVE_ALL,
    REST_USER_EXISTS,
    REST_GROUP_EXISTS,
    REST_GROUP_LIST,
    REST_GROUP_ADD_CONN,
    REST_GROUP_REMOVE_CONN,
    REST_USER_IN_GROUP,
    REST_USER_GROUP_ADD,
    REST_USER_GROUP_REMOVE,
    REST_USER_LEAVE_ALL,
    REST_GENERATE_TOKEN, /* 2022-11-01+ */
    REST_CONN_INVOKE,    /* 2024-12-01 */
    REST_USAGE,          /* the emulator's own: GET /api/usage */
    REST_USAGE_RESET     /* DELETE /api/usage */
};

/* The longest client token :generateToken mints: one year. */
#define REST_TOKEN_MAX_MINUTES (366L * 24 * 60)

struct rest_route {
    enum rest_op op;
    int v1;      /* under /api/v1 */
    char *hub;   /* as written (not lower-cased), decoded; NULL for health */
    char *user;  /* decoded, or NULL */
    char *group; /* decoded, or NULL */
    char *conn;  /* decoded, or NULL */
};

/* Match method and raw path (no query) against the route table. HEAD
 * matches wherever GET does. Returns 0 and fills rt (release with
 * rest_route_release), or -1 with a reason in err: 404 when no route has
 * that path, 405 (*status) when the path exists for other methods, 400
 * when a segment is badly percent-encoded. */
int rest_route_parse(const char *method, const char *path,
                     struct rest_route *rt, int *status, char *err,
                     size_t errlen);
void rest_route_release(struct rest_route *rt);

/* What the REST API works with; every pointer borrowed. */
struct rest_env {
    struct registry *reg;         /* the hubs, created here on first use */
    const struct auth_keys *keys; /* REST tokens are checked with these */
    struct conns *conns;          /* counted for /api/usage; may be NULL */
    struct clientres *cr;         /* :invoke calls; NULL: 404 */
    struct tier *tier;            /* NULL: no tier simulated */
    const struct loop *loop;      /* the clock */
};

/* Serve one /api request on its final access-handler call. */
enum MHD_Result rest_handle(struct rest_env *e, struct http_req *r,
                            const char *url, const char *method);

#endif
