/*
 * qcodec.h - queue message encoding: base64 as .NET's Convert does it
 * (the queue extension's default MessageEncoding), strict on decode: the
 * standard alphabet, padding to a multiple of 4, blanks ignored.
 * Pure: no I/O, no logging.
 */
#ifndef HOST_QCODEC_H
#define HOST_QCODEC_H

#include <stddef.h>

/* Base64 of n bytes (new string, caller frees). */
char *qcodec_b64_encode(const void *p, size_t n);

/* Decode s. Returns new bytes (NUL-terminated past *n; caller frees), or
 * NULL when s is not valid base64 (an empty s is valid: 0 bytes). */
unsigned char *qcodec_b64_decode(const char *s, size_t *n);

#endif
