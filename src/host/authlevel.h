/*
 * authlevel.h - the host's authorization levels (AuthorizationLevel, a
 * function.json httpTrigger's "authLevel") and which opens which, as the
 * host's AuthUtility decides: a function opens when it is anonymous, or the
 * caller's level equals the function's, or the caller's is Admin (the
 * master key). So a system key does not open a "function" function and a
 * function key never opens an "admin" one. Pure.
 */
#ifndef HOST_AUTHLEVEL_H
#define HOST_AUTHLEVEL_H

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

#endif
