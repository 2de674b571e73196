/*
 * h_batch.c - the many-document writes (contract section 11):
 * POST .../documents/batch (batch update), DELETE .../documents/batch
 * (batch delete) and PATCH .../documents/bulk (bulk update).
 *
 * R_FUSED routes. Everything that needs no document is checked first: the
 * body's shape, the guard rails (filters required; "filters": {} is every
 * document; Prefer: max-affected and tx=rollback, write_guard.h) and, in
 * bulk, a read-only field named at all. Then one statement (batch.c)
 * decides per document and writes; a dry run is that statement inside a
 * transaction that is rolled back.
 */
#include "batch.h"
#include "db_documents.h"
#include "handlers.h"
#include "log.h"
#include "update_data.h"
#include "write_guard.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define JSON_COMPACT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* What the statement found: {"ok", "failed", "results"} (owned). */
struct outcome {
	long long ok, failed, written;
	struct json_object *found, *results;
};

/* Runs the statement of q (a dry run under g->rollback) and answers the
 * scope's refusals. *answered is set when the response is made. */
static enum h_result run(struct call *c, const struct batch_query *q,
                         const struct write_guard *g, struct outcome *o, int *answered)
{
	struct filter_sql f = { 0 };
	struct db_found out = { 0 };
	struct verrs v = { 0 };
	struct json_object *m;
	enum h_result r = H_DONE;
	int in_txn = 0;

	*answered = 0;
	memset(o, 0, sizeof *o);
	if (batch_build(&f, q, &v)) {
		r = call_refuse_invalid(c, &v);
		*answered = 1;
		goto cleanup;
	}
	enum db_status st = DB_OK;
	if (g->rollback) {
		st = db_begin(c->db, c->req->request_id);
		in_txn = st == DB_OK;
	}
	if (st == DB_OK)
		st = db_run_found(c->db, c->req->request_id, c->key_hash, call_namespace(c),
		                  c->params[0], &f, &out);
	if (st != DB_OK) {
		r = h_of_db(st);
		*answered = 1;
		goto cleanup;
	}
	c->scope = out.scope;  /* the dispatcher releases it */
	out.scope.res = NULL;
	if (call_refuse_scope(c) || call_refuse_missing(c)) {
		*answered = 1;
		goto cleanup;
	}
	o->found = out.found ? json_tokener_parse(out.found) : NULL;
	o->written = out.last_seq;
	if (json_object_object_get_ex(o->found, "ok", &m))
		o->ok = json_object_get_int64(m);
	if (json_object_object_get_ex(o->found, "failed", &m))
		o->failed = json_object_get_int64(m);
	if (!json_object_object_get_ex(o->found, "results", &o->results) ||
	    !json_object_is_type(o->results, json_type_array)) {
		log_error(c->req->request_id, "batch: the statement returned no results");
		r = H_FAILED;
		*answered = 1;
	}
cleanup:
	if (in_txn)
		db_rollback(c->db, c->req->request_id);
	filter_free(&f);
	verr_free(&v);
	db_found_clear(&out);
	return r;
}

static void outcome_clear(struct outcome *o)
{
	json_object_put(o->found);
	memset(o, 0, sizeof *o);
}

/* The 200 of a batch, or its refusals: max-affected (422), then atomic
 * with a failed item (409). */
static void reply_batch(struct call *c, const struct outcome *o, const struct write_guard *g,
                        int atomic, const char *count_name, const char *message)
{
	struct verrs v = { 0 };

	if (write_guard_refuse(g, o->ok, &v)) {
		verr_respond(&v, c->resp);
		return;
	}
	if (atomic && o->failed) {
		struct json_object *d = json_object_new_object(), *failed = json_object_new_array();
		char msg[96];
		size_t n = json_object_array_length(o->results);
		for (size_t i = 0; i < n; i++) {
			struct json_object *it = json_object_array_get_idx(o->results, i), *ok;
			if (json_object_object_get_ex(it, "success", &ok) && !json_object_get_boolean(ok))
				json_object_array_add(failed, json_object_get(it));
		}
		json_object_object_add(d, "failed_count", json_object_new_int64(o->failed));
		json_object_object_add(d, "results", failed);
		snprintf(msg, sizeof msg, "Batch not applied: %lld item(s) failed", o->failed);
		http_error(c->resp, 409, msg, d);
		return;
	}
	buf_reset(&c->resp->body);
	buf_printf(&c->resp->body, "{\"%s\":%lld,\"failed_count\":%lld,\"results\":%s,"
	           "\"message\":\"%s\"}", count_name, o->ok, o->failed,
	           json_object_to_json_string_ext(o->results, JSON_COMPACT), message);
	c->resp->status = 200;
	if (g->applied[0]) {
		snprintf(c->resp->preference_text, sizeof c->resp->preference_text, "%s", g->applied);
		c->resp->preference_applied = c->resp->preference_text;
	}
}

