/*
 * h_aggregate.c - POST /v1/collections/{collection}/documents/aggregate
 * (contract section 12).
 *
 * An R_FUSED route: the body is compiled (aggregate.c) into one statement
 * with the scope, and PostgreSQL answers it with the response's results;
 * the handler adds query_info.
 */
#include "aggregate.h"
#include "db_documents.h"
#include "handlers.h"

#include <json-c/json.h>
#include <string.h>

enum h_result h_aggregate(struct call *c)
{
	struct filter_sql f = { 0 };
	struct verrs v = { 0 };
	struct db_found out = { 0 };
	enum h_result r = H_DONE;

	aggregate_build(&f, c->body, c->cfg->text_search_config, &v);
	if (verr_count(&v)) {
		r = call_refuse_invalid(c, &v);
		goto cleanup;
	}
	struct db *db = c->db_read;
	enum db_status st = db_run_found(db, c->req->request_id, c->key_hash, call_namespace(c),
	                                 c->params[0], &f, &out);
	if (st == DB_UNAVAILABLE && db != c->db) {
		db = c->db;
		st = db_run_found(db, c->req->request_id, c->key_hash, call_namespace(c),
		                  c->params[0], &f, &out);
	}
	if (st == DB_ERROR && call_refuse_bad_value(c, db, &r))
		goto cleanup;
	if (st != DB_OK) {
		r = h_of_db(st);
		goto cleanup;
	}
	c->scope = out.scope;  /* the dispatcher releases it */
	out.scope.res = NULL;
	if (call_refuse_scope(c) || call_refuse_missing(c))
		goto cleanup;
	/* {"results", "total_groups"} + query_info */
	const char *found = out.found ? out.found : "{\"results\":[],\"total_groups\":0}";
	size_t n = strlen(found);
	struct json_object *col = json_object_new_string(c->scope.col_id);
	struct buf *b = &c->resp->body;
	buf_reset(b);
	buf_append(b, found, n - 1);  /* without its closing brace */
	buf_printf(b, ",\"query_info\":{\"collection_id\":%s,\"matched_documents\":%lld,"
	           "\"truncated\":%s}}", json_object_to_json_string(col), out.last_seq,
	           out.has_more ? "true" : "false");
	json_object_put(col);
	c->resp->status = 200;
cleanup:
	filter_free(&f);
	verr_free(&v);
	db_found_clear(&out);
	return r;
}
