/*
 * h_lineage.c - GET /v1/collections/{collection}/documents/{id}/lineage
 * (contract section 13).
 *
 * An R_FUSED route with no body or query to check: one statement
 * authenticates, resolves the path, walks the ancestors and lists the
 * children, and returns the response as JSON (public.docapi_lineage).
 */
#include "db_documents.h"
#include "handlers.h"
#include "log.h"

enum h_result h_lineage(struct call *c)
{
	const char *rid = c->req->request_id, *doc = c->params[1];
	struct db_found f = { 0 };

	/* Where reads go: the replica, else the primary while it is down. */
	enum db_status st = db_lineage(c->db_read, rid, c->key_hash, call_namespace(c),
	                               c->params[0], doc, &f);
	if (st == DB_UNAVAILABLE && c->db_read != c->db) {
		log_info(rid, "read database unavailable: reading from the primary");
		st = db_lineage(c->db, rid, c->key_hash, call_namespace(c), c->params[0],
		                doc, &f);
	}
	if (st != DB_OK)
		return h_of_db(st);
	c->scope = f.scope;  /* the dispatcher releases it */
	if (call_refuse_scope(c) || call_refuse_missing(c))
		return H_DONE;
	if (c->scope.outcome == 'N' || !f.found) {
		http_error(c->resp, 404, "Document not found",
		           http_not_found_details("document", doc));
		return H_DONE;
	}
	buf_reset(&c->resp->body);
	buf_puts(&c->resp->body, f.found);
	c->resp->status = 200;
	return H_DONE;
}
