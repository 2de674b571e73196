/*
 * log.h - one-line log records on stderr (the web server's error log).
 *
 * Every record carries the level, the source file and line, and the request
 * id when there is one: "docapi[1234] error h_documents.c:88 rid=ab12 ...".
 * Callers never pass secrets, keys or SQL text; database detail is logged by
 * db.c only, under the request id.
 *
 * The message is free text after the prefix, in which `key=value` fields
 * may appear. Any value that came from a request or a stored document (a
 * blob URL, a bucket name, a header) goes in through log_quote(), so that
 * it cannot add a field (` rid=forged`), a line, or terminal escapes:
 * a log parser that honours "..." with backslash escapes (logfmt does)
 * sees it as one value.
 */
#ifndef DOCAPI_LOG_H
#define DOCAPI_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Records above this level are dropped; set once at start-up. */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug"; returns -1 when unknown. */
int log_parse_level(const char *s);

/*
 * Writes s into out (n bytes, n >= 8) as a double-quoted string: printable
 * ASCII as is, except " as \" and \ as \\; every other byte (controls,
 * DEL, each byte of UTF-8) as \xNN. When it does not fit, it is cut
 * before an escape and "..." follows the closing quote:
 *   Bad" rid=x\n  ->  "Bad\" rid=x\x0a"      (a long one: "Bad\" ri"...)
 * NULL is written as - (no quotes). Returns out, so that it can stand as a
 * printf argument: log_warn(rid, "bucket %s", log_quote(b, q, sizeof q)).
 */
const char *log_quote(const char *s, char *out, size_t n);

/* A buffer size for log_quote() that keeps ~100 bytes of plain text. */
#define LOG_QUOTE_SIZE 128

/* rid may be NULL. The formatted message is truncated at 1 KiB; control
 * characters in it (a newline...) become spaces, one record per line. */
void log_write(enum log_level level, const char *file, int line,
               const char *rid, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define log_error(rid, ...) log_write(LOG_ERROR, __FILE__, __LINE__, rid, __VA_ARGS__)
#define log_warn(rid, ...) log_write(LOG_WARN, __FILE__, __LINE__, rid, __VA_ARGS__)
#define log_info(rid, ...) log_write(LOG_INFO, __FILE__, __LINE__, rid, __VA_ARGS__)
#define log_debug(rid, ...) log_write(LOG_DEBUG, __FILE__, __LINE__, rid, __VA_ARGS__)

#endif
