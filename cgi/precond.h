/*
 * precond.h - conditional requests (RFC 9110 section 13): If-Match and
 * If-None-Match against a document version.
 *
 * Pure: no I/O, no allocation, no global state. The handler passes the raw
 * header values and the version of the current representation and gets
 * back what to do. Entity-tags are the ones docapi sends: ETag: "<version>",
 * a positive decimal integer with no leading zeros. docapi never sends a
 * weak tag.
 *
 * Evaluation (RFC 9110 section 13.2.2, steps 1 to 5):
 *
 *  1. If-Match present: false -> 412. True -> step 3.
 *  2. If-Unmodified-Since: ignored. docapi sends no Last-Modified, so a
 *     date condition cannot be evaluated against anything the client got
 *     from us; RFC 9110 lets a server ignore these when it has no
 *     modification date (sections 13.1.3, 13.1.4). Callers do not pass them.
 *  3. If-None-Match present: true (no match) -> proceed. False (a match)
 *     -> 304 for GET and HEAD, 412 for every other method.
 *  4. If-Modified-Since: ignored, as in step 2.
 *  5. (If-Range: not used; docapi has no range requests.)
 *
 * The caller evaluates preconditions only when the request would otherwise
 * succeed (RFC 9110 section 13.2.1): after route, auth, namespace, syntax,
 * collection and document checks, before any check that needs the stored
 * body and before any write (contract section 4's order).
 *
 * The rules, and the decisions where RFC 9110 leaves a choice:
 *
 *  - If-Match "*": true when a current representation exists (version > 0).
 *    With version 0 (no current representation: a PUT that would create)
 *    it is false -> 412.
 *  - If-Match list: true when one tag equals the current ETag under the
 *    STRONG comparison: a weak tag W/"3" never matches, not even version 3.
 *  - If-None-Match "*": false (a match) when a current representation
 *    exists; with version 0 it is true, so "If-None-Match: *" is the
 *    create-only-if-absent condition.
 *  - If-None-Match list: false (a match) when one tag equals the current
 *    ETag under the WEAK comparison: W/"3" and "3" both match version 3.
 *  - If-None-Match on a state-changing method (PATCH, PUT, DELETE, POST)
 *    that matches -> 412, never 304 and never ignored (before this module
 *    PATCH ignored If-None-Match: a bug).
 *  - If-Match on GET/HEAD is evaluated like on any method: a mismatch is
 *    412, not 200 (before this module GET ignored If-Match: a bug).
 *  - With no current representation (version 0) no listed tag can match:
 *    If-Match with a list -> 412, If-None-Match with a list -> proceed.
 *
 *  - Syntax (RFC 9110 sections 8.8.3, 5.6.1): the value is "*" alone, or a
 *    comma-separated list of entity-tags, each [W/]"<etagc*>" (etagc:
 *    0x21, 0x23-0x7E, 0x80-0xFF), with optional spaces and tabs around
 *    elements and empty elements ignored ("3", , "4" is fine). Several
 *    header copies arrive joined with ", ", which is still a list. "W/" is
 *    case-sensitive (as the ABNF's %s"W/").
 *  - A MALFORMED value is never taken as "*" and never as a partial list:
 *    "*junk", "\"3\", *" and "*, *" (a "*" mixed with anything is not
 *    valid), unquoted tags (3), "W/" without a quoted tag, a value with
 *    no element at all ("", " ", ", ,"), an unterminated quote, anything
 *    between a closing quote and the next comma ("\"3\"x"). Such a value
 *    matches nothing, and a malformed condition never lets a write through:
 *      If-Match malformed -> 412, whatever the method. This is RFC 9110
 *        section 13.1.1's own rule: the condition is true for "*" or for a
 *        list with a matching tag, "otherwise, the condition is false"; the
 *        RFC has no "ignore if invalid" clause for If-Match (it has one only
 *        for the date conditions). 412 rather than 400 because it is what
 *        the RFC prescribes, it is what a client that checks for 412 (lost
 *        update) already handles, and it fails closed.
 *      If-None-Match malformed, GET/HEAD -> ignored (proceed: the full 200
 *        answer, which is what a client without a cache would get; the RFC
 *        says "otherwise, the condition is true").
 *      If-None-Match malformed, state-changing method -> 412. Here docapi is
 *        stricter than the RFC's "otherwise true": a client that sends
 *        "If-None-Match: *x" on a PUT meant "only if absent", and going on
 *        would overwrite the document it meant to protect.
 *    precond_valid() tells the handler whether a 412 came from a malformed
 *    value, so its message can say so instead of "does not match".
 *  - RFC 9110 section 13.1.1 allows a 2xx instead of 412 when the change is
 *    already made; docapi does not use that latitude: a failed If-Match is
 *    always 412.
 */
#ifndef DOCAPI_PRECOND_H
#define DOCAPI_PRECOND_H

/* The method class that decides 304 versus 412. */
enum precond_method {
	PRECOND_SAFE = 1,     /* GET, HEAD */
	PRECOND_UNSAFE = 2,   /* PATCH, PUT, DELETE, POST: changes state */
};

/* The outcome; the non-zero values are the HTTP status to answer. */
enum precond_result {
	PRECOND_PROCEED = 0,
	PRECOND_NOT_MODIFIED = 304,   /* only for PRECOND_SAFE */
	PRECOND_FAILED = 412,
};

/*
 * Evaluates If-Match and If-None-Match (raw field values, NULL when the
 * header is absent) for a request of class `method` against the current
 * representation's version (> 0; 0 or less: there is none). A 304 or 412
 * answer carries ETag: "<version>" when version > 0.
 */
enum precond_result precond_evaluate(enum precond_method method,
                                     const char *if_match,
                                     const char *if_none_match,
                                     long long version);

/* 1 when value is a valid If-Match / If-None-Match field value ("*" or a
 * list of entity-tags), 0 when malformed. NULL (absent) counts as valid. */
int precond_valid(const char *value);

#endif
