/*
 * log.h - one-line log records on stderr (the web server's error log).
 *
 * Every record carries the level, the source file and line, and the request
 * id when there is one: "docapi[1234] error h_documents.c:88 rid=ab12 ...".
 * Callers never pass secrets, keys or SQL text; database detail is logged by
 * db.c only, under the request id.
 */
#ifndef DOCAPI_LOG_H
#define DOCAPI_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Records above this level are dropped; set once at start-up. */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug"; returns -1 when unknown. */
int log_parse_level(const char *s);

/* rid may be NULL. The formatted message is truncated at 1 KiB. */
void log_write(enum log_level level, const char *file, int line,
               const char *rid, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define log_error(rid, ...) log_write(LOG_ERROR, __FILE__, __LINE__, rid, __VA_ARGS__)
#define log_warn(rid, ...) log_write(LOG_WARN, __FILE__, __LINE__, rid, __VA_ARGS__)
#define log_info(rid, ...) log_write(LOG_INFO, __FILE__, __LINE__, rid, __VA_ARGS__)
#define log_debug(rid, ...) log_write(LOG_DEBUG, __FILE__, __LINE__, rid, __VA_ARGS__)

#endif
