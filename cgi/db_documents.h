/*
 * db_documents.h - the statements on one document's row, as calls of the
 * functions in sql/functions.sql.
 */
#ifndef DOCAPI_DB_DOCUMENTS_H
#define DOCAPI_DB_DOCUMENTS_H

#include "db.h"
#include "db_scope.h"
#include "stored.h"

/* A document row; strings borrowed from res. */
struct db_doc {
	struct pg_result *res;    /* owned; db_doc_clear() */
	struct stored_doc row;    /* row.pk 0: no such document */
};
void db_doc_clear(struct db_doc *d);

/* A merge patch that names only writable members, split by column. */
struct db_merge {
	long long if_version;     /* If-Match's version; 0: none */
	const char *metadata;     /* merge patch of metadata (JSON text), or NULL */
	int metadata_deep;        /* it nests objects or holds null */
	const char *blobs;        /* the new document_blobs (JSON text), or NULL */
	const char *fields;       /* merge patch of the flat fields, or NULL */
	int fields_deep;
	int max_depth;            /* the request body's nesting limit */
};

/*
 * The whole PATCH in one statement: authenticates key_hash (write role),
 * resolves ns/col/doc as db_resolve_scope() does, and applies m inside the
 * UPDATE, writing only when something changes. out (cleared first) gets
 * the scope and, on outcome 'W' (written) or 'U' (nothing to change), the
 * document as stored; on 'M' / 'F' nothing was written because metadata /
 * a flat field would nest deeper than max_depth allows; on '-' nothing was
 * written and the scope says why.
 */
enum db_status db_patch_merge(struct db *db, const char *rid,
                              const unsigned char *key_hash, const char *ns,
                              const char *col, const char *doc,
                              const struct db_merge *m, struct db_scope *out);

/*
 * Writes the new writable view if the row still has `version`: metadata,
 * blobs and fields are JSON texts, NULL for a column that keeps its stored
 * value. On success out->row is the document as stored now; out->row.pk is
 * 0 when another writer got there first (the caller re-reads and retries).
 */
enum db_status db_update_doc(struct db *db, const char *rid, long long pk,
                             long long version, const char *metadata,
                             const char *blobs, const char *fields,
                             struct db_doc *out);

/* Re-reads a document by primary key; lock: FOR UPDATE (inside a
 * transaction from db_begin). out is cleared first. */
enum db_status db_reload_doc(struct db *db, const char *rid, long long pk,
                             int lock, struct db_doc *out);

/* Deletes the document if it still has `version` (0: any version).
 * *deleted is 0 when it was gone or had another version. */
enum db_status db_delete_doc(struct db *db, const char *rid, long long pk,
                             long long version, int *deleted);

/* The whole DELETE in one statement (public.docapi_delete_doc): out gets
 * the scope; outcome 'W' when the document was deleted (doc.version: the
 * version deleted), '-' when not: the scope says why, or (document found,
 * version matching) another writer changed or deleted it meanwhile.
 * if_version 0: any version. */
enum db_status db_delete_scoped(struct db *db, const char *rid,
                                const unsigned char *key_hash, const char *ns,
                                const char *col, const char *doc, long long if_version,
                                struct db_scope *out);

/* A create (contract section 8), as public.docapi_create takes it. */
struct db_create {
	const char *document_id;       /* the body's, or one docapi made */
	const char *body_collection;   /* the body's collection_id */
	const char *idempotency_key;   /* NULL: none */
	const unsigned char *body_sha256;  /* 32 bytes: SHA-256 of the body */
	long ttl;                      /* seconds a key is remembered */
	const char *sys, *metadata, *blobs, *fields;   /* JSON texts */
	const char *vector, *vectors, *vector_names;   /* JSON texts or NULL */
};

/*
 * The whole create in one statement and one transaction: authenticates
 * key_hash (write role), resolves ns and col, checks the body's
 * collection_id, claims the Idempotency-Key and inserts. out (cleared
 * first) gets the scope and on outcome 'W' (created) or 'R' (replayed)
 * the document; 'C': the id is taken; 'K': the key was used for another
 * request; 'X': collection_id names another collection; '-': the scope
 * says why nothing was written. *doc_id: the document's id on 'W' and
 * 'R' (a replay's is the first request's), borrowed from out.
 */
enum db_status db_create_doc(struct db *db, const char *rid,
                             const unsigned char *key_hash, const char *ns,
                             const char *col, const struct db_create *cr,
                             struct db_scope *out, const char **doc_id);

