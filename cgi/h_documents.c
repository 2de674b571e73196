/*
 * h_documents.c - GET and PATCH /v1/collections/{collection}/documents/{id}.
 *
 * Both follow the contract's order of checks (section 4): credentials ->
 * namespace -> role -> media type -> size -> syntax -> collection ->
 * document -> preconditions -> checks against the stored document -> write.
 * Nothing is written before the last step, and the write is one statement
 * that only succeeds against the version the patch was applied to.
 */
#include "auth.h"
#include "body.h"
#include "docview.h"
#include "handlers.h"
#include "jsonpatch.h"
#include "log.h"
#include "presign_glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How JSON is written to the database: compact, '/' not escaped. */
#define JSON_COMPACT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A PATCH that lost a race re-reads the row and tries again, optimistically
 * (no lock held across the worker's own work) for its first attempts: taking
 * the row lock at the first loss was measured slower, 0.80x on one hot
 * document at 16 connections. But optimistic retries can starve: a worker
 * that keeps meeting another's UPDATE in flight loses every time (seen: 64
 * losses in a row). After LOCK_AFTER_LOSSES the row is read FOR UPDATE in a
 * transaction, and that write cannot lose. MAX_WRITE_ATTEMPTS only guards
 * against a bug. */
#define LOCK_AFTER_LOSSES 4
#define MAX_WRITE_ATTEMPTS 16

struct doc_query {
	int return_url;
	int return_vectors;
};

/* Query parameters of section 4; problems go to v. */
static void parse_query(const char *query, struct doc_query *q, struct verrs *v)
{
	static const char *const names[] = { "return_url", "return_presigned_urls",
	                                     "return_vectors" };
	memset(q, 0, sizeof *q);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char value[32];
		if (!http_query_param(query, names[i], value, sizeof value))
			continue;
		int b = http_parse_bool(value);
		if (b < 0) {
			verr_add(v, "value could not be parsed to a boolean",
			         "type_error.bool", "query", names[i], NULL, NULL);
			continue;
		}
		if (i == 2)
			q->return_vectors = b;
		else
			q->return_url |= b;
	}
}

/*
 * Authenticates the bearer key and resolves namespace, collection and
 * document in one database round trip, then answers 401/503/500, 404 for the
 * namespace and 403, in that order. Returns 0 to go on (lk filled; caller
 * clears it) or -1 when the response is set.
 */
static int authorize_or_reply(struct app *a, const char *col, const char *doc,
                              int is_write, struct db_lookup *lk)
{
	struct request *req = &a->req;
	unsigned char hash[32];
	size_t klen = 0;
	const char *key = auth_bearer_key(req->authorization, &klen);
	const char *ns;

	if (!key) {
		http_error(&a->resp, 401, "Authorization must be \"Bearer <api key>\"", NULL);
		return -1;
	}
	if (!auth_key_well_formed(key, klen)) {
		http_error(&a->resp, 401, "Invalid or expired API key", NULL);
		return -1;
	}
	auth_hash_key(key, klen, hash);
	/* The key is checked even without a usable X-Namespace: 401 before 400. */
	ns = req->x_namespace_count == 1 ? req->x_namespace : NULL;
	switch (db_lookup(&a->db, req->request_id, hash, ns, col, doc, lk)) {
	case DB_OK:
		break;
	case DB_UNAVAILABLE:
		http_error(&a->resp, 503, "Database unavailable, retry shortly", NULL);
		return -1;
	default:
		http_error(&a->resp, 500, "Internal server error", NULL);
		return -1;
	}
	if (!lk->key_found || !lk->key_valid) {
		http_error(&a->resp, 401, "Invalid or expired API key", NULL);
		return -1;
	}
	if (req->x_namespace_count > 1) {
		http_error(&a->resp, 400, "X-Namespace header sent more than once", NULL);
		return -1;
	}
	if (!ns) {
		http_error(&a->resp, 400, "X-Namespace header is required", NULL);
		return -1;
	}
	if (!lk->ns_id) {
		http_error(&a->resp, 404, "Namespace not found",
		           http_not_found_details("namespace", req->x_namespace));
		return -1;
	}
	if (!lk->ns_allowed) {
		http_error(&a->resp, 403, "This API key may not access this namespace", NULL);
		return -1;
	}
	if (!auth_role_allows(lk->role, is_write)) {
		http_error(&a->resp, 403, "This API key is read-only", NULL);
		return -1;
	}
	return 0;
}

