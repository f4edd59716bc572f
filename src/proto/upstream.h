/*
 * upstream.h - what the service and the function app share about upstream
 * (client → server) calls: the X-ASRS-Signature, the URL templates and the
 * hub/category/event patterns.
 *
 * The emulator signs and expands templates; the local host verifies.
 * OpenSSL HMAC-SHA256; comparisons are constant-time (CRYPTO_memcmp).
 * Not linked into the handler.
 */
#ifndef PROTO_UPSTREAM_H
#define PROTO_UPSTREAM_H

#include <stddef.h>

/* "sha256=" + 64 upper-case hex digits + NUL */
#define UPSTREAM_SIG_LEN 72

/* out = "sha256=" + HEX(HMAC-SHA256(UTF-8 key, UTF-8 connection id)),
 * upper-case hex as the service writes it. */
void upstream_signature(const char *key, const char *connection_id,
                        char out[UPSTREAM_SIG_LEN]);

/* The X-ASRS-Signature header value for every key, comma-separated:
 * "sha256=<primary>,sha256=<secondary>". New string, caller frees. */
char *upstream_signature_header(const char *const *keys, size_t nkeys,
                                const char *connection_id);

/* Does header (comma-separated "sha256=<hex>" values, hex in any case,
 * spaces around commas allowed) hold the signature of connection_id under
 * any of the keys? Constant-time per comparison. 1 yes, 0 no. */
int upstream_signature_valid(const char *header, const char *const *keys,
                             size_t nkeys, const char *connection_id);

/* Does name match pattern: "*", a comma list "a, b, c" (items trimmed), or
 * an exact name? case_insensitive selects the comparison (the emulator's
 * templates are case-sensitive; the Functions trigger matches hub, category
 * and event case-insensitively). 1 yes, 0 no. */
int upstream_pattern_match(const char *pattern, const char *name,
                           int case_insensitive);

/* Expand {hub}, {category} and {event} in tmpl with percent-escaped values
 * (RFC 3986 unreserved characters kept). New string, caller frees. */
char *upstream_expand(const char *tmpl, const char *hub, const char *category,
                      const char *event);

#endif
