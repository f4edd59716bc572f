/*
 * keys.h - function keys, as the Functions host keeps and checks them.
 *
 * Authorization levels are the host's AuthorizationLevel (a function.json
 * httpTrigger's "authLevel"). A request's key (the x-functions-key header,
 * else the ?code= query parameter: the header wins even when empty) gives
 * a level: the master key Admin, a host system key System, a host function
 * key or one of the function's own keys Function, anything else nothing.
 * A level opens a function when the function is anonymous, or the level
 * equals the function's, or it is Admin (the host's AuthUtility): a system
 * key does not open a "function" function, a function key never opens an
 * "admin" one.
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

enum auth_level {
    AUTH_ANONYMOUS,
    AUTH_USER,
    AUTH_FUNCTION,
    AUTH_SYSTEM,
    AUTH_ADMIN,
};

/* The level named s in any case ("anonymous", "Function", ...), or -1. */
int auth_level_parse(const char *s);
/* The host's name of a level ("Anonymous", "Function", ...). */
const char *auth_level_name(enum auth_level level);
/* 1 when a request holding level `have` may call a function of level
 * `need` (pure). */
int auth_level_opens(enum auth_level have, enum auth_level need);

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
