/* client.c - the /client endpoint (see client.h). */
#include "client.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "emulator/limits.h"
#include "emulator/upmsg.h"
#include "proto/names.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* The path every client token's audience names. */
#define CLIENT_AUD_PATH "/client/"

static enum MHD_Result preflight(struct http_req *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    http_cors(r, resp);
    MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                            "GET, POST, DELETE, OPTIONS");
    const char *rh = MHD_lookup_connection_value(
        r->mhd, MHD_HEADER_KIND, "Access-Control-Request-Headers");
    if (rh)
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", rh);
    MHD_add_response_header(resp, "Access-Control-Max-Age", "86400");
    enum MHD_Result ret = MHD_queue_response(r->mhd, MHD_HTTP_NO_CONTENT, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The tier simulation's word on a new client (negotiate, or a transport
 * opening): 0 to go on, -1 after answering 429 as the service does. */
static int tier_refuses(struct client_env *e, struct http_req *r,
                        int connecting, enum MHD_Result *ret)
{
    if (!e->tier)
        return 0;
    size_t n = conns_connected(e->conns);
    long now_s = clock_wall_s();
    enum tier_verdict v = connecting
                              ? tier_connect(e->tier, n, e->loop->now_ms, now_s)
                              : tier_negotiate(e->tier, n, now_s);
    if (v == TIER_OK)
        return 0;
    log_warn("tier %s: %s refused: %s (connections %zu/%ld, messages "
             "%lld/%lld)",
             tier_name(e->tier), connecting ? "connect" : "negotiate",
             tier_verdict_text(v), n, e->tier->max_conns, e->tier->msgs_used,
             e->tier->msgs_day);
    *ret = http_reply_error(r, 429, NULL, "%s", tier_verdict_text(v));
    return -1;
}

static struct json_object *transport(const char *name, int binary)
{
    struct json_object *t = json_object_new_object();
    struct json_object *f = json_object_new_array();
    json_object_array_add(f, json_object_new_string("Text"));
    if (binary)
        json_object_array_add(f, json_object_new_string("Binary"));
    json_object_object_add(t, "transport", json_object_new_string(name));
    json_object_object_add(t, "transferFormats", f);
    return t;
}

static enum MHD_Result negotiate(struct client_env *e, struct http_req *r)
{
    char *hub = http_req_query(r, "hub");
    char *ver = http_req_query(r, "negotiateVersion");
    char *stateful = http_req_query(r, "useStatefulReconnect");
    struct token_claims claims;
    struct json_object *o = NULL;
    char err[256];
    enum MHD_Result ret;
    memset(&claims, 0, sizeof claims);
    if (conns_stopping(e->conns)) {
        /* A connection made now would outlive the loop that frees it;
         * reconnecting clients retry elsewhere or later. */
        ret = http_reply_error(r, 503, NULL, "the service is stopping");
        goto out;
    }
    if (!hub) {
        ret = http_reply_error(r, 400, NULL, "negotiate needs ?hub=");
        goto out;
    }
    if (names_check_hub(hub, err, sizeof err) < 0) {
        ret = http_reply_error(r, 400, NULL, "bad hub name: %s", err);
        goto out;
    }
    if (auth_check(e->keys, r->mhd, CLIENT_AUD_PATH, hub, &claims, err,
                   sizeof err) < 0) {
        ret = http_reply_error(r, 401, NULL, "%s", err);
        goto out;
    }
    if (tier_refuses(e, r, 0, &ret) < 0)
        goto out;
    long v = ver ? strtol(ver, NULL, 10) : 0;
    struct conn *c = conn_new(e->conns, hub, claims.user_id, v < 1);
    if (!c) {
        ret = http_reply_error(r, 500, NULL, "no random bytes for an id");
        goto out;
    }
    /* ASP.NET Core's HttpConnectionDispatcher: asked with
     * ?useStatefulReconnect=true (bool.TryParse: any case), answered
     * "useStatefulReconnect": true; the hub protocol then decides. */
    c->stateful_asked = stateful && strcasecmp(stateful, "true") == 0;
    o = json_object_new_object();
    if (v >= 1)
        json_object_object_add(o, "negotiateVersion", json_object_new_int(1));
    json_object_object_add(o, "connectionId", json_object_new_string(c->id));
    if (v >= 1)
        json_object_object_add(o, "connectionToken",
                               json_object_new_string(c->token));
    struct json_object *ts = json_object_new_array();
    json_object_array_add(ts, transport("WebSockets", 1));
    json_object_array_add(ts, transport("ServerSentEvents", 0));
    json_object_array_add(ts, transport("LongPolling", 1));
    json_object_object_add(o, "availableTransports", ts);
    if (c->stateful_asked)
        json_object_object_add(o, "useStatefulReconnect",
                               json_object_new_boolean(1));
    log_info("negotiate hub=%s id=%s user=%s version=%ld%s", c->hub, c->id,
             c->user ? c->user : "(anonymous)", v >= 1 ? 1L : 0L,
             c->stateful_asked ? " stateful-reconnect" : "");
    ret = http_reply_json(r, 200, o);
out:
    json_object_put(o);
    token_claims_release(&claims);
    free(hub);
    free(ver);
    free(stateful);
    return ret;
}

