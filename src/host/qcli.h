/*
 * qcli.h - `func-local --enqueue QUEUE MESSAGE [--app DIR] [--connection
 * NAME]`: put one message on a storage queue with the app's own storage
 * connection (AzureWebJobsStorage, or the setting NAME names, as the queue
 * binding finds it) and messageEncoding (host.json), creating the queue
 * when missing. A MESSAGE of "-" is read from standard input. Exit 0 when
 * the service took it, 1 otherwise (the reason on stderr, never the key).
 */
#ifndef HOST_QCLI_H
#define HOST_QCLI_H

int qcli_main(int argc, char **argv);

#endif
