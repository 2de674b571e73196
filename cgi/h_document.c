/*
 * h_document.c - GET, PATCH and DELETE of
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

/* Does an entity-tag list (If-Match / If-None-Match) name this version?
 * weak: W/"n" also matches (If-None-Match); strong comparison otherwise. */
static int etag_list_matches(const char *list, long long version, int weak)
{
	char want[32];
	size_t wlen;
	const char *p = list;

	snprintf(want, sizeof want, "\"%lld\"", version);
	wlen = strlen(want);
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return 1;
		int is_weak = 0;
		if (p[0] == 'W' && p[1] == '/') {
			is_weak = 1;
			p += 2;
		}
		size_t len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == wlen && memcmp(p, want, wlen) == 0 && (weak || !is_weak))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* The texts of a stored row, as PostgreSQL returned them. */
static void texts_of_row(struct doc_texts *t, const struct stored_doc *row,
                         const struct call *c)
{
	memset(t, 0, sizeof *t);
	t->document_id = c->params[1];
	t->collection_id = c->scope.col_id;
	t->sys = row->sys;
	t->metadata = row->metadata;
	t->fields = row->fields;
	t->vector = c->query.return_vectors ? row->vector : NULL;
	t->blobs = row->blobs;
	t->created_at = row->created_at;
	t->updated_at = row->updated_at;
}

/*
 * 200 with the document written straight from its JSON texts (or 204 for
 * Prefer: return=minimal). Nothing is parsed, presigning included.
 */
static enum h_result reply_document(struct call *c, struct doc_texts *t,
                                    long long version, int minimal)
{
	struct buf signed_blobs = { 0 }, urls = { 0 };
	struct presigner_call pc = { .presigner = c->presigner, .rid = c->req->request_id };
	char *primary = NULL;
	enum h_result rc = H_DONE;

	c->resp->etag = version;
	c->resp->status = minimal ? 204 : 200;
	if (minimal)
		return H_DONE;
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
	buf_reset(&c->resp->body);
	doc_json_write(&c->resp->body, t);
cleanup:
	presigner_call_finish(&pc);
	buf_free(&signed_blobs);
	buf_free(&urls);
	free(primary);
	return rc;
}

static int prefers_minimal(const char *prefer)
{
	return prefer && strstr(prefer, "return=minimal") != NULL;
}

/* If-Match against the stored version: 0 to go on, else 412 is set. */
static int if_match_or_412(struct call *c, long long version)
{
	if (!c->req->if_match || etag_list_matches(c->req->if_match, version, 0))
		return 0;
	http_error(c->resp, 412, "If-Match does not match the current "
	           "version of the document", NULL);
	c->resp->etag = version;
	return 1;
}

enum h_result h_document_get(struct call *c)
{
	const struct stored_doc *row = &c->scope.doc;
	struct doc_texts t;

	if (c->req->if_none_match &&
	    etag_list_matches(c->req->if_none_match, row->version, 1)) {
		c->resp->status = 304;
		c->resp->etag = row->version;
		return H_DONE;
	}
	texts_of_row(&t, row, c);
	return reply_document(c, &t, row->version, 0);
}

/* A PATCH in progress: the version it is applied to and what it writes. */
struct patch_run {
	struct stored_doc row;       /* strings borrowed from the scope or reloaded */
	struct db_doc reloaded;      /* owned: the row after a lost race */
	struct doc d;                /* owned: the parsed document (general path) */
	struct doc_columns cols;     /* owned: the new column values */
	const char *texts[3];        /* metadata, blobs, fields as written (owned by cols) */
	int in_txn;                  /* a row-lock transaction is open */
	long long new_version;
	char updated_at[33];
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
 * version. Sets *out; a failure is returned (nothing written).
 */
static enum h_result attempt_write(struct call *c, struct patch_run *pr,
                                   enum attempt *out)
{
	struct verrs v = { 0 };
	char msg[DOC_PATCH_MSG];
	int updated = 0;

	*out = ANSWERED;
	if (if_match_or_412(c, pr->row.version))
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
	pr->texts[0] = text_or_null(pr->cols.metadata);
	pr->texts[1] = text_or_null(pr->cols.blobs);
	pr->texts[2] = text_or_null(pr->cols.fields);
	enum db_status st = db_update_doc(c->db, c->req->request_id, pr->row.pk,
	                                  pr->row.version, pr->texts[0], pr->texts[1],
	                                  pr->texts[2], &updated, &pr->new_version,
	                                  pr->updated_at);
	if (st != DB_OK)
		return h_of_db(st);
	*out = updated ? WROTE : LOST;
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
		st = db_reload_doc(c->db, rid, pr->row.pk, pr->in_txn, &pr->reloaded);
	if (st != DB_OK)
		return h_of_db(st);
	*gone = pr->reloaded.row.pk == 0;
	if (!*gone)
		pr->row = pr->reloaded.row;
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

enum h_result h_document_patch(struct call *c)
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
	if (r != H_DONE || outcome == ANSWERED)
		goto cleanup;
	texts_of_row(&t, &pr.row, c);
	if (outcome == WROTE) {
		t.metadata = pr.texts[0] ? pr.texts[0] : t.metadata;
		t.blobs = pr.texts[1] ? pr.texts[1] : t.blobs;
		t.fields = pr.texts[2] ? pr.texts[2] : t.fields;
		t.updated_at = pr.updated_at;
	}
	r = reply_document(c, &t, outcome == WROTE ? pr.new_version : pr.row.version,
	                   prefers_minimal(c->req->prefer));
cleanup:
	if (pr.in_txn)
		db_rollback(c->db, c->req->request_id); /* nothing written on error */
	doc_columns_clear(&pr.cols);
	doc_free(&pr.d);
	db_doc_clear(&pr.reloaded);
	return r;
}

enum h_result h_document_delete(struct call *c)
{
	const struct stored_doc *row = &c->scope.doc;
	struct json_object *o;
	int deleted = 0;

	if (if_match_or_412(c, row->version))
		return H_DONE;
	/* With If-Match, only the version it matched is deleted. */
	enum db_status st = db_delete_doc(c->db, c->req->request_id, row->pk,
	                                  c->req->if_match ? row->version : 0,
	                                  &deleted);
	if (st != DB_OK)
		return h_of_db(st);
	if (!deleted) {  /* changed or deleted since the lookup */
		if (c->req->if_match)
			http_error(c->resp, 412, "The document changed; If-Match no "
			           "longer matches", NULL);
		else
			http_error(c->resp, 404, "Document not found",
			           http_not_found_details("document", c->params[1]));
		return H_DONE;
	}
	if (prefers_minimal(c->req->prefer)) {
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
