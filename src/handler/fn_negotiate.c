/*
 * fn_negotiate.c - negotiate and userNegotiate: hand the client the
 * connection info the host's signalRConnectionInfo binding minted.
 *
 * The binding value arrives as a JSON string holding a JSON string holding
 * the indented object {url, accessToken} (see
 * tests/vectors/negotiate-request.json); we accept
 * zero to two string layers or an object. The reply body is exactly
 * {"url", "accessToken"}, which the SignalR client follows as a redirect.
 * The token is never logged.
 */
#include "fn.h"

#include <string.h>

#include "proto/invoke.h"
#include "util/jsonx.h"
#include "stats.h"
#include "util/banned.h"

/* The header App Service authentication sets for a signed-in user. */
#define PRINCIPAL_HEADER "x-ms-client-principal-id"

static int negotiate(struct fn_ctx *ctx, struct json_object *env,
                     struct json_object *resp, const char *fname, int user)
{
    struct json_object *req = NULL;
    if (fn_http_req(ctx, env, &req) < 0)
        return -1;
    if (user) {
        const char *uid = invoke_req_header(req, PRINCIPAL_HEADER);
        if (!uid || !*uid)
            return fn_fail(resp, fname, 401,
                           "sign in first: header %s is missing",
                           PRINCIPAL_HEADER);
    }
    struct json_object *info =
        invoke_decode_object(invoke_data(env, "connectionInfo"));
    const char *url = jsonx_str(info, "url");
    const char *token = jsonx_str(info, "accessToken");
    if (!url || !token) {
        json_object_put(info);
        return fn_fail(resp, fname, 500,
                       "connectionInfo binding is missing or malformed "
                       "(expected {url, accessToken})");
    }
    struct json_object *out = json_object_new_object();
    json_object_object_add(out, "url", json_object_new_string(url));
    json_object_object_add(out, "accessToken", json_object_new_string(token));
    invoke_resp_set_output(resp, "res", invoke_http_json(200, out));
    json_object_put(info);
    stats_negotiation(ctx->stats, ctx->now);
    invoke_resp_log(resp, "%s: issued connection info for hub %s%s", fname,
                    FN_HUB, user ? " (signed-in user)" : "");
    return 0;
}

int fn_negotiate(struct fn_ctx *ctx, struct json_object *env,
                 struct json_object *resp)
{
    return negotiate(ctx, env, resp, "negotiate", 0);
}

int fn_user_negotiate(struct fn_ctx *ctx, struct json_object *env,
                      struct json_object *resp)
{
    return negotiate(ctx, env, resp, "userNegotiate", 1);
}
