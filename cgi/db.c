/* db.c - see db.h. All SQL of the request path lives in this file. */
#include "db.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define DOC_COLUMNS "d.id, d.version, d.sys, d.metadata, d.document_blobs, " \
	"d.fields, d.vector, " TS("d.created_at") ", " TS("d.updated_at")

struct statement {
	const char *name;
	int nparams;
	const char *sql;
};

static const struct statement statements[] = {
	{ "lookup", 6,
	  "SELECT k.role,"
	  " (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())),"
	  " n.ns_id,"
	  " (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)),"
	  " c.col_id, " DOC_COLUMNS
	  " FROM api_keys k"
	  " LEFT JOIN namespaces n ON n.org_pk = k.org_pk AND (n.ns_id = $2 OR n.name = $3)"
	  " LEFT JOIN collections c ON c.ns_pk = n.id AND (c.col_id = $4 OR c.name = $5)"
	  " LEFT JOIN documents d ON d.col_pk = c.id AND d.document_id = $6"
	  " WHERE k.key_hash = $1" },
	{ "update_doc", 5,
	  "UPDATE documents SET metadata = COALESCE($3::jsonb, metadata),"
	  " document_blobs = COALESCE($4::json, document_blobs),"
	  " fields = COALESCE($5::jsonb, fields),"
	  " version = version + 1, updated_at = now()"
	  " WHERE id = $1 AND version = $2"
	  " RETURNING version, " TS("updated_at") },
	{ "reload_doc", 1,
	  "SELECT " DOC_COLUMNS " FROM documents d WHERE d.id = $1" },
	{ "reload_doc_locked", 1,
	  "SELECT " DOC_COLUMNS " FROM documents d WHERE d.id = $1 FOR UPDATE" },
	{ "begin", 0, "BEGIN" },
	{ "commit", 0, "COMMIT" },
	{ "rollback", 0, "ROLLBACK" },
	{ "ping", 0, "SELECT 1" },
};
#define LOOKUP_DOC_COL 5

/* What a failed statement may put in the log: SQLSTATE and the server's
 * primary message, never the statement text or its parameters. */
static void log_failure(enum log_level level, const char *rid, const char *what,
                        const PGconn *conn, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg)
		msg = conn ? PQerrorMessage(conn) : "no connection";
	log_write(level, __FILE__, __LINE__, rid, "%s: [%s] %s", what,
	          state ? state : "-----", msg);
}

static int conn_usable(const struct db *db)
{
	return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

static int prepare_all(struct db *db, const char *rid)
{
	for (size_t i = 0; i < sizeof statements / sizeof statements[0]; i++) {
		PGresult *r = PQprepare(db->conn, statements[i].name, statements[i].sql,
		                        statements[i].nparams, NULL);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			log_failure(LOG_ERROR, rid, statements[i].name, db->conn, r);
		PQclear(r);
		if (!ok)
			return -1;
	}
	db->prepared = 1;
	return 0;
}

enum db_status db_ensure(struct db *db, const char *rid)
{
	if (conn_usable(db) && db->prepared)
		return DB_OK;
	db->prepared = 0;
	if (db->conn)
		PQreset(db->conn);
	else
		db->conn = PQconnectdb(db->conninfo);
	if (!conn_usable(db)) {
		log_warn(rid, "database unavailable: %s",
		         db->conn ? PQerrorMessage(db->conn) : "no connection");
		return DB_UNAVAILABLE;
	}
	/* Our own search_path, so no other schema can shadow our tables. */
	PGresult *r = PQexec(db->conn, "SET search_path = public");
	PQclear(r);
	if (prepare_all(db, rid) != 0)
		return conn_usable(db) ? DB_ERROR : DB_UNAVAILABLE;
	log_info(rid, "database connected");
	return DB_OK;
}

void db_init(struct db *db, const char *conninfo, const char *rid)
{
	struct buf ci = { 0 };
	memset(db, 0, sizeof *db);
	/* Keyword/value strings get our defaults appended; URIs are used as is
	 * (libpq lets the later keyword win, and URIs take ?params instead). */
	buf_puts(&ci, conninfo);
	if (!strstr(conninfo, "://")) {
		if (!strstr(conninfo, "connect_timeout"))
			buf_puts(&ci, " connect_timeout=2");
		if (!strstr(conninfo, "application_name"))
			buf_puts(&ci, " application_name=docapi");
	}
	db->conninfo = ci.data;
	db_ensure(db, rid);
}

void db_close(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	free(db->conninfo);
	memset(db, 0, sizeof *db);
}

/* Connection lost, server shutting down or not accepting connections. */
static int is_unavailable(const struct db *db, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (!conn_usable(db))
		return 1;
	if (!state)
		return 1; /* no server answer at all: the link broke */
	return strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	       strcmp(state, "53300") == 0; /* too_many_connections */
}

/*
 * Runs a prepared statement. retry: a read that may be re-run once on a new
 * connection when the old one turns out to be dead (never used for writes:
 * a write whose outcome is unknown must not be repeated).
 */
static enum db_status run(struct db *db, const char *rid, const char *name,
                          int n, const char *const *values, const int *lengths,
                          const int *formats, int retry, ExecStatusType want,
                          PGresult **out)
{
	*out = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		enum db_status st = db_ensure(db, rid);
		if (st != DB_OK)
			return st;
		PGresult *r = PQexecPrepared(db->conn, name, n, values, lengths,
		                             formats, 0);
		if (PQresultStatus(r) == want) {
			*out = r;
			return DB_OK;
		}
		int unavailable = is_unavailable(db, r);
		log_failure(unavailable ? LOG_WARN : LOG_ERROR, rid, name, db->conn, r);
		PQclear(r);
		if (!unavailable)
			return DB_ERROR;
		db->prepared = 0;
		if (PQstatus(db->conn) == CONNECTION_OK)
			PQreset(db->conn); /* e.g. admin_shutdown on a live socket */
		if (!retry)
			return DB_UNAVAILABLE;
	}
	return DB_UNAVAILABLE;
}

