/*
 * h_objects.c - GET /v1/objects/{object}/documents and
 * GET /v1/objects/{object}/decomposition-tree (contract section 13).
 *
 * R_FUSED routes: the query is checked here (a cursor against its
 * signature), then one statement authenticates, resolves the namespace
 * and the collections named, and reads the documents by the
 * root_object_id index (public.docapi_object_documents) or builds the tree
 * as JSON (public.docapi_object_tree).
 */
#include "cursor.h"
#include "db_documents.h"
#include "handlers.h"
#include "log.h"
#include "prefer.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OBJECTS_MAX_COLS 100
#define OBJECTS_MAX_LIMIT 1000

/* The checked query of the documents route. Owns its strings. */
struct objects_query {
	char *cols[OBJECTS_MAX_COLS];   /* sorted, without repeats */
	int ncols;
	long long limit;
	int count;                      /* include_total or Prefer: count=... */
	int has_cursor;                 /* the query has one (maybe empty) */
	char cursor[CURSOR_MAX + 1];
	struct json_object *position;   /* the cursor's ["col_", us, "doc_"] */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* collection_ids, repeated: sorted and without repeats (the order of the
 * results does not depend on it). */
static void parse_cols(const char *query, struct objects_query *oq, struct verrs *v)
{
	const char *pos = query;
	char value[256];

	while (http_query_next(&pos, "collection_ids", value, sizeof value)) {
		if (!value[0] || value[0] == '\x01') {
			verr_add(v, "must be a collection id or name", "value_error",
			         "query", "collection_ids", NULL, NULL);
			return;
		}
		if (oq->ncols == OBJECTS_MAX_COLS) {
			verr_add(v, "at most 100 collections", "value_error.list.max_items",
			         "query", "collection_ids", NULL, NULL);
			return;
		}
		oq->cols[oq->ncols++] = xstrdup(value);
	}
	qsort(oq->cols, (size_t)oq->ncols, sizeof oq->cols[0], cmp_str);
	int n = 0;
	for (int i = 0; i < oq->ncols; i++) {
		if (n && strcmp(oq->cols[n - 1], oq->cols[i]) == 0)
			free(oq->cols[i]);
		else
			oq->cols[n++] = oq->cols[i];
	}
	oq->ncols = n;
}

/* What a cursor of this query is bound to: route, object, collections. */
static void binding_of(struct buf *b, const char *object, const struct objects_query *oq)
{
	buf_printf(b, "objects/documents\n%zu:%s", strlen(object), object);
	for (int i = 0; i < oq->ncols; i++)
		buf_printf(b, "\n%zu:%s", strlen(oq->cols[i]), oq->cols[i]);
}

/* Opens the query's cursor: its position, or a problem. */
static enum h_result open_cursor(struct call *c, struct objects_query *oq,
                                 const char *object, struct verrs *v)
{
	struct buf binding = { 0 };
	const char *secret;
	char *text = NULL;
	enum h_result r = call_cursor_secret(c, &secret);

	if (r != H_DONE)
		return r;
	binding_of(&binding, object, oq);
	text = cursor_open(oq->cursor, secret, strlen(secret), binding.data);
	struct json_object *p = text ? json_tokener_parse(text) : NULL;
	if (!json_object_is_type(p, json_type_array) || json_object_array_length(p) != 3 ||
	    !json_object_is_type(json_object_array_get_idx(p, 0), json_type_string) ||
	    !json_object_is_type(json_object_array_get_idx(p, 1), json_type_int) ||
	    !json_object_is_type(json_object_array_get_idx(p, 2), json_type_string)) {
		verr_add(v, "invalid cursor", "value_error.cursor", "query", "cursor",
		         NULL, NULL);
		json_object_put(p);
		p = NULL;
	}
	oq->position = p;
	free(text);
	buf_free(&binding);
	return H_DONE;
}

static void parse_query(struct call *c, struct objects_query *oq, struct verrs *v)
{
	const char *q = c->req->query;
	char value[32];

	parse_cols(q, oq, v);
	oq->limit = OBJECTS_MAX_LIMIT;
	if (http_query_int(q, "limit", 1, OBJECTS_MAX_LIMIT, &oq->limit) < 0)
		verr_add(v, "must be an integer from 1 to 1000", "type_error.integer",
		         "query", "limit", NULL, NULL);
	if (http_query_param(q, "include_total", value, sizeof value)) {
		int b = http_parse_bool(value);
		if (b < 0)
			verr_add(v, "value could not be parsed to a boolean", "type_error.bool",
			         "query", "include_total", NULL, NULL);
		oq->count = b > 0;
	}
	int pv = prefer_value(c->req->prefer, "count", value, sizeof value);
	if (pv != 0) {
		if (pv < 0 || (strcasecmp(value, "exact") && strcasecmp(value, "planned")))
			verr_add(v, "count must be exact or planned", "value_error.prefer",
			         "header", "Prefer", NULL, NULL);
		else {
			/* The root_object_id index makes the exact count cheap: a planned
			 * count is answered with it. */
			oq->count = 1;
			c->resp->preference_applied = "count=exact";
		}
	}
	/* An undecodable or too long value reads "\x01invalid": refused on open. */
	oq->has_cursor = http_query_param(q, "cursor", oq->cursor, sizeof oq->cursor);
}

/* The response for the documents found. */
static enum h_result reply_documents(struct call *c, const char *object,
                                     const struct objects_query *oq,
                                     const struct db_listed *l)
{
	struct buf *b = &c->resp->body;
	struct json_object *s = json_object_new_string(object);
	const char *doc_id = NULL, *col_id = NULL, *key = NULL;
	int shown = l->n < oq->limit ? l->n : (int)oq->limit;
	enum h_result r = H_DONE;

	buf_reset(b);
	buf_puts(b, "{\"object_id\":");
	buf_puts(b, json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN));
	buf_puts(b, ",\"documents\":[");
	for (int i = 0; i < shown && r == H_DONE; i++) {
		struct stored_doc row;
		db_listed_doc(l, i, &row, &doc_id, &col_id, &key);
		if (i)
			buf_putc(b, ',');
		r = h_append_row(c, &row, doc_id, col_id, b);
	}
	buf_puts(b, "],\"pagination\":{\"has_more\":");
	buf_puts(b, l->n > shown ? "true" : "false");
	if (r == H_DONE && l->n > shown) {
		struct buf binding = { 0 }, pos = { 0 };
		const char *secret;
		struct json_object *jc = json_object_new_string(col_id);
		struct json_object *jd = json_object_new_string(doc_id);
		r = call_cursor_secret(c, &secret);
		if (r == H_DONE) {
			binding_of(&binding, object, oq);
			buf_printf(&pos, "[%s,%s,%s]", json_object_to_json_string(jc), key,
			           json_object_to_json_string(jd));
			buf_puts(b, ",\"next_cursor\":\"");
			cursor_make(b, secret, strlen(secret), binding.data, pos.data);
			buf_putc(b, '"');
		}
		json_object_put(jc);
		json_object_put(jd);
		buf_free(&binding);
		buf_free(&pos);
	}
	if (oq->count)
		buf_printf(b, ",\"total\":%lld", l->total);
	buf_putc(b, '}');
	if (oq->count && l->by_collection) {
		buf_puts(b, ",\"by_collection\":");
		buf_puts(b, l->by_collection);
	}
	buf_putc(b, '}');
	c->resp->status = 200;
	json_object_put(s);
	return r;
}

