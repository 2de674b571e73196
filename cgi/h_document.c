/*
 * h_document.c - GET, PATCH, PUT and DELETE of
 * /v1/collections/{collection}/documents/{id}.
 *
 * The dispatcher has authenticated the key, resolved the namespace,
 * collection and document in one round trip, parsed the body and the query
 * flags, and checked that presigning is available when asked for. What is
 * left is the contract's tail (section 4): preconditions -> checks against
 * the stored document -> write. Nothing is written before the last step,
 * and the write is one statement that only succeeds against the version
 * the patch was applied to.
 */
#include "db_documents.h"
#include "doc_json.h"
#include "doc_patch.h"
#include "handlers.h"
#include "log.h"
#include "precond.h"
#include "prefer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How JSON is written to the database: compact, '/' not escaped. */
#define JSON_COMPACT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A PATCH that lost a race re-reads the row and tries again without a
 * lock for its first attempts; from LOCK_AFTER_LOSSES on, the row is read
 * FOR UPDATE in a transaction, so that write cannot lose (optimistic
 * retries alone can starve a worker). MAX_WRITE_ATTEMPTS only guards
 * against a bug. */
#define LOCK_AFTER_LOSSES 4
#define MAX_WRITE_ATTEMPTS 16

/* The texts of a stored row, as PostgreSQL returned them. */
static void texts_of_row(struct doc_texts *t, const struct stored_doc *row,
                         const char *document_id, const char *collection_id,
                         const struct call *c)
{
	memset(t, 0, sizeof *t);
	t->document_id = document_id;
	t->collection_id = collection_id;
	t->sys = row->sys;
	t->metadata = row->metadata;
	t->fields = row->fields;
	t->vector = c->query.return_vectors ? row->vector : NULL;
	if (c->query.return_vector_names)
		t->vector_names = row->vector_names ? row->vector_names : "[]";
	t->blobs = row->blobs;
	t->created_at = row->created_at;
	t->updated_at = row->updated_at;
}

/* Appends the document to out, written straight from its JSON texts.
 * Nothing is parsed, presigning included. */
static enum h_result write_document(struct call *c, struct doc_texts *t,
                                    struct buf *out)
{
	struct buf signed_blobs = { 0 }, urls = { 0 };
	struct presigner_call pc = { .presigner = c->presigner, .rid = c->req->request_id };
	char *primary = NULL;
	enum h_result rc = H_DONE;

	if (c->query.return_url) {
		if (doc_json_presign_blobs(t->blobs, presigner_sign, &pc, &signed_blobs,
		                           &urls, &primary) != 0) {
			log_error(c->req->request_id, "stored document_blobs are corrupt");
			rc = H_FAILED;
			goto cleanup;
		}
		t->blobs = signed_blobs.data;
		t->presigned_urls = urls.data;
		t->presigned_url = primary;
	}
	doc_json_write(out, t);
cleanup:
	presigner_call_finish(&pc);
	buf_free(&signed_blobs);
	buf_free(&urls);
	free(primary);
	return rc;
}

/* 200 with the document (or 204 for Prefer: return=minimal). */
static enum h_result reply_document(struct call *c, struct doc_texts *t,
                                    long long version, int minimal)
{
	c->resp->etag = version;
	c->resp->status = minimal ? 204 : 200;
	if (minimal)
		return H_DONE;
	buf_reset(&c->resp->body);
	return write_document(c, t, &c->resp->body);
}

enum h_result h_append_row(struct call *c, const struct stored_doc *row,
                           const char *document_id, const char *collection_id,
                           struct buf *out)
{
	struct doc_texts t;

	texts_of_row(&t, row, document_id, collection_id, c);
	return write_document(c, &t, out);
}

int call_prefers_minimal(struct call *c)
{
	int minimal = prefer_return_minimal(c->req->prefer);
	if (minimal)
		c->resp->preference_applied = "return=minimal";
	return minimal;
}

/* The preconditions of a write (If-Match, If-None-Match; RFC 9110
 * section 13.2.2) against the stored version: 0 to go on, else 412 set. */
static int precondition_or_412(struct call *c, long long version)
{
	const struct request *req = c->req;

	if (precond_evaluate(PRECOND_UNSAFE, req->if_match, req->if_none_match,
	                     version) == PRECOND_PROCEED)
		return 0;
	http_error(c->resp, 412, req->if_match ? "If-Match does not match the current "
	           "version of the document" : "If-None-Match matches the current "
	           "version of the document", NULL);
	c->resp->etag = version;
	return 1;
}

