/* authlevel.c - the host's authorization levels (see authlevel.h). */
#include "authlevel.h"

#include <strings.h>

#include "util/banned.h"

static const char *const level_names[] = {"Anonymous", "User", "Function",
                                          "System", "Admin"};

int auth_level_parse(const char *s)
{
    for (int i = 0; s && i < (int)(sizeof level_names / sizeof *level_names);
         i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

const char *auth_level_name(enum auth_level level)
{
    return level_names[level];
}

int auth_level_opens(enum auth_level have, enum auth_level need)
{
    return need == AUTH_ANONYMOUS || have == AUTH_ADMIN ||
           (have == need && have != AUTH_ANONYMOUS);
}
