/*
 * qxml.h - the Queue service's XML bodies, read with expat:
 *
 *   <QueueMessagesList><QueueMessage><MessageId/><InsertionTime/>
 *     <ExpirationTime/><PopReceipt/><TimeNextVisible/><DequeueCount/>
 *     <MessageText/></QueueMessage>...</QueueMessagesList>
 *   <Error><Code/><Message/></Error>
 *
 * Times are RFC 1123 ("Fri, 09 Oct 2009 21:04:30 GMT"). Unknown elements
 * are skipped; a message without MessageId or PopReceipt is refused (it
 * could not be deleted). And the XML text of a message to put
 * (<QueueMessage><MessageText>…</MessageText></QueueMessage>, escaped).
 * Pure: no I/O, no logging; reasons never quote message text.
 */
#ifndef HOST_QXML_H
#define HOST_QXML_H

#include <stddef.h>

#define QXML_MAX_MESSAGES 32

struct qmsg {
    char *id;
    char *pop_receipt;
    char *text; /* MessageText as on the wire (base64 when so encoded) */
    long dequeue_count;
    long long inserted;     /* epoch seconds; 0 when absent */
    long long expires;      /* epoch seconds; 0 when absent */
    long long next_visible; /* epoch seconds; 0 when absent */
};

/* Parse a Get Messages (or Put Message) reply. Returns 0 with *msgs (an
 * array of *n, release with qxml_messages_free) or -1 with the reason. */
int qxml_messages(const char *xml, size_t len, struct qmsg **msgs, size_t *n,
                  char *err, size_t errlen);
void qxml_messages_free(struct qmsg *msgs, size_t n);
void qmsg_release(struct qmsg *m);

/* The Code and Message of an <Error> body into code[codelen] and
 * msg[msglen] ("" when absent or not XML). */
void qxml_error(const char *xml, size_t len, char *code, size_t codelen,
                char *msg, size_t msglen);

/* <QueueMessage><MessageText>text</MessageText></QueueMessage> with text
 * XML-escaped (new string, caller frees). */
char *qxml_put_body(const char *text);

/* "Fri, 09 Oct 2009 21:04:30 GMT" → epoch seconds, or -1. */
long long qxml_rfc1123(const char *s);

#endif
