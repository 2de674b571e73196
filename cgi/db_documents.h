/*
 * db_documents.h - the statements on one document's row.
 */
#ifndef DOCAPI_DB_DOCUMENTS_H
#define DOCAPI_DB_DOCUMENTS_H

#include "db.h"
#include "stored.h"

/* A document row read by primary key; strings borrowed from res. */
struct db_doc {
	struct pg_result *res;    /* owned; db_doc_clear() */
	struct stored_doc row;    /* row.pk 0: no such document */
};
void db_doc_clear(struct db_doc *d);

/*
 * Writes the new writable view if the row still has `version`: metadata,
 * blobs and fields are JSON texts, NULL for a column that keeps its stored
 * value (PostgreSQL then neither parses nor recompresses it). On success
 * *updated is 1 and new_version/updated_at (33 bytes) are filled; *updated
 * is 0 when another writer got there first (the caller re-reads and retries).
 */
enum db_status db_update_doc(struct db *db, const char *rid, long long pk,
                             long long version, const char *metadata,
                             const char *blobs, const char *fields,
                             int *updated, long long *new_version,
                             char *updated_at);

/* Re-reads a document by primary key; lock: FOR UPDATE (inside a
 * transaction from db_begin). out is cleared first. */
enum db_status db_reload_doc(struct db *db, const char *rid, long long pk,
                             int lock, struct db_doc *out);

/* Deletes the document if it still has `version` (0: any version).
 * *deleted is 0 when it was gone or had another version. */
enum db_status db_delete_doc(struct db *db, const char *rid, long long pk,
                             long long version, int *deleted);

#endif
