/*
 * log.h - one line per event on stderr, one format for all three programs.
 *
 *   2026-11-29T11:40:00.123Z emulator info: client connected id=...
 *
 * log_error() returns -1 so `return log_error(...)` is one line. Pure modules
 * (util/, proto/) never log: they fill a caller's err buffer instead. Never
 * pass an access key or a token to these functions.
 */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Program name printed on every line (borrowed; keep it static). */
void log_set_program(const char *name);
/* Lines below this level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write "YYYY-MM-DDTHH:MM:SS.mmmZ" for now into out (>= 25 bytes). */
void log_timestamp(char *out, unsigned long size);

#endif
