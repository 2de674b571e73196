/* db_documents.c - see db_documents.h. */
#include "db_documents.h"
#include "db_internal.h"
#include "list_query.h"
#include "util.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void db_doc_clear(struct db_doc *d)
{
	PQclear(d->res);
	memset(d, 0, sizeof *d);
}

enum db_status db_patch_merge(struct db *db, const char *rid,
                              const unsigned char *key_hash, const char *ns,
                              const char *col, const char *doc,
                              const struct db_merge *m, struct db_scope *out)
{
	enum { N = DB_SCOPE_NPARAMS + 7 };
	const char *values[N];
	int lengths[N], formats[N];
	char ver[24], depth[16];
	PGresult *r;

	memset(out, 0, sizeof *out);
	db_scope_params(key_hash, ns, col, doc, values, lengths, formats);
	snprintf(ver, sizeof ver, "%lld", m->if_version);
	values[6] = m->if_version ? ver : NULL;
	values[7] = m->metadata;
	values[8] = m->metadata_deep ? "t" : "f";
	values[9] = m->blobs;
	values[10] = m->fields;
	values[11] = m->fields_deep ? "t" : "f";
	snprintf(depth, sizeof depth, "%d", m->max_depth);
	values[12] = depth;
	for (int i = DB_SCOPE_NPARAMS; i < N; i++)
		lengths[i] = formats[i] = 0;
	static const struct db_stmt patch = {
		"docapi3_patch", "SELECT * FROM public.docapi_patch("
		"$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)", N, NULL,
	};
	enum db_status st = db_call(db, rid, &patch, values, lengths, formats, 0,
	                            PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	db_scope_of(r, out);
	return DB_OK;
}

/* Runs a function returning public.docapi_row rows; out takes the result. */
static enum db_status doc_call(struct db *db, const char *rid,
                               const struct db_stmt *stmt,
                               const char *const *values, int retry,
                               struct db_doc *out)
{
	PGresult *r;

	db_doc_clear(out);
	enum db_status st = db_call(db, rid, stmt, values, NULL, NULL, retry,
	                            PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	out->res = r;
	if (PQntuples(r) == 1)
		db_stored_doc(r, 0, DB_ROW_DOC, &out->row);
	return DB_OK;
}

enum db_status db_update_doc(struct db *db, const char *rid, long long pk,
                             long long version, const char *metadata,
                             const char *blobs, const char *fields,
                             struct db_doc *out)
{
	char spk[24], sver[24];
	const char *values[5] = { spk, sver, metadata, blobs, fields };

	snprintf(spk, sizeof spk, "%lld", pk);
	snprintf(sver, sizeof sver, "%lld", version);
	static const struct db_stmt write = {
		"docapi3_write", "SELECT * FROM public.docapi_write($1, $2, $3, $4, $5)", 5, NULL,
	};
	return doc_call(db, rid, &write, values, 0, out);
}

enum db_status db_reload_doc(struct db *db, const char *rid, long long pk,
                             int lock, struct db_doc *out)
{
	char spk[24];
	const char *values[2] = { spk, lock ? "t" : "f" };

	snprintf(spk, sizeof spk, "%lld", pk);
	/* Inside a transaction a statement is never re-run on a new
	 * connection: the transaction died with the old one. */
	static const struct db_stmt reload = {
		"docapi3_reload", "SELECT * FROM public.docapi_reload($1, $2)", 2, NULL,
	};
	return doc_call(db, rid, &reload, values, !lock, out);
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
	static const struct db_stmt del = {
		"docapi3_delete", "SELECT public.docapi_delete($1, $2)", 2, NULL,
	};
	enum db_status st = db_call(db, rid, &del, values, NULL, NULL, 0,
	                            PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	*deleted = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0);
	PQclear(r);
	return DB_OK;
}

enum db_status db_create_doc(struct db *db, const char *rid,
                             const unsigned char *key_hash, const char *ns,
                             const char *col, const struct db_create *cr,
                             struct db_scope *out, const char **doc_id)
{
	enum { N = DB_SCOPE_NPARAMS + 11 };
	const char *values[N];
	int lengths[N], formats[N];
	char ttl[24];
	PGresult *r;

	memset(out, 0, sizeof *out);
	*doc_id = NULL;
	db_scope_params(key_hash, ns, col, cr->document_id, values, lengths, formats);
	snprintf(ttl, sizeof ttl, "%ld", cr->ttl);
	const char *rest[N - DB_SCOPE_NPARAMS] = {
		cr->body_collection, cr->idempotency_key, (const char *)cr->body_sha256,
		ttl, cr->sys, cr->metadata, cr->blobs, cr->fields, cr->vector,
		cr->vectors, cr->vector_names,
	};
	for (int i = DB_SCOPE_NPARAMS; i < N; i++) {
		values[i] = rest[i - DB_SCOPE_NPARAMS];
		lengths[i] = formats[i] = 0;
	}
	lengths[8] = 32;   /* the body's SHA-256, binary */
	formats[8] = 1;
	static const struct db_stmt create = {
		"docapi3_create", "SELECT * FROM public.docapi_create($1, $2, $3, $4, $5,"
		" $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)", N, NULL,
	};
	enum db_status st = db_call(db, rid, &create, values, lengths, formats, 0,
	                            PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	db_scope_of(r, out);
	if (out->doc.pk)
		*doc_id = db_val(r, 0, DB_ROW_DOC + DB_DOC_NCOLUMNS);
	return DB_OK;
}

void db_found_clear(struct db_found *f)
{
	db_scope_clear(&f->scope);
	memset(f, 0, sizeof *f);
}

/* Columns of public.docapi_found after the scope's. */
enum { DB_FOUND_JSON = DB_ROW_DOC, DB_FOUND_LAST_SEQ, DB_FOUND_HAS_MORE };

/* Reads a public.docapi_found row, which out takes over. */
static void found_of(PGresult *r, struct db_found *out)
{
	db_scope_head_of(r, &out->scope);
	if (out->scope.key_found) {
		out->found = db_val(r, 0, DB_FOUND_JSON);
		out->last_seq = PQgetisnull(r, 0, DB_FOUND_LAST_SEQ) ? 0
		                : atoll(PQgetvalue(r, 0, DB_FOUND_LAST_SEQ));
		out->has_more = !PQgetisnull(r, 0, DB_FOUND_HAS_MORE) &&
		                PQgetvalue(r, 0, DB_FOUND_HAS_MORE)[0] == 't';
	}
}

/* Runs a function returning one public.docapi_found row into out. */
static enum db_status found_call(struct db *db, const char *rid,
                                 const struct db_stmt *stmt, const char *const *values,
                                 const int *lengths, const int *formats, int retry,
                                 struct db_found *out)
{
	PGresult *r;

	memset(out, 0, sizeof *out);
	enum db_status st = db_call(db, rid, stmt, values, lengths, formats, retry,
	                            PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	found_of(r, out);
	return DB_OK;
}

enum db_status db_changes(struct db *db, const char *rid,
                          const unsigned char *key_hash, const char *ns,
                          const char *col, long long since, int limit,
                          struct db_found *out)
{
	enum { N = DB_SCOPE_NPARAMS + 1 };
	const char *values[N];
	int lengths[N], formats[N];
	char ssince[24], slimit[16];

	db_scope_params(key_hash, ns, col, NULL, values, lengths, formats);
	snprintf(ssince, sizeof ssince, "%lld", since);
	snprintf(slimit, sizeof slimit, "%d", limit);
	values[5] = ssince;
	values[6] = slimit;
	lengths[6] = formats[6] = 0;
	static const struct db_stmt changes = {
		"docapi3_changes", "SELECT * FROM public.docapi_changes($1, $2, $3, $4, $5,"
		" $6, $7)", N, NULL,
	};
	/* Reads only: safe to re-run on a new connection. */
	return found_call(db, rid, &changes, values, lengths, formats, 1, out);
}

enum db_status db_find_doc(struct db *db, const char *rid,
                           const unsigned char *key_hash, const char *ns,
                           const char *doc, struct db_found *out)
{
	const char *values[DB_SCOPE_NPARAMS];
	int lengths[DB_SCOPE_NPARAMS], formats[DB_SCOPE_NPARAMS];

	db_scope_params(key_hash, ns, NULL, doc, values, lengths, formats);
	values[3] = doc;
	static const struct db_stmt find = {
		"docapi3_find", "SELECT * FROM public.docapi_find($1, $2, $3, $4)", 4, NULL,
	};
	return found_call(db, rid, &find, values, lengths, formats, 1, out);
}

enum db_status db_lineage(struct db *db, const char *rid,
                          const unsigned char *key_hash, const char *ns,
                          const char *col, const char *doc, struct db_found *out)
{
	const char *values[DB_SCOPE_NPARAMS];
	int lengths[DB_SCOPE_NPARAMS], formats[DB_SCOPE_NPARAMS];

	db_scope_params(key_hash, ns, col, doc, values, lengths, formats);
	static const struct db_stmt lineage = {
		"docapi3_lineage", "SELECT * FROM public.docapi_lineage($1, $2, $3, $4, $5, $6)",
		DB_SCOPE_NPARAMS, NULL,
	};
	return found_call(db, rid, &lineage, values, lengths, formats, 1, out);
}

/* Columns of a listed document after DB_DOC_COLUMNS. */
enum { DB_LISTED_DOC_ID = DB_ROW_DOC + DB_DOC_NCOLUMNS, DB_LISTED_SORT_KEY };

void db_listed_doc(const struct db_listed *l, int i, struct stored_doc *row,
                   const char **doc_id, const char **col_id, const char **sort_key)
{
	const PGresult *r = l->scope.res;

	db_stored_doc(r, i + 1, DB_ROW_DOC, row);
	*doc_id = PQgetvalue(r, i + 1, DB_LISTED_DOC_ID);
	*col_id = PQgetvalue(r, i + 1, DB_ROW_COL_ID);
	*sort_key = PQgetvalue(r, i + 1, DB_LISTED_SORT_KEY);
}

const char *db_listed_vectors(const struct db_listed *l, int i)
{
	return db_val(l->scope.res, i + 1, DB_LISTED_SORT_KEY + 2);  /* after the ordinal */
}

char db_listed_group(const struct db_listed *l, int i, long long *count,
                     const char **key, const char **sort_key)
{
	const PGresult *r = l->scope.res;
	char kind = PQgetvalue(r, i + 1, DB_ROW_OUTCOME)[0];

	if (kind == 'G') {
		*count = atoll(PQgetvalue(r, i + 1, DB_ROW_DOC + 1));
		*key = PQgetvalue(r, i + 1, DB_ROW_DOC + 2);
		*sort_key = PQgetvalue(r, i + 1, DB_LISTED_SORT_KEY);
	}
	return kind;
}

enum db_status db_object_documents(struct db *db, const char *rid,
                                   const unsigned char *key_hash, const char *ns,
                                   const struct db_object_query *q,
                                   struct db_listed *l)
{
	enum { N = 10 };
	const char *values[DB_SCOPE_NPARAMS > N ? DB_SCOPE_NPARAMS : N];
	int lengths[N], formats[N];
	char us[24], limit[16];
	struct buf cols = { 0 };
	PGresult *r;

	memset(l, 0, sizeof *l);
	db_scope_params(key_hash, ns, NULL, NULL, values, lengths, formats);
	if (q->cols)
		util_pg_array(&cols, q->cols, q->ncols);
	snprintf(us, sizeof us, "%lld", q->after_us);
	snprintf(limit, sizeof limit, "%d", q->limit);
	values[3] = q->object_id;
	values[4] = q->cols ? cols.data : NULL;
	values[5] = q->after_col;
	values[6] = q->after_col ? us : NULL;
	values[7] = q->after_doc;
	values[8] = limit;
	values[9] = q->count ? "t" : "f";
	for (int i = 3; i < N; i++)
		lengths[i] = formats[i] = 0;
	static const struct db_stmt objects = {
		"docapi3_objects", "SELECT * FROM public.docapi_object_documents($1, $2, $3,"
		" $4, $5, $6, $7, $8, $9, $10)", N, NULL,
	};
	enum db_status st = db_call(db, rid, &objects, values, lengths, formats, 1,
	                            PGRES_TUPLES_OK, &r);
	buf_free(&cols);
	if (st != DB_OK)
		return st;
	db_scope_head_of(r, &l->scope);
	if (l->scope.key_found && l->scope.outcome == 'O') {
		l->n = PQntuples(r) - 1;
		l->by_collection = db_val(r, 0, DB_ROW_DOC + 2);  /* sys */
		if (!PQgetisnull(r, 0, DB_ROW_DOC + 1))           /* version */
			l->total = atoll(PQgetvalue(r, 0, DB_ROW_DOC + 1));
	}
	return DB_OK;
}

enum db_status db_object_tree(struct db *db, const char *rid,
                              const unsigned char *key_hash, const char *ns,
                              const char *object_id, int with_ids,
                              struct db_found *out)
{
	const char *values[DB_SCOPE_NPARAMS];
	int lengths[DB_SCOPE_NPARAMS], formats[DB_SCOPE_NPARAMS];

	db_scope_params(key_hash, ns, NULL, NULL, values, lengths, formats);
	values[3] = object_id;
	values[4] = with_ids ? "t" : "f";
	static const struct db_stmt tree = {
		"docapi3_tree", "SELECT * FROM public.docapi_object_tree($1, $2, $3, $4, $5)",
		5, NULL,
	};
	return found_call(db, rid, &tree, values, lengths, formats, 1, out);
}

/* Runs a statement list_query.c built: the scope's parameters, then q's. */
static enum db_status run_list(struct db *db, const char *rid,
                               const unsigned char *key_hash, const char *ns,
                               const char *col, const struct filter_sql *q, PGresult **r)
{
	int n = LIST_FIRST_PARAM - 1 + q->nparams;
	const char **values = xcalloc((size_t)n + 1, sizeof *values);
	int *lengths = xcalloc((size_t)n + 1, sizeof *lengths);
	int *formats = xcalloc((size_t)n + 1, sizeof *formats);

	db_scope_params(key_hash, ns, col, NULL, values, lengths, formats);
	for (int i = 0; i < q->nparams; i++) {
		values[LIST_FIRST_PARAM - 1 + i] = q->params[i];
		lengths[LIST_FIRST_PARAM - 1 + i] = formats[LIST_FIRST_PARAM - 1 + i] = 0;
	}
	/* Text built by list_query.c for this request: sent unnamed. A read:
	 * safe to re-run on a new connection. */
	enum db_status st = db_run(db, rid, q->sql.data, n, values, lengths, formats, 1,
	                           PGRES_TUPLES_OK, r);
	free(values);
	free(lengths);
	free(formats);
	return st;
}

enum db_status db_list(struct db *db, const char *rid, const unsigned char *key_hash,
                       const char *ns, const char *col, const struct filter_sql *q,
                       struct db_listed *l)
{
	PGresult *r;

	memset(l, 0, sizeof *l);
	enum db_status st = run_list(db, rid, key_hash, ns, col, q, &r);
	if (st != DB_OK)
		return st;
	db_scope_head_of(r, &l->scope);
	if (l->scope.key_found) {
		l->n = PQntuples(r) - 1;
		l->by_collection = db_val(r, 0, DB_ROW_DOC + 2);  /* the stats */
		if (!PQgetisnull(r, 0, DB_ROW_DOC + 1))
			l->total = atoll(PQgetvalue(r, 0, DB_ROW_DOC + 1));
	}
	return DB_OK;
}

enum db_status db_list_estimate(struct db *db, const char *rid,
                                const unsigned char *key_hash, const char *ns,
                                const char *col, const struct filter_sql *q,
                                long long *rows)
{
	PGresult *r;
	enum db_status st = run_list(db, rid, key_hash, ns, col, q, &r);

	*rows = 0;
	if (st != DB_OK)
		return st;
	/* [{"Plan": {"Node Type": ..., "Plan Rows": N, ...}}] */
	struct json_object *plan = PQntuples(r) == 1 ? json_tokener_parse(PQgetvalue(r, 0, 0)) : NULL;
	struct json_object *top, *rows_j;
	if (json_object_is_type(plan, json_type_array) && json_object_array_length(plan) &&
	    json_object_object_get_ex(json_object_array_get_idx(plan, 0), "Plan", &top) &&
	    json_object_object_get_ex(top, "Plan Rows", &rows_j))
		*rows = json_object_get_int64(rows_j);
	else
		st = DB_ERROR;
	json_object_put(plan);
	PQclear(r);
	return st;
}

enum db_status db_run_found(struct db *db, const char *rid, const unsigned char *key_hash,
                            const char *ns, const char *col, const struct filter_sql *q,
                            struct db_found *out)
{
	PGresult *r;

	memset(out, 0, sizeof *out);
	enum db_status st = run_list(db, rid, key_hash, ns, col, q, &r);
	if (st != DB_OK)
		return st;
	found_of(r, out);
	return DB_OK;
}

enum db_status db_delete_scoped(struct db *db, const char *rid,
                                const unsigned char *key_hash, const char *ns,
                                const char *col, const char *doc, long long if_version,
                                struct db_scope *out)
{
	enum { N = DB_SCOPE_NPARAMS + 1 };
	const char *values[N];
	int lengths[N], formats[N];
	char ver[24];
	PGresult *r;

	memset(out, 0, sizeof *out);
	db_scope_params(key_hash, ns, col, doc, values, lengths, formats);
	snprintf(ver, sizeof ver, "%lld", if_version);
	values[6] = if_version ? ver : NULL;
	lengths[6] = formats[6] = 0;
	static const struct db_stmt del = {
		"docapi3_delete_doc", "SELECT * FROM public.docapi_delete_doc($1, $2, $3, $4, $5,"
		" $6, $7)", N, NULL,
	};
	enum db_status st = db_call(db, rid, &del, values, lengths, formats, 0,
	                            PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	db_scope_of(r, out);
	return DB_OK;
}