/* The body's member k, NULL when absent or null. */
static struct json_object *member(struct json_object *b, const char *k)
{
	struct json_object *m = NULL;
	json_object_object_get_ex(b, k, &m);
	return json_object_is_type(m, json_type_null) ? NULL : m;
}

/* 1 when the body is a JSON object; a problem in v otherwise. */
static int object_body(struct json_object *b, struct verrs *v)
{
	if (json_object_is_type(b, json_type_object))
		return 1;
	verr_add(v, "must be a JSON object", "type_error.dict", "body", NULL, NULL, NULL);
	return 0;
}

/* "atomic": absent, null or a boolean. */
static int parse_atomic(struct json_object *b, struct verrs *v)
{
	struct json_object *a = member(b, "atomic");
	if (a && !json_object_is_type(a, json_type_boolean)) {
		verr_add(v, "value could not be parsed to a boolean", "type_error.bool", "body",
		         "atomic", NULL, NULL);
		return 0;
	}
	return a && json_object_get_boolean(a);
}

/* "#i" for an array index in a loc. */
static const char *idx(char *out, size_t n, size_t i)
{
	snprintf(out, n, "#%zu", i);
	return out;
}

/*
 * The items of a list of document ids (`key`: "updates" holds objects
 * with document_id and update_data, "document_ids" strings) as the JSON
 * array batch.h reads, or NULL with problems in v: a list out of bounds,
 * an item of the wrong shape, an id repeated. An update_data that cannot
 * apply to any document (metadata not an object, bad blobs) fails its
 * item, not the request.
 */
static struct json_object *parse_items(struct json_object *list, const char *key,
                                       struct verrs *v)
{
	int updates = !strcmp(key, "updates"), before = verr_count(v);
	struct json_object *items = NULL, *seen = json_object_new_object();
	char ix[24], msg[300];

	if (!json_object_is_type(list, json_type_array) || json_object_array_length(list) < 1 ||
	    json_object_array_length(list) > BATCH_MAX_ITEMS) {
		snprintf(msg, sizeof msg, "must be a list of 1 to %d items", BATCH_MAX_ITEMS);
		verr_add(v, msg, "value_error.list", "body", key, NULL, NULL);
		goto done;
	}
	items = json_object_new_array();
	size_t n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i), *id = e, *ud = NULL;
		if (updates) {
			if (!json_object_is_type(e, json_type_object)) {
				verr_add(v, "must be an object", "type_error.dict", "body", key,
				         idx(ix, sizeof ix, i), NULL);
				continue;
			}
			id = member(e, "document_id");
			ud = member(e, "update_data");
			if (!ud)
				verr_add(v, "field required", "value_error.missing", "body", key,
				         idx(ix, sizeof ix, i), "update_data");
			else if (!json_object_is_type(ud, json_type_object))
				verr_add(v, "must be an object", "type_error.dict", "body", key,
				         idx(ix, sizeof ix, i), "update_data");
		}
		if (!json_object_is_type(id, json_type_string)) {
			verr_add(v, id ? "must be a string" : "field required",
			         id ? "type_error.str" : "value_error.missing", "body", key,
			         idx(ix, sizeof ix, i), updates ? "document_id" : NULL);
			continue;
		}
		const char *s = json_object_get_string(id);
		if (json_object_object_get_ex(seen, s, NULL)) {
			verr_add(v, "document_id repeated in this request", "value_error.duplicate",
			         "body", key, idx(ix, sizeof ix, i), updates ? "document_id" : NULL);
			continue;
		}
		json_object_object_add(seen, s, NULL);
		if (verr_count(v) > before)
			continue;  /* the request fails: build no more items */
		struct json_object *item;
		if (updates) {
			struct update_data u;
			struct verrs iv = { 0 };
			if (update_data_split(&u, ud, &iv)) {
				struct json_object *d = verr_take(&iv), *first = json_object_array_get_idx(d, 0);
				struct json_object *loc, *m;
				json_object_object_get_ex(first, "loc", &loc);
				json_object_object_get_ex(first, "msg", &m);
				size_t nl = json_object_array_length(loc);
				struct json_object *field = nl > 2 ? json_object_array_get_idx(loc, 2) : NULL;
				snprintf(msg, sizeof msg, "update_data%s%.80s: %.180s", field ? "." : "",
				         field ? json_object_get_string(field) : "", json_object_get_string(m));
				item = json_object_new_object();
				json_object_object_add(item, "err", json_object_new_string(msg));
				json_object_put(d);
			} else {
				item = update_data_item(&u);
			}
			update_data_clear(&u);
			verr_free(&iv);
		} else {
			item = json_object_new_object();
		}
		json_object_object_add(item, "i", json_object_get(id));
		json_object_array_add(items, item);
	}
	if (verr_count(v) > before) {
		json_object_put(items);
		items = NULL;
	}