static void on_upgrade(void *cls, struct MHD_Connection *mc, void *req_cls,
                       const char *extra, size_t extra_len, MHD_socket sock,
                       struct MHD_UpgradeResponseHandle *urh)
{
    struct client_env *e = cls;
    struct http_req *r = req_cls;
    struct conn *c = r ? conn_by_token(e->conns, r->token) : NULL;
    if (!c || (c->state == CONN_NEGOTIATED
                   ? conn_attach_ws(c, sock, extra, extra_len, urh)
                   : conn_resume_ws(c, sock, extra, extra_len, urh)) < 0) {
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
}

static enum MHD_Result websocket(struct client_env *e, struct http_req *r,
                                 struct conn *c)
{
    const char *key = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND,
                                                  "Sec-WebSocket-Key");
    const char *ver = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND,
                                                  "Sec-WebSocket-Version");
    char accept[32];
    if (!ver || strcmp(ver, "13") != 0)
        return http_reply_error(r, 400, NULL,
                                "Sec-WebSocket-Version must be 13");
    if (ws_accept_key(key, accept, sizeof accept) < 0)
        return http_reply_error(r, 400, NULL, "bad Sec-WebSocket-Key");
    struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgrade, e);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
    snprintf(r->token, sizeof r->token, "%s", c->token); /* for on_upgrade */
    enum MHD_Result ret =
        MHD_queue_response(r->mhd, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
    MHD_destroy_response(resp);
    return ret;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct http_req *r = cls;
    struct conn *c = r->conn;
    if (c && c->out.len) {
        size_t n = c->out.len < max ? c->out.len : max;
        memcpy(out, c->out.data, n);
        buf_consume(&c->out, n);
        return (ssize_t)n;
    }
    if (r->ended || !c)
        return MHD_CONTENT_READER_END_OF_STREAM;
    http_req_suspend(r);
    return 0;
}

