/*
 * jsontext.h - walking JSON text without building values.
 *
 * For text that is already known to be valid JSON (PostgreSQL's output of
 * a json or jsonb column): the hot paths read members and elements as
 * slices of that text instead of parsing it into json-c values. Nothing is
 * allocated and nothing is copied; every slice points into the caller's
 * text. On text that is not valid JSON the functions stop with -1 rather
 * than read past `end`, but they do not promise to detect every error.
 */
#ifndef DOCAPI_JSONTEXT_H
#define DOCAPI_JSONTEXT_H

#include <stddef.h>

/* A slice of JSON text: [p, p + len). */
struct jt_slice {
	const char *p;
	size_t len;
};

/* An iterator over an object's members or an array's elements. */
struct jt_iter {
	const char *p, *end;
	int first;
};

/*
 * Starts iterating the object (open = '{') or array ('[') that text holds
 * (leading/trailing whitespace allowed). Returns 0, or -1 when text does
 * not start with `open`.
 */
int jt_begin(struct jt_iter *it, const char *text, size_t len, char open);

/*
 * The next member of an object: *key is the raw key text between the
 * quotes (still escaped), *value the value's text. Returns 1 for a member,
 * 0 at the end, -1 on malformed text.
 */
int jt_next_member(struct jt_iter *it, struct jt_slice *key, struct jt_slice *value);

/* The next element of an array, as for jt_next_member. */
int jt_next_element(struct jt_iter *it, struct jt_slice *value);

/* 1 when the raw (escaped) slice has no escape, so it is the string itself. */
int jt_plain(struct jt_slice s);

/* 1 when value is a JSON string whose raw text equals the plain string s. */
int jt_string_is(struct jt_slice value, const char *s);

#endif