static const char *val(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static void doc_row(PGresult *r, int col, struct db_doc_row *d)
{
	memset(d, 0, sizeof *d);
	if (PQgetisnull(r, 0, col))
		return;
	d->pk = atoll(PQgetvalue(r, 0, col));
	d->version = atoll(PQgetvalue(r, 0, col + 1));
	d->sys = val(r, 0, col + 2);
	d->metadata = val(r, 0, col + 3);
	d->blobs = val(r, 0, col + 4);
	d->fields = val(r, 0, col + 5);
	d->vector = val(r, 0, col + 6);
	d->created_at = val(r, 0, col + 7);
	d->updated_at = val(r, 0, col + 8);
}

enum db_status db_lookup(struct db *db, const char *rid,
                         const unsigned char *key_hash, const char *ns,
                         const char *col, const char *doc,
                         struct db_lookup *out)
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
	enum db_status st = run(db, rid, "lookup", 6, values, lengths, formats, 1,
	                        PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	out->res = r;
	if (PQntuples(r) < 1)
		return DB_OK;
	out->key_found = 1;
	out->role = PQgetvalue(r, 0, 0);
	out->key_valid = PQgetvalue(r, 0, 1)[0] == 't';
	out->ns_id = val(r, 0, 2);
	out->ns_allowed = !PQgetisnull(r, 0, 3) && PQgetvalue(r, 0, 3)[0] == 't';
	out->col_id = val(r, 0, 4);
	doc_row(r, LOOKUP_DOC_COL, &out->doc);
	out->doc_found = out->doc.pk != 0;
	return DB_OK;
}

void db_lookup_clear(struct db_lookup *lk)
{
	PQclear(lk->res);
	memset(lk, 0, sizeof *lk);
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
	enum db_status st = run(db, rid, "update_doc", 5, values, NULL, NULL, 0,
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
                             int lock, PGresult **res, struct db_doc_row *row)
{
	char spk[24];
	const char *values[1] = { spk };

	snprintf(spk, sizeof spk, "%lld", pk);
	memset(row, 0, sizeof *row);
	/* Inside a transaction a statement is never re-run on a new
	 * connection: the transaction died with the old one. */
	enum db_status st = run(db, rid, lock ? "reload_doc_locked" : "reload_doc",
	                        1, values, NULL, NULL, !lock, PGRES_TUPLES_OK, res);
	if (st != DB_OK)
		return st;
	if (PQntuples(*res) == 1)
		doc_row(*res, 0, row);
	return DB_OK;
}

/* Runs one of the transaction-control statements (never retried). */
static enum db_status run_control(struct db *db, const char *rid, const char *name)
{
	PGresult *r;
	enum db_status st = run(db, rid, name, 0, NULL, NULL, NULL, 0,
	                        PGRES_COMMAND_OK, &r);
	if (st == DB_OK)
		PQclear(r);
	return st;
}

enum db_status db_begin(struct db *db, const char *rid)
{
	return run_control(db, rid, "begin");
}

enum db_status db_commit(struct db *db, const char *rid)
{
	return run_control(db, rid, "commit");
}

void db_rollback(struct db *db, const char *rid)
{
	if (conn_usable(db) && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		run_control(db, rid, "rollback");
}

enum db_status db_ping(struct db *db, const char *rid)
{
	PGresult *r;
	enum db_status st = run(db, rid, "ping", 0, NULL, NULL, NULL, 1,
	                        PGRES_TUPLES_OK, &r);
	if (st == DB_OK)
		PQclear(r);
	return st;
}
