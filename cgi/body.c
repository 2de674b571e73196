/* body.c - see body.h. */
#include "body.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum body_kind body_kind_of(const char *ct)
{
	static const struct { const char *type; enum body_kind kind; } kinds[] = {
		{ "application/json", BODY_MERGE_PATCH },
		{ "application/merge-patch+json", BODY_MERGE_PATCH },
		{ "application/json-patch+json", BODY_JSON_PATCH },
	};
	size_t n;

	if (!ct)
		return BODY_NONE;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; \t");
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strlen(kinds[i].type) == n && strncasecmp(ct, kinds[i].type, n) == 0)
			return kinds[i].kind;
	return BODY_NONE;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * An integer literal json-c would silently clamp: below -2^63 or above
 * 2^64-1 (the largest it keeps exactly). p..p+n is the token, digits only
 * after an optional '-'.
 */
static int integer_out_of_range(const char *p, size_t n)
{
	int neg = *p == '-';
	const char *limit = neg ? "9223372036854775808" : "18446744073709551615";
	size_t ll = strlen(limit);
	if (neg) {
		p++;
		n--;
	}
	if (n != ll)
		return n > ll;
	return memcmp(p, limit, n) > 0;
}

/*
 * Checks one number token (the run of number characters at p, n bytes)
 * against JSON's grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
 * which json-c does not fully enforce ("-01" and "1." pass its strict
 * mode), and integers against the range json-c keeps. Looks at the n bytes
 * only, so a body full of numbers is scanned in linear time. Returns NULL
 * when fine, else the reason.
 */
static const char *check_number(const char *p, size_t n)
{
	size_t i = 0;
	int integer = 1;

	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++;
	else if (i < n && p[i] >= '1' && p[i] <= '9')
		while (i < n && isdigit((unsigned char)p[i]))
			i++;
	else
		return "malformed number";
	if (i < n && p[i] == '.') {
		integer = 0;
		if (++i >= n || !isdigit((unsigned char)p[i]))
			return "malformed number";
		while (i < n && isdigit((unsigned char)p[i]))
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		integer = 0;
		if (++i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || !isdigit((unsigned char)p[i]))
			return "malformed number";
		while (i < n && isdigit((unsigned char)p[i]))
			i++;
	}
	if (i != n)
		return "malformed number";
	if (integer && integer_out_of_range(p, n))
		return "integer out of range (must be within -2^63 .. 2^64-1)";
	return NULL;
}

/*
 * Scans the raw text for what json-c would accept silently but change:
 * a \u0000 escape (json-c cuts keys there), a lone UTF-16 surrogate escape
 * (json-c stores U+FFFD), single-quoted strings (accepted even in strict
 * mode), raw control characters in strings and numbers outside JSON's
 * grammar (both taken by json-c's strict mode too), and integers it would
 * clamp. Returns NULL when clean, else the reason. Other syntax errors are
 * left to the parser.
 */
static const char *scan_raw(const char *s, size_t len)
{
	int in_string = 0;
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '"') {
				in_string = 0;
			} else if ((unsigned char)s[i] < 0x20) {
				/* JSON requires U+0000..U+001F escaped; json-c takes them raw */
				return "control characters in strings must be escaped";
			} else if (s[i] == '\\' && i + 1 < len) {
				unsigned cp, lo;
				if (s[i + 1] == 'u' && i + 5 < len && hex4(s + i + 2, &cp) == 0) {
					if (cp == 0)
						return "strings must not contain NUL (\\u0000)";
					if (cp >= 0xDC00 && cp <= 0xDFFF)
						return "lone UTF-16 surrogate in a \\u escape";
					if (cp >= 0xD800 && cp <= 0xDBFF) {
						if (!(i + 11 < len && s[i + 6] == '\\' && s[i + 7] == 'u' &&
						      hex4(s + i + 8, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF))
							return "lone UTF-16 surrogate in a \\u escape";
						i += 6; /* the low half was checked */
					}
					i += 4;
				}
				i++; /* skip the escaped character */
			}
		} else if (s[i] == '"') {
			in_string = 1;
		} else if (s[i] == '\'') {
			return "strings must use double quotes";
		} else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
			size_t n = strspn(s + i, "+-0123456789.eE");
			const char *bad = check_number(s + i, n);
			if (bad)
				return bad;
			i += n - 1;
		}
	}
	return NULL;
}

