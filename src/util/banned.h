/*
 * banned.h - unsafe libc calls turned into compile errors.
 *
 * Included last by every .c file of the project (after system headers), so a
 * use of one of these names fails the build instead of a review.
 */
#ifndef UTIL_BANNED_H
#define UTIL_BANNED_H

#define BANNED(f) sorry_##f##_is_banned_in_this_project

#undef strcpy
#define strcpy(a, b) BANNED(strcpy)
#undef strcat
#define strcat(a, b) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(a, b) BANNED(strtok)
#undef gets
#define gets(a) BANNED(gets)
#undef atoi
#define atoi(a) BANNED(atoi)
#undef gmtime
#define gmtime(a) BANNED(gmtime)
#undef localtime
#define localtime(a) BANNED(localtime)

#endif
