/* test_filter.c: the filter compiler (cgi/filter.c): what it refuses, and
 * that nothing of the request reaches the SQL text. */
#include "check.h"
#include "filter.h"

#include <stdlib.h>
#include <string.h>

/* Compiles text; returns the number of problems (f filled). */
static int compile(const char *text, struct filter_sql *f, struct verrs *v)
{
	struct json_tokener *tok = json_tokener_new_ex(128);  /* as deep as a body may nest */
	struct json_object *o = json_tokener_parse_ex(tok, text, -1);
	json_tokener_free(tok);
	CHECK(o != NULL, "test filter is JSON");
	filter_init(f, 4);
	int n = filter_compile(f, o, "english", v, "body", "filters");
	json_object_put(o);
	return n;
}

static int accepted(const char *text)
{
	struct filter_sql f;
	struct verrs v = { 0 };
	int n = compile(text, &f, &v);
	if (n)
		fprintf(stderr, "  refused %s: %s\n", text, json_object_to_json_string(v.detail));
	filter_free(&f);
	verr_free(&v);
	return n == 0;
}

/* Refused, with a problem whose loc contains `part`. */
static int refused(const char *text, const char *part)
{
	struct filter_sql f;
	struct verrs v = { 0 };
	int n = compile(text, &f, &v);
	const char *d = v.detail ? json_object_to_json_string(v.detail) : "";
	int ok = n > 0 && (!part || strstr(d, part));
	if (!ok)
		fprintf(stderr, "  not refused as expected: %s -> %s\n", text, d);
	filter_free(&f);
	verr_free(&v);
	return ok;
}

