/*
 * restpage.h - paging of the 2024-12-01 group connection listing
 * (GET /api/hubs/{hub}/groups/{group}/connections).
 *
 * As the swagger (GroupMemberPagedValues, HubProxyV20241201_
 * ListConnectionsInGroup) says: maxpagesize 1..200 (default 200) bounds
 * one page, top bounds the whole walk, and a page that is not the last
 * carries nextLink, an absolute URL holding top, maxpagesize, an opaque
 * continuationToken and api-version (in the order of the published
 * example). Pages are in connection-id order; the token says how many
 * connections were returned so far and after which id the next page
 * starts (hex, so no one reads it; a bad one is a 400). Pure.
 */
#ifndef EMULATOR_RESTPAGE_H
#define EMULATOR_RESTPAGE_H

#include <stddef.h>

/* The largest page, and the default. */
#define RESTPAGE_MAX 200

struct restpage_pos {
    long returned; /* connections returned by the pages before */
    char *after;   /* the last id returned, or NULL for the first page */
};

/* Decode a continuationToken. Returns 0 and fills pos (release with
 * restpage_pos_release), or -1 when it is not one of ours. */
int restpage_token_parse(const char *tok, struct restpage_pos *pos);
/* Encode pos: a new string (caller frees). */
char *restpage_token(const struct restpage_pos *pos);
void restpage_pos_release(struct restpage_pos *pos);

/* How many of the remaining connections the page takes: at most maxpage,
 * and with top (0: none) at most top - returned. */
size_t restpage_count(size_t remaining, long maxpage, long top, long returned);

/* The nextLink for the page after pos: http://HOST/api/hubs/HUB/groups/
 * GROUP/connections?[top=T&]maxpagesize=M&continuationToken=TOK
 * &api-version=V[&application=A], every part percent-encoded. host NULL:
 * localhost; api_version NULL: 2024-12-01; app and top (0) optional. A new
 * string. */
char *restpage_next_link(const char *host, const char *hub, const char *group,
                         const char *app, const char *api_version, long top,
                         long maxpage, const struct restpage_pos *pos);

#endif
