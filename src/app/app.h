/*
 * app.h - what the notification app's functions share: the hub their
 * SignalR bindings name, the chat's message limit, and the app's state
 * (the negotiation counter behind statusUpdate's activeUsers), which
 * main.c creates for the runtime and every function reaches through
 * azf_app_data.
 */
#ifndef APP_APP_H
#define APP_APP_H

#include "azf/azf.h"
#include "stats.h"

#define APP_HUB "notifications"
/* A chat message (sendMessage) is at most this many bytes of UTF-8. */
#define APP_MESSAGE_MAX 2000

static inline struct stats *app_stats(azf_inv *inv)
{
    return azf_app_data(inv);
}

/* The app for the runtime: its description and state (app.c). */
extern const struct azf_app app_description;

/* t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into out. */
void app_iso_time(time_t t, char *out, size_t outlen);

#endif
