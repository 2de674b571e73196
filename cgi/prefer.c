/*
 * prefer.c - Prefer header parsing (see prefer.h).
 */
#include "prefer.h"

#include "util.h"

#include <string.h>
#include <strings.h>

/* tchar (RFC 9110 section 5.6.2) */
static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const char *skip_token(const char *p)
{
	while (is_tchar((unsigned char)*p))
		p++;
	return p;
}

/* Appends c to out if room is left; *len counts every byte, so a value
 * that did not fit shows as *len >= outlen. */
static void put(char *out, size_t outlen, size_t *len, char c)
{
	if (out && *len + 1 < outlen)
		out[*len] = c;
	(*len)++;
}

/*
 * Reads a word (token or quoted-string) at p into out; returns the end, or
 * NULL when there is no word or the quote is unterminated.
 */
static const char *read_word(const char *p, char *out, size_t outlen, size_t *len)
{
	*len = 0;
	if (*p != '"') {
		const char *e = skip_token(p);
		if (e == p)
			return NULL;
		for (; p < e; p++)
			put(out, outlen, len, *p);
		return e;
	}
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		put(out, outlen, len, *p);
	}
	return *p == '"' ? p + 1 : NULL;
}

/* After "=": BWS word. NULL on a syntax error. */
static const char *read_value(const char *p, char *out, size_t outlen, size_t *len)
{
	return read_word(util_skip_ows(p), out, outlen, len);
}

/* Skips a malformed element up to the next comma outside quotes. */
static const char *skip_element(const char *p)
{
	int quoted = 0;
	for (; *p; p++) {
		if (quoted && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ',')
			break;
	}
	return p;
}

/*
 * Parses one preference at p (after OWS): its name (nlen bytes at *name)
 * and value (into out). Returns the end of the element (at ',' or NUL),
 * with *ok = 0 when it was malformed.
 */
static const char *read_pref(const char *p, const char **name, size_t *nlen,
                             char *out, size_t outlen, size_t *vlen, int *ok)
{
	const char *e = skip_token(p);
	size_t dummy;

	*ok = 0;
	*name = p;
	*nlen = (size_t)(e - p);
	*vlen = 0;
	if (*nlen == 0)
		return skip_element(p);
	p = util_skip_ows(e);
	if (*p == '=' && !(p = read_value(p + 1, out, outlen, vlen)))
		return skip_element(e);
	p = util_skip_ows(p);
	while (*p == ';') {             /* parameters: checked, then ignored */
		p = util_skip_ows(p + 1);
		e = skip_token(p);
		if (e != p) {
			p = util_skip_ows(e);
			if (*p == '=' && !(p = read_value(p + 1, NULL, 0, &dummy)))
				return skip_element(e);
		}
		p = util_skip_ows(p);
	}
	if (*p && *p != ',')
		return skip_element(p);
	*ok = 1;
	return p;
}

int prefer_value(const char *prefer, const char *name, char *out, size_t outlen)
{
	const char *p = prefer;
	size_t want = strlen(name);

	if (outlen)
		out[0] = '\0';
	if (!p)
		return 0;
	while (*p) {
		const char *n;
		size_t nlen, vlen;
		int ok;
		p = util_skip_ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (!*p)
			break;
		p = read_pref(p, &n, &nlen, out, outlen, &vlen, &ok);
		if (ok && nlen == want && strncasecmp(n, name, want) == 0) {
			if (vlen >= outlen) {
				if (outlen)
					out[0] = '\0';
				return -1;
			}
			out[vlen] = '\0';
			return 1;
		}
		if (outlen)
			out[0] = '\0';
	}
	return 0;
}

int prefer_return_minimal(const char *prefer)
{
	char v[16];
	return prefer_value(prefer, "return", v, sizeof v) == 1 &&
	       strcasecmp(v, "minimal") == 0;
}
