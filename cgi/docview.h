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

enum {
	DV_VECTOR = 1 << 0,    /* include `vector` when stored */
	DV_RESPONSE = 1 << 1,  /* add presigned_urls (always) */
	DV_PRESIGN = 1 << 2,   /* and sign blob URLs with sign() */
};

/* Builds the document as clients see it, keys in contract order. Caller
 * owns the result. sign/ctx are used only with DV_PRESIGN. */
struct json_object *docview_render(const struct doc *d, int flags,
                                   docview_sign_fn sign, void *sign_ctx);

/*
 * Checks the document_blobs value at loc ["body", field, ...]: an array of
 * valid blobs. Normalises in place: drops response-only presigned_url and
 * fills defaults (role "source", type "other"). Adds problems to v.
 */
void docview_check_blobs(struct json_object *blobs, struct verrs *v);

/*
 * After a patch: `patched` is the whole document as the client edited it
 * (render(d, DV_VECTOR) with the patch applied; consumed). Checks that no
 * read-only field changed and the writable view is valid; on success fills
 * the new metadata/blobs/fields (caller owns) and returns 0, otherwise adds
 * problems to v and returns -1.
 */
int docview_take_writable(const struct doc *d, struct json_object *patched,
                          struct verrs *v, struct json_object **metadata,
                          struct json_object **blobs,
                          struct json_object **fields);

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