enum h_result h_reply_row(struct call *c, const struct stored_doc *row,
                          const char *document_id, int minimal)
{
	struct doc_texts t;

	texts_of_row(&t, row, document_id, c->scope.col_id, c);
	return reply_document(c, &t, row->version, minimal);
}

enum h_result h_document_get(struct call *c)
{
	const struct stored_doc *row = &c->scope.doc;
	struct doc_texts t;

	switch (precond_evaluate(PRECOND_SAFE, c->req->if_match,
	                         c->req->if_none_match, row->version)) {
	case PRECOND_PROCEED:
		break;
	case PRECOND_NOT_MODIFIED:
		c->resp->status = 304;
		c->resp->etag = row->version;
		return H_DONE;
	case PRECOND_FAILED:
		http_error(c->resp, 412, "If-Match does not match the current "
		           "version of the document", NULL);
		c->resp->etag = row->version;
		return H_DONE;
	}
	texts_of_row(&t, row, c->params[1], c->scope.col_id, c);
	return reply_document(c, &t, row->version, 0);
}

/* A PATCH in progress on the general path: the version it is applied to
 * and what it writes. */
struct patch_run {
	struct stored_doc row;       /* strings borrowed from the scope or fetched */
	struct db_doc fetched;       /* owned: the row written, or re-read after a lost race */
	struct doc d;                /* owned: the parsed document */
	struct doc_columns cols;     /* owned: the new column values */
	int in_txn;                  /* a row-lock transaction is open */
};

/* The column's new JSON text (owned by o), or NULL when it keeps its own. */
static const char *text_or_null(struct json_object *o)
{
	return o ? json_object_to_json_string_ext(o, JSON_COMPACT) : NULL;
}

/* Outcome of one attempt at the write. */
enum attempt { WROTE, UNCHANGED, LOST, ANSWERED };

/*
 * Applies the patch to pr->row and writes it if the row still has that
 * version; on WROTE pr->row is the document as stored now. Sets *out; a
 * failure is returned (nothing written).
 */
static enum h_result attempt_write(struct call *c, struct patch_run *pr,
                                   enum attempt *out)
{
	struct verrs v = { 0 };
	char msg[DOC_PATCH_MSG];

	*out = ANSWERED;
	if (precondition_or_412(c, pr->row.version))
		return H_DONE;
	doc_columns_clear(&pr->cols);
	switch (doc_patch_row(&pr->row, c->params[1], c->scope.col_id, c->body_kind,
	                      c->body, (int)c->cfg->max_depth, &pr->d, &pr->cols,
	                      &v, msg)) {
	case DOC_PATCH_OK:
		break;
	case DOC_PATCH_INVALID:
		verr_respond(&v, c->resp);
		return H_DONE;
	case DOC_PATCH_CONFLICT:
		http_error(c->resp, 409, msg, NULL);
		return H_DONE;
	case DOC_PATCH_CORRUPT:
		log_error(c->req->request_id, "stored document %lld is corrupt", pr->row.pk);
		return H_FAILED;
	}
	if (doc_columns_empty(&pr->cols)) {
		*out = UNCHANGED; /* no write, same version */
		return H_DONE;
	}
	enum db_status st = db_update_doc(c->db, c->req->request_id, pr->row.pk,
	                                  pr->row.version, text_or_null(pr->cols.metadata),
	                                  text_or_null(pr->cols.blobs),
	                                  text_or_null(pr->cols.fields), &pr->fetched);
	if (st != DB_OK)
		return h_of_db(st);
	*out = pr->fetched.row.pk ? WROTE : LOST;
	if (*out == WROTE)
		pr->row = pr->fetched.row;
	return H_DONE;
}

/* After the attempt-th lost race: re-reads the row (under a row lock from
 * LOCK_AFTER_LOSSES on). Sets *gone when the document was deleted. */
static enum h_result reload(struct call *c, struct patch_run *pr, int attempt,
                            int *gone)
{
	const char *rid = c->req->request_id;
	enum db_status st = DB_OK;

	if (attempt + 1 >= LOCK_AFTER_LOSSES && !pr->in_txn) {
		log_info(rid, "document %lld: lost %d races, writing under a row lock",
		         pr->row.pk, attempt + 1);
		st = db_begin(c->db, rid);
		pr->in_txn = st == DB_OK;
	}
	if (st == DB_OK)
		st = db_reload_doc(c->db, rid, pr->row.pk, pr->in_txn, &pr->fetched);
	if (st != DB_OK)
		return h_of_db(st);
	*gone = pr->fetched.row.pk == 0;
	if (!*gone)
		pr->row = pr->fetched.row;
	return H_DONE;
}

/* Writes the patch, re-applying it after each lost race. *out: WROTE,
 * UNCHANGED or ANSWERED (the response is set). */
