/* lp_client.c - a hand-driven long-polling client (see lp_client.h). */
#include "lp_client.h"

#include <string.h>

#include <check.h>

struct conn *lp_client_open(struct conns *t, const char *user)
{
    struct conn *c = conn_new(t, "Chat", user, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(conn_attach_lp(c), 0);
    conn_input(c, LP_HANDSHAKE, strlen(LP_HANDSHAKE));
    ck_assert_int_eq(c->state, CONN_OPEN);
    return c;
}

int lp_client_got(const struct conn *c, const char *text)
{
    return memmem(c->out.data, c->out.len, text, strlen(text)) != NULL;
}
