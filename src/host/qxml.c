/* qxml.c - the Queue service's XML bodies (see qxml.h). */
#include "qxml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <expat.h>

#include "util/buf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define QXML_TEXT_MAX (256 * 1024) /* one element's text */

enum field {
    F_NONE,
    F_ID,
    F_INSERTED,
    F_EXPIRES,
    F_POP,
    F_VISIBLE,
    F_DEQUEUE,
    F_TEXT,
    F_CODE,
    F_MESSAGE
};

static const struct {
    const char *name;
    enum field f;
} fields[] = {
    {"MessageId", F_ID},
    {"InsertionTime", F_INSERTED},
    {"ExpirationTime", F_EXPIRES},
    {"PopReceipt", F_POP},
    {"TimeNextVisible", F_VISIBLE},
    {"DequeueCount", F_DEQUEUE},
    {"MessageText", F_TEXT},
    {"Code", F_CODE},
    {"Message", F_MESSAGE},
};

struct state {
    XML_Parser p;
    int depth;
    int in_msg;      /* inside a <QueueMessage> at depth 2 */
    enum field cur;  /* element whose text is being collected */
    struct buf text; /* its text */
    struct qmsg *msgs;
    size_t n;
    struct buf code, message;
    const char *why; /* first problem */
};

long long qxml_rfc1123(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end)
        return -1;
    return (long long)timegm(&tm);
}

static void fail(struct state *st, const char *why)
{
    if (!st->why)
        st->why = why;
    XML_StopParser(st->p, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name,
                             const XML_Char **attrs)
{
    struct state *st = ud;
    st->depth++;
    if (st->depth == 2 && st->msgs && strcmp(name, "QueueMessage") == 0) {
        if (st->n >= QXML_MAX_MESSAGES) {
            fail(st, "more messages than a reply may hold");
            return;
        }
        st->in_msg = 1;
        memset(&st->msgs[st->n], 0, sizeof st->msgs[st->n]);
        return;
    }
    st->cur = F_NONE;
    if (st->depth != 3 && st->depth != 2)
        return;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(name, fields[i].name) == 0) {
            st->cur = fields[i].f;
            buf_reset(&st->text);
        }
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct state *st = ud;
    if (st->cur != F_NONE && buf_append(&st->text, s, (size_t)len) < 0)
        fail(st, "an element's text is too long");
}

/* Store the collected text of one field of the current message. */
static void store_msg_field(struct state *st, enum field f, const char *t)
{
    struct qmsg *m = &st->msgs[st->n];
    char **slot = f == F_ID     ? &m->id
                  : f == F_POP  ? &m->pop_receipt
                  : f == F_TEXT ? &m->text
                                : NULL;
    if (slot) {
        free(*slot);
        *slot = xstrdup(t);
        return;
    }
    if (f == F_DEQUEUE) {
        char *end;
        m->dequeue_count = strtol(t, &end, 10);
        if (end == t || *end || m->dequeue_count < 0)
            fail(st, "DequeueCount is not a number");
        return;
    }
    long long v = qxml_rfc1123(t);
    if (v < 0) {
        fail(st, "a message time is not an RFC 1123 date");
        return;
    }
    if (f == F_INSERTED)
        m->inserted = v;
    else if (f == F_EXPIRES)
        m->expires = v;
    else if (f == F_VISIBLE)
        m->next_visible = v;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct state *st = ud;
    enum field f = st->cur;
    st->cur = F_NONE;
    if (st->depth == 2 && st->in_msg && strcmp(name, "QueueMessage") == 0) {
        st->in_msg = 0;
        struct qmsg *m = &st->msgs[st->n++];
        if (!m->id || !m->pop_receipt)
            fail(st, "a message has no MessageId or PopReceipt");
    } else if (f != F_NONE) {
        const char *t = buf_cstr(&st->text);
        if (st->depth == 3 && st->in_msg && f <= F_TEXT)
            store_msg_field(st, f, t);
        else if (st->depth == 2 && f == F_CODE)
            buf_puts(&st->code, t);
        else if (st->depth == 2 && f == F_MESSAGE)
            buf_puts(&st->message, t);
    }
    st->depth--;
}

/* Run expat over xml. Returns 0 or -1 (reason in st->why). */
static int run(struct state *st, const char *xml, size_t len)
{
    st->p = XML_ParserCreate("UTF-8");
    if (!st->p) {
        st->why = "out of memory";
        return -1;
    }
    buf_init(&st->text, QXML_TEXT_MAX);
    buf_init(&st->code, 256);
    buf_init(&st->message, 1024);
    XML_SetUserData(st->p, st);
    XML_SetElementHandler(st->p, on_start, on_end);
    XML_SetCharacterDataHandler(st->p, on_text);
    int ok = XML_Parse(st->p, xml, (int)len, XML_TRUE) == XML_STATUS_OK;
    if (!ok && !st->why)
        st->why = XML_ErrorString(XML_GetErrorCode(st->p));
    XML_ParserFree(st->p);
    buf_release(&st->text);
    return ok && !st->why ? 0 : -1;
}

void qmsg_release(struct qmsg *m)
{
    free(m->id);
    free(m->pop_receipt);
    free(m->text);
    memset(m, 0, sizeof *m);
}

void qxml_messages_free(struct qmsg *msgs, size_t n)
{
    for (size_t i = 0; msgs && i < n; i++)
        qmsg_release(&msgs[i]);
    free(msgs);
}

int qxml_messages(const char *xml, size_t len, struct qmsg **msgs, size_t *n,
                  char *err, size_t errlen)
{
    struct state st;
    memset(&st, 0, sizeof st);
    st.msgs = xcalloc(QXML_MAX_MESSAGES + 1, sizeof *st.msgs);
    *msgs = NULL;
    *n = 0;
    int rc = run(&st, xml, len);
    buf_release(&st.code);
    buf_release(&st.message);
    if (rc < 0) {
        /* A message being read when the parser stopped is freed too. */
        qxml_messages_free(st.msgs, st.n + (st.in_msg ? 1 : 0));
        snprintf(err, errlen, "the queue service's XML reply: %s", st.why);
        return -1;
    }
    *msgs = st.msgs;
    *n = st.n;
    return 0;
}

void qxml_error(const char *xml, size_t len, char *code, size_t codelen,
                char *msg, size_t msglen)
{
    struct state st;
    memset(&st, 0, sizeof st);
    code[0] = msg[0] = '\0';
    if (!xml || !len)
        return;
    st.msgs = NULL;
    if (run(&st, xml, len) == 0) {
        snprintf(code, codelen, "%s", buf_cstr(&st.code));
        /* The service's Message has a second line: RequestId and Time. */
        const char *m = buf_cstr(&st.message);
        snprintf(msg, msglen, "%.*s", (int)strcspn(m, "\r\n"), m);
    }
    buf_release(&st.code);
    buf_release(&st.message);
}

char *qxml_put_body(const char *text)
{
    struct buf b;
    buf_init(&b, (size_t)-1);
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage>"
                 "<MessageText>");
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '&':
            buf_puts(&b, "&amp;");
            break;
        case '<':
            buf_puts(&b, "&lt;");
            break;
        case '>':
            buf_puts(&b, "&gt;");
            break;
        case '"':
            buf_puts(&b, "&quot;");
            break;
        case '\'':
            buf_puts(&b, "&apos;");
            break;
        default:
            buf_append(&b, c, 1);
        }
    }
    buf_puts(&b, "</MessageText></QueueMessage>");
    size_t len;
    return buf_take(&b, &len);
}
