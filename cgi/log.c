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
	/* Keep one record per line whatever the message holds, and no
	 * terminal escapes. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	/* One fprintf per record, so records from threads do not interleave. */
	fprintf(stderr, "docapi[%ld] %s %s:%d%s%s %s\n", (long)getpid(),
	        level_names[level], base, line, rid ? " rid=" : "", rid ? rid : "",
	        msg);
}

const char *log_quote(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0;

	if (n < 8) {
		if (n)
			out[0] = '\0';
		return out;
	}
	if (!s) {
		memcpy(out, "-", 2);
		return out;
	}
	out[w++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[4];
		size_t k = 0;

		if (c == '"' || c == '\\') {
			esc[k++] = '\\';
			esc[k++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			esc[k++] = '\\';
			esc[k++] = 'x';
			esc[k++] = hex[c >> 4];
			esc[k++] = hex[c & 15];
		} else {
			esc[k++] = (char)c;
		}
		/* room for this, the closing quote, "..." and the NUL */
		if (w + k + 5 > n) {
			memcpy(out + w, "\"...", 5);
			return out;
		}
		memcpy(out + w, esc, k);
		w += k;
	}
	out[w++] = '"';
	out[w] = '\0';
	return out;
}
