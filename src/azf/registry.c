/* registry.c - registered functions (see registry.h). */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/banned.h"

/* A program registers a handful of functions; more is a mistake. */
#define REGISTRY_MAX 256

static struct azf_entry entries[REGISTRY_MAX];
static size_t nentries;
static int sorted;
static int frozen; /* serving: the table is read by worker threads */

void azf_register(const char *name, azf_kind kind, azf_fn fn)
{
    if (frozen) {
        fprintf(stderr, "azf: function '%s' registered while serving\n", name);
        abort();
    }
    for (size_t i = 0; i < nentries; i++)
        if (strcmp(entries[i].name, name) == 0) {
            fprintf(stderr, "azf: function '%s' is registered twice\n", name);
            abort();
        }
    if (nentries == REGISTRY_MAX) {
        fprintf(stderr, "azf: more than %d functions\n", REGISTRY_MAX);
        abort();
    }
    entries[nentries++] = (struct azf_entry){name, kind, fn};
    sorted = 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct azf_entry *)a)->name,
                  ((const struct azf_entry *)b)->name);
}

const struct azf_entry *registry_all(size_t *n)
{
    if (!sorted) {
        qsort(entries, nentries, sizeof entries[0], by_name);
        sorted = 1;
    }
    *n = nentries;
    return entries;
}

void registry_freeze(void)
{
    size_t n;
    registry_all(&n);
    frozen = 1;
}

const struct azf_entry *registry_find(const char *name)
{
    size_t n;
    const struct azf_entry *all = registry_all(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].name, name) == 0)
            return &all[i];
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(all[i].name, name) == 0)
            return &all[i];
    return NULL;
}

const char *registry_trigger_type(azf_kind kind)
{
    switch (kind) {
    case AZF_HTTP:
        return "httpTrigger";
    case AZF_TIMER:
        return "timerTrigger";
    case AZF_SIGNALR:
        return "signalRTrigger";
    case AZF_QUEUE:
        return "queueTrigger";
    case AZF_EVENTGRID:
        return "eventGridTrigger";
    }
    return "?";
}
