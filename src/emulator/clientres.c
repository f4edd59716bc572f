/* clientres.c - REST :invoke calls held for a client's Completion (see
 * clientres.h). */
#include "clientres.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "emulator/limits.h"
#include "emulator/tier.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define NOT_EXISTED "Warning.Connection.NotExisted"

struct pending {
    struct pending *next;
    struct http_req *r; /* borrowed; NULL once the caller went away */
    char *hub;          /* lower-case, as the connection's */
    char id[CONN_ID_LEN + 1];
    char inv_id[24];
    long long deadline_ms;
    int decided;
    unsigned status;
    const char *code;         /* x-ms-error-code, or NULL */
    struct json_object *body; /* 200: {"result": ...}; owned */
    char error[320];          /* other statuses */
};

struct clientres {
    struct registry *reg;
    long long timeout_ms;
    unsigned long long next_id;
    struct pending *list;
    size_t n;
};

struct clientres *clientres_new(struct registry *reg, long long timeout_ms)
{
    struct clientres *cr = xcalloc(1, sizeof *cr);
    cr->reg = reg;
    cr->timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENTRES_TIMEOUT_MS;
    return cr;
}

static void pending_free(struct pending *p)
{
    free(p->hub);
    json_object_put(p->body);
    free(p);
}

void clientres_free(struct clientres *cr)
{
    if (!cr)
        return;
    while (cr->list) {
        struct pending *p = cr->list;
        cr->list = p->next;
        pending_free(p);
    }
    free(cr);
}

size_t clientres_pending(const struct clientres *cr)
{
    return cr->n;
}

static void unlink_pending(struct clientres *cr, struct pending *p)
{
    for (struct pending **pp = &cr->list; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            cr->n--;
            return;
        }
    }
}

/* Decide p's answer and wake its request. */
static void decide(struct pending *p, unsigned status, const char *code,
                   struct json_object *body, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void decide(struct pending *p, unsigned status, const char *code,
                   struct json_object *body, const char *fmt, ...)
{
    if (p->decided) {
        json_object_put(body);
        return;
    }
    p->decided = 1;
    p->status = status;
    p->code = code;
    p->body = body;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->error, sizeof p->error, fmt, ap);
        va_end(ap);
    }
    log_info("client invocation %s hub=%s id=%s: %u", p->inv_id, p->hub, p->id,
             status);
    if (p->r && p->r->suspended)
        http_req_resume(p->r);
}

enum MHD_Result clientres_start(struct clientres *cr, struct http_req *r,
                                struct conn *c, const char *target,
                                struct json_object *arguments, long long now_ms)
{
    if (!c || c->state != CONN_OPEN)
        return http_reply_error(r, 404, NOT_EXISTED,
                                "connection does not exist");
    struct pending *p = xcalloc(1, sizeof *p);
    snprintf(p->inv_id, sizeof p->inv_id, "%llu", ++cr->next_id);
    struct buf rec;
    buf_init(&rec, LIMIT_USER_BODY + 1024);
    if (hubproto_write_invocation(&rec, p->inv_id, target, arguments) < 0) {
        buf_release(&rec);
        free(p);
        return http_reply_error(r, 413, NULL, "message too large");
    }
    int rc = conn_send(c, rec.data, rec.len, NULL);
    buf_release(&rec);
    if (rc < 0) {
        free(p);
        /* Still open: the tier's message quota held it back. */
        if (c->state == CONN_OPEN)
            return http_reply_error(r, 429, NULL, "%s", TIER_MSG_LIMIT_TEXT);
        return http_reply_error(r, 404, NOT_EXISTED,
                                "connection does not exist");
    }
    p->r = r;
    p->hub = xstrdup(c->hub);
    memcpy(p->id, c->id, sizeof p->id);
    p->deadline_ms = now_ms + cr->timeout_ms;
    p->next = cr->list;
    cr->list = p;
    cr->n++;
    log_info("client invocation %s sent hub=%s id=%s target=%s", p->inv_id,
             p->hub, p->id, target);
    http_req_suspend(r);
    return MHD_YES;
}

int clientres_resumed(struct clientres *cr, struct http_req *r,
                      enum MHD_Result *ret)
{
    struct pending *p = cr->list;
    while (p && p->r != r)
        p = p->next;
    if (!p)
        return 0;
    if (!p->decided) {
        /* Woken by something else: keep waiting. */
        http_req_suspend(r);
        *ret = MHD_YES;
        return 1;
    }
    if (p->status == 200)
        *ret = http_reply_json(r, 200, p->body);
    else
        *ret = http_reply_error(r, p->status, p->code, "%s", p->error);
    unlink_pending(cr, p);
    pending_free(p);
    return 1;
}

void clientres_completion(void *arg, struct conn *c,
                          const struct hubproto_msg *m)
{
    struct clientres *cr = arg;
    if (!m->invocation_id)
        return;
    struct pending *p = cr->list;
    while (p && (p->decided || strcmp(p->inv_id, m->invocation_id) != 0 ||
                 strcmp(p->id, c->id) != 0))
        p = p->next;
    if (!p) {
        log_debug("completion for no pending invocation hub=%s id=%s", c->hub,
                  c->id);
        return;
    }
    struct json_object *err = jsonx_get_ci(m->obj, "error");
    if (err && !json_object_is_type(err, json_type_null)) {
        decide(p, 500, NULL, NULL, "the client answered with an error: %s",
               json_object_get_string(err));
        return;
    }
    struct json_object *body = json_object_new_object();
    struct json_object *res = jsonx_get_ci(m->obj, "result");
    if (res || jsonx_has_ci(m->obj, "result"))
        json_object_object_add(body, "result", json_object_get(res));
    decide(p, 200, NULL, body, NULL);
}

void clientres_check(struct clientres *cr, long long now_ms)
{
    for (struct pending *p = cr->list; p; p = p->next) {
        if (p->decided)
            continue;
        struct hub *h = registry_hub(cr->reg, p->hub, 0);
        struct conn *c = h ? hub_conn_find(h, p->id) : NULL;
        if (!c || c->state != CONN_OPEN)
            decide(p, 404, NOT_EXISTED, NULL,
                   "connection closed before it completed the invocation");
        else if (now_ms >= p->deadline_ms)
            decide(p, 504, NULL, NULL,
                   "the client did not complete the invocation within %lld ms",
                   cr->timeout_ms);
    }
}

void clientres_request_done(struct clientres *cr, struct http_req *r)
{
    if (!cr)
        return;
    for (struct pending *p = cr->list; p; p = p->next) {
        if (p->r == r) {
            unlink_pending(cr, p);
            pending_free(p);
            return;
        }
    }
}

void clientres_stop(struct clientres *cr)
{
    for (struct pending *p = cr->list; p; p = p->next)
        decide(p, 503, NULL, NULL, "the service is stopping");
}
