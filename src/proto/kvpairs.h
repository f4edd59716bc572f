/*
 * kvpairs.h - the ';'-separated Key=Value strings Azure connection strings
 * are made of (SignalR's, connstr.h; Storage's, host/storconn.h), split as
 * both SDKs split them: empty segments ignored, the first '=' splits, keys
 * compared case-insensitively, keys and values trimmed of white space.
 * Pure, libc only (the handler links it).
 */
#ifndef PROTO_KVPAIRS_H
#define PROTO_KVPAIRS_H

#include <stddef.h>

/* Split s, keeping the values of the nkeys keys named (lower case) in
 * keys: vals[i] becomes a new string, or stays NULL (vals must be NULLs on
 * entry); other keys are counted and left. Returns how many non-empty
 * segments s holds, or -1 with the reason in err (a segment without '=',
 * by its number; a known key given twice, by its name; never a value), and
 * then vals is released. */
int kvpairs_split(const char *s, const char *const *keys, size_t nkeys,
                  char **vals, char *err, size_t errlen);

/* Wipe and free the n values (they may hold keys) and set them to NULL. */
void kvpairs_release(char **vals, size_t n);

#endif
