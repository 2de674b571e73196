/* db_scope.c - see db_scope.h. */
#include "db_scope.h"
#include "db_internal.h"
#include "util.h"

#include <string.h>

const struct db_stmt db_scope_stmts[] = {
	{ "scope", 6,
	  "SELECT k.role,"
	  " (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())),"
	  " n.ns_id,"
	  " (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)),"
	  " c.col_id, " DB_DOC_COLUMNS
	  " FROM api_keys k"
	  " LEFT JOIN namespaces n ON n.org_pk = k.org_pk AND (n.ns_id = $2 OR n.name = $3)"
	  " LEFT JOIN collections c ON c.ns_pk = n.id AND (c.col_id = $4 OR c.name = $5)"
	  " LEFT JOIN documents d ON d.col_pk = c.id AND d.document_id = $6"
	  " WHERE k.key_hash = $1" },
	{ NULL, 0, NULL },
};
#define SCOPE_DOC_COL 5

enum db_status db_resolve_scope(struct db *db, const char *rid,
                                const unsigned char *key_hash, const char *ns,
                                const char *col, const char *doc,
                                struct db_scope *out)
{
	int ns_is_id = ns && util_starts_with(ns, "ns_");
	int col_is_id = col && util_starts_with(col, "col_");
	const char *values[6] = {
		(const char *)key_hash,
		ns_is_id ? ns : NULL, ns_is_id ? NULL : ns,
		col_is_id ? col : NULL, col_is_id ? NULL : col,
		doc,
	};
	const int lengths[6] = { 32, 0, 0, 0, 0, 0 };
	const int formats[6] = { 1, 0, 0, 0, 0, 0 };
	PGresult *r;

	memset(out, 0, sizeof *out);
	enum db_status st = db_run(db, rid, "scope", 6, values, lengths, formats,
	                           1, PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	out->res = r;
	if (PQntuples(r) < 1)
		return DB_OK;
	out->key_found = 1;
	out->role = PQgetvalue(r, 0, 0);
	out->key_valid = PQgetvalue(r, 0, 1)[0] == 't';
	out->ns_id = db_val(r, 0, 2);
	out->ns_allowed = !PQgetisnull(r, 0, 3) && PQgetvalue(r, 0, 3)[0] == 't';
	out->col_id = db_val(r, 0, 4);
	db_stored_doc(r, 0, SCOPE_DOC_COL, &out->doc);
	return DB_OK;
}

void db_scope_clear(struct db_scope *s)
{
	PQclear(s->res);
	memset(s, 0, sizeof *s);
}
