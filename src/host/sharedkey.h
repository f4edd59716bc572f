/*
 * sharedkey.h - Shared Key authorization of Azure Storage REST requests
 * (Blob, Queue and File services, version 2009-09-19 and later):
 *
 *   StringToSign = VERB \n Content-Encoding \n Content-Language \n
 *       Content-Length (empty when 0) \n Content-MD5 \n Content-Type \n
 *       Date \n If-Modified-Since \n If-Match \n If-None-Match \n
 *       If-Unmodified-Since \n Range \n
 *       CanonicalizedHeaders (x-ms-* lower-cased, sorted, "name:value\n")
 *       CanonicalizedResource ("/" account path, then "\nname:value" per
 *       query parameter, names lower-cased and sorted, values decoded)
 *   Authorization: SharedKey <account>:Base64(HMAC-SHA256(key, StringToSign))
 *
 * Vectors: tests/vectors/storage/sharedkey.json. Pure: no I/O, no logging.
 */
#ifndef HOST_SHAREDKEY_H
#define HOST_SHAREDKEY_H

#include <stddef.h>

struct sharedkey_kv {
    const char *name;
    const char *value;
};

/* One request as it will be sent (all borrowed). Standard headers absent
 * are NULL; content_length 0 signs as empty. path is the URL's path as
 * sent (already percent-encoded, starting with '/'); query holds the
 * decoded parameters in any order; xms holds every x-ms-* header. */
struct sharedkey_req {
    const char *method;
    const char *content_type;
    size_t content_length;
    const char *account;
    const char *path;
    const struct sharedkey_kv *query;
    size_t nquery;
    const struct sharedkey_kv *xms;
    size_t nxms;
};

/* The string to sign (new string, caller frees). */
char *sharedkey_string_to_sign(const struct sharedkey_req *r);

/* Base64(HMAC-SHA256(key, s)) into out (>= 45 bytes). */
void sharedkey_signature(const unsigned char *key, size_t key_len,
                         const char *s, char out[45]);

/* "SharedKey <account>:<signature>" for r (new string, caller frees). */
char *sharedkey_authorization(const unsigned char *key, size_t key_len,
                              const struct sharedkey_req *r);

#endif