/* 404 for a missing collection or document; 0 when both exist. */
static int locate_or_reply(struct app *a, const char *col, const char *doc,
                           const struct db_lookup *lk)
{
	if (!lk->col_id) {
		http_error(&a->resp, 404, "Collection not found",
		           http_not_found_details("collection", col));
		return -1;
	}
	if (!lk->doc_found) {
		http_error(&a->resp, 404, "Document not found",
		           http_not_found_details("document", doc));
		return -1;
	}
	return 0;
}

/* The presigning check of section 5: refused before anything is written. */
static int presign_ready_or_reply(struct app *a, const struct doc_query *q)
{
	if (q->return_url && !presign_glue_ready(a)) {
		/* credentials.c logs the reason once; this is per request. */
		log_info(a->req.request_id, "presigned URLs requested but no S3 "
		         "credentials are available");
		http_error(&a->resp, 503, "Presigned URLs are not available: "
		           "S3 presigning is not configured on this server", NULL);
		return -1;
	}
	return 0;
}

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

static void set_etag(struct response *resp, long long version)
{
	char etag[32];
	snprintf(etag, sizeof etag, "\"%lld\"", version);
	http_add_header(resp, "ETag", etag);
}

/* The texts of a stored row, as PostgreSQL returned them. */
static void texts_of_row(struct doc_texts *t, const struct db_doc_row *row,
                         const char *docid, const char *col_id)
{
	memset(t, 0, sizeof *t);
	t->document_id = docid;
	t->collection_id = col_id;
	t->sys = row->sys;
	t->metadata = row->metadata;
	t->fields = row->fields;
	t->vector = row->vector;
	t->blobs = row->blobs;
	t->created_at = row->created_at;
	t->updated_at = row->updated_at;
}

/*
 * 200 with the document written straight from its JSON texts (or 204 for
 * Prefer: return=minimal). Nothing is parsed, presigning included.
 */
static void reply_document(struct app *a, struct doc_texts *t, long long version,
                           const struct doc_query *q, int minimal)
{
	struct buf signed_blobs = { 0 }, urls = { 0 };
	char *primary = NULL;

	set_etag(&a->resp, version);
	if (minimal) {
		a->resp.status = 204;
		return;
	}
	if (!q->return_vectors)
		t->vector = NULL;
	if (q->return_url) {
		if (docview_presign_blobs(t->blobs, presign_glue_sign, a, &signed_blobs,
		                          &urls, &primary) != 0) {
			log_error(a->req.request_id, "stored document_blobs are corrupt");
			http_error(&a->resp, 500, "Internal server error", NULL);
			goto cleanup;
		}
		t->blobs = signed_blobs.data;
		t->presigned_urls = urls.data;
		t->presigned_url = primary;
	}
	a->resp.status = 200;
	buf_reset(&a->resp.body);
	docview_write(&a->resp.body, t);
cleanup:
	buf_free(&signed_blobs);
	buf_free(&urls);
	free(primary);
}

static int prefers_minimal(const char *prefer)
{
	return prefer && strstr(prefer, "return=minimal") != NULL;
}

