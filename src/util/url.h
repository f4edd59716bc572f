/*
 * url.h - percent-decoding and percent-encoding of URL parts.
 *
 * For path segments (decoded after the path is split on '/', so an encoded
 * "%2F" stays inside its segment) and query values. Not a URL parser: the
 * caller splits. Pure: no I/O, no logging; errors go to the caller.
 */
#ifndef UTIL_URL_H
#define UTIL_URL_H

#include <stddef.h>

/* The value of one hex digit (either case), or -1. */
int url_hex_digit(char c);

/* Decode n bytes of s ("%41" -> 'A'; with plus_is_space, '+' -> ' ' as in
 * form-encoded query values). Returns a new NUL-terminated string (caller
 * frees), or NULL when a '%' is not followed by two hex digits or the result
 * would contain a NUL byte. */
char *url_decode(const char *s, size_t n, int plus_is_space);

/* Encode s as RFC 3986 does for a path segment or a query value: every byte
 * except ALPHA / DIGIT / "-" / "." / "_" / "~" becomes %XX (upper case).
 * Returns a new string (caller frees); never NULL. */
char *url_encode(const char *s);

/* Find the value of the first parameter called name in a raw query string
 * ("a=1&b=2", no leading '?'), decoded. Returns a new string (caller frees),
 * "" for "name" or "name=", or NULL when absent or badly encoded. */
char *url_query_get(const char *query, const char *name);

#endif
