/*
 * utf8.h - strict UTF-8 (RFC 3629): no overlong forms, no UTF-16
 * surrogates, nothing above U+10FFFF.
 *
 * json-c's own check looks only at byte structure, so jsonx_parse runs
 * this one too; the local host uses it to turn bytes into text as .NET
 * would (invalid sequences become U+FFFD). Pure; no allocation.
 */
#ifndef UTIL_UTF8_H
#define UTIL_UTF8_H

#include <stddef.h>

/* Length (1-4) of the valid sequence at the start of s (n > 0 bytes), or
 * 0 when it is not valid UTF-8. */
size_t utf8_seq(const unsigned char *s, size_t n);

/* 1 when all n bytes of s are valid UTF-8, else 0; *bad (if not NULL)
 * receives the offset of the first invalid byte. */
int utf8_valid(const char *s, size_t n, size_t *bad);

#endif
