/*
 * storconn.h - Azure Storage connection strings, for the Queue service.
 *
 *   UseDevelopmentStorage=true[;DevelopmentStorageProxyUri=http://host]
 *   DefaultEndpointsProtocol=https;AccountName=a;AccountKey=...;
 *       [EndpointSuffix=core.windows.net;][QueueEndpoint=http://...;]
 *
 * Read as the Storage SDK's connection string parser does: ';'-separated
 * key=value pairs, keys case-insensitive, first '=' splits, blanks around
 * keys and values trimmed, empty segments ignored. UseDevelopmentStorage
 * gives Azurite's well-known devstoreaccount1 account, key and
 * http://127.0.0.1:10001/devstoreaccount1 (the proxy URI's scheme and host
 * instead of 127.0.0.1 when given). Without QueueEndpoint the endpoint is
 * {protocol}://{account}.queue.{suffix}. AccountKey is required and must be
 * base64 (Shared Key signing); SAS and identity connections are refused.
 *
 * storconn_setting_name() finds which app setting holds it, as the WebJobs
 * SDK does: "AzureWebJobs<name>" first, then "<name>"; an empty name means
 * "Storage" (AzureWebJobsStorage). Pure: no I/O, no logging; error messages
 * never contain the key.
 */
#ifndef HOST_STORCONN_H
#define HOST_STORCONN_H

#include <stddef.h>

#define STORCONN_DEV_ACCOUNT "devstoreaccount1"
#define STORCONN_DEV_QUEUE_PORT 10001

struct storconn {
    char *account;      /* account name */
    unsigned char *key; /* the decoded AccountKey bytes */
    size_t key_len;
    char *queue_base; /* queue endpoint, no trailing '/' */
    char *queue_path; /* its path part ("" or "/devstoreaccount1") */
    int development;  /* UseDevelopmentStorage=true */
};

/* Parse s. Returns 0, or -1 with the problem in err (cs then holds
 * nothing). */
int storconn_parse(const char *s, struct storconn *cs, char *err,
                   size_t errlen);
void storconn_release(struct storconn *cs);

/* The connection setting's value for a binding's "connection" (NULL or ""
 * → Storage): lookup(ctx, "AzureWebJobs<name>"), then lookup(ctx, name).
 * *used gets the name found (or the first tried), into used[usedlen].
 * Returns the value (borrowed from lookup) or NULL. */
typedef const char *(*storconn_lookup)(const void *ctx, const char *name);
const char *storconn_setting(const char *connection, storconn_lookup lookup,
                             const void *ctx, char *used, size_t usedlen);

#endif
