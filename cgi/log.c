/* log.c - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level max_level = LOG_INFO;
static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level)
{
	max_level = level;
}

int log_parse_level(const char *s)
{
	for (int i = 0; i <= LOG_DEBUG; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

void log_write(enum log_level level, const char *file, int line,
               const char *rid, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	const char *base;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Keep one record per line whatever the message holds. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	/* One fprintf per record, so records from threads do not interleave. */
	fprintf(stderr, "docapi[%ld] %s %s:%d%s%s %s\n", (long)getpid(),
	        level_names[level], base, line, rid ? " rid=" : "", rid ? rid : "",
	        msg);
}