static enum MHD_Result sse(struct http_req *r, struct conn *c)
{
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, r, NULL);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-cache,no-store");
    MHD_add_response_header(resp, "Pragma", "no-cache");
    http_cors(r, resp);
    r->kind = HTTP_REQ_SSE;
    conn_attach_sse(c, r);
    MHD_set_connection_option(r->mhd, MHD_CONNECTION_OPTION_TIMEOUT,
                              (unsigned int)0);
    enum MHD_Result ret = MHD_queue_response(r->mhd, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Answer a held poll (or hold it). */
static enum MHD_Result poll_answer(struct client_env *e, struct http_req *r)
{
    long long now = e->loop->now_ms;
    struct conn *c = r->conn;
    if (r->superseded || !c || c->state == CONN_DEAD) {
        r->conn = NULL;
        return http_reply(r, 204, NULL, "", 0, NULL);
    }
    int expired = now - r->started_ms >= CONN_LP_HOLD_MS;
    if (!c->out.len && c->state != CONN_CLOSING && !expired &&
        !conns_stopping(e->conns)) {
        http_req_suspend(r);
        return MHD_YES;
    }
    c->poll = NULL;
    r->conn = NULL;
    c->poll_end_ms = now;
    if (!c->out.len && c->state == CONN_CLOSING) {
        conn_abort(c, "closed");
        return http_reply(r, 204, NULL, "", 0, NULL);
    }
    size_t len = 0;
    char *data = buf_take(&c->out, &len);
    enum MHD_Result ret =
        http_reply(r, 200, "application/octet-stream", data, len, NULL);
    free(data);
    return ret;
}

static enum MHD_Result long_poll(struct client_env *e, struct http_req *r,
                                 struct conn *c)
{
    if (c->state == CONN_NEGOTIATED) {
        /* The first poll returns at once: the JS client needs a 200 to
         * call the transport started. */
        conn_attach_lp(c);
        c->polled = 1;
        c->poll_end_ms = e->loop->now_ms;
        return http_reply(r, 200, "application/octet-stream", "", 0, NULL);
    }
    if (c->transport != CONN_LP)
        return http_reply_error(r, 400, NULL,
                                "connection %s uses %s, not long polling",
                                c->id, conn_transport_name(c->transport));
    if (c->poll) {
        c->poll->superseded = 1;
        c->poll->conn = NULL;
        if (c->poll->suspended)
            http_req_resume(c->poll);
    }
    r->kind = HTTP_REQ_POLL;
    r->conn = c;
    c->poll = r;
    c->last_in_ms = e->loop->now_ms;
    return poll_answer(e, r);
}

static enum MHD_Result send_post(struct http_req *r, struct conn *c)
{
    if (r->too_big)
        return http_reply_error(r, 413, NULL, "message over the 1 MB limit");
    if (c->transport != CONN_SSE && c->transport != CONN_LP)
        return http_reply_error(r, 400, NULL,
                                "POST is for SSE and long polling "
                                "connections");
    conn_input(c, r->body.data ? r->body.data : "", r->body.len);
    return http_reply(r, 200, "text/plain", "", 0, NULL);
}

static enum MHD_Result query_param(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    upmsg_query_add(cls, key, value);
    return MHD_YES;
}

/* What upstream calls will say about the client: its token's claims and
 * the connect request's query (raw, without access_token). */
static void remember_client(struct http_req *r, struct conn *c,
                            const struct token_claims *claims)
{
    struct buf q;
    buf_init(&q, LIMIT_REST_HEADERS);
    MHD_get_connection_values(r->mhd, MHD_GET_ARGUMENT_KIND, query_param, &q);
    free(c->query);
    c->query = q.len ? buf_take(&q, NULL) : NULL;
    buf_release(&q);
    free(c->claims);
    c->claims = upmsg_claims(claims->all);
}

static enum MHD_Result connect_req(struct client_env *e, struct http_req *r,
                                   const char *method)
{
    char *hub = http_req_query(r, "hub");
    char *id = http_req_query(r, "id");
    struct token_claims claims;
    char err[256];
    enum MHD_Result ret;
    memset(&claims, 0, sizeof claims);
    if (!hub || !id) {
        ret = http_reply_error(r, 400, NULL, "connect needs ?hub= and ?id=");
        goto out;
    }
    struct conn *c = conn_by_token(e->conns, id);
    if (!c || strcasecmp(c->hub, hub) != 0) {
        ret = http_reply_error(r, 404, NULL, "No Connection with that ID");
        goto out;
    }
    if (auth_check(e->keys, r->mhd, CLIENT_AUD_PATH, hub, &claims, err,
                   sizeof err) < 0) {
        ret = http_reply_error(r, 401, NULL, "%s", err);
        goto out;
    }
    if (strcmp(method, "GET") == 0) {
        const char *up =
            MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Upgrade");
        const char *acc =
            MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Accept");
        int is_ws = up && strcasecmp(up, "websocket") == 0;
        int is_sse = acc && strstr(acc, "text/event-stream");
        if (c->state == CONN_NEGOTIATED)
            remember_client(r, c, &claims);
        if ((is_ws || is_sse) && c->state != CONN_NEGOTIATED &&
            !(is_ws && conn_resumable(c))) {
            ret = http_reply_error(
                r, 409, NULL, "connection %s already has a transport", c->id);
        } else if (c->state == CONN_NEGOTIATED &&
                   tier_refuses(e, r, 1, &ret) < 0) {
            /* answered 429 */
        } else if (is_ws) {
            ret = websocket(e, r, c);
        } else if (is_sse) {
            ret = sse(r, c);
        } else {
            ret = long_poll(e, r, c);
        }
    } else if (strcmp(method, "POST") == 0) {
        ret = send_post(r, c);
    } else if (strcmp(method, "DELETE") == 0) {
        conn_abort(c, "client stopped (DELETE)");
        ret = http_reply(r, 202, NULL, "", 0, NULL);
    } else {
        ret = http_reply_error(r, 405, NULL, "method %s not allowed here",
                               method);
    }
out:
    token_claims_release(&claims);
    free(hub);
    free(id);
    return ret;
}

enum MHD_Result client_handle(struct client_env *e, struct http_req *r,
                              const char *url, const char *method)
{
    if (r->kind == HTTP_REQ_POLL)
        return poll_answer(e, r);
    if (strcmp(method, "OPTIONS") == 0)
        return preflight(r);
    if (strcmp(url, "/client/negotiate") == 0 ||
        strcmp(url, "/client/negotiate/") == 0) {
        if (strcmp(method, "POST") != 0)
            return http_reply_error(r, 405, NULL, "negotiate is POST");
        return negotiate(e, r);
    }
    if (strcmp(url, "/client/") == 0 || strcmp(url, "/client") == 0)
        return connect_req(e, r, method);
    return http_reply_error(r, 404, NULL, "no such client endpoint");
}

void client_request_done(struct client_env *e, struct http_req *r)
{
    struct conn *c = r->conn;
    if (!c)
        return;
    if (c->stream == r) {
        c->stream = NULL;
        conn_abort(c, "event stream closed");
    }
    if (c->poll == r) {
        c->poll = NULL;
        c->poll_end_ms = e->loop->now_ms;
    }
}