static enum h_result write_patch(struct call *c, struct patch_run *pr,
                                 enum attempt *out)
{
	for (int attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
		int gone = 0;
		enum h_result r = attempt_write(c, pr, out);
		if (r != H_DONE || *out != LOST)
			return r;
		r = reload(c, pr, attempt, &gone);
		if (r != H_DONE)
			return r;
		if (gone) {
			http_error(c->resp, 404, "Document not found",
			           http_not_found_details("document", c->params[1]));
			*out = ANSWERED;
			return H_DONE;
		}
	}
	log_warn(c->req->request_id, "document %lld: gave up after %d concurrent "
	         "updates", pr->row.pk, MAX_WRITE_ATTEMPTS);
	http_error(c->resp, 503, "Document is busy, retry shortly", NULL);
	*out = ANSWERED;
	return H_DONE;
}

/* The general path: the stored document is read, the patch applied here,
 * and the write made against the version read. */
static enum h_result patch_general(struct call *c)
{
	struct patch_run pr = { .row = c->scope.doc };
	enum attempt outcome;
	struct doc_texts t;
	enum h_result r = write_patch(c, &pr, &outcome);

	if (r == H_DONE && pr.in_txn && outcome != ANSWERED) {
		enum db_status st = db_commit(c->db, c->req->request_id);
		pr.in_txn = 0;
		if (st != DB_OK)
			r = h_of_db(st);
	}
	if (r == H_DONE && outcome != ANSWERED) {
		texts_of_row(&t, &pr.row, c->params[1], c->scope.col_id, c);
		r = reply_document(c, &t, pr.row.version, call_prefers_minimal(c));
	}
	if (pr.in_txn)
		db_rollback(c->db, c->req->request_id); /* nothing written on error */
	doc_columns_clear(&pr.cols);
	doc_free(&pr.d);
	db_doc_clear(&pr.fetched);
	return r;
}

/* The version a lone strong If-Match tag names ("12" -> 12), 0 for `*`
 * or no header, -1 for anything else (lists, weak tags: the general path
 * compares them). */
static long long if_match_version(const char *h)
{
	char *end;
	long long v;

	if (!h || strcmp(h, "*") == 0)
		return 0;
	if (h[0] != '"' || h[1] < '1' || h[1] > '9')
		return -1;
	v = strtoll(h + 1, &end, 10);
	return end[0] == '"' && end[1] == '\0' && v > 0 ? v : -1;
}

/* 1 when a merge patch member of this value is not a plain `||` (an
 * object merges, null removes). */
static int is_deep(struct json_object *v)
{
	return !v || json_object_is_type(v, json_type_object);
}

/* The answer to a fused PATCH whose scope checks passed. */
static enum h_result reply_fused(struct call *c)
{
	const struct stored_doc *row = &c->scope.doc;
	struct doc_texts t;

	if (c->scope.outcome == 'M' || c->scope.outcome == 'F') {
		struct verrs v = { 0 };
		char msg[80];
		snprintf(msg, sizeof msg, "the patched document nests deeper than %ld levels",
		         c->cfg->max_depth);
		verr_add(&v, msg, "value_error.json.depth", "body",
		         c->scope.outcome == 'M' ? "metadata" : NULL, NULL, NULL);
		verr_respond(&v, c->resp);
		return H_DONE;
	}
	if (c->scope.outcome == '-') {
		if (precondition_or_412(c, row->version))
			return H_DONE;
		/* The statement kept losing to concurrent writers. */
		log_warn(c->req->request_id, "document %lld: gave up after concurrent "
		         "updates", row->pk);
		http_error(c->resp, 503, "Document is busy, retry shortly", NULL);
		return H_DONE;
	}
	texts_of_row(&t, row, c->params[1], c->scope.col_id, c);
	return reply_document(c, &t, row->version, call_prefers_minimal(c));
}

/*
 * The fused path: a merge patch naming only writable members, applied by
 * PostgreSQL in one statement that also resolves the scope. Returns 0 with
 * the response set (or a failure), 1 when this patch needs the general
 * path (nothing done).
 */
