/* cursor.c - see cursor.h. */
#include "cursor.h"
#include "hmac.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding (RFC 4648 section 5). */
static void b64_append(struct buf *out, const unsigned char *p, size_t n)
{
	char q[4];
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		q[0] = b64url[p[i] >> 2];
		q[1] = b64url[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = b64url[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		q[3] = b64url[p[i + 2] & 63];
		buf_append(out, q, 4);
	}
	if (n - i == 1) {
		q[0] = b64url[p[i] >> 2];
		q[1] = b64url[(p[i] & 3) << 4];
		buf_append(out, q, 2);
	} else if (n - i == 2) {
		q[0] = b64url[p[i] >> 2];
		q[1] = b64url[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = b64url[(p[i + 1] & 15) << 2];
		buf_append(out, q, 3);
	}
}

/* Decodes n base64url characters into out (n * 3 / 4 bytes); the
 * number of bytes, or -1 when s is not canonical unpadded base64url. */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
	unsigned acc = 0;
	int bits = 0;
	long len = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *at = memchr(b64url, s[i], 64);
		if (!at || !s[i])
			return -1;
		acc = (acc << 6) | (unsigned)(at - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero: one cursor, one spelling. */
	return (acc & ((1u << bits) - 1)) ? -1 : len;
}

static void sign(const void *secret, size_t slen, const char *binding,
                 const char *position, size_t plen, unsigned char mac[32])
{
	struct hmac_key h;
	SHA256_CTX inner;

	hmac_init(&h, secret, slen);
	inner = h.inner;
	SHA256_Update(&inner, binding, strlen(binding) + 1);  /* with its NUL */
	SHA256_Update(&inner, position, plen);
	hmac_final(&h, &inner, mac);
	OPENSSL_cleanse(&h, sizeof h);
}

void cursor_make(struct buf *out, const void *secret, size_t slen,
                 const char *binding, const char *position)
{
	unsigned char mac[32];
	size_t plen = strlen(position);

	sign(secret, slen, binding, position, plen, mac);
	b64_append(out, (const unsigned char *)position, plen);
	buf_putc(out, '.');
	b64_append(out, mac, sizeof mac);
}

char *cursor_open(const char *cursor, const void *secret, size_t slen,
                  const char *binding)
{
	size_t n = cursor ? strlen(cursor) : 0;
	const char *dot = n && n <= CURSOR_MAX ? strchr(cursor, '.') : NULL;
	unsigned char mac[33], want[32];
	unsigned char *pos = NULL;
	long plen;

	if (!dot || dot == cursor)
		return NULL;
	pos = xmalloc((size_t)(dot - cursor) + 1);
	plen = b64_decode(cursor, (size_t)(dot - cursor), pos);
	if (plen < 0 || strlen(dot + 1) != 43 ||
	    b64_decode(dot + 1, 43, mac) != 32 || memchr(pos, '\0', (size_t)plen))
		goto refuse;
	pos[plen] = '\0';
	sign(secret, slen, binding, (const char *)pos, (size_t)plen, want);
	if (CRYPTO_memcmp(mac, want, sizeof want) != 0)
		goto refuse;
	return (char *)pos;
refuse:
	free(pos);
	return NULL;
}
