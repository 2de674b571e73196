/*
 * doc_patch.h - a patch (JSON Merge Patch or JSON Patch, contract section 4)
 * applied to a stored document's writable view, and the new column values
 * it yields.
 *
 * Pure: no I/O. The caller writes the columns and retries on a lost race.
 */
#ifndef DOCAPI_DOC_PATCH_H
#define DOCAPI_DOC_PATCH_H

#include <json-c/json.h>

#include "body.h"
#include "doc.h"
#include "problems.h"

/*
 * The checks of a parsed patch body that need no stored document: a merge
 * patch is an object whose metadata is an object and whose document_blobs
 * are valid (normalised in place); a JSON Patch is a valid operation list.
 */
void doc_patch_check_syntax(enum body_kind kind, struct json_object *patch,
                            struct verrs *v);

/* The new value of each writable column; NULL keeps the stored one. */
struct doc_columns {
	struct json_object *metadata, *blobs, *fields;
};
/* Releases the values and zeroes c. */
void doc_columns_clear(struct doc_columns *c);
/* 1 when no column changes. */
int doc_columns_empty(const struct doc_columns *c);

#define DOC_PATCH_MSG 160

enum doc_patch_status {
	DOC_PATCH_OK = 0,     /* cols filled (all NULL: nothing changes) */
	DOC_PATCH_INVALID,    /* problems added to v: 422 */
	DOC_PATCH_CONFLICT,   /* a JSON Patch test failed: 409, msg says why */
	DOC_PATCH_CORRUPT,    /* a stored column is not JSON: 500 */
};

/*
 * Applies a syntax-checked patch to the stored row (kind BODY_REPLACE: the
 * body of a PUT, which replaces the writable view). A merge patch of
 * writable members touches only the columns it names; anything else goes
 * through the whole document, parsed into d (caller frees with doc_free;
 * it may already hold a previous attempt's document). On DOC_PATCH_OK
 * cols holds values the caller owns; they may share values with patch,
 * which must outlive them. On CONFLICT, msg (DOC_PATCH_MSG bytes) says why.
 */
enum doc_patch_status doc_patch_row(const struct stored_doc *row,
                                    const char *document_id,
                                    const char *collection_id,
                                    enum body_kind kind,
                                    struct json_object *patch, int max_depth,
                                    struct doc *d, struct doc_columns *cols,
                                    struct verrs *v, char *msg);

/*
 * After a patch: `patched` is the whole document as the client edited it
 * (doc_render(d) with the patch applied; consumed). Checks that no
 * read-only field changed and the writable view is valid; on success fills
 * cols (caller owns) and returns 0, otherwise adds problems to v and
 * returns -1. The patched document may nest at most max_depth levels.
 */
int doc_patch_take_writable(const struct doc *d, struct json_object *patched,
                            int max_depth, struct verrs *v,
                            struct doc_columns *cols);

/* 1 when a merge patch (an object) names only writable members:
 * metadata, document_blobs, flat user fields and response-only members. */
int doc_patch_writable_only(struct json_object *patch);

/* A new object of the patch's flat user fields (values shared with
 * patch), or NULL when it names none. Caller owns. */
struct json_object *doc_patch_flat_members(struct json_object *patch);

/* doc_patch_merge_columns() results. */
enum doc_merge {
	DOC_MERGED = 0,     /* outputs set; all NULL: nothing changes */
	DOC_INVALID = -1,   /* problems added to v */
	DOC_CORRUPT = -2,   /* a stored column it needed is not JSON */
	DOC_GENERAL = 1     /* names a read-only field: use the general path */
};

/*
 * The short path of a merge patch (already syntax-checked): applies it to
 * the stored columns it names and only those. metadata is parsed and
 * merged only when the patch has "metadata", fields only when it names a
 * flat user field; document_blobs are replaced without reading the stored
 * ones. Response-only members are ignored. A patch naming any read-only
 * field gets DOC_GENERAL: only doc_patch_take_writable() knows whether it
 * restates the stored value (allowed) or changes it (422).
 */
enum doc_merge doc_patch_merge_columns(const struct stored_doc *row,
                                       struct json_object *patch,
                                       int max_depth, struct verrs *v,
                                       struct doc_columns *cols);

#endif