int main(void)
{
	static const char *const good[] = {
		"{}", "{\"case_sensitive\": false}", "{\"AND\": []}", "{\"OR\": [], \"NOT\": []}",
		"{\"metadata.title\": \"x\"}",
		"{\"field\": \"metadata.n\", \"operator\": \"gt\", \"value\": 3}",
		"{\"AND\": [{\"field\": \"metadata.n\", \"operator\": \"lte\", \"value\": \"b\"},"
		" {\"OR\": [{\"field\": \"cluster_id\", \"value\": null},"
		" {\"NOT\": {\"field\": \"metadata.t\", \"operator\": \"exists\", \"value\": true}}]}]}",
		"{\"field\": \"metadata.tags\", \"operator\": \"in\", \"value\": [1, \"a\", [1], {}]}",
		"{\"field\": \"created_at\", \"operator\": \"gte\", \"value\": \"2025-01-01T00:00:00Z\"}",
		"{\"field\": \"updated_at\", \"operator\": \"exists\", \"value\": true}",
		"{\"field\": \"metadata\", \"operator\": \"text\", \"value\": \"red shoes\"}",
		"{\"field\": \"document_id\", \"operator\": \"starts_with\", \"value\": \"doc_\"}",
		"{\"field\": \"metadata.a\", \"operator\": \"regex\", \"value\": \"^a.*b$\","
		" \"case_sensitive\": true}",
		"{\"field\": \"source_type\", \"operator\": \"ne\", \"value\": \"bucket\"}",
		"{\"field\": \"internal_metadata.status\", \"operator\": \"contains\", \"value\": \"o\"}",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		CHECK(accepted(good[i]), good[i]);

	static const struct { const char *filter, *loc; } bad[] = {
		{ "[]", "filters" },
		{ "{\"field\": \"metadata.a\", \"operator\": \"near\", \"value\": 1}", "operator" },
		{ "{\"field\": \"metadata.a\"}", "value" },
		{ "{\"field\": 3, \"value\": 1}", "field" },
		{ "{\"must\": [{\"field\": \"metadata.a\", \"value\": 1}]}", "must" },
		{ "{\"AND\": [{\"should\": []}]}", "should" },
		{ "{\"field\": \"metadata.a\", \"value\": {\"type\": \"dynamic\", \"field\": \"x\"}}", "value" },
		{ "{\"metadata.a\": {\"$gt\": 1}}", "metadata.a" },
		{ "{\"field\": \"metadata.a\", \"operator\": \"gt\", \"value\": true}", "value" },
		{ "{\"field\": \"metadata.a\", \"operator\": \"in\", \"value\": 1}", "value" },
		{ "{\"field\": \"metadata.a\", \"operator\": \"exists\", \"value\": 1}", "value" },
		{ "{\"field\": \"metadata.a\", \"operator\": \"contains\", \"value\": [1]}", "value" },
		{ "{\"field\": \"metadata.a\", \"operator\": \"starts_with\", \"value\": 1}", "value" },
		{ "{\"field\": \"metadata.a\", \"operator\": \"text\", \"value\": 1}", "value" },
		{ "{\"field\": \"created_at\", \"operator\": \"contains\", \"value\": \"2025\"}", "operator" },
		{ "{\"field\": \"created_at\", \"value\": \"yesterday\"}", "value" },
		{ "{\"field\": \"lineage\", \"value\": 1}", "field" },
		{ "{\"field\": \"vector\", \"value\": 1}", "field" },
		{ "{\"field\": \"_internal.x\", \"value\": 1}", "field" },
		{ "{\"field\": \"metadata..a\", \"value\": 1}", "field" },
		{ "{\"field\": \"metadata\", \"value\": 1}", "field" },
		{ "{\"field\": \"document_id.x\", \"value\": 1}", "field" },
		{ "{\"AND\": {\"field\": \"metadata.a\", \"value\": 1}}", "AND" },
		{ "{\"case_sensitive\": \"yes\"}", "case_sensitive" },
		{ "{\"AND\": [1]}", "AND.0" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(refused(bad[i].filter, bad[i].loc), bad[i].filter);

	/* A regex of 1001 characters, 1001 members of in, 257 conditions, 17 levels. */
	struct buf b = { 0 };
	buf_puts(&b, "{\"field\": \"metadata.a\", \"operator\": \"regex\", \"value\": \"");
	for (int i = 0; i < 1001; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "\"}");
	CHECK(refused(b.data, "value"), "regex too long");
	/* characters, not bytes: 1000 x U+00E9 (2000 bytes) is a valid regex */
	buf_reset(&b);
	buf_puts(&b, "{\"field\": \"metadata.a\", \"operator\": \"regex\", \"value\": \"");
	for (int i = 0; i < 1000; i++)
		buf_puts(&b, "\xc3\xa9");
	buf_puts(&b, "\"}");
	CHECK(accepted(b.data), "a regex of 1000 two-byte characters");
	buf_reset(&b);
	buf_puts(&b, "{\"field\": \"metadata.a\", \"operator\": \"in\", \"value\": [0");
	for (int i = 0; i < 1000; i++)
		buf_puts(&b, ",1");
	buf_puts(&b, "]}");
	CHECK(refused(b.data, "value"), "in with 1001 members");
	buf_reset(&b);
	buf_puts(&b, "{\"AND\": [");
	for (int i = 0; i < 257; i++)
		buf_printf(&b, "%s{\"metadata.k%d\": %d}", i ? "," : "", i, i);
	buf_puts(&b, "]}");
	CHECK(refused(b.data, "256"), "257 conditions");
	buf_reset(&b);
	for (int i = 0; i < 16; i++)
		buf_puts(&b, "{\"AND\": [");
	buf_puts(&b, "{}");
	for (int i = 0; i < 16; i++)
		buf_puts(&b, "]}");
	CHECK(refused(b.data, "16"), "17 levels");
	buf_reset(&b);
	for (int i = 0; i < 15; i++)
		buf_puts(&b, "{\"AND\": [");
	buf_puts(&b, "{}");
	for (int i = 0; i < 15; i++)
		buf_puts(&b, "]}");
	CHECK(accepted(b.data), "16 levels");
	buf_reset(&b);

	/* A long key is named whole in the loc, never cut inside a UTF-8
	 * sequence (the path was built in a 256-byte buffer). */
	buf_puts(&b, "{\"AND\": [{\"__");
	for (int i = 0; i < 200; i++)
		buf_puts(&b, "\xc3\xa9");
	buf_puts(&b, "\": 1}]}");
	{
		struct filter_sql lf;
		struct verrs lv = { 0 };
		CHECK(compile(b.data, &lf, &lv) == 1, "an unfilterable long key is refused");
		const char *d = json_object_to_json_string_ext(lv.detail, JSON_C_TO_STRING_PLAIN);
		CHECK(util_utf8_valid(d, strlen(d)), "the 422 of a long key is UTF-8");
		struct json_object *loc = json_object_object_get(
			json_object_array_get_idx(lv.detail, 0), "loc");
		CHECK(json_object_array_length(loc) == 4 &&
		      json_object_get_string_len(json_object_array_get_idx(loc, 2)) == 6 + 2 + 400,
		      "the loc names the whole key (AND.0.__ and 200 x U+00E9)");
		filter_free(&lf);
		verr_free(&lv);
	}
	buf_free(&b);

	/* Nothing of the request is SQL text: names and values are parameters. */
	const char *hostile = "{\"metadata.x'; DROP TABLE documents; --\": \"'; DELETE --\","
	                      " \"fl\\\"d\": {\"$$\": 1},"
	                      " \"AND\": [{\"field\": \"a\\\\b.c$1\", \"operator\": \"regex\","
	                      " \"value\": \"$2) OR TRUE --\"}]}";
	struct filter_sql f;
	struct verrs v = { 0 };
	compile("{\"metadata.x'; DROP TABLE documents; --\": \"'; DELETE --\","
	        " \"AND\": [{\"field\": \"a\\\\b.c$1\", \"operator\": \"regex\","
	        " \"value\": \"$2) OR TRUE --\"}]}", &f, &v);
	CHECK(verr_count(&v) == 0, "hostile names and values compile");
	CHECK(!strstr(f.sql.data, "DROP") && !strstr(f.sql.data, "DELETE") &&
	      !strstr(f.sql.data, "OR TRUE") && !strchr(f.sql.data, ';') &&
	      !strstr(f.sql.data, "--"), "no request text in the SQL");
	CHECK(f.first == 4 && f.nparams > 0 && strstr(f.sql.data, "$4"), "parameters from $4");
	int found = 0;
	for (int i = 0; i < f.nparams; i++)
		found |= strstr(f.params[i], "DROP TABLE") != NULL;
	CHECK(found, "the hostile name is a parameter");
	filter_free(&f);
	verr_free(&v);
	(void)hostile;
	return check_summary();
}
