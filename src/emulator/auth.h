/*
 * auth.h - who may use the emulator: access tokens on client and REST calls.
 *
 * Takes the token from "Authorization: Bearer", else from the access_token
 * query parameter (browsers' WebSockets and every EventSource put it
 * there), and checks it with proto/token.h against every configured key:
 * HS256/384/512 only, exp required and nbf honoured with LIMIT_TOKEN_SKEW_S
 * of skew, then the audience as token_aud_match() normalises it
 * (scheme and host without port; client tokens: path /client and the hub;
 * REST tokens: the path, query ignored), so both the SDK form (no port,
 * query in aud) and the docs form (port, no query) pass. Never logs the
 * token; err never quotes it. Not the place that answers 401 (callers do).
 */
#ifndef EMULATOR_AUTH_H
#define EMULATOR_AUTH_H

#include <stddef.h>

#include <microhttpd.h>

#include "proto/token.h"

#define AUTH_MAX_KEYS 4

/* The access keys (primary, secondary, ...); the strings are borrowed for
 * the process's life (command line). */
struct auth_keys {
    const char *keys[AUTH_MAX_KEYS];
    size_t n;
};

/* Verify the request's token against every key of k. path is the request
 * path the audience must name ("/client/" for every client request; the
 * raw REST path); hub is the client's hub, or NULL for REST. Returns 0 and
 * fills *claims (release with token_claims_release), or -1 with a reason
 * in err. */
int auth_check(const struct auth_keys *k, struct MHD_Connection *mc,
               const char *path, const char *hub, struct token_claims *claims,
               char *err, size_t errlen);

/* The audience of a client token for hub on this service, as the
 * request mc reaches it ("http://HOST/client/?hub=HUB"): what
 * :generateToken puts in the tokens it mints. A new string. */
char *auth_client_audience(struct MHD_Connection *mc, const char *hub);

#endif
