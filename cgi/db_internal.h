/*
 * db_internal.h - what the db_*.c files share and nothing else includes:
 * the statement table type, the runner, and the SQL of a document's
 * columns (docapi-admin's export reads the same list).
 */
#ifndef DOCAPI_DB_INTERNAL_H
#define DOCAPI_DB_INTERNAL_H

#include <libpq-fe.h>

#include "db.h"
#include "stored.h"

#define DB_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* A document row as struct stored_doc reads it (db_stored_doc), for
 * docapi-admin's export. */
#define DB_DOC_COLUMNS_WITH(vector_names) "d.id, d.version, d.sys, d.metadata, " \
	"d.document_blobs, d.fields, d.vector, " vector_names ", " DB_TS("d.created_at") ", " \
	DB_TS("d.updated_at")
#define DB_DOC_COLUMNS DB_DOC_COLUMNS_WITH("d.vector_names")
#define DB_DOC_NCOLUMNS 10

/* The columns of public.docapi_row (sql/functions.sql), which
 * every request-path function returns. */
enum {
	DB_ROW_OUTCOME, DB_ROW_ROLE, DB_ROW_KEY_VALID, DB_ROW_NS_ID,
	DB_ROW_NS_ALLOWED, DB_ROW_COL_ID, DB_ROW_DOC, /* DB_DOC_COLUMNS from here */
};

/*
 * Runs sql, parameterized and unnamed (transaction control, /healthz's
 * probe, one-off queries). retry: a read that may be re-run once on a new
 * connection when the old one turns out to be dead (never for writes: a
 * write whose outcome is unknown must not be repeated). On DB_OK *out
 * holds the result (caller PQclear()s it).
 */
enum db_status db_run(struct db *db, const char *rid, const char *sql,
                      int n, const char *const *values, const int *lengths,
                      const int *formats, int retry, ExecStatusType want,
                      PGresult **out);

/* A request-path statement: sql prepared on each connection under `name`
 * (unique, and changed whenever sql changes, since another docapi version
 * may share a pooler), or behind a pooler unnamed_sql (NULL: sql) sent
 * unnamed: a call of a function whose plans the server caches, where sql
 * may be the statement itself (cheaper prepared, dear to plan each time).
 * Both return the same columns. Static storage. */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
	const char *unnamed_sql;
};

/* Runs st as db_run() runs sql (same retry and result rules). */
enum db_status db_call(struct db *db, const char *rid, const struct db_stmt *st,
                       const char *const *values, const int *lengths,
                       const int *formats, int retry, ExecStatusType want,
                       PGresult **out);

struct db_scope;

/* The six parameters that name a request's scope ($1..$6 of
 * public.docapi_scope and public.docapi_patch): the key hash (binary),
 * namespace id or name, collection id or name, document id. values,
 * lengths and formats have DB_SCOPE_NPARAMS entries (or more). */
#define DB_SCOPE_NPARAMS 6
void db_scope_params(const unsigned char *key_hash, const char *ns,
                     const char *col, const char *doc, const char **values,
                     int *lengths, int *formats);

/* Fills out from a result of public.docapi_row rows, which out takes
 * over (no row: no such key). db_scope_head_of() reads only the columns
 * before DB_ROW_DOC (of public.docapi_found rows too). */
void db_scope_of(PGresult *r, struct db_scope *out);
void db_scope_head_of(PGresult *r, struct db_scope *out);

/* The text of row, col of r; NULL for SQL NULL. */
const char *db_val(const PGresult *r, int row, int col);

/* Reads DB_DOC_COLUMNS starting at column col of row into d (strings
 * borrowed from r); d->pk is 0 when the row has no document. */
void db_stored_doc(const PGresult *r, int row, int col, struct stored_doc *d);

#endif