done:
	json_object_put(seen);
	return items;
}

/* The filters of a filter-mode write: required (what = "update" or
 * "delete"), unless `optional`. NULL: every document. */
static struct json_object *required_filters(struct json_object *b, const char *what,
                                            int optional, struct verrs *v)
{
	struct json_object *f = member(b, "filters");
	char msg[96];

	if (!f && !optional) {
		snprintf(msg, sizeof msg, "filters is required; send \"filters\": {} to %s every "
		         "document", what);
		verr_add(v, msg, "value_error.missing", "body", "filters", NULL, NULL);
	}
	return f;
}

/* update_data of a filter-mode write, split into u; its text in *text. */
static void filter_update(struct json_object *b, struct update_data *u, struct json_object **item,
                          struct verrs *v)
{
	struct json_object *ud = member(b, "update_data");

	if (!ud)
		verr_add(v, "field required", "value_error.missing", "body", "update_data", NULL, NULL);
	else if (update_data_split(u, ud, v) == 0)
		*item = update_data_item(u);
}

/* The whole request: shape checked, guards read, statement run, answered. */
static enum h_result batch_request(struct call *c, struct batch_query *q, struct verrs *v,
                                   const char *count_name, const char *message)
{
	struct write_guard g;
	struct outcome o;
	int answered;
	enum h_result r;

	write_guard_parse(&g, c->req->prefer, v);
	q->max_affected = g.max_affected;
	q->ts_config = c->cfg->text_search_config;
	q->max_depth = (int)c->cfg->max_depth;
	if (verr_count(v))
		return call_refuse_invalid(c, v);
	r = run(c, q, &g, &o, &answered);
	if (!answered)
		reply_batch(c, &o, &g, q->atomic, count_name, message);
	outcome_clear(&o);
	return r;
}

enum h_result h_batch_update(struct call *c)
{
	struct json_object *b = c->body, *updates, *items = NULL, *item = NULL;
	struct batch_query q = { .op = BATCH_UPDATE };
	struct update_data u = { 0 };
	struct verrs v = { 0 };

	updates = member(b, "updates");
	q.atomic = parse_atomic(b, &v);
	if (!object_body(b, &v)) {
		;
	} else if (updates && (member(b, "filters") || member(b, "update_data"))) {
		verr_add(&v, "send updates, or filters with update_data, not both",
		         "value_error.batch_mode", "body", "updates", NULL, NULL);
	} else if (updates) {
		items = parse_items(updates, "updates", &v);
	} else if (!member(b, "update_data")) {
		verr_add(&v, "field required: updates, or filters with update_data",
		         "value_error.missing", "body", "updates", NULL, NULL);
	} else {
		q.filters = required_filters(b, "update", 0, &v);
		filter_update(b, &u, &item, &v);
	}
	q.items = items ? json_object_to_json_string_ext(items, JSON_COMPACT) : NULL;
	q.update = item ? json_object_to_json_string_ext(item, JSON_COMPACT) : NULL;
	enum h_result r = batch_request(c, &q, &v, "updated_count", "Batch update completed");
	json_object_put(items);
	json_object_put(item);
	update_data_clear(&u);
	verr_free(&v);
	return r;
}

