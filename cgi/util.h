/*
 * util.h - allocation that cannot fail, and a growable byte buffer.
 *
 * Out of memory aborts the process (a FastCGI server respawns it); this keeps
 * every caller free of untested OOM branches.
 */
#ifndef DOCAPI_UTIL_H
#define DOCAPI_UTIL_H

#include <stddef.h>
#include <stdarg.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Returns a malloc'd copy of s (NULL stays NULL); caller frees. */
char *xstrdup(const char *s);
/* Returns a malloc'd copy of the n bytes at s plus a NUL; caller frees. */
char *xstrndup(const char *s, size_t n);

/*
 * A growable buffer, always NUL-terminated once anything was appended.
 * The buffer owns `data`; buf_free() releases it, buf_reset() keeps the
 * allocation for reuse (per-request buffers live for the worker's lifetime).
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

/* Fills out with n random bytes from the OS CSPRNG, getrandom(2) (aborts on
 * failure). */
void util_random_bytes(unsigned char *out, size_t n);
/* out = SHA-256 of the len bytes at data. */
void util_sha256(const void *data, size_t len, unsigned char out[32]);
/* Writes a new 24-hex-digit id and a NUL into out (25 bytes): request ids.
 * Unique, but not a secret (one id predicts the thread's next). */
void util_unique_id(char *out);
/* Writes n random base62 characters and a NUL into out (n + 1 bytes). */
void util_random_base62(char *out, size_t n);
/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void util_hex(const unsigned char *in, size_t n, char *out);
/* 1 when s is an RFC 3339 date-time with valid ranges (see util.c). */
int util_is_rfc3339(const char *s);
/* Appends the PostgreSQL array literal of the n strings (each quoted and
 * escaped): the text of a text[] parameter. */
void util_pg_array(struct buf *out, const char *const *v, int n);
/* 1 when s starts with prefix. */
int util_starts_with(const char *s, const char *prefix);

/* p past optional whitespace (spaces and tabs, RFC 9110's OWS). */
const char *util_skip_ows(const char *p);

/* 1 when s (len bytes) is valid UTF-8 without NUL. */
int util_utf8_valid(const char *s, size_t len);

#endif
