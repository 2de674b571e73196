/* util.c - see util.h. */
/* util_sha256() uses OpenSSL's low-level SHA-256 (deprecated in 3.0, still
 * built): the EVP route and the one-shot SHA256() both set up OpenSSL 3's
 * provider machinery on first use, +2.3 MB resident per worker and ~8.6M
 * instructions, for one hash function. s3presign.c does the same. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <openssl/sha.h>

static void oom(void)
{
	fputs("docapi: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void util_random_bytes(unsigned char *out, size_t n)
{
	while (n > 0) {
		ssize_t got = getrandom(out, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			fputs("docapi: no randomness available\n", stderr);
			abort();
		}
		out += got;
		n -= (size_t)got;
	}
}

void util_sha256(const void *data, size_t len, unsigned char out[32])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}

void util_unique_id(char *out)
{
	/* Per thread: 12 random bytes drawn once, the last 8 of which then count
	 * up. Ids are unique (threads start 2^64 apart at random points) but not
	 * secret, so no CSPRNG call per request. */
	static _Thread_local unsigned char id[12];
	static _Thread_local int seeded;

	if (!seeded) {
		util_random_bytes(id, sizeof id);
		seeded = 1;
	}
	for (int i = (int)sizeof id - 1; i >= 4 && ++id[i] == 0; i--)
		; /* big-endian increment with carry */
	util_hex(id, sizeof id, out);
}

void util_random_base62(char *out, size_t n)
{
	static const char alphabet[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t i = 0;
	while (i < n) {
		unsigned char r[32];
		util_random_bytes(r, sizeof r);
		for (size_t j = 0; j < sizeof r && i < n; j++) {
			if (r[j] >= 248) /* 248 = 4 * 62: reject to stay unbiased */
				continue;
			out[i++] = alphabet[r[j] % 62];
		}
	}
	out[n] = '\0';
}

/* Two decimal digits at s (already known to be digits). */
static int two_digits(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* RFC 3339 date-time: 2025-10-18T10:30:00(.123)?(Z|+02:00), with its
 * ranges (section 5.7: month 01-12, the month's days, hour 00-23, minute
 * 00-59, second 00-60; offset hour 00-23, minute 00-59). */
int util_is_rfc3339(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	size_t i;

	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i])
		                    : (s[i] != shape[i] && !(shape[i] == 'T' && s[i] == 't')))
			return 0;
	int year = two_digits(s) * 100 + two_digits(s + 2), month = two_digits(s + 5);
	int day = two_digits(s + 8);
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1] ||
	    (month == 2 && day == 29 && !leap) || two_digits(s + 11) > 23 ||
	    two_digits(s + 14) > 59 || two_digits(s + 17) > 60)
		return 0;
	if (s[i] == '.') {
		size_t digits = strspn(s + i + 1, "0123456789");
		if (!digits)
			return 0;
		i += 1 + digits;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && !s[i + 1])
		return 1;
	return (s[i] == '+' || s[i] == '-') && isdigit((unsigned char)s[i + 1]) &&
	       isdigit((unsigned char)s[i + 2]) && s[i + 3] == ':' &&
	       isdigit((unsigned char)s[i + 4]) && isdigit((unsigned char)s[i + 5]) &&
	       !s[i + 6] && two_digits(s + i + 1) <= 23 && two_digits(s + i + 4) <= 59;
}

void util_pg_array(struct buf *out, const char *const *v, int n)
{
	buf_putc(out, '{');
	for (int i = 0; i < n; i++) {
		if (i)
			buf_putc(out, ',');
		buf_putc(out, '"');
		for (const char *p = v[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(out, '\\');
			buf_putc(out, *p);
		}
		buf_putc(out, '"');
	}
	buf_putc(out, '}');
}

void util_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int util_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int util_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		size_t n;
		unsigned min;
		unsigned cp;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			p++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			n = 1; cp = c & 0x1F; min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2; cp = c & 0x0F; min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return 0;
		}
		if ((size_t)(end - p) <= n)
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		p += n + 1;
	}
	return 1;
}

const char *util_skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}
