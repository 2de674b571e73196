/*
 * docview.h - a stored document row <-> the contract's DocumentResponse
 * (section 3), and the writable view that PATCH edits (section 4).
 *
 * Pure: no I/O. Presigning is injected as a callback so this file knows
 * nothing of credentials.
 */
#ifndef DOCAPI_DOCVIEW_H
#define DOCAPI_DOCVIEW_H

#include <json-c/json.h>

#include "db.h"
#include "http.h"

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

/* Parses a row into d. Returns 0, or -1 if stored JSON is corrupt. */
int docview_load(struct doc *d, const struct db_doc_row *row,
                 const char *document_id, const char *collection_id);
void docview_free(struct doc *d);

/*
 * Presigner: returns a malloc'd presigned URL for an s3:// url, or NULL when
 * it cannot sign that blob. Called only for s3:// URLs.
 */
typedef char *(*docview_sign_fn)(void *ctx, const char *url);

/*
 * The document as JSON texts (all borrowed), written out by docview_write()
 * in contract order without parsing: sys and blobs are stored as json
 * (members already in contract order), metadata and fields as jsonb.
 */
struct doc_texts {
	const char *document_id, *collection_id;
	const char *sys;             /* object: the read-only fields, in order */
	const char *metadata;        /* object */
	const char *fields;          /* object: flat user fields */
	const char *vector;          /* array, or NULL to leave it out */
	const char *blobs;           /* array */
	const char *presigned_url;   /* NULL: none */
	const char *presigned_urls;  /* array text; NULL means [] */
	const char *created_at, *updated_at;
};

/* Appends the DocumentResponse for t to out. */
void docview_write(struct buf *out, const struct doc_texts *t);

/*
 * Presigns a document_blobs array given as its stored JSON text (members in
 * contract order, as GET serves it): writes the blobs with their
 * presigned_url into blobs_out and the presigned_urls array into urls_out
 * (both JSON text, NUL-terminated), and sets *primary to the URL of the
 * first blob with role "source" (malloc'd, caller frees; NULL when that
 * blob has none). Walks the text without parsing it. Returns 0, or -1 when
 * blobs is not an array of objects.
 */
int docview_presign_blobs(const char *blobs, docview_sign_fn sign,
                          void *sign_ctx, struct buf *blobs_out,
                          struct buf *urls_out, char **primary);

/* The whole document as a json-c object (vector included when stored),
 * sharing values with d: the view a patch is applied to (deep-copy it
 * first) and what export writes. Caller owns the result. */
struct json_object *docview_render(const struct doc *d);

/* A new array of the same blobs, members in contract order (values shared
 * with blobs). Caller owns the result. */
struct json_object *docview_canonical_blobs(struct json_object *blobs);

/*
 * Checks the document_blobs value at loc ["body", field, ...]: an array of
 * valid blobs. Normalises in place: drops response-only presigned_url and
 * fills defaults (role "source", type "other"). Adds problems to v.
 */
void docview_check_blobs(struct json_object *blobs, struct verrs *v);

/*
 * After a patch: `patched` is the whole document as the client edited it
 * (docview_render(d) with the patch applied; consumed). Checks that no
 * read-only field changed and the writable view is valid; on success fills
 * the new metadata/blobs/fields (caller owns) and returns 0, otherwise adds
 * problems to v and returns -1. The patched document may nest at most
 * max_depth levels, like a request body.
 */
int docview_take_writable(const struct doc *d, struct json_object *patched,
                          int max_depth, struct verrs *v,
                          struct json_object **metadata,
                          struct json_object **blobs,
                          struct json_object **fields);

/* docview_merge_columns() results. */
enum docview_merge {
	DOCVIEW_MERGED = 0,     /* outputs set; all NULL: nothing changes */
	DOCVIEW_INVALID = -1,   /* problems added to v */
	DOCVIEW_CORRUPT = -2,   /* a stored column it needed is not JSON */
	DOCVIEW_GENERAL = 1     /* names a read-only field: use the general path */
};

/*
 * The short path of a merge patch (already checked by the caller as an
 * object whose metadata is an object and whose document_blobs are valid and
 * normalised): applies it to the stored columns it names and only those.
 * metadata is parsed and merged only when the patch has "metadata",
 * fields only when it names a flat user field; document_blobs are replaced
 * without reading the stored ones. Response-only members are ignored.
 *
 * On DOCVIEW_MERGED each output is the new value of its column, or NULL
 * when the patch leaves that column as it is (caller owns; values may be
 * shared with patch, which must outlive them). A patch naming any
 * read-only field gets DOCVIEW_GENERAL: only docview_take_writable() knows
 * whether it restates the stored value (allowed) or changes it (422).
 */
enum docview_merge docview_merge_columns(const struct db_doc_row *row,
                                         struct json_object *patch,
                                         int max_depth, struct verrs *v,
                                         struct json_object **metadata,
                                         struct json_object **blobs,
                                         struct json_object **fields);

/* Nesting accepted when reading stored JSON (beyond any max_depth), and
 * the depth tried first (enough for nearly every document). */
#define DOCVIEW_STORED_DEPTH 1100
#define DOCVIEW_SHALLOW_DEPTH 64

/* Parses stored JSON text; NULL when it is not JSON. Caller owns. */
struct json_object *docview_parse_stored(const char *text);

/*
 * Sorts a whole document (as exported or imported) into the stored columns:
 * read-only fields into `sys`, flat user fields into `fields` (both objects
 * the caller owns; values are shared with doc).
 */
void docview_split_stored(struct json_object *doc, struct json_object *sys,
                          struct json_object *fields);

/* 1 when name is a field of section 3 (reserved, not a flat user field). */
int docview_is_reserved(const char *name);

#endif
