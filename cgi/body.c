/* body.c - see body.h. */
#include "body.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The media type of a Content-Type value (parameters dropped): *n bytes
 * from the returned pointer; NULL for no header. */
static const char *media_type(const char *ct, size_t *n)
{
	if (!ct)
		return NULL;
	ct = util_skip_ows(ct);
	*n = strcspn(ct, "; \t");
	return ct;
}

enum body_kind body_kind_of(const char *ct)
{
	static const struct { const char *type; enum body_kind kind; } kinds[] = {
		{ "application/json", BODY_MERGE_PATCH },
		{ "application/merge-patch+json", BODY_MERGE_PATCH },
		{ "application/json-patch+json", BODY_JSON_PATCH },
	};
	size_t n = 0;

	if (!(ct = media_type(ct, &n)))
		return BODY_NONE;
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

size_t body_number_stored_len(const char *p, size_t n)
{
	size_t i = 0;
	long long int_n = 0, frac_n = 0, lead = 0, exp = 0;
	int neg = 0, nonzero = 0, eneg = 0;

	if (i < n && p[i] == '-') {
		neg = 1;
		i++;
	}
	/* digits before the point; leading zeros counted until the first
	 * non-zero digit of the whole mantissa */
	for (; i < n && isdigit((unsigned char)p[i]); i++, int_n++) {
		if (p[i] != '0')
			nonzero = 1;
		else if (!nonzero)
			lead++;
	}
	if (i < n && p[i] == '.')
		for (i++; i < n && isdigit((unsigned char)p[i]); i++, frac_n++) {
			if (p[i] != '0')
				nonzero = 1;
			else if (!nonzero)
				lead++;
		}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			eneg = p[i++] == '-';
		/* saturates far beyond any bound, so nothing overflows */
		for (; i < n && isdigit((unsigned char)p[i]); i++)
			if (exp < 1000000000LL)
				exp = exp * 10 + (p[i] - '0');
		if (eneg)
			exp = -exp;
	}
	/* places (powers of ten) of the last digit written and of the first
	 * significant one; zero has only the former */
	long long last = exp - frac_n;
	long long first = nonzero ? exp + int_n - 1 - lead : last;
	if (last < -BODY_NUM_MAX_PLACE || first > BODY_NUM_MAX_PLACE ||
	    first - last + 1 > BODY_NUM_MAX_DIGITS)
		return 0;
	/* numeric_out: sign, integer digits (at least "0"), then "." and the
	 * display scale when there are digits after the point */
	size_t len = (size_t)(neg && nonzero);
	len += nonzero && first >= 0 ? (size_t)first + 1 : 1;
	if (last < 0)
		len += 1 + (size_t)-last;
	return len;
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

/* Numbers of one body that PostgreSQL cannot store (see body.h): where the
 * first few start, how many there are, and how much the rest grow. */
struct num_report {
	size_t at[BODY_NUM_REPORT_MAX];
	int over_budget[BODY_NUM_REPORT_MAX];  /* 1: the body's budget ran out */
	size_t count;        /* all of them, also those past the array */
	size_t growth;       /* stored minus sent, over the storable numbers */
	size_t budget;
	int budget_hit;
};

/* One number token at s + i (n bytes, grammar already checked). */
static void note_number(struct num_report *nr, const char *s, size_t i, size_t n)
{
	size_t stored = body_number_stored_len(s + i, n);
	int over = 0;

	if (stored > n) {
		nr->growth += stored - n;
		if (nr->growth > nr->budget && !nr->budget_hit)
			nr->budget_hit = over = 1;
	}
	if (stored && !over)
		return;
	if (nr->count < BODY_NUM_REPORT_MAX) {
		nr->at[nr->count] = i;
		nr->over_budget[nr->count] = over;
	}
	nr->count++;
}

/*
 * Scans the raw text for what json-c would accept silently but change:
 * a \u0000 escape (json-c cuts keys there), a lone UTF-16 surrogate escape
 * (json-c stores U+FFFD), single-quoted strings (accepted even in strict
 * mode), raw control characters in strings and numbers outside JSON's
 * grammar (both taken by json-c's strict mode too), and integers it would
 * clamp. Returns NULL when clean, else the reason. Other syntax errors are
 * left to the parser. Numbers PostgreSQL cannot store are noted in nr.
 */
static const char *scan_raw(const char *s, size_t len, struct num_report *nr)
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
			note_number(nr, s, i, n);
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

/* One open object or array on the way to a value, for loc_at(). */
struct loc_frame {
	int array;
	long long index;        /* array: index of the current element */
	size_t key_at, key_len; /* object: the current key, quotes included */
	int want_key;
};

/* End of the string whose opening quote is at s + i: index of the closing
 * quote (or len). */
static size_t string_end(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i;
}

/*
 * The loc of the value that starts at byte `off` of s (well-formed JSON, as
 * json-c parsed it): ["body", member or index, ...]. Only for a refused
 * number, so the walk and its allocations stay off the common path.
 */
static struct json_object *loc_at(const char *s, size_t len, size_t off)
{
	struct json_object *loc = json_object_new_array();
	struct loc_frame *f = NULL;
	size_t depth = 0, cap = 0;

