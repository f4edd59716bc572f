/* names.c - hub, group, user and connection name rules (see names.h). */
#include "names.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

static int no_controls(const char *what, const char *s, size_t max, char *err,
                       size_t errlen)
{
    size_t n = strlen(s);
    if (n == 0) {
        snprintf(err, errlen, "%s must not be empty", what);
        return -1;
    }
    if (n > max) {
        snprintf(err, errlen, "%s is longer than %zu characters", what, max);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            snprintf(err, errlen, "%s contains a control character", what);
            return -1;
        }
    }
    return 0;
}

int names_check_hub(const char *s, char *err, size_t errlen)
{
    size_t n = strlen(s);
    if (n == 0 || n > NAMES_MAX_HUB || !isalpha((unsigned char)s[0])) {
        snprintf(err, errlen,
                 "hub name must be 1-128 characters and start "
                 "with a letter");
        return -1;
    }
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || strchr("_`,.[]", c)) || c == '\0') {
            snprintf(err, errlen,
                     "hub name may hold only letters, digits "
                     "and _ ` , . [ ]");
            return -1;
        }
    }
    return 0;
}

int names_check_group(const char *s, char *err, size_t errlen)
{
    if (no_controls("group name", s, NAMES_MAX_GROUP, err, errlen) < 0)
        return -1;
    for (const char *p = s; *p; p++)
        if (!isspace((unsigned char)*p))
            return 0;
    snprintf(err, errlen, "group name must not be only white space");
    return -1;
}

int names_check_user(const char *s, char *err, size_t errlen)
{
    return no_controls("user id", s, NAMES_MAX_USER, err, errlen);
}

int names_check_connection(const char *s, char *err, size_t errlen)
{
    return no_controls("connection id", s, NAMES_MAX_CONNECTION, err, errlen);
}
