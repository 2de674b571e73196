/*
 * db.h - the worker's PostgreSQL connection and every SQL statement the
 * request path issues.
 *
 * One `struct db` per worker (thread). It connects lazily, prepares all
 * statements once per connection, and reconnects by itself: when the server
 * is gone, calls return DB_UNAVAILABLE (the caller answers 503) and the next
 * call tries again. SQL text and server messages go to the log only.
 */
#ifndef DOCAPI_DB_H
#define DOCAPI_DB_H

#include <libpq-fe.h>

enum db_status { DB_OK = 0, DB_UNAVAILABLE, DB_ERROR };

struct db {
	char *conninfo;   /* owned */
	PGconn *conn;     /* owned; NULL or bad until connected */
	int prepared;     /* statements prepared on this connection */
};

/* A stored document row, borrowed from a PGresult (valid until PQclear). */
struct db_doc_row {
	long long pk;
	long long version;
	const char *sys, *metadata, *blobs, *fields;
	const char *vector;       /* NULL when the document has none */
	const char *created_at, *updated_at;  /* RFC 3339 UTC */
};

/* The single round trip that authenticates and resolves a document path. */
struct db_lookup {
	PGresult *res;            /* owned; db_lookup_clear() */
	int key_found;            /* a key with this hash exists */
	int key_valid;            /* not revoked, not expired */
	const char *role;
	const char *ns_id;        /* NULL: namespace not found in the key's org */
	int ns_allowed;
	const char *col_id;       /* NULL: collection not found */
	int doc_found;
	struct db_doc_row doc;
};

/* Initialises db for conninfo (copied) and tries to connect; failure to
 * connect is not an error here (the first request will retry). */
void db_init(struct db *db, const char *conninfo, const char *rid);
void db_close(struct db *db);

/* Connects (or reconnects) when needed. DB_OK or DB_UNAVAILABLE. */
enum db_status db_ensure(struct db *db, const char *rid);

/*
 * Authenticates key_hash (32 bytes) and resolves namespace, collection and
 * document in one statement. ns and col are ids when they carry the id
 * prefix, names otherwise; col and doc may be NULL (namespace-only routes).
 * Retried once on a fresh connection if the old one had died.
 */
enum db_status db_lookup(struct db *db, const char *rid,
                         const unsigned char *key_hash, const char *ns,
                         const char *col, const char *doc,
                         struct db_lookup *out);
void db_lookup_clear(struct db_lookup *lk);

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

/* Re-reads a document by primary key, with lock: FOR UPDATE (inside a
 * transaction from db_begin). *res owned by caller (PQclear). row->pk is 0
 * when the document no longer exists. */
enum db_status db_reload_doc(struct db *db, const char *rid, long long pk,
                             int lock, PGresult **res, struct db_doc_row *row);

/* Transactions, used only after a PATCH lost a race for a row: the row is
 * then read FOR UPDATE so the next write cannot lose again. db_rollback()
 * is a no-op outside a transaction. */
enum db_status db_begin(struct db *db, const char *rid);
enum db_status db_commit(struct db *db, const char *rid);
void db_rollback(struct db *db, const char *rid);

/* SELECT 1 for /healthz. */
enum db_status db_ping(struct db *db, const char *rid);

#endif
