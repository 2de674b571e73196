/*
 * h_create.c - POST /v1/collections/{collection}/documents (contract
 * section 8).
 *
 * An R_FUSED route: the dispatcher has checked the key's form, the media
 * type, the size and that the body is JSON. This handler checks the body
 * as a DocumentCreateRequest and the Idempotency-Key header, then creates
 * in one statement that also authenticates and resolves the collection
 * (public.docapi_create). Problems found before it are answered in the
 * contract's order: the scope's checks, then 422, then the collection's
 * 404, then If-Match's 412.
 */
#include "db_documents.h"
#include "doc_create.h"
#include "handlers.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* Location: the new document's GET URL, under the mount prefix. */
static void set_location(struct call *c, const char *document_id)
{
	buf_reset(&c->resp->location);
	buf_printf(&c->resp->location, "%s/v1/collections/%s/documents/%s",
	           c->cfg->mount_prefix, c->scope.col_id, document_id);
}

/* The answer for what public.docapi_create did. */
static enum h_result reply_outcome(struct call *c, const char *document_id)
{
	struct verrs v = { 0 };

	switch (c->scope.outcome) {
	case 'W':
	case 'R': {
		int minimal = call_prefers_minimal(c);
		enum h_result r = h_reply_row(c, &c->scope.doc, document_id, minimal);
		if (r == H_DONE) {
			set_location(c, document_id);
			c->resp->replayed = c->scope.outcome == 'R';
		}
		return r;
	}
	case 'C':
		http_error(c->resp, 409, "A document with this id already exists in the "
		           "collection", http_not_found_details("document", document_id));
		return H_DONE;
	case 'K':
		verr_add(&v, "this Idempotency-Key was used for another request (another "
		         "collection or body)", "value_error.idempotency_key", "header",
		         "Idempotency-Key", NULL, NULL);
		break;
	case 'X':
		verr_add(&v, "must name the collection of the path", "value_error.collection_id",
		         "body", "collection_id", NULL, NULL);
		break;
	default:
		log_error(c->req->request_id, "create: unexpected outcome %c", c->scope.outcome);
		return H_FAILED;
	}
	verr_respond(&v, c->resp);
	verr_free(&v);
	return H_DONE;
}

/* If-Match on a create can match nothing (the document does not exist
 * yet): 412 once the collection is known to exist, nothing written. */
static enum h_result refuse_if_match(struct call *c)
{
	int answered = 0;
	enum h_result r = call_resolve(c, &answered);

	if (r == H_DONE && !answered)
		http_error(c->resp, 412, "If-Match cannot match a document being created", NULL);
	return r;
}

enum h_result h_document_create(struct call *c)
{
	const struct request *req = c->req;
	struct doc_create dc;
	struct verrs v = { 0 };
	unsigned char sha[32], rnd[12];
	char docid[128];
	enum h_result r = H_DONE;

	doc_create_build(&dc, c->body, c->cfg->default_schema_version, &v);
	if (req->idempotency_key && !doc_create_idempotency_key_ok(req->idempotency_key))
		verr_add(&v, "must be 1 to 255 visible ASCII characters",
		         "value_error.idempotency_key", "header", "Idempotency-Key", NULL, NULL);
	if (verr_count(&v)) {
		r = call_refuse_invalid(c, &v);
		goto cleanup;
	}
	if (req->if_match) {
		r = refuse_if_match(c);
		goto cleanup;
	}
	if (dc.document_id[0]) {
		snprintf(docid, sizeof docid, "%s", dc.document_id);
	} else {  /* doc_ + 96 random bits: unique without asking the database */
		memcpy(docid, "doc_", 4);
		util_random_bytes(rnd, sizeof rnd);
		util_hex(rnd, sizeof rnd, docid + 4);
	}
	util_sha256(req->body.data ? req->body.data : "", req->body.len, sha);
	struct db_create cr = {
		.document_id = docid, .body_collection = dc.collection_id,
		.idempotency_key = req->idempotency_key, .body_sha256 = sha,
		.ttl = c->cfg->idempotency_ttl, .sys = dc.sys, .metadata = dc.metadata,
		.blobs = dc.blobs, .fields = dc.fields, .vector = dc.vector,
		.vectors = dc.vectors, .vector_names = dc.vector_names,
	};
	const char *stored_id = NULL;
	enum db_status st = db_create_doc(c->db, req->request_id, c->key_hash,
	                                  call_namespace(c), c->params[0], &cr, &c->scope,
	                                  &stored_id);
	if (st != DB_OK) {
		r = h_of_db(st);
		goto cleanup;
	}
	if (call_refuse_scope(c) || call_refuse_missing(c))
		goto cleanup;
	r = reply_outcome(c, stored_id ? stored_id : docid);
cleanup:
	verr_free(&v);
	doc_create_clear(&dc);
	return r;
}