static int patch_fused(struct call *c, enum h_result *res)
{
	struct db_merge m = { 0 };
	struct json_object *flat = NULL, *blobs = NULL, *x;
	const struct request *req = c->req;
	long long ifv = if_match_version(req->if_match);
	int answered = 0;

	if (c->body_kind != BODY_MERGE_PATCH || req->if_none_match || ifv < 0 ||
	    !doc_patch_writable_only(c->body))
		return 1;
	m.if_version = ifv;
	m.max_depth = (int)c->cfg->max_depth;
	if (json_object_object_get_ex(c->body, "metadata", &x)) {
		m.metadata = json_object_to_json_string_ext(x, JSON_COMPACT);
		json_object_object_foreach(x, mk, mv) {
			(void)mk;
			m.metadata_deep |= is_deep(mv);
		}
	}
	if (json_object_object_get_ex(c->body, "document_blobs", &x)) {
		blobs = doc_canonical_blobs(x);
		m.blobs = json_object_to_json_string_ext(blobs, JSON_COMPACT);
	}
	flat = doc_patch_flat_members(c->body);
	if (flat) {
		m.fields = json_object_to_json_string_ext(flat, JSON_COMPACT);
		json_object_object_foreach(flat, fk, fv) {
			(void)fk;
			m.fields_deep |= is_deep(fv);
		}
	}
	enum db_status st = db_patch_merge(c->db, req->request_id, c->key_hash,
	                                   call_namespace(c),
	                                   c->params[0], c->params[1], &m, &c->scope);
	*res = st == DB_OK ? H_DONE : h_of_db(st);
	if (st == DB_OK)
		answered = call_refuse_scope(c) || call_refuse_missing(c);
	if (st == DB_OK && !answered)
		*res = reply_fused(c);
	json_object_put(flat);
	json_object_put(blobs);
	return 0;
}
enum h_result h_document_patch(struct call *c)
{
	enum h_result r = H_DONE;
	int answered = 0;

	if (!c->scope_resolved) {
		if (!patch_fused(c, &r))
			return r;
		r = call_resolve(c, &answered);
		if (r != H_DONE || answered)
			return r;
	}
	return patch_general(c);
}

/* PUT: the body replaces the writable view; read-only fields may only
 * restate their stored values. Written as a patch of the whole document,
 * against the version read (the general path). */
enum h_result h_document_put(struct call *c)
{
	c->body_kind = BODY_REPLACE;
	return patch_general(c);
}

/* The answer once the DELETE happened: 200 with Mixpeek's body, or 204. */
static enum h_result reply_deleted(struct call *c)
{
	struct json_object *o;

	if (call_prefers_minimal(c)) {
		c->resp->status = 204;
		return H_DONE;
	}
	o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string("Successfully deleted"));
	json_object_object_add(o, "success", json_object_new_boolean(1));
	http_set_json(c->resp, 200, o);
	json_object_put(o);
	return H_DONE;
}

/* A DELETE that found the document but did not delete it: another writer
 * changed it (If-Match no longer matches) or deleted it first. */
static enum h_result reply_not_deleted(struct call *c)
{
	if (c->req->if_match)
		http_error(c->resp, 412, "The document changed; If-Match no longer matches", NULL);
	else
		http_error(c->resp, 404, "Document not found",
		           http_not_found_details("document", c->params[1]));
	return H_DONE;
}

/* The fused DELETE: one statement that authenticates, resolves and
 * deletes (when If-Match is absent, `*` or one strong tag). 1 when the
 * general path must answer instead (nothing done). */
static int delete_fused(struct call *c, enum h_result *res)
{
	const struct request *req = c->req;
	long long ifv = if_match_version(req->if_match);

	if (ifv < 0 || req->if_none_match)
		return 1;
	enum db_status st = db_delete_scoped(c->db, req->request_id, c->key_hash,
	                                     call_namespace(c), c->params[0], c->params[1],
	                                     ifv, &c->scope);
	*res = st == DB_OK ? H_DONE : h_of_db(st);
	if (st != DB_OK || call_refuse_scope(c) || call_refuse_missing(c))
		return 0;
	if (c->scope.outcome == 'W')
		*res = reply_deleted(c);
	else if (!precondition_or_412(c, c->scope.doc.version))
		*res = reply_not_deleted(c);
	return 0;
}

enum h_result h_document_delete(struct call *c)
{
	const struct stored_doc *row;
	enum h_result r = H_DONE;
	int deleted = 0, answered = 0;

	if (!c->scope_resolved) {
		if (!delete_fused(c, &r))
			return r;
		r = call_resolve(c, &answered);
		if (r != H_DONE || answered)
			return r;
	}
	row = &c->scope.doc;
	if (precondition_or_412(c, row->version))
		return H_DONE;
	/* With If-Match, only the version it matched is deleted. */
	enum db_status st = db_delete_doc(c->db, c->req->request_id, row->pk,
	                                  c->req->if_match ? row->version : 0,
	                                  &deleted);
	if (st != DB_OK)
		return h_of_db(st);
	return deleted ? reply_deleted(c) : reply_not_deleted(c);
}
