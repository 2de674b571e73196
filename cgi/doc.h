/*
 * doc.h - the document in memory: a stored row parsed into json-c values,
 * the read-only fields of contract section 3, and the whole document as
 * one object (what a patch edits and what export writes).
 *
 * Pure: no I/O.
 */
#ifndef DOCAPI_DOC_H
#define DOCAPI_DOC_H

#include <stddef.h>
#include <json-c/json.h>

#include "problems.h"
#include "stored.h"

/* A parsed document. Owns its JSON values; ids are borrowed. */
struct doc {
	const char *document_id;
	const char *collection_id;     /* col_ id, even when addressed by name */
	long long pk, version;
	struct json_object *sys;       /* read-only fields, keyed as in the contract */
	struct json_object *metadata;  /* object */
	struct json_object *blobs;     /* array of blob objects */
	struct json_object *fields;    /* flat user fields, object */
	struct json_object *vector;    /* array or NULL */
	char created_at[33], updated_at[33];
};

/* Read-only fields kept in `sys`, in output order (contract section 3). */
extern const char *const doc_sys_fields[];
#define DOC_N_SYS 12

/* Parses a row into d. Returns 0, or -1 if stored JSON is corrupt. */
int doc_load(struct doc *d, const struct stored_doc *row,
             const char *document_id, const char *collection_id);
/* Releases d's values and zeroes it; a zeroed d is a no-op. */
void doc_free(struct doc *d);

/* The whole document as a json-c object (vector included when stored),
 * sharing values with d: the view a patch is applied to (deep-copy it
 * first) and what export writes. Caller owns the result. */
struct json_object *doc_render(const struct doc *d);

/* A new array of the same blobs, members in contract order (values shared
 * with blobs). Caller owns the result. */
struct json_object *doc_canonical_blobs(struct json_object *blobs);

/* Nesting accepted when reading stored JSON (beyond any max_depth), and
 * the depth tried first (enough for nearly every document). */
#define DOC_STORED_DEPTH 1100
#define DOC_SHALLOW_DEPTH 64

/* Parses stored JSON text; NULL when it is not JSON. Caller owns. */
struct json_object *doc_parse_stored(const char *text);
/* The same, NULL also when the value is not of type want. */
struct json_object *doc_parse_stored_as(const char *text, json_type want);

/*
 * Sorts a whole document (as exported or imported) into the stored columns:
 * read-only fields into `sys`, flat user fields into `fields` (both objects
 * the caller owns; values are shared with doc).
 */
void doc_split_stored(struct json_object *doc, struct json_object *sys,
                      struct json_object *fields);

/* 1 when name is a field of section 3 (reserved, not a flat user field). */
int doc_is_reserved(const char *name);

#endif