void h_document_get(struct app *a, const char *const *params)
{
	const char *col = params[0], *docid = params[1];
	struct db_lookup lk = { 0 };
	struct verrs v = { 0 };
	struct doc_query q;
	struct doc_texts t;

	if (authorize_or_reply(a, col, docid, 0, &lk))
		goto cleanup;
	parse_query(a->req.query, &q, &v);
	if (verr_count(&v)) {
		verr_respond(&v, &a->resp);
		goto cleanup;
	}
	if (locate_or_reply(a, col, docid, &lk) || presign_ready_or_reply(a, &q))
		goto cleanup;
	if (a->req.if_none_match &&
	    etag_list_matches(a->req.if_none_match, lk.doc.version, 1)) {
		a->resp.status = 304;
		set_etag(&a->resp, lk.doc.version);
		goto cleanup;
	}
	texts_of_row(&t, &lk.doc, docid, lk.col_id);
	reply_document(a, &t, lk.doc.version, &q, 0);
cleanup:
	verr_free(&v);
	db_lookup_clear(&lk);
}

/* Type checks of a merge patch that need no stored document. */
static void check_merge_patch_syntax(struct json_object *patch, struct verrs *v)
{
	struct json_object *x;

	if (!json_object_is_type(patch, json_type_object)) {
		verr_add(v, "a merge patch must be a JSON object", "type_error.dict",
		         "body", NULL, NULL, NULL);
		return;
	}
	if (json_object_object_get_ex(patch, "metadata", &x) &&
	    !json_object_is_type(x, json_type_object))
		verr_add(v, "must be an object", "type_error.dict", "body", "metadata",
		         NULL, NULL);
	if (json_object_object_get_ex(patch, "document_blobs", &x))
		docview_check_blobs(x, v);
}

static void check_json_patch_syntax(struct json_object *ops, struct verrs *v)
{
	struct jp_error err;
	char ix[16];

	if (jp_validate(ops, &err) == JP_OK)
		return;
	snprintf(ix, sizeof ix, "#%d", err.index);
	verr_add(v, err.msg, "value_error.jsonpatch", "body",
	         err.index >= 0 ? ix : NULL, NULL, NULL);
}

/*
 * The general path: the patch applied to the whole document d (the current
 * stored version). Returns 0 with the new writable parts in *m, *b, *f
 * (caller owns), or -1 with the response (409/422) set.
 */
static int patch_document_or_reply(struct app *a, const struct doc *d,
                                   enum body_kind kind, struct json_object *patch,
                                   struct json_object **m, struct json_object **b,
                                   struct json_object **f)
{
	/* render() shares values with d; the patch edits a private deep copy. */
	struct json_object *shared = docview_render(d);
	struct json_object *view = NULL;
	struct verrs v = { 0 };
	int rc = -1;

	json_object_deep_copy(shared, &view, NULL);
	json_object_put(shared);

	if (kind == BODY_MERGE_PATCH) {
		view = jp_merge(view, patch);
	} else {
		struct jp_error err;
		enum jp_status st = jp_apply(&view, patch, &err);
		if (st == JP_ETEST) {
			http_error(&a->resp, 409, err.msg, NULL);
			json_object_put(view);
			goto cleanup;
		}
		if (st != JP_OK) {
			char ix[16];
			snprintf(ix, sizeof ix, "#%d", err.index);
			verr_add(&v, err.msg, "value_error.jsonpatch", "body",
			         err.index >= 0 ? ix : NULL, NULL, NULL);
			verr_respond(&v, &a->resp);
			json_object_put(view);
			goto cleanup;
		}
	}
	if (docview_take_writable(d, view, (int)a->cfg->max_depth, &v, m, b, f) != 0) {
		verr_respond(&v, &a->resp);
		goto cleanup;
	}
	rc = 0;
cleanup:
	verr_free(&v);
	return rc;
}

/* Drops *now (sets it NULL) when it equals the stored value `was`. */
static void drop_if_unchanged(struct json_object **now, struct json_object *was)
{
	if (*now && jp_equal(*now, was)) {
		json_object_put(*now);
		*now = NULL;
	}
}

