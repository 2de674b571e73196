/*
 * db_documents.h - the statements on one document's row, as calls of the
 * functions in sql/002_request_functions.sql.
 */
#ifndef DOCAPI_DB_DOCUMENTS_H
#define DOCAPI_DB_DOCUMENTS_H

#include "db.h"
#include "db_scope.h"
#include "stored.h"

/* A document row; strings borrowed from res. */
struct db_doc {
	struct pg_result *res;    /* owned; db_doc_clear() */
	struct stored_doc row;    /* row.pk 0: no such document */
};
void db_doc_clear(struct db_doc *d);

/* A merge patch that names only writable members, split by column. */
struct db_merge {
	long long if_version;     /* If-Match's version; 0: none */
	const char *metadata;     /* merge patch of metadata (JSON text), or NULL */
	int metadata_deep;        /* it nests objects or holds null */
	const char *blobs;        /* the new document_blobs (JSON text), or NULL */
	const char *fields;       /* merge patch of the flat fields, or NULL */
	int fields_deep;
	int max_depth;            /* the request body's nesting limit */
};

/*
 * The whole PATCH in one statement: authenticates key_hash (write role),
 * resolves ns/col/doc as db_resolve_scope() does, and applies m inside the
 * UPDATE, writing only when something changes. out (cleared first) gets
 * the scope and, on outcome 'W' (written) or 'U' (nothing to change), the
 * document as stored; on 'M' / 'F' nothing was written because metadata /
 * a flat field would nest deeper than max_depth allows; on '-' nothing was
 * written and the scope says why.
 */
enum db_status db_patch_merge(struct db *db, const char *rid,
                              const unsigned char *key_hash, const char *ns,
                              const char *col, const char *doc,
                              const struct db_merge *m, struct db_scope *out);

/*
 * Writes the new writable view if the row still has `version`: metadata,
 * blobs and fields are JSON texts, NULL for a column that keeps its stored
 * value. On success out->row is the document as stored now; out->row.pk is
 * 0 when another writer got there first (the caller re-reads and retries).
 */
enum db_status db_update_doc(struct db *db, const char *rid, long long pk,
                             long long version, const char *metadata,
                             const char *blobs, const char *fields,
                             struct db_doc *out);

/* Re-reads a document by primary key; lock: FOR UPDATE (inside a
 * transaction from db_begin). out is cleared first. */
enum db_status db_reload_doc(struct db *db, const char *rid, long long pk,
                             int lock, struct db_doc *out);

/* Deletes the document if it still has `version` (0: any version).
 * *deleted is 0 when it was gone or had another version. */
enum db_status db_delete_doc(struct db *db, const char *rid, long long pk,
                             long long version, int *deleted);

#endif
