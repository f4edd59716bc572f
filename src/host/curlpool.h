/*
 * curlpool.h - a small, thread-safe stack of idle libcurl easy handles, so
 * consecutive calls reuse kept-alive connections (to the handler, to the
 * SignalR service) as .NET's pooled HttpClient does.
 *
 * Not a request API: callers set their own options on the handle they get.
 * The pool owns idle handles; a handle taken with curlpool_get() belongs to
 * the caller until curlpool_put() (or curl_easy_cleanup() when its
 * connection state is unknown, e.g. after an error).
 */
#ifndef HOST_CURLPOOL_H
#define HOST_CURLPOOL_H

#include <stddef.h>

#include <curl/curl.h>

#define CURLPOOL_MAX 32

struct curlpool;

/* An empty pool. Never NULL. */
struct curlpool *curlpool_new(void);
/* Clean up every idle handle and the pool. NULL is a no-op. */
void curlpool_free(struct curlpool *p);

/* An idle handle with its options reset (connections kept), or a new one;
 * NULL only when libcurl cannot allocate. */
CURL *curlpool_get(struct curlpool *p);
/* Give h back (cleaned up instead when the pool is full). */
void curlpool_put(struct curlpool *p, CURL *h);

/* The options of every call to the handler on loopback (invoker.h,
 * forward.h): errors into errbuf (CURL_ERROR_SIZE), 5 s to connect, the
 * whole call bounded by timeout_ms (0: unbounded), plain HTTP only. */
void curlpool_handler_opts(CURL *h, char *errbuf, long timeout_ms);

/* A request body streamed from memory: CURLOPT_READFUNCTION =
 * curlpool_read_body, CURLOPT_READDATA = a struct curlpool_body whose bytes
 * stay valid for the transfer. With no Content-Length set, libcurl sends
 * it chunked, as the host and the SDK do. */
struct curlpool_body {
    const char *p;
    size_t left;
};
size_t curlpool_read_body(char *dst, size_t size, size_t n, void *body);

#endif
