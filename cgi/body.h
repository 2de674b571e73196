/*
 * body.h - the request body as JSON: media type, strict parsing, limits.
 *
 * The checks of contract section 4 that need only the bytes: 415 for a
 * media type we do not take, and 422 for malformed JSON, nesting deeper than
 * the limit, invalid UTF-8, NUL bytes and numbers JSON cannot carry.
 */
#ifndef DOCAPI_BODY_H
#define DOCAPI_BODY_H

#include <json-c/json.h>

#include "problems.h"

enum body_kind {
	BODY_NONE = 0,        /* no usable media type */
	BODY_MERGE_PATCH,     /* application/json, application/merge-patch+json */
	BODY_JSON_PATCH,      /* application/json-patch+json */
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

#endif
