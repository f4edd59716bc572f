/* qcli.c - func-local --enqueue (see qcli.h). */
#include "qcli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "host/app.h"
#include "host/qclient.h"
#include "host/qcodec.h"
#include "host/qopts.h"
#include "host/storconn.h"
#include "util/buf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define QCLI_MAX_INPUT (64 * 1024)

static const char *setting_lookup(const void *app, const char *name)
{
    return app_setting(app, name);
}

static char *read_stdin(void)
{
    struct buf b;
    char chunk[4096];
    size_t n;
    buf_init(&b, QCLI_MAX_INPUT);
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        if (buf_append(&b, chunk, n) < 0) {
            buf_release(&b);
            return NULL;
        }
    size_t len;
    return buf_take(&b, &len);
}

/* Put text (encoded) on queue; create the queue on 404 and try again. */
static int put(struct curlpool *pool, const struct storconn *cs,
               const char *queue, const char *text, char *err, size_t errlen)
{
    struct qclient_fail f;
    if (qclient_put(pool, cs, queue, text, QCLIENT_RETRIES, &f, err, errlen) ==
        0)
        return 0;
    if (f.status != 404 ||
        qclient_create(pool, cs, queue, QCLIENT_RETRIES, NULL, err, errlen) < 0)
        return -1;
    return qclient_put(pool, cs, queue, text, QCLIENT_RETRIES, NULL, err,
                       errlen);
}

int qcli_main(int argc, char **argv)
{
    const char *dir = ".", *conn = NULL, *queue = NULL, *msg = NULL;
    char err[512], used[300];
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--app") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--connection") == 0 && i + 1 < argc)
            conn = argv[++i];
        else if (!queue)
            queue = argv[i];
        else if (!msg)
            msg = argv[i];
        else
            queue = NULL, i = argc;
    }
    if (!queue || !msg) {
        fprintf(stderr, "usage: func-local --enqueue QUEUE MESSAGE [--app DIR] "
                        "[--connection NAME]\n");
        return 1;
    }
    if (qopts_check_queue_name(queue, err, sizeof err) < 0) {
        fprintf(stderr, "func-local: %s\n", err);
        return 1;
    }
    struct app app;
    if (app_load(dir, &app, err, sizeof err) < 0) {
        fprintf(stderr, "func-local: %s\n", err);
        return 1;
    }
    int rc = 1;
    struct storconn cs;
    char *input = strcmp(msg, "-") == 0 ? read_stdin() : xstrdup(msg);
    const char *v =
        storconn_setting(conn, setting_lookup, &app, used, sizeof used);
    if (!input) {
        fprintf(stderr, "func-local: the message is over %d bytes\n",
                QCLI_MAX_INPUT);
    } else if (!v || storconn_parse(v, &cs, err, sizeof err) < 0) {
        fprintf(stderr, "func-local: app setting %s: %s\n", used,
                v ? err : "not set");
    } else {
        char *text = app.queues.base64 ? qcodec_b64_encode(input, strlen(input))
                                       : xstrdup(input);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        struct curlpool *pool = curlpool_new();
        if (put(pool, &cs, queue, text, err, sizeof err) < 0) {
            fprintf(stderr, "func-local: %s\n", err);
        } else {
            printf("queued 1 message on '%s' (%s)\n", queue, cs.queue_base);
            rc = 0;
        }
        curlpool_free(pool);
        curl_global_cleanup();
        free(text);
        storconn_release(&cs);
    }
    free(input);
    app_release(&app);
    return rc;
}
