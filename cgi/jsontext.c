/* jsontext.c - see jsontext.h. */
#include "jsontext.h"

#include <string.h>

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p is at an opening quote: returns the position of the closing one. A
 * quote is escaped when an odd number of backslashes precede it (counting
 * back stops at the opening quote at the latest). */
static const char *string_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		const char *q;
		if (!(p = memchr(p, '"', (size_t)(end - p))))
			return NULL;
		for (q = p; q[-1] == '\\'; q--)
			;
		if ((p - q) % 2 == 0)
			return p;
	}
	return NULL;
}

/* p is at a value: returns the position just after it, or NULL. */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p != '{' && *p != '[' && *p != '"') {
		while (p < end && !strchr(",}] \t\r\n", *p))
			p++;
		return p;
	}
	/* Strings and containers: brackets are counted, strings skipped. */
	do {
		if (*p == '"') {
			if (!(p = string_end(p, end)))
				return NULL;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		}
		p++;
	} while (depth > 0 && p < end);
	return depth == 0 ? p : NULL;
}

int jt_begin(struct jt_iter *it, const char *text, size_t len, char open)
{
	const char *end = text + len;
	const char *p = skip_ws(text, end);

	if (p >= end || *p != open)
		return -1;
	it->p = p + 1;
	it->end = end;
	it->first = 1;
	return 0;
}

/* Moves past the separator before the next item: 1 item follows, 0 end. */
static int next_item(struct jt_iter *it, char close)
{
	const char *p = skip_ws(it->p, it->end);

	if (p >= it->end)
		return -1;
	if (*p == close) {
		it->p = p + 1;
		return 0;
	}
	if (!it->first) {
		if (*p != ',')
			return -1;
		p = skip_ws(p + 1, it->end);
		if (p >= it->end)
			return -1;
	}
	it->first = 0;
	it->p = p;
	return 1;
}

int jt_next_member(struct jt_iter *it, struct jt_slice *key, struct jt_slice *value)
{
	const char *p, *q;
	int rc = next_item(it, '}');

	if (rc <= 0)
		return rc;
	p = it->p;
	if (*p != '"' || !(q = string_end(p, it->end)))
		return -1;
	key->p = p + 1;
	key->len = (size_t)(q - p - 1);
	p = skip_ws(q + 1, it->end);
	if (p >= it->end || *p != ':')
		return -1;
	p = skip_ws(p + 1, it->end);
	if (!(q = skip_value(p, it->end)) || q == p)
		return -1;
	value->p = p;
	value->len = (size_t)(q - p);
	it->p = q;
	return 1;
}

int jt_next_element(struct jt_iter *it, struct jt_slice *value)
{
	const char *q;
	int rc = next_item(it, ']');

	if (rc <= 0)
		return rc;
	if (!(q = skip_value(it->p, it->end)) || q == it->p)
		return -1;
	value->p = it->p;
	value->len = (size_t)(q - it->p);
	it->p = q;
	return 1;
}

int jt_plain(struct jt_slice s)
{
	return memchr(s.p, '\\', s.len) == NULL;
}

int jt_string_is(struct jt_slice value, const char *s)
{
	size_t n = strlen(s);
	return value.len == n + 2 && value.p[0] == '"' &&
	       memcmp(value.p + 1, s, n) == 0 && value.p[n + 1] == '"';
}
