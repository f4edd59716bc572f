/*
 * registry.h - the functions a program registered (AZF_FUNCTION in azf.h),
 * by name.
 *
 * Registration happens in constructors, before main; lookups after it only
 * read, so they need no lock. Names are copied by pointer: they are string
 * literals.
 */
#ifndef AZF_REGISTRY_H
#define AZF_REGISTRY_H

#include <stddef.h>

#include "azf.h"

struct azf_entry {
    const char *name;
    azf_kind kind;
    azf_fn fn;
};

/* No more registrations (a late one aborts): called before serving, so
 * the sorted table is only read from then on. */
void registry_freeze(void);
/* The entry for name (exact match first, then ASCII case-insensitive, as
 * the host matches function names), or NULL. */
const struct azf_entry *registry_find(const char *name);
/* All entries, sorted by name; *n receives the count. */
const struct azf_entry *registry_all(size_t *n);
/* The binding type of kind's trigger ("httpTrigger", ...). */
const char *registry_trigger_type(azf_kind kind);

#endif
