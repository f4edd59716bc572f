/*
 * names.h - the service's rules for hub, group, user and connection names.
 *
 * From the service's 2022-06-01 REST API definition: hub and application
 * names match ^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$; a group is 1..1024
 * characters and not only white space; a user id is 1..1024 characters;
 * a connection id is 1..1024 characters. None may contain a NUL or a
 * control character (they travel in URL paths and HTTP headers).
 * Each check returns 0 when valid, or -1 with the reason in err.
 */
#ifndef PROTO_NAMES_H
#define PROTO_NAMES_H

#include <stddef.h>

#define NAMES_MAX_HUB 128
#define NAMES_MAX_GROUP 1024
#define NAMES_MAX_USER 1024
#define NAMES_MAX_CONNECTION 1024

int names_check_hub(const char *s, char *err, size_t errlen);
int names_check_group(const char *s, char *err, size_t errlen);
int names_check_user(const char *s, char *err, size_t errlen);
int names_check_connection(const char *s, char *err, size_t errlen);

#endif
