/*
 * conninfo.h - the signalRConnectionInfo input binding, resolved inside
 * the host with no network call, and the
 * binding expressions it needs.
 *
 * Binding expressions: "{headers.<name>}", "{query.<name>}", "{<name>}"
 * (a route parameter, then a query parameter) and "%<AppSetting>%", mixed
 * with literal text. A missing value fails with the host's message:
 * "Error while accessing '<name>': property doesn't exist."
 *
 * The value is {"url": "<client base>client/?hub=<hub>", "accessToken":
 * <JWT: asrs.s.uid when userId is set, nbf/iat/exp 1 h, aud without port>}
 * written as indented JSON text, which reaches the handler JSON-encoded
 * once more. Pure: no I/O, no logging; err never holds a token or a key.
 */
#ifndef HOST_CONNINFO_H
#define HOST_CONNINFO_H

#include <stddef.h>

#include <json-c/json.h>

#include "host/app.h"
#include "host/payload.h"
#include "proto/connstr.h"

/* Expand the binding expression tmpl against the request (NULL for a
 * non-HTTP trigger), its route parameters (borrowed, may be NULL) and the
 * app settings. Returns 0 and a new string in *out, or -1 with the host's
 * message in err. */
int conninfo_expand(const char *tmpl, const struct payload_http *req,
                    struct json_object *params, const struct app *app,
                    char **out, char *err, size_t errlen);

/* The connection info text (indented JSON) for hub and user_id (NULL for
 * none) at time now. Returns 0 and a new string, or -1. */
int conninfo_text(const struct connstr *cs, const char *hub,
                  const char *user_id, long now, char **out, char *err,
                  size_t errlen);

/* Resolve one signalRConnectionInfo binding (borrowed JSON object from
 * function.json) completely: hubName, userId, connection string setting.
 * Returns 0 and the Data value (a new reference: the text JSON-encoded
 * once more), or -1 with the reason in err. */
int conninfo_resolve(struct json_object *binding,
                     const struct payload_http *req, struct json_object *params,
                     const struct app *app, long now,
                     struct json_object **value, char *err, size_t errlen);

/* The connection string setting a SignalR binding names: its
 * connectionStringSetting (or connection), else
 * AzureSignalRConnectionString. Borrowed. */
const char *conninfo_setting_name(struct json_object *binding);

#endif
