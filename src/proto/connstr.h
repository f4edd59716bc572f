/*
 * connstr.h - the Azure SignalR connection string and what derives from it.
 *
 *   Endpoint=http://localhost;Port=8888;AccessKey=...;Version=1.0;
 *
 * Parsed as the Management SDK's ConnectionStringParser does (cases in
 * tests/vectors/connection-strings.json): ';'-separated key=value pairs, keys
 * case-insensitive, first '=' splits, values trimmed, empty segments ignored,
 * duplicate keys rejected, Endpoint an absolute http(s) URI with a trailing
 * '/' trimmed, AccessKey required (Entra ID AuthTypes are refused: no key to
 * sign with), Version 1.x, Port 1..65535 replacing the endpoint's port.
 * Pure: no I/O, no logging, libc only (the handler links it).
 */
#ifndef PROTO_CONNSTR_H
#define PROTO_CONNSTR_H

#include <stddef.h>

struct connstr {
    char *scheme;      /* "http" or "https", lower-case */
    char *host;        /* host name, as written */
    int port;          /* effective port (Port=, else the URI's, else 80/443) */
    char *path;        /* endpoint path without trailing '/', "" if none */
    char *access_key;  /* signing key: its UTF-8 bytes are the HMAC key */
    char *client_base; /* base handed to clients, ends with '/' */
    char *server_base; /* base for REST calls, no trailing '/' */
    char *aud_base;    /* "{scheme}://{host}/": no port, no path */
};

/* Parse s into cs. Returns 0, or -1 with a message naming the problem in err
 * (the message never contains the key). cs needs no init; on error it holds
 * nothing to release. */
int connstr_parse(const char *s, struct connstr *cs, char *err, size_t errlen);
void connstr_release(struct connstr *cs);

/* "<client base>client/?hub=<hub lower-cased>" (new string, caller frees). */
char *connstr_client_url(const struct connstr *cs, const char *hub);
/* "<aud base>client/?hub=<hub lower-cased>": the client token's aud. */
char *connstr_client_aud(const struct connstr *cs, const char *hub);

/* Lower-case an ASCII hub name into a new string. */
char *connstr_hub_lower(const char *hub);

#endif
