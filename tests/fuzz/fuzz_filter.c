/*
 * fuzz_filter.c - the filters of a list (contract sections 9 and 10): what
 * h_list() does with a body before its one statement. The bytes are parsed
 * by body_parse_json() (depth 64, as the dispatcher does); a JSON object is
 *  - compiled as a filter: filter_init(&f, 6) + filter_compile() (twice,
 *    which must give the same SQL and parameters), and
 *  - separately, the filters of list_query_build(), with the sort field
 *    taken from the object's "sort" ({"field", "direction"} or a string),
 *    and its "search", "group_by", "limit", "offset", "collection_ids" and
 *    "after" (a keyset position, as an opened cursor gives: an array of 2
 *    or more) when they have the right type. Which of count, estimate and
 *    the namespace-wide form are asked for comes from the input's length
 *    (bits 0-2), so every input reaches one combination and a trailing
 *    space reaches another.
 * A non-object goes to filter_compile() as it is.
 *
 * Input: the request body (any bytes).
 * Invariants:
 *  - filter_compile() returns the number of problems it added;
 *  - with no problem, the SQL is non-empty, every "$n" in it has
 *    6 <= n < 6 + nparams (list_query_build: also 1..5, the scope's), and
 *    every parameter number 6..6+nparams-1 appears in it;
 *  - names and values are parameters, never SQL text: no byte sequence of
 *    the input longer than 3 characters that contains a quote (' or "), a
 *    semicolon or "--" appears in the SQL outside the generator's own
 *    quoted literals and identifiers (the whitelist below); and the SQL
 *    has quotes only around those (a literal or identifier not in the
 *    whitelist aborts: add it there when filter.c or list_query.c gains
 *    one), no ";", no "--", no "/ *" and no "$" but "$n" outside them;
 *  - the list statement contains the filter's SQL, and its first
 *    parameters are the filter's;
 *  - with problems, every problem's loc starts with "body" (the filter's:
 *    ["body", "filters", ...]); the one exception is list_query_build's
 *    ["query", "cursor"] "invalid cursor" for a position that does not
 *    fit the order, only when one was given;
 *  - a non-object is one problem (null: none, and the SQL is TRUE);
 *  - filter_free() leaves nothing behind (LeakSanitizer).
 */
#include "fuzz_common.h"
#include "fuzz_sql.h"

#include "body.h"
#include "filter.h"
#include "list_query.h"
#include "log.h"
#include "util.h"

#include <json-c/json.h>

