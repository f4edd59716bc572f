/*
 * keys.h - function keys, as the Functions host keeps and checks them.
 *
 * A request's key (keys_presented) gives a level (authlevel.h): the master
 * key Admin, a host system key System, a host function key or one of the
 * function's own keys Function, anything else nothing.
 *
 * Keys live in the host's file-based secrets format in one folder:
 *   host.json      {"masterKey": {"name": "master", "value", "encrypted"},
 *                   "functionKeys": [{"name": "default", ...}],
 *                   "systemKeys": [], "hostName", "instanceId", "source",
 *                   "decryptionKeyId"}
 *   <function>.json {"keys": [{"name": "default", ...}], ...}  (lower case)
 * keys_open() creates what is missing (a new 40-byte random value in
 * URL-safe base64 per key, files 0600 in a 0700 folder) and reads the rest;
 * a key added to a file by hand is picked up on the next request it fails
 * (the files are read again, at most once a second). Encrypted values are
 * refused: they need the platform's decryption key.
 *
 * Thread-safe. Key values are never logged; errors name files and fields.
 */
#ifndef HOST_KEYS_H
#define HOST_KEYS_H

#include <stddef.h>

#include "host/authlevel.h"

/* The key a request carries: the x-functions-key header when present
 * (even empty), else the code query parameter; NULL when neither. */
const char *keys_presented(const char *header, const char *query_code);

struct keys;

/* Open (and create what is missing of) the secrets in dir for the host and
 * the nfns functions named fns. Returns NULL with the reason in err. */
struct keys *keys_open(const char *dir, const char *const *fns, size_t nfns,
                       char *err, size_t errlen);
void keys_free(struct keys *k);

/* The level key gives for function fn (NULL: host keys only), and the
 * matching key's name into name (may be NULL). AUTH_ANONYMOUS when key is
 * NULL, empty or matches nothing. Values are compared in constant time. */
enum auth_level keys_match(struct keys *k, const char *key, const char *fn,
                           char *name, size_t namelen);

/* New copies the caller frees: the master key; the key named "default" of
 * function fn (NULL when it has none). */
char *keys_master(struct keys *k);
char *keys_function_default(struct keys *k, const char *fn);

/* The secrets folder, as given (borrowed). */
const char *keys_dir(const struct keys *k);

#endif