enum h_result h_batch_delete(struct call *c)
{
	struct json_object *b = c->body, *ids, *items = NULL;
	struct batch_query q = { .op = BATCH_DELETE };
	struct verrs v = { 0 };

	ids = member(b, "document_ids");
	q.atomic = parse_atomic(b, &v);
	if (!object_body(b, &v))
		;
	else if (ids && member(b, "filters"))
		verr_add(&v, "send document_ids or filters, not both", "value_error.batch_mode",
		         "body", "document_ids", NULL, NULL);
	else if (ids)
		items = parse_items(ids, "document_ids", &v);
	else
		q.filters = required_filters(b, "delete", 0, &v);
	q.items = items ? json_object_to_json_string_ext(items, JSON_COMPACT) : NULL;
	enum h_result r = batch_request(c, &q, &v, "deleted_count", "Batch delete completed");
	json_object_put(items);
	verr_free(&v);
	return r;
}

/* Bulk's answer: all or nothing, refusals as 422s (section 11). */
static void reply_bulk(struct call *c, const struct outcome *o, const struct write_guard *g)
{
	struct verrs v = { 0 };
	char msg[320];

	if (!write_guard_refuse(g, o->ok + o->failed, &v)) {
		size_t n = json_object_array_length(o->results);
		for (size_t i = 0; i < n && i < 100; i++) {
			struct json_object *it = json_object_array_get_idx(o->results, i), *d, *e;
			json_object_object_get_ex(it, "document_id", &d);
			json_object_object_get_ex(it, "error", &e);
			snprintf(msg, sizeof msg, "document %.120s cannot take this update: %.160s",
			         json_object_get_string(d), json_object_get_string(e));
			verr_add(&v, msg, "value_error.update_data", "body", "update_data", NULL, NULL);
		}
	}
	if (verr_count(&v)) {
		verr_respond(&v, c->resp);
	} else {
		buf_reset(&c->resp->body);
		buf_printf(&c->resp->body, "{\"updated_count\":%lld,\"message\":\"Documents updated "
		           "successfully\"}", o->written);
		c->resp->status = 200;
		if (g->applied[0]) {
			snprintf(c->resp->preference_text, sizeof c->resp->preference_text, "%s",
			         g->applied);
			c->resp->preference_applied = c->resp->preference_text;
		}
	}
	verr_free(&v);
}

enum h_result h_bulk(struct call *c)
{
	struct json_object *item = NULL;
	struct batch_query q = { .op = BATCH_UPDATE, .atomic = 1 };
	struct update_data u = { 0 };
	struct write_guard g;
	struct verrs v = { 0 };
	struct outcome o = { 0 };
	enum h_result r = H_DONE;
	int answered;

	if (object_body(c->body, &v)) {
		q.filters = required_filters(c->body, "update",
		                             !strcmp(c->cfg->require_filters, "false"), &v);
		filter_update(c->body, &u, &item, &v);
	}
	if (u.read_only) {  /* in bulk, naming one at all is refused */
		char msg[200];
		snprintf(msg, sizeof msg, "Field '%.150s' is read-only", u.read_only);
		verr_add(&v, msg, "value_error.read_only", "body", "update_data", u.read_only, NULL);
	}
	write_guard_parse(&g, c->req->prefer, &v);
	if (verr_count(&v)) {
		r = call_refuse_invalid(c, &v);
		goto cleanup;
	}
	q.update = json_object_to_json_string_ext(item, JSON_COMPACT);
	q.max_affected = g.max_affected;
	q.ts_config = c->cfg->text_search_config;
	q.max_depth = (int)c->cfg->max_depth;
	r = run(c, &q, &g, &o, &answered);
	if (!answered)
		reply_bulk(c, &o, &g);
cleanup:
	outcome_clear(&o);
	json_object_put(item);
	update_data_clear(&u);
	verr_free(&v);
	return r;
}