/* A route's answer built by PostgreSQL, with the scope it was found in. */
struct db_found {
	struct db_scope scope;    /* owns the result; no document */
	const char *found;        /* JSON text (borrowed); NULL: nothing asked or found */
	long long last_seq;       /* the change feed's */
	int has_more;
};
void db_found_clear(struct db_found *f);

/* The change feed of col after seq `since`, at most `limit` changes
 * (public.docapi_changes). Reads the primary: its lock is the writers'. */
enum db_status db_changes(struct db *db, const char *rid,
                          const unsigned char *key_hash, const char *ns,
                          const char *col, long long since, int limit,
                          struct db_found *out);

/* The lineage of document doc of col (public.docapi_lineage): out->found
 * is the response's JSON; scope.outcome 'N' when col has no such document. */
enum db_status db_lineage(struct db *db, const char *rid,
                          const unsigned char *key_hash, const char *ns,
                          const char *col, const char *doc, struct db_found *out);

/* What GET /v1/objects/{o}/documents asks for. */
struct db_object_query {
	const char *object_id;
	const char *const *cols;     /* collection ids or names; NULL: all */
	int ncols;
	const char *after_col;       /* keyset position; NULL: from the start */
	long long after_us;
	const char *after_doc;
	int limit;                   /* rows fetched: limit + 1 */
	int count;                   /* also count, by collection */
};

/* A list of documents after a head row (public.docapi_object_documents). */
struct db_listed {
	struct db_scope scope;       /* the head: owns the result */
	long long total;             /* with count */
	const char *by_collection;   /* with count: JSON object (a list's: its stats) */
	int n;                       /* documents */
};
/* Document i (0-based) of l: its row, id, collection and keyset key. */
void db_listed_doc(const struct db_listed *l, int i, struct stored_doc *row,
                   const char **doc_id, const char **col_id, const char **sort_key);

/* The vectors (JSON name -> vector) of document i of a list built
 * with_vectors; NULL otherwise. */
const char *db_listed_vectors(const struct db_listed *l, int i);

/* Row i of a grouped list: 'G' (a group: *count its size, *key its JSON
 * key, *sort_key its position) or 'D' (a document: db_listed_doc()). */
char db_listed_group(const struct db_listed *l, int i, long long *count,
                     const char **key, const char **sort_key);

/* The documents of ns made from object q->object_id. l->scope.outcome: 'O'
 * found (maybe none), 'U' (scope.col_id: the name in q->cols that is no
 * collection of ns), '-' the scope says why not. */
enum db_status db_object_documents(struct db *db, const char *rid,
                                   const unsigned char *key_hash, const char *ns,
                                   const struct db_object_query *q,
                                   struct db_listed *l);

/* A list (POST .../documents/list): q is the statement list_query.c
 * built, run with the scope's parameters. l->by_collection holds the
 * stats JSON and l->total the total when the statement counts. */
struct filter_sql;
enum db_status db_list(struct db *db, const char *rid, const unsigned char *key_hash,
                       const char *ns, const char *col, const struct filter_sql *q,
                       struct db_listed *l);

/* PostgreSQL's estimate of the documents a list matches: q is the EXPLAIN
 * that list_query.c built with `estimate` set. */
enum db_status db_list_estimate(struct db *db, const char *rid,
                                const unsigned char *key_hash, const char *ns,
                                const char *col, const struct filter_sql *q,
                                long long *rows);

/* A statement built for this request (aggregate.c, bulk.c) whose one
 * row has the columns of public.docapi_found, run with the scope's
 * parameters then q's. An aggregate's found is {"results",
 * "total_groups"}, last_seq the documents matched, has_more whether
 * groups were cut; a bulk update's: see bulk.h. */
enum db_status db_run_found(struct db *db, const char *rid, const unsigned char *key_hash,
                            const char *ns, const char *col, const struct filter_sql *q,
                            struct db_found *out);

/* An object's decomposition tree (public.docapi_object_tree): out->found
 * is the response's JSON. */
enum db_status db_object_tree(struct db *db, const char *rid,
                              const unsigned char *key_hash, const char *ns,
                              const char *object_id, int with_ids,
                              struct db_found *out);

/* The collections of ns that hold document doc (public.docapi_find):
 * out->found is a JSON array of their sorted col_ ids, NULL for none. */
enum db_status db_find_doc(struct db *db, const char *rid,
                           const unsigned char *key_hash, const char *ns,
                           const char *doc, struct db_found *out);

#endif
