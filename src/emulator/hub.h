/*
 * hub.h - the registry: hubs, their connections, users and groups.
 *
 * Pure bookkeeping, no I/O: who is connected to which hub, as which user,
 * in which groups. Hubs are created lazily by whichever side names them
 * first (REST or a client), so a user added to a group before connecting
 * is in it when they connect: user-group memberships live on their own,
 * independent of connections (as the service's REST API has them), and every
 * new connection of the user joins the user's groups. Hub names are
 * case-insensitive (stored lower-case); group, user and connection names
 * are case-sensitive. Connections are opaque pointers owned by the caller.
 * Not thread-safe: the emulator runs on one thread.
 */
#ifndef EMULATOR_HUB_H
#define EMULATOR_HUB_H

#include <stddef.h>

struct registry;
struct hub;

/* New empty registry (free with registry_free); never NULL. */
struct registry *registry_new(void);
/* Frees every hub and membership; the connection pointers are left alone. */
void registry_free(struct registry *r);
/* The hub called name (any case), created when create is set. Returns a
 * pointer owned by the registry, or NULL when absent and !create. */
struct hub *registry_hub(struct registry *r, const char *name, int create);
/* Drop user-group memberships whose ttl has passed, in every hub. */
void registry_expire(struct registry *r, long now);

/* Lower-case name of the hub; borrowed. */
const char *hub_name(const struct hub *h);
size_t hub_conn_count(const struct hub *h);

/* Register a connection (handshake done). user may be NULL (anonymous).
 * The connection joins every group its user is in. id and user are copied;
 * conn is borrowed until hub_conn_remove. Returns 0, or -1 when the id is
 * already registered. */
int hub_conn_add(struct hub *h, const char *id, const char *user, void *conn);
/* Forget a connection and its connection-level group memberships (its
 * user's memberships stay). No-op for an unknown id. */
void hub_conn_remove(struct hub *h, const char *id);
/* The connection pointer for id, or NULL. */
void *hub_conn_find(const struct hub *h, const char *id);

/* Add/remove a connection to/from a group. Return 0, or -1 when there is
 * no such connection. */
int hub_group_add_conn(struct hub *h, const char *group, const char *id);
int hub_group_remove_conn(struct hub *h, const char *group, const char *id);
/* Remove a connection from all its groups. -1 when no such connection. */
int hub_conn_leave_all(struct hub *h, const char *id);

/* Add a user to a group (expires: unix time, 0 for never). The user's
 * current and future connections are in the group until removed. */
void hub_user_group_add(struct hub *h, const char *user, const char *group,
                        long expires);
/* Remove a user from one group / from every group, with the user's
 * connections. */
void hub_user_group_remove(struct hub *h, const char *user, const char *group);
void hub_user_groups_clear(struct hub *h, const char *user);

/* 1 when the user is a member of group (by user membership, or one of
 * its connections is in it), else 0. */
int hub_user_in_group(const struct hub *h, const char *user, const char *group);
/* 1 when the user has at least one connection. */
int hub_user_exists(const struct hub *h, const char *user);
/* 1 when the group has at least one connection. */
int hub_group_exists(const struct hub *h, const char *group);

/* Visit connections: all of the hub, those of a user, those of a group.
 * The callback must not add or remove connections or memberships (defer
 * that). Returns the number visited. */
typedef void (*hub_visit_fn)(void *conn, const char *id, const char *user,
                             void *arg);
size_t hub_each_conn(const struct hub *h, hub_visit_fn fn, void *arg);
size_t hub_each_user_conn(const struct hub *h, const char *user,
                          hub_visit_fn fn, void *arg);
size_t hub_each_group_conn(const struct hub *h, const char *group,
                           hub_visit_fn fn, void *arg);

#endif
