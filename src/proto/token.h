/*
 * token.h - SignalR access tokens: minted by the local host, verified by the
 * emulator, with one set of claim names and audience rules for both.
 *
 * JWS compact, HS256 to mint; HS256/384/512 accepted. The HMAC key is the
 * UTF-8 bytes of the AccessKey string, not base64-decoded, as the SDKs
 * sign. libjwt encodes and parses; the signature is also
 * checked here with OpenSSL HMAC and CRYPTO_memcmp so the comparison is
 * constant-time whatever the library does. Not linked into the handler.
 */
#ifndef PROTO_TOKEN_H
#define PROTO_TOKEN_H

#include <stddef.h>

#include <json-c/json.h>

#define TOKEN_LIFETIME_S 3600 /* SDK default: one hour */
#define TOKEN_CLAIM_UID "asrs.s.uid"

/* Mint a token signed with key. Claims: uid_claim=user_id when user_id is
 * not NULL (an empty string still yields the claim, as in the SDK), then
 * nbf=iat=now, exp=now+lifetime_s, aud. Returns 0 and a new string in *out
 * (caller frees), or -1. */
int token_mint(const char *key, const char *aud, const char *uid_claim,
               const char *user_id, long now, long lifetime_s, char **out);

struct token_claims {
    char *user_id;           /* asrs.s.uid, else nameid, else sub; or NULL */
    char *aud;               /* NULL when absent */
    long exp, nbf, iat;      /* 0 when absent (exp is required) */
    struct json_object *all; /* every claim; owned */
};

/* Verify token against each of nkeys keys (primary, secondary). Checks the
 * alg (HS256/384/512 only: "none" and others are refused), the signature,
 * exp (required, with skew seconds of tolerance) and nbf (if present).
 * The audience is left to token_aud_match. Returns 0 and fills *out, or -1
 * with a reason in err that never quotes the token. */
int token_verify(const char *token, const char *const *keys, size_t nkeys,
                 long now, long skew, struct token_claims *out, char *err,
                 size_t errlen);
void token_claims_release(struct token_claims *c);

/* Compare an aud claim with the request it is used for, after normalising
 * both as the service does: scheme and host case-insensitive with the
 * port dropped, path compared without a trailing '/', case-insensitive.
 * When hub is not NULL (client tokens), the aud's ?hub= must also equal hub
 * case-insensitively; otherwise (REST tokens) the query is ignored.
 * scheme_host is e.g. "http://localhost:8888" (port ignored); path is the
 * request path, e.g. "/client/" or "/api/hubs/chat/:send".
 * Returns 1 on match, 0 otherwise. */
int token_aud_match(const char *aud, const char *scheme_host, const char *path,
                    const char *hub);

#endif
