/*
 * h_ns_document.c - GET, PATCH and PUT of /v1/documents/{id} (contract
 * section 7): the collection-scoped route in every respect, once the
 * document is found among the X-Namespace namespace's collections.
 *
 * An R_FUSED route: the body and query are checked by the dispatcher. One
 * statement finds the collections that hold the id (and authenticates);
 * then the collection-scoped handler runs with the path it would have
 * had, resolving the scope as it always does. Two round trips, on this
 * route only.
 */
#include "db_documents.h"
#include "handlers.h"
#include "router.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

/* 409: the id is in more than one collection (client-chosen ids). */
static void reply_not_unique(struct call *c, const char *doc, const char *col_ids)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "document_id", json_object_new_string(doc));
	json_object_object_add(d, "collection_ids", json_tokener_parse(col_ids));
	http_error(c->resp, 409, "Document id is not unique in this namespace", d);
}

enum h_result h_ns_document(struct call *c)
{
	const char *doc = c->params[0];
	struct db_found f = { 0 };
	struct json_object *ids = NULL;
	char col[256];
	enum h_result r = H_DONE;
	int answered = 0;

	const char *const *path = c->params;
	/* A write looks where it will write; a read where reads go (the
	 * replica, else the primary while the replica is down). */
	struct db *db = (c->flags & R_WRITE) ? c->db : c->db_read;
	enum db_status st = db_find_doc(db, c->req->request_id, c->key_hash,
	                                call_namespace(c), doc, &f);
	if (st == DB_UNAVAILABLE && db != c->db)
		st = db_find_doc(c->db, c->req->request_id, c->key_hash,
		                 call_namespace(c), doc, &f);
	if (st != DB_OK) {
		r = h_of_db(st);
		goto cleanup;
	}
	c->scope = f.scope;  /* for the scope's checks; released below */
	answered = call_refuse_scope(c);
	memset(&c->scope, 0, sizeof c->scope);
	if (answered)
		goto cleanup;
	ids = f.found ? json_tokener_parse(f.found) : NULL;
	size_t n = ids ? json_object_array_length(ids) : 0;
	if (n == 0) {
		http_error(c->resp, 404, "Document not found",
		           http_not_found_details("document", doc));
		goto cleanup;
	}
	if (n > 1) {
		reply_not_unique(c, doc, f.found);
		goto cleanup;
	}
	snprintf(col, sizeof col, "%s", json_object_get_string(json_object_array_get_idx(ids, 0)));
	/* The collection-scoped route, as if the path had named the collection. */
	const char *params[2] = { col, doc };
	c->params = params;
	c->flags |= R_COLLECTION | R_DOCUMENT;
	if (c->req->method == HTTP_PATCH) {
		r = h_document_patch(c);   /* resolves the scope itself */
		goto cleanup;
	}
	r = call_resolve(c, &answered);
	if (r == H_DONE && !answered)
		r = c->req->method == HTTP_PUT ? h_document_put(c) : h_document_get(c);
cleanup:
	c->params = path;
	json_object_put(ids);
	db_found_clear(&f);
	return r;
}
