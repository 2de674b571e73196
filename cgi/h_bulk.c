/*
 * h_bulk.c - PATCH /v1/collections/{collection}/documents/bulk (contract
 * section 11).
 *
 * An R_FUSED route. The guard rails come first: filters are required
 * unless require_filters = false ("filters": {} is every document), a
 * read-only field in update_data is a 422 before any document is read,
 * Prefer: max-affected=N refuses a write to more than N documents, and
 * Prefer: tx=rollback runs the request as a dry run inside a transaction
 * that is rolled back. Then one statement (bulk.c) updates every match or
 * none.
 */
#include "bulk.h"
#include "db_documents.h"
#include "handlers.h"
#include "prefer.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The write guards of Prefer (section 11): max-affected (-1: none) and
 * tx=rollback. Problems (malformed values) to v. */
static void parse_prefer(const char *prefer, long long *max, int *rollback, struct verrs *v)
{
	char value[32];
	int r;

	*max = -1;
	*rollback = 0;
	if ((r = prefer_value(prefer, "max-affected", value, sizeof value)) != 0) {
		size_t n = strlen(value);
		if (r < 0 || n < 1 || n > 18 || strspn(value, "0123456789") != n)
			verr_add(v, "max-affected must be an integer >= 0", "value_error.prefer", "header",
			         "Prefer", NULL, NULL);
		else
			*max = strtoll(value, NULL, 10);
	}
	if ((r = prefer_value(prefer, "tx", value, sizeof value)) != 0) {
		if (r < 0 || (strcasecmp(value, "commit") && strcasecmp(value, "rollback")))
			verr_add(v, "tx must be commit or rollback", "value_error.prefer", "header",
			         "Prefer", NULL, NULL);
		else
			*rollback = !strcasecmp(value, "rollback");
	}
}

/* The answer for what the statement found (nothing written unless 200). */
static void reply(struct call *c, const struct db_found *out, long long max, int rollback)
{
	struct json_object *found = out->found ? json_tokener_parse(out->found) : NULL, *bad, *m;
	long long matched = json_object_object_get_ex(found, "matched", &m) ? json_object_get_int64(m) : 0;
	size_t nbad = json_object_object_get_ex(found, "bad", &bad) &&
	              json_object_is_type(bad, json_type_array) ? json_object_array_length(bad) : 0;
	struct verrs v = { 0 };
	char msg[256];

	if (max >= 0 && matched > max) {
		snprintf(msg, sizeof msg, "%lld documents would be affected, more than max-affected=%lld",
		         matched, max);
		verr_add(&v, msg, "value_error.max_affected", "header", "Prefer", NULL, NULL);
	}
	int refused = verr_count(&v);  /* by max-affected: the bad ones do not matter then */
	for (size_t i = 0; !refused && i < nbad; i++) {
		snprintf(msg, sizeof msg, "document %.120s cannot take this update (a path through a "
		         "value that is not an object, or nesting too deep)",
		         json_object_get_string(json_object_array_get_idx(bad, i)));
		verr_add(&v, msg, "value_error.update_data", "body", "update_data", NULL, NULL);
	}
	if (verr_count(&v)) {
		verr_respond(&v, c->resp);
	} else {
		buf_reset(&c->resp->body);
		buf_printf(&c->resp->body, "{\"updated_count\":%lld,\"message\":\"Documents updated "
		           "successfully\"}", out->last_seq);
		c->resp->status = 200;
		if (rollback)
			c->resp->preference_applied = "tx=rollback";
	}
	verr_free(&v);
	json_object_put(found);
}

enum h_result h_bulk(struct call *c)
{
	struct json_object *b = c->body, *filters = NULL, *ud = NULL;
	struct update_data u = { 0 };
	struct filter_sql f = { 0 };
	struct verrs v = { 0 };
	struct db_found out = { 0 };
	long long max;
	int rollback, in_txn = 0;
	enum h_result r = H_DONE;

	filter_init(&f, 6);
	if (!json_object_is_type(b, json_type_object)) {
		verr_add(&v, "must be a JSON object", "type_error.dict", "body", NULL, NULL, NULL);
	} else {
		json_object_object_get_ex(b, "filters", &filters);
		if (json_object_is_type(filters, json_type_null))
			filters = NULL;
		if (!filters && strcmp(c->cfg->require_filters, "false"))
			verr_add(&v, "filters is required; send \"filters\": {} to update every document",
			         "value_error.missing", "body", "filters", NULL, NULL);
		if (!json_object_object_get_ex(b, "update_data", &ud))
			verr_add(&v, "field required", "value_error.missing", "body", "update_data", NULL, NULL);
		else if (update_data_split(&u, ud, &v) == 0 && u.read_only) {
			char msg[200];
			snprintf(msg, sizeof msg, "Field '%.150s' is read-only", u.read_only);
			verr_add(&v, msg, "value_error.read_only", "body", "update_data", u.read_only, NULL);
		}
	}
	parse_prefer(c->req->prefer, &max, &rollback, &v);
	if (!verr_count(&v)) {
		struct bulk_query q = { .filters = filters, .u = &u,
		                        .ts_config = c->cfg->text_search_config, .max_affected = max,
		                        .max_depth = (int)c->cfg->max_depth };
		filter_free(&f);
		bulk_build(&f, &q, &v);
	}
	if (verr_count(&v)) {
		r = call_refuse_invalid(c, &v);
		goto cleanup;
	}
	enum db_status st = DB_OK;
	if (rollback) {  /* a dry run: the same statement, rolled back */
		st = db_begin(c->db, c->req->request_id);
		in_txn = st == DB_OK;
	}
	if (st == DB_OK)
		st = db_run_found(c->db, c->req->request_id, c->key_hash, call_namespace(c),
		                  c->params[0], &f, &out);
	if (st != DB_OK) {
		r = h_of_db(st);
		goto cleanup;
	}
	c->scope = out.scope;  /* the dispatcher releases it */
	out.scope.res = NULL;
	if (call_refuse_scope(c) || call_refuse_missing(c))
		goto cleanup;
	reply(c, &out, max, rollback);
cleanup:
	if (in_txn)
		db_rollback(c->db, c->req->request_id);
	update_data_clear(&u);
	filter_free(&f);
	verr_free(&v);
	db_found_clear(&out);
	return r;
}
