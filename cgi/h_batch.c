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
#include "batch_request.h"
#include "db_documents.h"
#include "handlers.h"
#include "log.h"
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
	if (st != DB_OK && in_txn) {  /* an aborted dry run: over before anything else runs */
		db_rollback(c->db, c->req->request_id);
		in_txn = 0;
	}
	if (st == DB_ERROR && call_refuse_bad_value(c, c->db, &r)) {
		*answered = 1;
		goto cleanup;
	}
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

/* Preference-Applied of a 200: the guards that were applied. */
static void applied(struct call *c, const struct write_guard *g)
{
	if (!g->applied[0])
		return;
	snprintf(c->resp->preference_text, sizeof c->resp->preference_text, "%s", g->applied);
	c->resp->preference_applied = c->resp->preference_text;
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
	applied(c, g);
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
		applied(c, g);
	}
	verr_free(&v);
}

/* Runs a checked request: guards read, statement run, answered. */
static enum h_result answer(struct call *c, struct batch_request *br, struct verrs *v,
                            const char *count_name, const char *message)
{
	struct write_guard g;
	struct outcome o = { 0 };
	int answered = 0;
	enum h_result r;

	write_guard_parse(&g, c->req->prefer, v);
	br->q.max_affected = g.max_affected;
	br->q.ts_config = c->cfg->text_search_config;
	br->q.max_depth = (int)c->cfg->max_depth;
	if (verr_count(v))
		return call_refuse_invalid(c, v);
	r = run(c, &br->q, &g, &o, &answered);
	if (!answered && count_name)
		reply_batch(c, &o, &g, br->q.atomic, count_name, message);
	else if (!answered)
		reply_bulk(c, &o, &g);
	outcome_clear(&o);
	return r;
}

enum h_result h_batch_update(struct call *c)
{
	struct batch_request br;
	struct verrs v = { 0 };

	batch_request_update(&br, c->body, &v);
	enum h_result r = answer(c, &br, &v, "updated_count", "Batch update completed");
	batch_request_clear(&br);
	verr_free(&v);
	return r;
}

enum h_result h_batch_delete(struct call *c)
{
	struct batch_request br;
	struct verrs v = { 0 };

	batch_request_delete(&br, c->body, &v);
	enum h_result r = answer(c, &br, &v, "deleted_count", "Batch delete completed");
	batch_request_clear(&br);
	verr_free(&v);
	return r;
}

enum h_result h_bulk(struct call *c)
{
	struct batch_request br;
	struct verrs v = { 0 };

	batch_request_bulk(&br, c->body, strcmp(c->cfg->require_filters, "false") != 0, &v);
	enum h_result r = answer(c, &br, &v, NULL, NULL);
	batch_request_clear(&br);
	verr_free(&v);
	return r;
}