/*
 * 1 when objects and arrays nest deeper than max_depth (the body's own
 * brackets count as level 1). json-c's own limit is one level short for
 * objects ({"a":{"a":...}} stops at max_depth - 1), so the limit is checked
 * here and json-c gets one level of slack. Linear; strings are skipped.
 */
static int nesting_exceeds(const char *s, size_t len, int max_depth)
{
	int in_string = 0, depth = 0;
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_string = 0;
		} else if (s[i] == '"') {
			in_string = 1;
		} else if (s[i] == '{' || s[i] == '[') {
			if (++depth > max_depth)
				return 1;
		} else if (s[i] == '}' || s[i] == ']') {
			depth--;
		}
	}
	return 0;
}

/* Doubles at or beyond 2^63 come back from PostgreSQL as long integers,
 * which json-c would clamp; JSON clients cannot hold them exactly anyway. */
#define MAX_DOUBLE_MAGNITUDE 9223372036854775808.0

/* Numbers that overflow a double parse as inf, which JSON cannot carry;
 * huge ones would not survive storage (see MAX_DOUBLE_MAGNITUDE). */
static int has_nonfinite(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_double: {
		double d = json_object_get_double(o);
		return !isfinite(d) || fabs(d) >= MAX_DOUBLE_MAGNITUDE;
	}
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (has_nonfinite(v))
				return 1;
		}
		return 0;
	}
	case json_type_array: {
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++)
			if (has_nonfinite(json_object_array_get_idx(o, i)))
				return 1;
		return 0;
	}
	default:
		return 0;
	}
}

struct json_object *body_parse_json(const char *body, size_t len, int max_depth,
                                    struct verrs *v)
{
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	char msg[160];

	if (len == 0) {
		verr_add(v, "request body is empty", "value_error.missing", "body",
		         NULL, NULL, NULL);
		goto cleanup;
	}
	if (memchr(body, '\0', len) || !util_utf8_valid(body, len)) {
		verr_add(v, "body is not valid UTF-8 text (or contains a NUL byte)",
		         "value_error.unicode", "body", NULL, NULL, NULL);
		goto cleanup;
	}
	const char *why = scan_raw(body, len);
	if (why) {
		verr_add(v, why, "value_error.jsondecode", "body", NULL, NULL, NULL);
		goto cleanup;
	}
	if (nesting_exceeds(body, len, max_depth)) {
		snprintf(msg, sizeof msg, "JSON nesting is deeper than %d levels", max_depth);
		verr_add(v, msg, "value_error.json.depth", "body", NULL, NULL, NULL);
		goto cleanup;
	}
	tok = json_tokener_new_ex(max_depth + 1);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* Include the terminating NUL (the buffer has one) so that a bare
	 * number at the very end is complete. */
	obj = json_tokener_parse_ex(tok, body, (int)len + 1);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
		if (jerr == json_tokener_error_depth)
			snprintf(msg, sizeof msg, "JSON nesting is deeper than %d levels",
			         max_depth);
		else
			snprintf(msg, sizeof msg, "invalid JSON at byte %lu: %s",
			         (unsigned long)json_tokener_get_parse_end(tok),
			         json_tokener_error_desc(jerr));
		verr_add(v, msg, jerr == json_tokener_error_depth
		         ? "value_error.json.depth" : "value_error.jsondecode",
		         "body", NULL, NULL, NULL);
		goto cleanup;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		/* JSON whitespace only (isspace would also pass \f and \v) */
		char c = body[i];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			json_object_put(obj);
			obj = NULL;
			snprintf(msg, sizeof msg, "unexpected data after the JSON value at byte %lu",
			         (unsigned long)i);
			verr_add(v, msg, "value_error.jsondecode", "body", NULL, NULL, NULL);
			goto cleanup;
		}
	}
	if (!obj) {
		/* JSON null: no caller can use it, and NULL must come with a reason */
		verr_add(v, "the body must not be null", "type_error.none.not_allowed",
		         "body", NULL, NULL, NULL);
		goto cleanup;
	}
	if (has_nonfinite(obj)) {
		json_object_put(obj);
		obj = NULL;
		verr_add(v, "number out of range", "value_error.number", "body", NULL,
		         NULL, NULL);
	}
cleanup:
	if (tok)
		json_tokener_free(tok);
	return obj;
}

int body_is_plain_json(const char *ct)
{
	size_t n;

	if (!ct)
		return 0;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; \t");
	return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}
