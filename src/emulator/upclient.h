/*
 * upclient.h - the emulator's upstream client: client events and
 * invocations POSTed to the function app's upstream URL, signed with
 * X-ASRS-Signature, as the service sends them.
 *
 * Hooked into the connection table through conns_set_hooks (conn.h):
 * after a client's handshake it sends connections/connected, for each
 * client Invocation (type 1 only) messages/<target>, and once the
 * connection is gone connections/disconnected, each to the URL of the
 * first matching template (upconf.h) with the X-ASRS-* headers and bodies
 * of upmsg.h.
 * Calls of one connection go one at a time, in the order they arose, so
 * connected comes before its first message and disconnected after its
 * last; different connections' calls run in parallel.
 *
 * HTTP: libcurl's multi interface driven from the emulator's one epoll
 * thread (CURLMOPT_SOCKETFUNCTION → loop_watch_events, TIMERFUNCTION →
 * a loop_timer), so nothing blocks the loop; keep-alive connections to
 * the upstream are reused; every call is bounded by the timeout.
 *
 * Answers (upmsg_answer): an invocation with an id gets the upstream's
 * records, a void Completion, or a Completion error ("Invocation failed,
 * status code N"; a failed call or a timeout counts as 500, as in the
 * official emulator); a send (no id) only gets a log line. With no
 * template for an invocation, the invoke gets the Completion error
 * UPMSG_NO_UPSTREAM at once (the official emulator drops it and the
 * client's promise never settles); a send is dropped. Failed connection
 * events are only logged: unlike the official emulator, a client whose
 * connected call fails is not closed (a function app that is not up yet
 * must not cut every client off). One log line per call: category/event,
 * hub, connection id, status or failure, duration; never the signature,
 * the client's token or the URL's query (an Azure function key).
 * At shutdown, calls still queued or in flight (the disconnected events
 * of the clients the shutdown closes, mostly) are dropped with one log
 * line. A client may queue UPCLIENT_MAX_QUEUED calls behind the one in
 * flight. Owns its calls, their libcurl handles and sockets, and the
 * --settings templates; borrows the loop, the connection table and the
 * keys. One instance per connection table (it takes the table's hooks);
 * not thread-safe (the loop's thread). libcurl's global state is set up
 * and torn down with it.
 */
#ifndef EMULATOR_UPCLIENT_H
#define EMULATOR_UPCLIENT_H

#include "emulator/auth.h"
#include "emulator/conn.h"
#include "emulator/loop.h"
#include "emulator/upconf.h"

/* Default bound on one upstream call, milliseconds. */
#define UPCLIENT_TIMEOUT_MS 10000
/* Calls waiting behind a connection's call in flight; past this an
 * invocation is refused (Completion error) and a send dropped. */
#define UPCLIENT_MAX_QUEUED 256
/* Parallel connections to one upstream host (more calls wait in curl). */
#define UPCLIENT_MAX_HOST_CONNS 64

struct upclient;

/* Start and install the hooks on t. conf (the --upstream templates,
 * borrowed for the client's life) comes first; then, when settings is not
 * NULL, the templates of that settings.json file, re-read when the file
 * changes (checked once a second, like the official emulator's hot
 * reload; a bad new version is a warning and the templates in force
 * stay). With no template at all, invocations get UPMSG_NO_UPSTREAM and
 * nothing is sent. The signature uses every key of keys. Registers its
 * timers with l. Returns the client, or NULL after logging when the
 * settings file is bad, libcurl cannot start or the loop has no timer
 * slot left (nothing is left registered then). */
struct upclient *upclient_start(struct loop *l, struct conns *t,
                                const struct auth_keys *keys,
                                const struct upconf *conf, const char *settings,
                                long timeout_ms);
/* Take the hooks back, drop the calls still queued or in flight and
 * release everything; call after emu_run and before emu_stop (its timers
 * stay registered with a loop that no longer runs). NULL is a no-op. */
void upclient_stop(struct upclient *uc);

#endif
