/*
 * doc_json.h - the DocumentResponse (contract section 3) written straight
 * from the stored JSON texts, and the presign rewrite of document_blobs
 * for return_url=true.
 *
 * Pure: no I/O. Presigning is injected as a callback so this file knows
 * nothing of credentials.
 */
#ifndef DOCAPI_DOC_JSON_H
#define DOCAPI_DOC_JSON_H

#include "util.h"

/*
 * Signer: returns a malloc'd presigned URL for an s3:// url, or NULL when
 * it cannot sign that blob. Called only for s3:// URLs.
 */
typedef char *(*doc_sign_fn)(void *ctx, const char *url);

/*
 * The document as JSON texts (all borrowed), written out by doc_json_write()
 * in contract order without parsing: sys and blobs are stored as json
 * (members already in contract order), metadata and fields as jsonb.
 */
struct doc_texts {
	const char *document_id, *collection_id;
	const char *sys;             /* object: the read-only fields, in order */
	const char *metadata;        /* object */
	const char *fields;          /* object: flat user fields */
	const char *vector;          /* array, or NULL to leave it out */
	const char *vector_names;    /* `_vectors`: array of strings, or NULL to leave it out */
	const char *blobs;           /* array */
	const char *presigned_url;   /* NULL: none */
	const char *presigned_urls;  /* array text; NULL means [] */
	const char *created_at, *updated_at;
};

/* Appends the DocumentResponse for t to out. */
void doc_json_write(struct buf *out, const struct doc_texts *t);

/*
 * Presigns a document_blobs array given as its stored JSON text (members in
 * contract order, as GET serves it): writes the blobs with their
 * presigned_url into blobs_out and the presigned_urls array into urls_out
 * (both JSON text, NUL-terminated), and sets *primary to the URL of the
 * first blob with role "source" (malloc'd, caller frees; NULL when that
 * blob has none). Walks the text without parsing it. Returns 0, or -1 when
 * blobs is not an array of objects.
 */
int doc_json_presign_blobs(const char *blobs, doc_sign_fn sign,
                           void *sign_ctx, struct buf *blobs_out,
                           struct buf *urls_out, char **primary);

#endif
