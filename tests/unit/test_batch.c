/* test_batch.c: the guards of Prefer (cgi/write_guard.c) and the bodies of
 * the many-document writes (cgi/batch_request.c), from tables. */
#include "batch_request.h"
#include "check.h"
#include "write_guard.h"

#include <json-c/json.h>
#include <string.h>

/* The loc of v's first problem as "a.b.0", or "" when none. */
static const char *first_loc(struct verrs *v, char *out, size_t n)
{
	struct json_object *p = v->detail ? json_object_array_get_idx(v->detail, 0) : NULL, *loc;
	out[0] = '\0';
	if (!p || !json_object_object_get_ex(p, "loc", &loc))
		return out;
	for (size_t i = 0; i < json_object_array_length(loc); i++) {
		size_t len = strlen(out);
		snprintf(out + len, n - len, "%s%s", i ? "." : "",
		         json_object_get_string(json_object_array_get_idx(loc, i)));
	}
	return out;
}

static void guards(void)
{
	static const struct { const char *prefer; int problems; long long max; int rollback;
	                      const char *applied; } cases[] = {
		{ NULL, 0, -1, 0, "" },
		{ "return=minimal", 0, -1, 0, "" },
		{ "max-affected=0", 0, 0, 0, "max-affected=0" },
		{ "max-affected=12, tx=rollback", 0, 12, 1, "max-affected=12, tx=rollback" },
		{ "tx=ROLLBACK", 0, -1, 1, "tx=rollback" },
		{ "tx=commit", 0, -1, 0, "" },
		{ "max-affected=x", 1, -1, 0, "" },
		{ "max-affected=-1", 1, -1, 0, "" },
		{ "max-affected=1234567890123456789", 1, -1, 0, "" },
		{ "tx=later", 1, -1, 0, "" },
		{ "max-affected=1e3, tx=maybe", 2, -1, 0, "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct write_guard g;
		struct verrs v = { 0 };
		CHECK(write_guard_parse(&g, cases[i].prefer, &v) == cases[i].problems, cases[i].prefer);
		CHECK(g.max_affected == cases[i].max, "max-affected");
		CHECK(g.rollback == cases[i].rollback, "tx=rollback");
		CHECK_STR(g.applied, cases[i].applied, "Preference-Applied");
		verr_free(&v);
	}
	struct write_guard g;
	struct verrs v = { 0 };
	write_guard_parse(&g, "max-affected=5", &v);
	CHECK(!write_guard_refuse(&g, 5, &v) && verr_count(&v) == 0, "5 is not more than 5");
	CHECK(write_guard_refuse(&g, 6, &v) && verr_count(&v) == 1, "6 is");
	verr_free(&v);
}

/* op: 'u' update, 'd' delete, 'b' bulk (require_filters), 'B' bulk without */
static void bodies(void)
{
	static const struct { char op; const char *body; const char *loc; int items; } cases[] = {
		{ 'u', "{\"updates\":[{\"document_id\":\"a\",\"update_data\":{\"x\":1}}]}", "", 1 },
		{ 'u', "{\"filters\":{},\"update_data\":{\"metadata.s\":1}}", "", 0 },
		{ 'u', "{\"updates\":[],\"filters\":{}}", "body.updates", 0 },
		{ 'u', "{}", "body.updates", 0 },
		{ 'u', "{\"update_data\":{}}", "body.filters", 0 },
		{ 'u', "{\"filters\":null,\"update_data\":{}}", "body.filters", 0 },
		{ 'u', "{\"updates\":[]}", "body.updates", 0 },
		{ 'u', "{\"updates\":[{\"document_id\":\"a\",\"update_data\":{}},"
		       "{\"document_id\":\"a\",\"update_data\":{}}]}", "body.updates.1.document_id", 0 },
		{ 'u', "{\"updates\":[{\"document_id\":1,\"update_data\":{}}]}",
		  "body.updates.0.document_id", 0 },
		{ 'u', "{\"updates\":[{\"document_id\":\"a\"}]}", "body.updates.0.update_data", 0 },
		{ 'u', "{\"updates\":[{\"document_id\":\"a\",\"update_data\":{}}],\"atomic\":1}",
		  "body.atomic", 0 },
		/* an update_data that cannot apply fails its item, not the request */
		{ 'u', "{\"updates\":[{\"document_id\":\"a\",\"update_data\":{\"metadata\":3}}]}", "", 1 },
		{ 'u', "[]", "body", 0 },
		{ 'd', "{\"document_ids\":[\"a\",\"b\"]}", "", 2 },
		{ 'd', "{\"filters\":{}}", "", 0 },
		{ 'd', "{}", "body.filters", 0 },
		{ 'd', "{\"document_ids\":[\"a\"],\"filters\":{}}", "body.document_ids", 0 },
		{ 'd', "{\"document_ids\":[\"a\",\"a\"]}", "body.document_ids.1", 0 },
		{ 'b', "{\"update_data\":{\"a\":1}}", "body.filters", 0 },
		{ 'B', "{\"update_data\":{\"a\":1}}", "", 0 },
		{ 'b', "{\"filters\":{},\"update_data\":{\"source_type\":\"x\"}}",
		  "body.update_data.source_type", 0 },
		{ 'b', "{\"filters\":{},\"update_data\":{\"document_blobs\":[1]}}",
		  "body.update_data.document_blobs.0", 0 },
	};
	char loc[200];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_object *body = json_tokener_parse(cases[i].body);
		struct batch_request r;
		struct verrs v = { 0 };
		char op = cases[i].op;
		if (op == 'u')
			batch_request_update(&r, body, &v);
		else if (op == 'd')
			batch_request_delete(&r, body, &v);
		else
			batch_request_bulk(&r, body, op == 'b', &v);
		CHECK_STR(first_loc(&v, loc, sizeof loc), cases[i].loc, cases[i].body);
		size_t n = r.items ? json_object_array_length(r.items) : 0;
		CHECK(verr_count(&v) || (int)n == cases[i].items, "the number of items");
		if (!verr_count(&v))
			CHECK(!r.q.items != !r.q.update || op == 'd', "one mode");
		batch_request_clear(&r);
		verr_free(&v);
		json_object_put(body);
	}
	/* the item of a metadata that is not an object carries its error */
	struct json_object *body = json_tokener_parse(
		"{\"updates\":[{\"document_id\":\"a\",\"update_data\":{\"metadata\":3}}]}");
	struct batch_request r;
	struct verrs v = { 0 };
	batch_request_update(&r, body, &v);
	CHECK(r.q.items && strstr(r.q.items, "\"err\":\"update_data.metadata: must be an object\""),
	      "the item's error");
	batch_request_clear(&r);
	json_object_put(body);
	verr_free(&v);
}

int main(void)
{
	guards();
	bodies();
	return check_summary();
}