static void compile_filter(struct json_object *body)
{
	struct filter_sql f, g;
	struct verrs v = { 0 }, w = { 0 };

	filter_init(&f, FIRST);
	int added = filter_compile(&f, body, "english", &v, "body", "filters");
	FUZZ_ASSERT(added == verr_count(&v), "filter_compile returns the problems it added");
	if (added == 0) {
		check_sql(&f, FIRST, "the filter's SQL is empty");
		for (int i = 0; i < f.nparams; i++)
			FUZZ_ASSERT(f.params[i] != NULL, "a filter parameter is NULL");
		FUZZ_ASSERT(f.conditions <= FILTER_MAX_CONDITIONS, "more than 256 conditions passed");
		/* the same JSON compiles to the same statement */
		filter_init(&g, FIRST);
		FUZZ_ASSERT(filter_compile(&g, body, "english", &w, "body", "filters") == 0,
		            "a second compile found problems");
		FUZZ_ASSERT(strcmp(f.sql.data, g.sql.data) == 0 && f.nparams == g.nparams,
		            "a second compile gave other SQL");
		for (int i = 0; i < f.nparams; i++)
			FUZZ_ASSERT(strcmp(f.params[i], g.params[i]) == 0,
			            "a second compile gave other parameters");
		filter_free(&g);
		verr_free(&w);
	} else {
		check_problems(&v, "filters", 0);
	}
	/* the list statement must hold this filter */
	struct filter_sql l;
	struct list_query q = { 0 };
	struct verrs lv = { 0 };
	struct json_object *x, *fld, *dir;
	struct buf cols = { 0 };

	q.filters = body;
	q.ts_config = "english";
	q.limit = 10;
	if (json_object_object_get_ex(body, "sort", &x)) {
		if (json_object_is_type(x, json_type_string))
			q.sort_field = json_object_get_string(x);
		else if (json_object_is_type(x, json_type_object) &&
		         json_object_object_get_ex(x, "field", &fld) &&
		         json_object_is_type(fld, json_type_string)) {
			q.sort_field = json_object_get_string(fld);
			q.desc = json_object_object_get_ex(x, "direction", &dir) &&
			         json_object_is_type(dir, json_type_string) &&
			         strcmp(json_object_get_string(dir), "desc") == 0;
		}
	}
	if (json_object_object_get_ex(body, "search", &x) && json_object_is_type(x, json_type_string))
		q.search = json_object_get_string(x);
	if (json_object_object_get_ex(body, "group_by", &x) && json_object_is_type(x, json_type_string))
		q.group_by = json_object_get_string(x);
	if (json_object_object_get_ex(body, "limit", &x) && json_object_is_type(x, json_type_int) &&
	    json_object_get_int64(x) >= 1 && json_object_get_int64(x) <= 1000)
		q.limit = json_object_get_int64(x);
	if (json_object_object_get_ex(body, "offset", &x) && json_object_is_type(x, json_type_int) &&
	    json_object_get_int64(x) >= 0 && json_object_get_int64(x) <= 10000)
		q.offset = json_object_get_int64(x);
	/* a position as open_cursor() passes it on: an array of 2 or more */
	if (json_object_object_get_ex(body, "after", &x) && json_object_is_type(x, json_type_array) &&
	    json_object_array_length(x) >= 2)
		q.after = x;
	q.count = (int)(g_len & 1);
	q.estimate = (int)((g_len >> 1) & 1);
	q.ns_wide = (int)((g_len >> 2) & 1);
	if (q.ns_wide && json_object_object_get_ex(body, "collection_ids", &x) &&
	    json_object_is_type(x, json_type_array) && json_object_array_length(x) > 0 &&
	    json_object_array_length(x) <= 100) {
		size_t n = json_object_array_length(x);
		const char **names = xmalloc(n * sizeof *names);
		int ok = 1;
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(x, i);
			ok &= json_object_is_type(e, json_type_string);
			names[i] = json_object_get_string(e);
		}
		if (ok) {
			util_pg_array(&cols, names, (int)n);
			q.cols = cols.data;
		}
		free(names);
	}
	int ladded = list_query_build(&l, &q, &lv, "body");
	FUZZ_ASSERT(ladded == verr_count(&lv), "list_query_build returns the problems it added");
	FUZZ_ASSERT(added == 0 || ladded > 0, "the list took a filter the compiler refused");
	if (ladded == 0) {
		check_sql(&l, 1, "the list's SQL is empty");
		FUZZ_ASSERT(strstr(l.sql.data, f.sql.data) != NULL, "the list's SQL lacks the filter's");
		FUZZ_ASSERT(l.nparams >= f.nparams, "the list has fewer parameters than its filter");
		for (int i = 0; i < f.nparams; i++)
			FUZZ_ASSERT(strcmp(f.params[i], l.params[i]) == 0,
			            "the list's first parameters are not the filter's");
	} else {
		check_problems(&lv, NULL, q.after != NULL);
	}
	filter_free(&l);
	verr_free(&lv);
	buf_free(&cols);
	filter_free(&f);
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
	if (body && json_object_is_type(body, json_type_object)) {
		compile_filter(body);
	} else if (body || verr_count(&v) == 0) {
		/* [] / "x" / 1: one problem at body.filters; null (NULL): TRUE */
		struct filter_sql f;
		struct verrs w = { 0 };
		filter_init(&f, FIRST);
		int added = filter_compile(&f, body, "english", &w, "body", "filters");
		if (!body || json_object_is_type(body, json_type_null)) {
			FUZZ_ASSERT(added == 0 && strcmp(f.sql.data, "TRUE") == 0 && f.nparams == 0,
			            "no filter is TRUE");
		} else {
			FUZZ_ASSERT(added == 1 && verr_count(&w) == 1, "a non-object filter is one problem");
			check_problems(&w, "filters", 0);
		}
		filter_free(&f);
		verr_free(&w);
	}
	json_object_put(body);
	verr_free(&v);
	free(copy);
	return 0;
}