/*
 * Applies the patch to the stored row. Returns 0 with the new value of each
 * column that changes in *m, *b, *f (caller owns; NULL: keeps its stored
 * value; all three NULL: nothing changes), or -1 with the response set.
 * A merge patch of writable members touches only the columns it names;
 * anything else goes through the whole document (d, caller frees).
 */
static int patch_row_or_reply(struct app *a, const struct db_doc_row *row,
                              const char *docid, const char *col_id,
                              enum body_kind kind, struct json_object *patch,
                              struct doc *d, struct json_object **m,
                              struct json_object **b, struct json_object **f)
{
	struct verrs v = { 0 };
	int rc = -1;

	if (kind == BODY_MERGE_PATCH) {
		switch (docview_merge_columns(row, patch, (int)a->cfg->max_depth, &v,
		                              m, b, f)) {
		case DOCVIEW_MERGED:
			rc = 0;
			goto cleanup;
		case DOCVIEW_INVALID:
			verr_respond(&v, &a->resp);
			goto cleanup;
		case DOCVIEW_CORRUPT:
			goto corrupt;
		case DOCVIEW_GENERAL:
			break;
		}
	}
	docview_free(d);
	if (docview_load(d, row, docid, col_id) != 0)
		goto corrupt;
	if (patch_document_or_reply(a, d, kind, patch, m, b, f))
		goto cleanup;
	drop_if_unchanged(m, d->metadata);
	drop_if_unchanged(b, d->blobs);
	drop_if_unchanged(f, d->fields);
	rc = 0;
	goto cleanup;
corrupt:
	log_error(a->req.request_id, "stored document %lld is corrupt", row->pk);
	http_error(&a->resp, 500, "Internal server error", NULL);
cleanup:
	verr_free(&v);
	return rc;
}

/* The column's new JSON text (owned by o), or NULL when it keeps its own. */
static const char *text_or_null(struct json_object *o)
{
	return o ? json_object_to_json_string_ext(o, JSON_COMPACT) : NULL;
}

