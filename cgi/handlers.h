/*
 * handlers.h - what a route handler (h_*.c) is given and returns.
 *
 * The dispatcher (router.c) has run every check the route's row names, in
 * the contract's order, before it calls the handler: the handler starts
 * from a resolved scope, a parsed body and parsed query flags. It sets the
 * response's status, body and header fields (never a header line), and
 * returns what happened; database failures it returns instead of
 * answering, and the dispatcher maps them to 503 or 500 in one place.
 * Handlers never call libpq.
 */
#ifndef DOCAPI_HANDLERS_H
#define DOCAPI_HANDLERS_H

#include "body.h"
#include "config.h"
#include "db.h"
#include "db_scope.h"
#include "http.h"
#include "presigner.h"

/* Query flags of the document routes (contract section 4). */
struct doc_query {
	int return_url;
	int return_vectors;
	int return_vector_names;
};

/* One request as a handler sees it. Everything is borrowed: the
 * dispatcher owns the scope and the body and releases them after. */
struct call {
	const struct config *cfg;
	struct db *db;                  /* the primary: writes, and reads that follow one */
	struct db *db_read;             /* reads of routes that write nothing (== db without a replica) */
	struct presigner *presigner;
	const struct request *req;
	struct response *resp;
	const char *const *params;      /* the path's variable segments */
	int flags;                      /* the route's R_* flags (router.h) */
	unsigned char key_hash[32];     /* R_AUTH: SHA-256 of the bearer key */
	int scope_resolved;             /* 0 only on R_FUSED routes: see below */
	struct db_scope scope;          /* R_AUTH: key, namespace, collection, document */
	enum body_kind body_kind;       /* R_BODY_*: the body's media type */
	struct json_object *body;       /* R_BODY_*: the parsed body */
	struct doc_query query;         /* R_DOC_QUERY */
};

enum h_result {
	H_DONE = 0,        /* the response is set */
	H_UNAVAILABLE,     /* the database is unavailable: 503, nothing written */
	H_FAILED,          /* an internal error, already logged: 500 */
};

/* The result for a database status other than DB_OK. */
enum h_result h_of_db(enum db_status st);

/*
 * For R_FUSED handlers called with c->scope_resolved 0 (every check that
 * needs no database has passed): after filling c->scope from their own
 * statement, call_refuse_scope() answers 401/400/404/403 as the dispatcher
 * would, then call_refuse_missing() the collection's and document's 404.
 * Each returns 1 when it set the response. call_resolve() instead runs the
 * dispatcher's lookup and both checks (*answered: the response is set).
 */
int call_refuse_scope(struct call *c);
/* The X-Namespace value to look up: NULL unless sent exactly once. */
const char *call_namespace(const struct call *c);
int call_refuse_missing(struct call *c);
enum h_result call_resolve(struct call *c, int *answered);

/* Answers 422 with v's problems once the scope's checks (401, 400, 404 of
 * the namespace, 403) have passed: the contract puts a body's or query's
 * problems before the collection's 404. One round trip. */
enum h_result call_refuse_invalid(struct call *c, struct verrs *v);

/* After a statement of a dynamic filter failed on db: when PostgreSQL
 * refused a value of the request (an invalid regular expression, a date
 * out of range), answers that 422 as call_refuse_invalid() does, sets *r
 * and returns 1; otherwise 0. */
int call_refuse_bad_value(struct call *c, const struct db *db, enum h_result *r);

/* The HMAC key of cursors: cursor_secret from the configuration, else the
 * one migrate stored in the database (read once; the replica first). */
enum h_result call_cursor_secret(struct call *c, const char **secret);

/* Shared by the document handlers. call_prefers_minimal(): Prefer:
 * return=minimal (RFC 7240) was sent (then said applied). h_reply_row():
 * 200 with the stored row as the document (204 when minimal), written
 * from its texts; presigns when the query asked. */
int call_prefers_minimal(struct call *c);
enum h_result h_reply_row(struct call *c, const struct stored_doc *row,
                          const char *document_id, int minimal);
/* Appends the stored row as a document of collection_id to out, as
 * h_reply_row() writes it (for lists). */
enum h_result h_append_row(struct call *c, const struct stored_doc *row,
                           const char *document_id, const char *collection_id,
                           struct buf *out);

enum h_result h_healthz(struct call *c);
enum h_result h_openapi(struct call *c);
enum h_result h_document_get(struct call *c);
enum h_result h_document_patch(struct call *c);
enum h_result h_document_put(struct call *c);
enum h_result h_document_delete(struct call *c);
enum h_result h_document_create(struct call *c);
enum h_result h_changes(struct call *c);
enum h_result h_ns_document(struct call *c);
enum h_result h_lineage(struct call *c);
enum h_result h_object_documents(struct call *c);
enum h_result h_object_tree(struct call *c);
enum h_result h_list(struct call *c);
enum h_result h_aggregate(struct call *c);
enum h_result h_bulk(struct call *c);
enum h_result h_batch_update(struct call *c);
enum h_result h_batch_delete(struct call *c);

#endif
