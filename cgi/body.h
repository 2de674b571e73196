/*
 * body.h - the request body as JSON: media type, strict parsing, limits.
 *
 * The checks of contract section 4 that need only the bytes: 415 for a
 * media type we do not take, and 422 for malformed JSON, nesting deeper than
 * the limit, invalid UTF-8, NUL bytes and numbers JSON cannot carry.
 *
 * Numbers PostgreSQL cannot store, or would store far larger than sent.
 * jsonb keeps numbers as numeric, which keeps every digit and writes the
 * value out in full without an exponent: 1e-16000 is stored and returned
 * as a 16,002-character decimal, 1e-20000 or 0e-20000 overflow numeric
 * (a 500 after the fact). A number is accepted only when
 *   - it has at most BODY_NUM_MAX_DIGITS significant digits (from the first
 *     non-zero digit to the last digit written, trailing zeros included,
 *     since numeric keeps them: 1.500 stays 1.500), and
 *   - every digit written from the first significant one (or, for zero, the
 *     last one) lies at a place from 10^-BODY_NUM_MAX_PLACE to
 *     10^BODY_NUM_MAX_PLACE: 1e-1000, 0.5e-999 and 0e-1000 pass, 1e-1001,
 *     1e1001 and 0.000...0 with 1001 zeros do not.
 * Real data never comes near: a float64 needs 17 digits and places
 * 10^-340..10^308 (its smallest subnormal written with 17 digits), an
 * int64/uint64 20 digits, decimal128 34 digits. So one stored number is at
 * most BODY_NUM_STORED_MAX characters. And so that many small numbers
 * cannot multiply a body either (4,000 x 1e-999 is 32 KB sent, 4 MB
 * stored), the numbers of one body together may grow by at most
 * BODY_NUM_GROWTH_FACTOR times the body's size plus BODY_NUM_GROWTH_SLACK
 * bytes when written out as PostgreSQL stores them (1e-30, 5 characters
 * stored as 32, grows 6x; 1e-300 60x). Past either bound: 422
 * value_error.number.not_storable at the number's loc (["body", "metadata",
 * "x"], ["body", 0, "value"] for a JSON Patch op's value), up to
 * BODY_NUM_REPORT_MAX numbers per body.
 */
#ifndef DOCAPI_BODY_H
#define DOCAPI_BODY_H

#include <json-c/json.h>

#include "problems.h"

#include <stddef.h>

#define BODY_NUM_MAX_DIGITS 100
#define BODY_NUM_MAX_PLACE 1000
/* sign, "0", ".", 1000 fraction digits (or sign and 1001 integer digits) */
#define BODY_NUM_STORED_MAX (BODY_NUM_MAX_PLACE + 3)
#define BODY_NUM_GROWTH_FACTOR 8
#define BODY_NUM_GROWTH_SLACK 65536
#define BODY_NUM_REPORT_MAX 8

enum body_kind {
	BODY_NONE = 0,        /* no usable media type */
	BODY_MERGE_PATCH,     /* application/json, application/merge-patch+json */
	BODY_JSON_PATCH,      /* application/json-patch+json */
	BODY_REPLACE,         /* not a media type: a PUT's body, the new writable view */
};

/* Maps a Content-Type value (parameters ignored) to a kind; BODY_NONE for
 * anything else or NULL. */
enum body_kind body_kind_of(const char *content_type);

/* 1 when the Content-Type is application/json (parameters ignored). */
int body_is_plain_json(const char *content_type);

/*
 * Parses body (len bytes) as one strict JSON value with at most max_depth
 * levels of nesting. Returns the value (caller owns) or NULL after adding
 * the reasons to v at loc ["body"].
 */
struct json_object *body_parse_json(const char *body, size_t len, int max_depth,
                                    struct verrs *v);

/*
 * For p..p+n, a number token that matches JSON's grammar: the length of the
 * text PostgreSQL's numeric writes for it (1e-3 -> "0.001", 5; 1.50 ->
 * "1.50", 4; -0 -> "0", 1), or 0 when it is outside the bounds above.
 * Reads the n bytes once; no allocation.
 */
size_t body_number_stored_len(const char *p, size_t n);

#endif