void h_document_patch(struct app *a, const char *const *params)
{
	const char *col = params[0], *docid = params[1];
	struct request *req = &a->req;
	struct db_lookup lk = { 0 };
	struct verrs v = { 0 };
	struct doc_query q;
	struct doc d = { 0 };
	struct json_object *patch = NULL, *m = NULL, *b = NULL, *f = NULL;
	PGresult *reloaded = NULL;
	struct db_doc_row row;
	enum body_kind kind;
	struct doc_texts t;
	const char *mt = NULL, *bt = NULL, *ft = NULL;
	int updated = 0, in_txn = 0;
	long long new_version = 0;
	char updated_at[33];

	if (authorize_or_reply(a, col, docid, 1, &lk))
		goto cleanup;
	kind = body_kind_of(req->content_type);
	if (kind == BODY_NONE && (req->has_body || req->content_type)) {
		http_error(&a->resp, 415, "Content-Type must be application/json, "
		           "application/merge-patch+json or application/json-patch+json",
		           NULL);
		goto cleanup;
	}
	if (req->body_truncated) {
		http_error(&a->resp, 400, "Request body is shorter than its Content-Length", NULL);
		goto cleanup;
	}
	if (req->body_too_large) {
		char msg[96];
		snprintf(msg, sizeof msg, "Request body exceeds %ld bytes",
		         a->cfg->body_limit);
		http_error(&a->resp, 413, msg, NULL);
		goto cleanup;
	}
	patch = body_parse_json(req->body.data ? req->body.data : "", req->body.len,
	                        (int)a->cfg->max_depth, &v);
	if (patch && kind == BODY_JSON_PATCH)
		check_json_patch_syntax(patch, &v);
	else if (patch)
		check_merge_patch_syntax(patch, &v);
	parse_query(req->query, &q, &v);
	if (verr_count(&v)) {
		verr_respond(&v, &a->resp);
		goto cleanup;
	}
	if (locate_or_reply(a, col, docid, &lk) || presign_ready_or_reply(a, &q))
		goto cleanup;

	row = lk.doc;
	for (int attempt = 0;; attempt++) {
		if (attempt == MAX_WRITE_ATTEMPTS) {
			log_warn(req->request_id, "document %lld: gave up after %d "
			         "concurrent updates", row.pk, attempt);
			http_error(&a->resp, 503, "Document is busy, retry shortly", NULL);
			goto cleanup;
		}
		if (req->if_match && !etag_list_matches(req->if_match, row.version, 0)) {
			http_error(&a->resp, 412, "If-Match does not match the current "
			           "version of the document", NULL);
			set_etag(&a->resp, row.version);
			goto cleanup;
		}
		if (patch_row_or_reply(a, &row, docid, lk.col_id, kind, patch, &d,
		                       &m, &b, &f))
			goto cleanup;
		if (!m && !b && !f)
			break; /* nothing changes: no write, same version */
		/* The texts written are also the response's (owned by m, b, f). */
		mt = text_or_null(m);
		bt = text_or_null(b);
		ft = text_or_null(f);
		enum db_status st = db_update_doc(&a->db, req->request_id, row.pk,
		                                  row.version, mt, bt, ft, &updated,
		                                  &new_version, updated_at);
		if (st != DB_OK) {
			if (st == DB_UNAVAILABLE)
				http_error(&a->resp, 503, "Database unavailable, the change "
				           "was not applied; retry shortly", NULL);
			else
				http_error(&a->resp, 500, "Internal server error", NULL);
			goto cleanup;
		}
		if (updated)
			break;
		/* Someone else wrote first: apply the patch to their version. */
		json_object_put(m);
		json_object_put(b);
		json_object_put(f);
		m = b = f = NULL;
		PQclear(reloaded);
		reloaded = NULL;
		if (attempt + 1 >= LOCK_AFTER_LOSSES && !in_txn) {
			log_info(req->request_id, "document %lld: lost %d races, "
			         "writing under a row lock", row.pk, attempt + 1);
			st = db_begin(&a->db, req->request_id);
			in_txn = st == DB_OK;
		}
		if (st == DB_OK)
			st = db_reload_doc(&a->db, req->request_id, row.pk, in_txn,
			                   &reloaded, &row);
		if (st != DB_OK) {
			http_error(&a->resp, st == DB_UNAVAILABLE ? 503 : 500,
			           st == DB_UNAVAILABLE ? "Database unavailable, retry shortly"
			                                : "Internal server error", NULL);
			goto cleanup;
		}
		if (row.pk == 0) {
			http_error(&a->resp, 404, "Document not found",
			           http_not_found_details("document", docid));
			goto cleanup;
		}
	}
	if (in_txn) {
		enum db_status st = db_commit(&a->db, req->request_id);
		in_txn = 0;
		if (st != DB_OK) {
			http_error(&a->resp, st == DB_UNAVAILABLE ? 503 : 500,
			           st == DB_UNAVAILABLE ? "Database unavailable, the change "
			           "may not have been applied; retry shortly"
			                                : "Internal server error", NULL);
			goto cleanup;
		}
	}
	texts_of_row(&t, &row, docid, lk.col_id);
	if (updated) {
		if (mt)
			t.metadata = mt;
		if (bt)
			t.blobs = bt;
		if (ft)
			t.fields = ft;
		t.updated_at = updated_at;
		reply_document(a, &t, new_version, &q, prefers_minimal(req->prefer));
	} else {
		reply_document(a, &t, row.version, &q, prefers_minimal(req->prefer));
	}
cleanup:
	if (in_txn)
		db_rollback(&a->db, req->request_id); /* nothing written on error */
	json_object_put(patch);
	json_object_put(m);
	json_object_put(b);
	json_object_put(f);
	docview_free(&d);
	PQclear(reloaded);
	verr_free(&v);
	db_lookup_clear(&lk);
}
