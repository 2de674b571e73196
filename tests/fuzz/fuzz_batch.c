/*
 * fuzz_batch.c - the bodies of the many-document writes (contract section
 * 11): what h_batch_update(), h_batch_delete() and h_bulk() do before
 * their one statement. The bytes are parsed by body_parse_json() (depth
 * 64, as the dispatcher does); the value goes to batch_request_update(),
 * batch_request_delete() and batch_request_bulk() (require_filters from
 * the input's length, bit 0), and each request that has no problem to
 * batch_build() with max_affected from bit 1 and atomic as parsed.
 *
 * Input: the request body (any bytes).
 * Invariants:
 *  - each batch_request_* returns the number of problems it added, and
 *    every problem's loc starts with "body";
 *  - with no problem: update has items (item mode) or an update and maybe
 *    filters (filter mode), never both; delete has items or filter mode,
 *    never an update; bulk is atomic with an update and no items;
 *  - items, when set, are a JSON array of 1..1000 objects, each with a
 *    string "i", distinct, and (update) either only the members of
 *    update_data_item() or an "err" string;
 *  - batch_build() of such a request adds no problem, and its statement
 *    passes fuzz_sql.h's check_sql(): "$n" in range, every parameter used,
 *    no request text as SQL text;
 *  - batch_request_clear() leaves nothing behind (LeakSanitizer).
 */
#include "fuzz_common.h"
#include "fuzz_sql.h"

#include "batch_request.h"
#include "body.h"
#include "log.h"

#include <json-c/json.h>

static void check_items(const struct batch_request *r)
{
	static const char *const members[] = { "i", "mp", "md", "fp", "fd", "mx", "fx", "b", "ro" };
	struct json_object *a = json_tokener_parse(r->q.items), *seen = json_object_new_object();

	FUZZ_ASSERT(json_object_is_type(a, json_type_array), "items are an array");
	size_t n = json_object_array_length(a);
	FUZZ_ASSERT(n >= 1 && n <= BATCH_MAX_ITEMS, "items out of bounds");
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i), *id, *err;
		FUZZ_ASSERT(json_object_is_type(e, json_type_object), "an item is an object");
		FUZZ_ASSERT(json_object_object_get_ex(e, "i", &id) &&
		            json_object_is_type(id, json_type_string), "an item's id");
		FUZZ_ASSERT(!json_object_object_get_ex(seen, json_object_get_string(id), NULL),
		            "an id repeated in the items");
		json_object_object_add(seen, json_object_get_string(id), NULL);
		if (json_object_object_get_ex(e, "err", &err)) {
			FUZZ_ASSERT(json_object_is_type(err, json_type_string) &&
			            json_object_object_length(e) == 2, "an item error and more");
			continue;
		}
		json_object_object_foreach(e, k, val) {
			(void)val;
			int known = 0;
			for (size_t j = 0; j < sizeof members / sizeof members[0]; j++)
				known |= !strcmp(k, members[j]);
			FUZZ_ASSERT(known && (r->q.op == BATCH_UPDATE || !strcmp(k, "i")),
			            "an item member batch.c does not read");
		}
	}
	json_object_put(seen);
	json_object_put(a);
}

static void build(struct batch_request *r)
{
	struct filter_sql f;
	struct verrs v = { 0 };

	r->q.ts_config = "english";
	r->q.max_depth = 64;
	r->q.max_affected = (g_len >> 1) & 1 ? 10 : -1;
	FUZZ_ASSERT(batch_build(&f, &r->q, &v) == verr_count(&v), "batch_build's count");
	if (verr_count(&v) == 0)
		check_sql(&f, 1, "the batch statement is empty");
	else
		check_problems(&v, "filters", 0);  /* only the filter can be refused here */
	FUZZ_ASSERT(r->q.items == NULL || verr_count(&v) == 0, "item mode has no filter to refuse");
	filter_free(&f);
	verr_free(&v);
}

static void one(struct json_object *body, int which)
{
	struct batch_request r;
	struct verrs v = { 0 };
	int added = which == 0 ? batch_request_update(&r, body, &v)
	          : which == 1 ? batch_request_delete(&r, body, &v)
	          : batch_request_bulk(&r, body, (int)(g_len & 1), &v);

	FUZZ_ASSERT(added == verr_count(&v), "batch_request_* returns the problems it added");
	if (added) {
		check_problems(&v, NULL, 0);
	} else {
		FUZZ_ASSERT(!(r.q.items && r.q.update), "both modes at once");
		if (which == 0)
			FUZZ_ASSERT(r.q.items || r.q.update, "an update with neither mode");
		if (which == 1)
			FUZZ_ASSERT(!r.q.update, "a delete with an update");
		if (which == 2)
			FUZZ_ASSERT(r.q.atomic && r.q.update && !r.q.items, "bulk's shape");
		if (r.q.items)
			check_items(&r);
		build(&r);
	}
	batch_request_clear(&r);
	verr_free(&v);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verrs v = { 0 };
	char *copy = fuzz_strndup(data, size);
	struct json_object *body = body_parse_json(copy, size, 64, &v);

	g_in = data;
	g_len = size;
	FUZZ_ASSERT(!(body && verr_count(&v)), "a value returned together with errors");
	if (verr_count(&v) == 0)
		for (int which = 0; which < 3; which++)
			one(body, which);
	json_object_put(body);
	verr_free(&v);
	free(copy);
	return 0;
}
