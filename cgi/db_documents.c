/* db_documents.c - see db_documents.h. */
#include "db_documents.h"
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct db_stmt db_document_stmts[] = {
	{ "update_doc", 5,
	  "UPDATE documents SET metadata = COALESCE($3::jsonb, metadata),"
	  " document_blobs = COALESCE($4::json, document_blobs),"
	  " fields = COALESCE($5::jsonb, fields),"
	  " version = version + 1, updated_at = now()"
	  " WHERE id = $1 AND version = $2"
	  " RETURNING version, " DB_TS("updated_at") },
	{ "reload_doc", 1,
	  "SELECT " DB_DOC_COLUMNS " FROM documents d WHERE d.id = $1" },
	{ "reload_doc_locked", 1,
	  "SELECT " DB_DOC_COLUMNS " FROM documents d WHERE d.id = $1 FOR UPDATE" },
	{ "delete_doc", 2,
	  "DELETE FROM documents WHERE id = $1 AND ($2::bigint IS NULL OR version = $2)"
	  " RETURNING version" },
	{ NULL, 0, NULL },
};

void db_doc_clear(struct db_doc *d)
{
	PQclear(d->res);
	memset(d, 0, sizeof *d);
}

enum db_status db_update_doc(struct db *db, const char *rid, long long pk,
                             long long version, const char *metadata,
                             const char *blobs, const char *fields,
                             int *updated, long long *new_version,
                             char *updated_at)
{
	char spk[24], sver[24];
	const char *values[5] = { spk, sver, metadata, blobs, fields };
	PGresult *r;

	snprintf(spk, sizeof spk, "%lld", pk);
	snprintf(sver, sizeof sver, "%lld", version);
	*updated = 0;
	enum db_status st = db_run(db, rid, "update_doc", 5, values, NULL, NULL, 0,
	                           PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	if (PQntuples(r) == 1) {
		*updated = 1;
		*new_version = atoll(PQgetvalue(r, 0, 0));
		snprintf(updated_at, 33, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return DB_OK;
}

enum db_status db_reload_doc(struct db *db, const char *rid, long long pk,
                             int lock, struct db_doc *out)
{
	char spk[24];
	const char *values[1] = { spk };
	PGresult *r;

	db_doc_clear(out);
	snprintf(spk, sizeof spk, "%lld", pk);
	/* Inside a transaction a statement is never re-run on a new
	 * connection: the transaction died with the old one. */
	enum db_status st = db_run(db, rid, lock ? "reload_doc_locked" : "reload_doc",
	                           1, values, NULL, NULL, !lock, PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	out->res = r;
	if (PQntuples(r) == 1)
		db_stored_doc(r, 0, 0, &out->row);
	return DB_OK;
}

enum db_status db_delete_doc(struct db *db, const char *rid, long long pk,
                             long long version, int *deleted)
{
	char spk[24], sver[24];
	const char *values[2] = { spk, version ? sver : NULL };
	PGresult *r;

	snprintf(spk, sizeof spk, "%lld", pk);
	snprintf(sver, sizeof sver, "%lld", version);
	*deleted = 0;
	enum db_status st = db_run(db, rid, "delete_doc", 2, values, NULL, NULL, 0,
	                           PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	*deleted = PQntuples(r) == 1;
	PQclear(r);
	return DB_OK;
}
