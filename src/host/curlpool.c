/* curlpool.c - idle libcurl handles for connection reuse (see curlpool.h). */
#include "curlpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"
#include "util/banned.h"

struct curlpool {
    pthread_mutex_t lock;
    CURL *idle[CURLPOOL_MAX];
    size_t nidle;
};

struct curlpool *curlpool_new(void)
{
    struct curlpool *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

void curlpool_free(struct curlpool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nidle; i++)
        curl_easy_cleanup(p->idle[i]);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

CURL *curlpool_get(struct curlpool *p)
{
    CURL *h = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->nidle)
        h = p->idle[--p->nidle];
    pthread_mutex_unlock(&p->lock);
    if (h)
        curl_easy_reset(h); /* options only: live connections stay */
    else
        h = curl_easy_init();
    return h;
}

void curlpool_put(struct curlpool *p, CURL *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&p->lock);
    if (p->nidle < CURLPOOL_MAX) {
        p->idle[p->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    if (h)
        curl_easy_cleanup(h);
}

size_t curlpool_read_body(char *dst, size_t size, size_t n, void *body)
{
    struct curlpool_body *b = body;
    size_t k = size * n < b->left ? size * n : b->left;
    memcpy(dst, b->p, k);
    b->p += k;
    b->left -= k;
    return k;
}

void curlpool_handler_opts(CURL *h, char *errbuf, long timeout_ms)
{
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
}
