/* db_scope.c - see db_scope.h. */
#include "db_scope.h"
#include "db_internal.h"
#include "util.h"

#include <string.h>

void db_scope_head_of(PGresult *r, struct db_scope *out)
{
	memset(out, 0, sizeof *out);
	out->res = r;
	if (PQntuples(r) < 1)
		return;
	out->key_found = 1;
	out->outcome = PQgetvalue(r, 0, DB_ROW_OUTCOME)[0];
	out->role = PQgetvalue(r, 0, DB_ROW_ROLE);
	out->key_valid = PQgetvalue(r, 0, DB_ROW_KEY_VALID)[0] == 't';
	out->ns_id = db_val(r, 0, DB_ROW_NS_ID);
	out->ns_allowed = !PQgetisnull(r, 0, DB_ROW_NS_ALLOWED) &&
	                  PQgetvalue(r, 0, DB_ROW_NS_ALLOWED)[0] == 't';
	out->col_id = db_val(r, 0, DB_ROW_COL_ID);
}

void db_scope_of(PGresult *r, struct db_scope *out)
{
	db_scope_head_of(r, out);
	if (out->key_found)
		db_stored_doc(r, 0, DB_ROW_DOC, &out->doc);
}

void db_scope_params(const unsigned char *key_hash, const char *ns,
                     const char *col, const char *doc, const char **values,
                     int *lengths, int *formats)
{
	int ns_is_id = ns && util_starts_with(ns, "ns_");
	int col_is_id = col && util_starts_with(col, "col_");

	values[0] = (const char *)key_hash;
	values[1] = ns_is_id ? ns : NULL;
	values[2] = ns_is_id ? NULL : ns;
	values[3] = col_is_id ? col : NULL;
	values[4] = col_is_id ? NULL : col;
	values[5] = doc;
	lengths[0] = 32;
	formats[0] = 1;
	for (int i = 1; i < DB_SCOPE_NPARAMS; i++)
		lengths[i] = formats[i] = 0;
}

enum db_status db_resolve_scope(struct db *db, const char *rid,
                                const unsigned char *key_hash, const char *ns,
                                const char *col, const char *doc,
                                struct db_scope *out)
{
	const char *values[DB_SCOPE_NPARAMS];
	int lengths[DB_SCOPE_NPARAMS], formats[DB_SCOPE_NPARAMS];
	PGresult *r;

	memset(out, 0, sizeof *out);
	db_scope_params(key_hash, ns, col, doc, values, lengths, formats);
	/* Prepared, the join itself; unnamed, public.docapi_scope (the same
	 * join in PL/pgSQL, whose plan the server keeps). */
	static const struct db_stmt scope = {
		"docapi3_scope",
		"SELECT '-'::\"char\", k.role,"
		" (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())),"
		" n.ns_id, (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)),"
		" c.col_id, " DB_DOC_COLUMNS
		" FROM public.api_keys k"
		" LEFT JOIN public.namespaces n ON n.org_pk = k.org_pk"
		" AND (n.ns_id = $2 OR n.name = $3)"
		" LEFT JOIN public.collections c ON c.ns_pk = n.id"
		" AND (c.col_id = $4 OR c.name = $5)"
		" LEFT JOIN public.documents d ON d.col_pk = c.id AND d.document_id = $6"
		" WHERE k.key_hash = $1",
		DB_SCOPE_NPARAMS,
		"SELECT * FROM public.docapi_scope($1, $2, $3, $4, $5, $6)",
	};
	enum db_status st = db_call(db, rid, &scope, values, lengths, formats, 1,
	                            PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	db_scope_of(r, out);
	return DB_OK;
}

void db_scope_clear(struct db_scope *s)
{
	PQclear(s->res);
	memset(s, 0, sizeof *s);
}
