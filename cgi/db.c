/* db.c - see db.h. The statements themselves live in the db_*.c files. */
#include "db_internal.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Transaction control. */
#define SQL_BEGIN "BEGIN"
#define SQL_COMMIT "COMMIT"
#define SQL_ROLLBACK "ROLLBACK"

/* What a failed statement may put in the log: SQLSTATE and the server's
 * primary message, never the statement text or its parameters. */
static void log_failure(enum log_level level, const char *rid, const char *what,
                        const PGconn *conn, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char quoted[LOG_QUOTE_SIZE];

	if (!msg)
		msg = conn ? PQerrorMessage(conn) : "no connection";
	/* The server's message can quote request values: quoted, so a log
	 * parser cannot be fooled by them. */
	log_write(level, __FILE__, __LINE__, rid, "%s: [%s] %s", what,
	          state ? state : "-----", log_quote(msg, quoted, sizeof quoted));
	if (state && strcmp(state, "42883") == 0) /* undefined_function */
		log_error(rid, "the database lacks docapi's functions: run "
		          "\"docapi-admin migrate\" (sql/functions.sql)");
}

static int conn_usable(const struct db *db)
{
	return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

/* docapi-admin's session: its statements name tables unqualified, so its
 * own search_path keeps another schema from shadowing them. (The request
 * path sets nothing: its statements are fully qualified.) */
static void admin_session_setup(PGconn *conn)
{
	PQclear(PQexec(conn, "SET search_path = public"));
}

/* conninfo with docapi's defaults appended (caller frees). Keyword/value
 * strings get them; URIs are used as is (libpq lets the later keyword win,
 * and URIs take ?params instead). */
static char *conninfo_with_defaults(const char *conninfo)
{
	struct buf ci = { 0 };
	buf_puts(&ci, conninfo);
	if (!strstr(conninfo, "://")) {
		if (!strstr(conninfo, "connect_timeout"))
			buf_puts(&ci, " connect_timeout=2");
		if (!strstr(conninfo, "application_name"))
			buf_puts(&ci, " application_name=docapi");
	}
	return ci.data;
}

PGconn *db_connect_once(const char *conninfo, char *err, size_t errlen)
{
	char *ci = conninfo_with_defaults(conninfo);
	PGconn *conn = PQconnectdb(ci);
	free(ci);
	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	admin_session_setup(conn);
	return conn;
}

/* Server notices (e.g. a text search query without lexemes) are not the
 * worker's to print: libpq would write them, unquoted, to stderr. */
static void drop_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

enum db_status db_ensure(struct db *db, const char *rid)
{
	if (conn_usable(db))
		return DB_OK;
	db->nprepared = 0; /* a new connection, or a reset one, has none */
	if (db->conn)
		PQreset(db->conn);
	else
		db->conn = PQconnectdb(db->conninfo);
	if (db->conn)
		PQsetNoticeProcessor(db->conn, drop_notice, NULL);
	if (!conn_usable(db)) {
		log_warn(rid, "database unavailable: %s",
		         db->conn ? PQerrorMessage(db->conn) : "no connection");
		return DB_UNAVAILABLE;
	}
	log_info(rid, "database connected");
	return DB_OK;
}

void db_init(struct db *db, const char *conninfo, const char *rid)
{
	memset(db, 0, sizeof *db);
	db->conninfo = conninfo_with_defaults(conninfo);
	db_ensure(db, rid);
}

void db_close(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db->cursor_secret);
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
	/* 25006 read_only_sql_transaction: a write reached a standby (a
	 * failover, or a URL naming a replica): unavailable, and the
	 * connection is made again (target_session_attrs=read-write then
	 * finds the new primary). */
	return strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	       strcmp(state, "53300") == 0 || /* too_many_connections */
	       strcmp(state, "25006") == 0;
}

/* 1 when the result's SQLSTATE is state. */
static int sqlstate_is(const PGresult *r, const char *state)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return st && strcmp(st, state) == 0;
}

static int is_prepared(const struct db *db, const struct db_stmt *st)
{
	for (int i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == st)
			return 1;
	return 0;
}

/* From now on this worker's statements go unnamed (a pooler was seen). */
static void go_unnamed(struct db *db, const char *rid)
{
	if (!db->unnamed)
		log_info(rid, "a connection pooler hands statements to other server "
		         "connections: sending them unnamed from now on");
	db->unnamed = 1;
}

/* Executes st once: prepares it first on this connection, unless unnamed.
 * 42P05 (already exists) and 26000 (does not exist) mean a pooler in
 * transaction mode: nothing ran, and the statement goes unnamed at once. */
static PGresult *exec_stmt(struct db *db, const char *rid, const struct db_stmt *st,
                           const char *const *values, const int *lengths,
                           const int *formats)
{
	PGresult *r;

	if (!db->unnamed && !is_prepared(db, st)) {
		r = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !sqlstate_is(r, "42P05"))
			return r;
		if (PQresultStatus(r) == PGRES_COMMAND_OK && db->nprepared < DB_MAX_PREPARED)
			db->prepared[db->nprepared++] = st;
		else
			go_unnamed(db, rid);
		PQclear(r);
	}
	if (!db->unnamed) {
		r = PQexecPrepared(db->conn, st->name, st->nparams, values, lengths,
		                   formats, 0);
		if (!sqlstate_is(r, "26000"))
			return r;
		PQclear(r);
		go_unnamed(db, rid);
	}
	return PQexecParams(db->conn, st->unnamed_sql ? st->unnamed_sql : st->sql,
	                    st->nparams, NULL, values, lengths, formats, 0);
}

