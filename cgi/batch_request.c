/* batch_request.c - see batch_request.h. */
#include "batch_request.h"

#include <stdio.h>
#include <string.h>

#define JSON_COMPACT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

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

/* update_data of a filter-mode write, split into u; *item its batch.h form. */
static void filter_update(struct json_object *b, struct update_data *u, struct json_object **item,
                          struct verrs *v)
{
	struct json_object *ud = member(b, "update_data");

	if (!ud)
		verr_add(v, "field required", "value_error.missing", "body", "update_data", NULL, NULL);
	else if (update_data_split(u, ud, v) == 0)
		*item = update_data_item(u);
}


/* The batch.h texts of r's owned members. */
static void texts(struct batch_request *r)
{
	r->q.items = r->items ? json_object_to_json_string_ext(r->items, JSON_COMPACT) : NULL;
	r->q.update = r->update ? json_object_to_json_string_ext(r->update, JSON_COMPACT) : NULL;
}

int batch_request_update(struct batch_request *r, struct json_object *b, struct verrs *v)
{
	int before = verr_count(v);
	struct json_object *updates = member(b, "updates");

	memset(r, 0, sizeof *r);
	r->q.op = BATCH_UPDATE;
	if (!object_body(b, v))
		return verr_count(v) - before;
	r->q.atomic = parse_atomic(b, v);
	if (updates && (member(b, "filters") || member(b, "update_data"))) {
		verr_add(v, "send updates, or filters with update_data, not both",
		         "value_error.batch_mode", "body", "updates", NULL, NULL);
	} else if (updates) {
		r->items = parse_items(updates, "updates", v);
	} else if (!member(b, "update_data")) {
		verr_add(v, "field required: updates, or filters with update_data",
		         "value_error.missing", "body", "updates", NULL, NULL);
	} else {
		r->q.filters = required_filters(b, "update", 0, v);
		filter_update(b, &r->u, &r->update, v);
	}
	texts(r);
	return verr_count(v) - before;
}

int batch_request_delete(struct batch_request *r, struct json_object *b, struct verrs *v)
{
	int before = verr_count(v);
	struct json_object *ids = member(b, "document_ids");

	memset(r, 0, sizeof *r);
	r->q.op = BATCH_DELETE;
	if (!object_body(b, v))
		return verr_count(v) - before;
	r->q.atomic = parse_atomic(b, v);
	if (ids && member(b, "filters"))
		verr_add(v, "send document_ids or filters, not both", "value_error.batch_mode",
		         "body", "document_ids", NULL, NULL);
	else if (ids)
		r->items = parse_items(ids, "document_ids", v);
	else
		r->q.filters = required_filters(b, "delete", 0, v);
	texts(r);
	return verr_count(v) - before;
}

int batch_request_bulk(struct batch_request *r, struct json_object *b, int require_filters,
                       struct verrs *v)
{
	int before = verr_count(v);

	memset(r, 0, sizeof *r);
	r->q.op = BATCH_UPDATE;
	r->q.atomic = 1;
	if (!object_body(b, v))
		return verr_count(v) - before;
	r->q.filters = required_filters(b, "update", !require_filters, v);
	filter_update(b, &r->u, &r->update, v);
	if (r->u.read_only) {  /* in bulk, naming one at all is refused */
		char msg[200];
		snprintf(msg, sizeof msg, "Field '%.150s' is read-only", r->u.read_only);
		verr_add(v, msg, "value_error.read_only", "body", "update_data", r->u.read_only, NULL);
	}
	texts(r);
	return verr_count(v) - before;
}

void batch_request_clear(struct batch_request *r)
{
	json_object_put(r->items);
	json_object_put(r->update);
	update_data_clear(&r->u);
	memset(r, 0, sizeof *r);
}
