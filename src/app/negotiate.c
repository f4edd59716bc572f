/*
 * negotiate.c - negotiate and userNegotiate: hand the client the
 * connection info the host's signalRConnectionInfo binding minted.
 *
 * The binding value is the connection info object {url, accessToken}
 * (azf_input undoes the host's JSON-in-a-string layers). The reply body is
 * exactly {"url", "accessToken"}, which the SignalR client follows as a
 * redirect. The token is never logged. userNegotiate answers 401 without
 * the header App Service authentication sets for a signed-in user.
 */
#include "app.h"

#include "util/jsonx.h"
#include "util/banned.h"

/* The header App Service authentication sets for a signed-in user. */
#define PRINCIPAL_HEADER "x-ms-client-principal-id"

static azf_status negotiate(azf_inv *inv, int user)
{
    if (user) {
        const char *uid = azf_header(inv, PRINCIPAL_HEADER);
        if (!uid || !*uid)
            return azf_reply_error(inv, 401,
                                   "sign in first: header %s is missing",
                                   PRINCIPAL_HEADER);
    }
    struct json_object *info = azf_input(inv, "connectionInfo");
    const char *url = jsonx_str(info, "url");
    const char *token = jsonx_str(info, "accessToken");
    if (!url || !token)
        return azf_reply_error(inv, 500,
                               "connectionInfo binding is missing or "
                               "malformed (expected {url, accessToken})");
    struct json_object *out = json_object_new_object();
    json_object_object_add(out, "url", json_object_new_string(url));
    json_object_object_add(out, "accessToken", json_object_new_string(token));
    stats_negotiation(app_stats(inv), azf_now(inv));
    azf_info(inv, "issued connection info for hub %s%s", APP_HUB,
             user ? " (signed-in user)" : "");
    return azf_reply_json(inv, 200, out);
}

static azf_status anonymous(azf_inv *inv)
{
    return negotiate(inv, 0);
}

static azf_status signed_in(azf_inv *inv)
{
    return negotiate(inv, 1);
}

AZF_FUNCTION("negotiate", AZF_HTTP, anonymous)
AZF_FUNCTION("userNegotiate", AZF_HTTP, signed_in)
