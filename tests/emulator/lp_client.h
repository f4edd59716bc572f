/*
 * lp_client.h - a client connection driven by hand in the emulator's
 * tests: negotiated, given long polling as its transport (no socket; what
 * it is sent stays in conn->out) and through the JSON handshake.
 */
#ifndef TESTS_EMULATOR_LP_CLIENT_H
#define TESTS_EMULATOR_LP_CLIENT_H

#include <stddef.h>

#include "emulator/conn.h"
#include "proto/hubproto.h"

#define LP_HANDSHAKE "{\"protocol\":\"json\",\"version\":1}" HUBPROTO_RS_STR

/* A connection of t for hub "Chat" and user (may be NULL), open; fails the
 * test otherwise. Owned by t. */
struct conn *lp_client_open(struct conns *t, const char *user);
/* 1 when what c was sent holds text. */
int lp_client_got(const struct conn *c, const char *text);

#endif
