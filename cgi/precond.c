/*
 * precond.c - If-Match / If-None-Match evaluation (see precond.h for the
 * rules and the decisions).
 */
#include "precond.h"

#include "util.h"

#include <stdio.h>
#include <string.h>

/* What a field value says about one version. */
enum scan {
	SCAN_MALFORMED,
	SCAN_STAR,       /* "*" alone */
	SCAN_MATCH,      /* a list with a tag equal to the version's */
	SCAN_NO_MATCH,   /* a valid list without one */
};

/* etagc = %x21 / %x23-7E / obs-text (RFC 9110 section 8.8.3) */
static int is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80;
}

/*
 * Reads one entity-tag at *pp ([W/]"etagc*"); advances past it. Returns 0
 * on a syntax error, else 1 with *match set when it names `want` (the
 * quoted-less version text) under the weak or strong comparison.
 */
static int read_tag(const char **pp, const char *want, size_t wlen, int weak_cmp,
                    int *match)
{
	const char *p = *pp, *start;
	int weak = 0;

	if (p[0] == 'W' && p[1] == '/') {
		weak = 1;
		p += 2;
	}
	if (*p != '"')
		return 0;
	start = ++p;
	while (is_etagc((unsigned char)*p))
		p++;
	if (*p != '"')
		return 0;    /* unterminated, or a byte that is not etagc */
	*match = wlen > 0 && (size_t)(p - start) == wlen &&
	         memcmp(start, want, wlen) == 0 && (weak_cmp || !weak);
	*pp = p + 1;
	return 1;
}

/* Scans a whole field value against version (> 0, else none exists). */
static enum scan scan_value(const char *value, long long version, int weak_cmp)
{
	char want[24] = "";
	size_t wlen = 0;
	const char *p = util_skip_ows(value);
	int elements = 0, matched = 0;

	if (*p == '*') {
		p = util_skip_ows(p + 1);
		return *p ? SCAN_MALFORMED : SCAN_STAR;
	}
	if (version > 0) {
		snprintf(want, sizeof want, "%lld", version);
		wlen = strlen(want);
	}
	for (;;) {
		int m = 0;
		p = util_skip_ows(p);
		if (*p == ',') {          /* an empty list element */
			p++;
			continue;
		}
		if (!*p)
			break;
		if (!read_tag(&p, want, wlen, weak_cmp, &m))
			return SCAN_MALFORMED;
		elements++;
		matched |= m;
		p = util_skip_ows(p);
		if (*p == ',')
			p++;
		else if (*p)
			return SCAN_MALFORMED;   /* junk after a tag */
	}
	if (elements == 0)
		return SCAN_MALFORMED;
	return matched ? SCAN_MATCH : SCAN_NO_MATCH;
}

int precond_valid(const char *value)
{
	return !value || scan_value(value, 0, 0) != SCAN_MALFORMED;
}

enum precond_result precond_evaluate(enum precond_method method,
                                     const char *if_match,
                                     const char *if_none_match,
                                     long long version)
{
	int exists = version > 0;

	if (if_match) {
		enum scan s = scan_value(if_match, version, 0);
		int ok = (s == SCAN_STAR && exists) || s == SCAN_MATCH;
		if (!ok)
			return PRECOND_FAILED;
	}
	if (if_none_match) {
		enum scan s = scan_value(if_none_match, version, 1);
		if (s == SCAN_MALFORMED)
			return method == PRECOND_SAFE ? PRECOND_PROCEED : PRECOND_FAILED;
		if ((s == SCAN_STAR && exists) || s == SCAN_MATCH)
			return method == PRECOND_SAFE ? PRECOND_NOT_MODIFIED
			                              : PRECOND_FAILED;
	}
	return PRECOND_PROCEED;
}
