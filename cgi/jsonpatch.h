/*
 * jsonpatch.h - RFC 7396 JSON Merge Patch and RFC 6902 JSON Patch on json-c
 * values.
 *
 * Pure: no I/O, no globals, safe to call from any number of requests. JSON
 * null is the NULL pointer, as everywhere in json-c. Out of memory aborts.
 */
#ifndef DOCAPI_JSONPATCH_H
#define DOCAPI_JSONPATCH_H

#include <json-c/json.h>

enum jp_status {
	JP_OK = 0,
	JP_EINVALID, /* malformed patch document (shape, op, pointer syntax) */
	JP_EPATH,    /* a pointer does not resolve, or the op cannot apply there */
	JP_ETEST,    /* a "test" op failed (including a test of a missing path) */
	JP_ELIMIT    /* "copy" ops would copy more than JP_MAX_COPIED values */
};

/* Values (nodes) all "copy" ops of one patch may copy together: each copy
 * can double a document, so an unbounded patch of a few bytes could take
 * all memory. */
#define JP_MAX_COPIED 10000

/*
 * Why jp_apply() failed. msg is human readable, NUL-terminated, and quotes
 * at most ~60 bytes of user-supplied text (clipped on a UTF-8 boundary,
 * control bytes shown as '?'), so it may be shown to a client.
 */
struct jp_error {
	int index;     /* index of the failing op, -1 for the whole document */
	char msg[160];
};

/*
 * Applies the merge patch `patch` to `target` (RFC 7396) and returns the
 * result.
 *
 * Ownership: takes over the caller's reference to `target` (NULL = JSON
 * null); `patch` is borrowed and never modified, and must not be `target`
 * or a part of it. The caller owns the returned document (free it with
 * json_object_put(); NULL means JSON null). The result may be `target`
 * mutated in place or a fresh object; it never shares a value with `patch`.
 */
struct json_object *jp_merge(struct json_object *target,
                             struct json_object *patch);

/*
 * 1 when jp_merge(target, patch) would leave target as it is (equal by
 * jp_equal() rules), 0 when it changes something. Computed without copying
 * or modifying anything; both are borrowed.
 */
int jp_merge_is_noop(struct json_object *target, struct json_object *patch);

/*
 * Checks that ops is a well-formed JSON Patch (an array of operations with
 * valid "op", "path", "from" and "value" members) without applying it.
 * ops is borrowed; err (may be NULL) is filled on failure. JP_OK or
 * JP_EINVALID.
 */
enum jp_status jp_validate(struct json_object *ops, struct jp_error *err);

/*
 * Applies the JSON Patch `ops` (RFC 6902 array of operations) to *doc.
 *
 * All-or-nothing: the whole patch is validated first (JP_EINVALID), then
 * applied to a deep copy; only on JP_OK is the old *doc released and *doc
 * replaced by the new document. On any failure *doc is untouched (same
 * pointer, same content). *doc may be NULL (JSON null) before and after.
 *
 * Ownership: *doc stays owned by the caller (it may be swapped as said
 * above); `ops` is borrowed and never modified; inserted values are deep
 * copies. `err` may be NULL; when given it is always filled (index -1 and an
 * empty msg on success).
 *
 * Notes: removing the root ("remove" with path "") is JP_EPATH; a "test"
 * whose path does not resolve is JP_ETEST (the test failed). json-c keeps
 * the last of duplicate member names, so `{"op":"add",...,"op":"remove"}`
 * is a remove; strict duplicate rejection belongs to the parser.
 */
enum jp_status jp_apply(struct json_object **doc, struct json_object *ops,
                        struct jp_error *err);

/*
 * Returns 1 when a and b are equal JSON values by RFC 6902 "test" rules:
 * numbers compare by exact decimal value, as PostgreSQL's numeric does
 * (1 == 1.0 == 1e0 == 10e-1, -0 == 0, 0.1 != 0.10000000000000000001; the
 * original text of a parsed double is compared, not the rounded double),
 * strings byte-wise, arrays element-wise in order, objects by
 * member set regardless of order; 0 otherwise. Both are borrowed; NULL is
 * JSON null.
 */
int jp_equal(struct json_object *a, struct json_object *b);

#endif