enum h_result h_object_documents(struct call *c)
{
	const char *object = c->params[0];
	struct objects_query oq = { 0 };
	struct verrs v = { 0 };
	struct db_listed l = { 0 };
	enum h_result r = H_DONE;

	parse_query(c, &oq, &v);
	if (!verr_count(&v) && oq.has_cursor)
		r = open_cursor(c, &oq, object, &v);
	if (r != H_DONE)
		goto cleanup;
	if (verr_count(&v)) {
		r = call_refuse_invalid(c, &v);
		goto cleanup;
	}
	struct db_object_query q = {
		.object_id = object, .cols = oq.ncols ? (const char *const *)oq.cols : NULL,
		.ncols = oq.ncols, .limit = (int)oq.limit, .count = oq.count,
	};
	if (oq.position) {
		q.after_col = json_object_get_string(json_object_array_get_idx(oq.position, 0));
		q.after_us = json_object_get_int64(json_object_array_get_idx(oq.position, 1));
		q.after_doc = json_object_get_string(json_object_array_get_idx(oq.position, 2));
	}
	enum db_status st = db_object_documents(c->db_read, c->req->request_id, c->key_hash,
	                                        call_namespace(c), &q, &l);
	if (st == DB_UNAVAILABLE && c->db_read != c->db)
		st = db_object_documents(c->db, c->req->request_id, c->key_hash,
		                         call_namespace(c), &q, &l);
	if (st != DB_OK) {
		r = h_of_db(st);
		goto cleanup;
	}
	c->scope = l.scope;  /* the dispatcher releases it */
	if (call_refuse_scope(c))
		goto cleanup;
	if (l.scope.outcome == 'U') {
		http_error(c->resp, 404, "Collection not found",
		           http_not_found_details("collection", l.scope.col_id));
		goto cleanup;
	}
	r = reply_documents(c, object, &oq, &l);
cleanup:
	for (int i = 0; i < oq.ncols; i++)
		free(oq.cols[i]);
	json_object_put(oq.position);
	verr_free(&v);
	return r;
}

enum h_result h_object_tree(struct call *c)
{
	const char *q = c->req->query;
	struct verrs v = { 0 };
	struct db_found f = { 0 };
	char value[32];
	int with_ids = 0;
	enum h_result r = H_DONE;

	if (http_query_param(q, "include_document_ids", value, sizeof value) &&
	    (with_ids = http_parse_bool(value)) < 0)
		verr_add(&v, "value could not be parsed to a boolean", "type_error.bool",
		         "query", "include_document_ids", NULL, NULL);
	if (verr_count(&v)) {
		r = call_refuse_invalid(c, &v);
		goto cleanup;
	}
	enum db_status st = db_object_tree(c->db_read, c->req->request_id, c->key_hash,
	                                   call_namespace(c), c->params[0], with_ids, &f);
	if (st == DB_UNAVAILABLE && c->db_read != c->db)
		st = db_object_tree(c->db, c->req->request_id, c->key_hash, call_namespace(c),
		                    c->params[0], with_ids, &f);
	if (st != DB_OK) {
		r = h_of_db(st);
		goto cleanup;
	}
	c->scope = f.scope;  /* the dispatcher releases it */
	f.scope.res = NULL;
	if (call_refuse_scope(c))
		goto cleanup;
	buf_reset(&c->resp->body);
	buf_puts(&c->resp->body, f.found ? f.found : "{}");
	c->resp->status = 200;
cleanup:
	verr_free(&v);
	db_found_clear(&f);
	return r;
}
