/*
 * h_changes.c - GET /v1/collections/{collection}/documents/changes, the
 * change feed (contract section 14, docapi's extension).
 *
 * An R_FUSED route: the query is checked here, then one statement
 * authenticates, resolves the collection and reads the feed, building its
 * results as JSON (public.docapi_changes). It runs on the primary even
 * when reads go to a replica: the lock that makes the feed miss nothing is
 * the one the primary's writers hold.
 */
#include "db_documents.h"
#include "handlers.h"

#include <stdio.h>

#define CHANGES_DEFAULT_LIMIT 100
#define CHANGES_MAX_LIMIT 1000

enum h_result h_changes(struct call *c)
{
	const char *q = c->req->query;
	struct verrs v = { 0 };
	struct db_found f = { 0 };
	long long since = 0, limit = CHANGES_DEFAULT_LIMIT;
	enum h_result r = H_DONE;

	/* at most 18 digits: a seq of this server stays far below */
	if (http_query_int(q, "since", 0, 999999999999999999LL, &since) < 0)
		verr_add(&v, "must be an integer >= 0", "type_error.integer", "query",
		         "since", NULL, NULL);
	if (http_query_int(q, "limit", 1, CHANGES_MAX_LIMIT, &limit) < 0)
		verr_add(&v, "must be an integer from 1 to 1000", "type_error.integer",
		         "query", "limit", NULL, NULL);
	if (verr_count(&v)) {
		r = call_refuse_invalid(c, &v);
		goto cleanup;
	}
	enum db_status st = db_changes(c->db, c->req->request_id, c->key_hash,
	                               call_namespace(c), c->params[0], since,
	                               (int)limit, &f);
	if (st != DB_OK) {
		r = h_of_db(st);
		goto cleanup;
	}
	c->scope = f.scope;  /* the dispatcher releases it */
	f.scope.res = NULL;
	if (call_refuse_scope(c) || call_refuse_missing(c))
		goto cleanup;
	struct buf *b = &c->resp->body;
	buf_reset(b);
	buf_puts(b, "{\"results\":");
	buf_puts(b, f.found ? f.found : "[]");
	buf_printf(b, ",\"last_seq\":%lld,\"has_more\":%s}", f.last_seq,
	           f.has_more ? "true" : "false");
	c->resp->status = 200;
cleanup:
	verr_free(&v);
	db_found_clear(&f);
	return r;
}