	json_object_array_add(loc, json_object_new_string("body"));
	for (size_t i = 0; i < off && i < len; i++) {
		char c = s[i];
		struct loc_frame *top = depth ? &f[depth - 1] : NULL;

		if (c == '"') {
			size_t e = string_end(s, len, i);
			if (top && !top->array && top->want_key) {
				top->key_at = i;
				top->key_len = e + 1 - i;
				top->want_key = 0;
			}
			i = e;
		} else if (c == '{' || c == '[') {
			if (depth == cap) {
				cap = cap ? cap * 2 : 16;
				f = xrealloc(f, cap * sizeof *f);
			}
			memset(&f[depth], 0, sizeof f[depth]);
			f[depth].array = c == '[';
			f[depth].want_key = c == '{';
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth)
				depth--;
		} else if (c == ',' && top) {
			if (top->array)
				top->index++;
			else
				top->want_key = 1;
		}
	}
	for (size_t d = 0; d < depth; d++) {
		if (f[d].array) {
			json_object_array_add(loc, json_object_new_int64(f[d].index));
		} else {
			/* the raw key with its quotes is a JSON string: json-c unescapes */
			struct json_tokener *tok = json_tokener_new();
			struct json_object *k = json_tokener_parse_ex(tok, s + f[d].key_at,
			                                              (int)f[d].key_len);
			json_tokener_free(tok);
			json_object_array_add(loc, k ? k : json_object_new_string("?"));
		}
	}
	free(f);
	return loc;
}

/* Appends {"loc", "msg", "type"} to v, as verr_add() does, for a loc of any
 * depth (taken over). */
static void verr_add_loc(struct verrs *v, struct json_object *loc,
                         const char *msg, const char *type)
{
	struct json_object *e = json_object_new_object();

	if (!v->detail)
		v->detail = json_object_new_array();
	json_object_object_add(e, "loc", loc);
	json_object_object_add(e, "msg", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_array_add(v->detail, e);
}

/* One 422 item per refused number noted in nr (at most BODY_NUM_REPORT_MAX). */
static void report_numbers(const struct num_report *nr, const char *s, size_t len,
                           struct verrs *v)
{
	char msg[256];
	size_t shown = nr->count < BODY_NUM_REPORT_MAX ? nr->count : BODY_NUM_REPORT_MAX;

	for (size_t k = 0; k < shown; k++) {
		int n;
		if (nr->over_budget[k])
			n = snprintf(msg, sizeof msg, "number cannot be stored: written out "
			             "in full as stored, the numbers of this body would grow "
			             "it more than %d-fold", BODY_NUM_GROWTH_FACTOR);
		else
			n = snprintf(msg, sizeof msg, "number cannot be stored: at most %d "
			             "significant digits, at places 1e-%d to 1e%d",
			             BODY_NUM_MAX_DIGITS, BODY_NUM_MAX_PLACE, BODY_NUM_MAX_PLACE);
		if (k + 1 == shown && nr->count > shown && n > 0 && (size_t)n < sizeof msg)
			snprintf(msg + n, sizeof msg - (size_t)n, " (and %lu more numbers)",
			         (unsigned long)(nr->count - shown));
		verr_add_loc(v, loc_at(s, len, nr->at[k]), msg,
		             "value_error.number.not_storable");
	}
}

/*
 * json-c's strict parse of body, which must be one JSON value followed
 * only by whitespace. Returns it (NULL for JSON null), or sets *failed
 * after adding the reason to v.
 */
static struct json_object *tokenize(const char *body, size_t len, int max_depth,
                                    struct verrs *v, int *failed)
{
	struct json_tokener *tok = json_tokener_new_ex(max_depth + 1);
	struct json_object *obj = NULL;
	char msg[160];

	*failed = 1;
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
	*failed = 0;
cleanup:
	if (tok)
		json_tokener_free(tok);
	return obj;
}

struct json_object *body_parse_json(const char *body, size_t len, int max_depth,
                                    struct verrs *v)
{
	struct json_object *obj = NULL;
	char msg[160];
	struct num_report nr;
	int failed = 0;

	memset(&nr, 0, sizeof nr);
	nr.budget = len <= (SIZE_MAX - BODY_NUM_GROWTH_SLACK) / BODY_NUM_GROWTH_FACTOR
	            ? len * BODY_NUM_GROWTH_FACTOR + BODY_NUM_GROWTH_SLACK : SIZE_MAX;
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
	const char *why = scan_raw(body, len, &nr);
	if (why) {
		verr_add(v, why, "value_error.jsondecode", "body", NULL, NULL, NULL);
		goto cleanup;
	}
	if (nesting_exceeds(body, len, max_depth)) {
		snprintf(msg, sizeof msg, "JSON nesting is deeper than %d levels", max_depth);
		verr_add(v, msg, "value_error.json.depth", "body", NULL, NULL, NULL);
		goto cleanup;
	}
	obj = tokenize(body, len, max_depth, v, &failed);
	if (failed)
		goto cleanup;
	if (!obj) {
		/* JSON null: no caller can use it, and NULL must come with a reason */
		verr_add(v, "the body must not be null", "type_error.none.not_allowed",
		         "body", NULL, NULL, NULL);
		goto cleanup;
	}
	if (nr.count) {
		json_object_put(obj);
		obj = NULL;
		report_numbers(&nr, body, len, v);
		goto cleanup;
	}
	if (has_nonfinite(obj)) {
		json_object_put(obj);
		obj = NULL;
		verr_add(v, "number out of range", "value_error.number", "body", NULL,
		         NULL, NULL);
	}
cleanup:
	return obj;
}

int body_is_plain_json(const char *ct)
{
	size_t n = 0;

	if (!(ct = media_type(ct, &n)))
		return 0;
	return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}
