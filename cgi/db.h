/*
 * db.h - the worker's PostgreSQL connection: connect, reconnect,
 * transactions, and parameterized statements.
 *
 * One `struct db` per worker (thread). The request path calls the
 * functions of sql/functions.sql, whose inner plans PostgreSQL
 * caches per server process, and sets nothing in the session (every name
 * is schema-qualified). Each call is prepared once per connection; the
 * first time the server answers that a prepared statement is missing or
 * already exists, a pooler in transaction mode (PgBouncer) is handing
 * statements to other server connections, and from then on the worker
 * sends them unnamed (nothing is left on a server connection). Nothing
 * was executed by a call that failed that way, so it is sent again at
 * once. It connects lazily and reconnects by itself: when the server is gone, calls return DB_UNAVAILABLE (the
 * dispatcher answers 503) and the next call tries again. SQL text and
 * server messages go to the log only. libpq stays behind this header and
 * the db_*.c files: callers get typed rows.
 */
#ifndef DOCAPI_DB_H
#define DOCAPI_DB_H

#include <stddef.h>

struct pg_conn;
struct pg_result;

enum db_status { DB_OK = 0, DB_UNAVAILABLE, DB_ERROR };

#define DB_MAX_PREPARED 32

struct db {
	char *conninfo;           /* owned */
	struct pg_conn *conn;     /* owned; NULL or bad until connected */
	/* Statements prepared on this connection (struct db_stmt, static). */
	const void *prepared[DB_MAX_PREPARED];
	int nprepared;
	int unnamed;              /* 1: a pooler was seen: statements go unnamed */
	char *cursor_secret;      /* owned: read once from docapi_settings, or NULL */
	char sqlstate[6];         /* of the last statement that failed ("" if none) */
};

/* Initialises db for conninfo (copied, with docapi's defaults) and tries
 * to connect; failure to connect is not an error here (the first request
 * will retry). */
void db_init(struct db *db, const char *conninfo, const char *rid);
void db_close(struct db *db);

/* Connects (or reconnects) when needed. DB_OK or DB_UNAVAILABLE. */
enum db_status db_ensure(struct db *db, const char *rid);

/*
 * A connection for a one-shot program (docapi-admin): conninfo gets the
 * same defaults as a worker's (connect_timeout, application_name) and the
 * same session set-up. Returns the connection (caller PQfinish()es it), or
 * NULL with libpq's reason in err.
 */
struct pg_conn *db_connect_once(const char *conninfo, char *err, size_t errlen);

/* Rows of a one-off query; values borrowed until db_rows_clear(). */
struct db_rows {
	struct pg_result *res;    /* owned */
	int n;                    /* number of rows */
};
/* The text of row, col; NULL for SQL NULL. */
const char *db_rows_value(const struct db_rows *r, int row, int col);
void db_rows_clear(struct db_rows *r);

/*
 * Runs parameterized SQL that is not prepared (text built by a compiler
 * from a parsed request, never from request text). values are text
 * parameters $1..$n. Never re-run on a new connection.
 */
enum db_status db_query(struct db *db, const char *rid, const char *sql,
                        int n, const char *const *values, struct db_rows *out);

/* Transactions. db_rollback() is a no-op outside a transaction. */
enum db_status db_begin(struct db *db, const char *rid);
enum db_status db_commit(struct db *db, const char *rid);
void db_rollback(struct db *db, const char *rid);

/* The cursor secret migrate stored in docapi_settings, read on the first
 * call and kept for the life of the process (*out borrowed from db). */
enum db_status db_cursor_secret(struct db *db, const char *rid, const char **out);

/* Whether the server is a standby (in recovery), for /healthz. */
enum db_status db_role(struct db *db, const char *rid, int *standby);

#endif