/* The loop of db_run() and db_call(): st, or (st NULL) the text sql. */
static enum db_status run(struct db *db, const char *rid, const struct db_stmt *st,
                          const char *sql, int n, const char *const *values,
                          const int *lengths, const int *formats, int retry,
                          ExecStatusType want, PGresult **out)
{
	*out = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		enum db_status s = db_ensure(db, rid);
		if (s != DB_OK)
			return s;
		PGresult *r = st ? exec_stmt(db, rid, st, values, lengths, formats)
		                 : PQexecParams(db->conn, sql, n, NULL, values, lengths,
		                                formats, 0);
		if (PQresultStatus(r) == want) {
			*out = r;
			return DB_OK;
		}
		int unavailable = is_unavailable(db, r);
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
		log_failure(unavailable ? LOG_WARN : LOG_ERROR, rid,
		            st ? st->name : "statement", db->conn, r);
		PQclear(r);
		if (!unavailable)
			return DB_ERROR;
		if (PQstatus(db->conn) == CONNECTION_OK) {
			PQreset(db->conn); /* e.g. admin_shutdown on a live socket */
			db->nprepared = 0;
		}
		if (!retry)
			return DB_UNAVAILABLE;
	}
	return DB_UNAVAILABLE;
}

enum db_status db_run(struct db *db, const char *rid, const char *sql,
                      int n, const char *const *values, const int *lengths,
                      const int *formats, int retry, ExecStatusType want,
                      PGresult **out)
{
	return run(db, rid, NULL, sql, n, values, lengths, formats, retry, want, out);
}

enum db_status db_call(struct db *db, const char *rid, const struct db_stmt *st,
                       const char *const *values, const int *lengths,
                       const int *formats, int retry, ExecStatusType want,
                       PGresult **out)
{
	return run(db, rid, st, NULL, st->nparams, values, lengths, formats, retry,
	           want, out);
}

enum db_status db_query(struct db *db, const char *rid, const char *sql,
                        int n, const char *const *values, struct db_rows *out)
{
	PGresult *r;
	enum db_status st = db_run(db, rid, sql, n, values, NULL, NULL, 0,
	                           PGRES_TUPLES_OK, &r);
	out->res = r;
	out->n = st == DB_OK ? PQntuples(r) : 0;
	return st;
}

const char *db_rows_value(const struct db_rows *r, int row, int col)
{
	return db_val(r->res, row, col);
}

void db_rows_clear(struct db_rows *r)
{
	PQclear(r->res);
	r->res = NULL;
	r->n = 0;
}

const char *db_val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

void db_stored_doc(const PGresult *r, int row, int col, struct stored_doc *d)
{
	memset(d, 0, sizeof *d);
	if (PQgetisnull(r, row, col))
		return;
	d->pk = atoll(PQgetvalue(r, row, col));
	d->version = atoll(PQgetvalue(r, row, col + 1));
	d->sys = db_val(r, row, col + 2);
	d->metadata = db_val(r, row, col + 3);
	d->blobs = db_val(r, row, col + 4);
	d->fields = db_val(r, row, col + 5);
	d->vector = db_val(r, row, col + 6);
	d->vector_names = db_val(r, row, col + 7);
	d->created_at = db_val(r, row, col + 8);
	d->updated_at = db_val(r, row, col + 9);
}

/* Runs one of the transaction-control statements (never retried). */
static enum db_status run_control(struct db *db, const char *rid, const char *sql)
{
	PGresult *r;
	enum db_status st = db_run(db, rid, sql, 0, NULL, NULL, NULL, 0,
	                           PGRES_COMMAND_OK, &r);
	if (st == DB_OK)
		PQclear(r);
	return st;
}

enum db_status db_begin(struct db *db, const char *rid)
{
	return run_control(db, rid, SQL_BEGIN);
}

enum db_status db_commit(struct db *db, const char *rid)
{
	return run_control(db, rid, SQL_COMMIT);
}

void db_rollback(struct db *db, const char *rid)
{
	if (conn_usable(db) && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		run_control(db, rid, SQL_ROLLBACK);
}

enum db_status db_cursor_secret(struct db *db, const char *rid, const char **out)
{
	PGresult *r;
	enum db_status st = DB_OK;

	if (!db->cursor_secret) {
		st = db_run(db, rid, "SELECT value FROM public.docapi_settings"
		            " WHERE name = 'cursor_secret'", 0, NULL, NULL, NULL, 1,
		            PGRES_TUPLES_OK, &r);
		if (st != DB_OK)
			return st;
		if (PQntuples(r) == 1 && strlen(PQgetvalue(r, 0, 0)) >= 32)
			db->cursor_secret = xstrdup(PQgetvalue(r, 0, 0));
		else
			st = DB_ERROR;
		PQclear(r);
		if (st != DB_OK) {
			log_error(rid, "no cursor_secret in docapi_settings: run docapi-admin migrate");
			return st;
		}
	}
	*out = db->cursor_secret;
	return DB_OK;
}

enum db_status db_role(struct db *db, const char *rid, int *standby)
{
	PGresult *r;
	enum db_status st = db_run(db, rid, "SELECT pg_catalog.pg_is_in_recovery()",
	                           0, NULL, NULL, NULL, 1, PGRES_TUPLES_OK, &r);
	if (st != DB_OK)
		return st;
	*standby = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return DB_OK;
}
