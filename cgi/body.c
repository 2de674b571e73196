/* body.c - see body.h. */
#include "body.h"

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

/*
 * Scans the raw text for what json-c would accept silently: a \u0000 escape
 * (json-c cuts keys there) and single-quoted strings (accepted even in strict
 * mode). Returns NULL when clean, else the reason.
 */
static const char *scan_raw(const char *s, size_t len)
{
	int in_string = 0;
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '"') {
				in_string = 0;
			} else if (s[i] == '\\' && i + 1 < len) {
				if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
					return "strings must not contain NUL (\\u0000)";
				i++; /* skip the escaped character */
			}
		} else if (s[i] == '"') {
			in_string = 1;
		} else if (s[i] == '\'') {
			return "strings must use double quotes";
		}
	}
	return NULL;
}

/* Numbers that overflow a double parse as inf, which JSON cannot carry. */
static int has_nonfinite(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_double:
		return !isfinite(json_object_get_double(o));
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
	if (memchr(body, '\0', len) || !http_utf8_valid(body, len)) {
		verr_add(v, "body is not valid UTF-8 text (or contains a NUL byte)",
		         "value_error.unicode", "body", NULL, NULL, NULL);
		goto cleanup;
	}
	const char *why = scan_raw(body, len);
	if (why) {
		verr_add(v, why, "value_error.jsondecode", "body", NULL, NULL, NULL);
		goto cleanup;
	}
	tok = json_tokener_new_ex(max_depth);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* Include the terminating NUL (the buffer has one) so that a bare
	 * number at the very end is complete. */
	obj = json_tokener_parse_ex(tok, body, (int)len + 1);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (!obj || jerr != json_tokener_success) {
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
		if (!isspace((unsigned char)body[i])) {
			json_object_put(obj);
			obj = NULL;
			snprintf(msg, sizeof msg, "unexpected data after the JSON value at byte %lu",
			         (unsigned long)i);
			verr_add(v, msg, "value_error.jsondecode", "body", NULL, NULL, NULL);
			goto cleanup;
		}
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
