/*
 * fuzz_create.c - the body of POST /v1/collections/{c}/documents: what
 * h_document_create() does before its INSERT. The bytes are parsed by
 * body_parse_json() (depth 64, as the dispatcher does), and a JSON object
 * goes to doc_create_build() with default version "v2", which checks it as
 * a DocumentCreateRequest and fills the stored columns.
 *
 * Input: the request body (any bytes).
 * Invariants:
 *  - doc_create_build() on a non-object is one problem and no texts;
 *  - every problem it reports has a loc starting with "body";
 *  - with no problem: sys, metadata, blobs and fields are set, valid UTF-8
 *    and JSON that json-c parses back (sys, metadata and fields objects,
 *    blobs an array); vector, when set, a non-empty array; vectors and
 *    vector_names set together, vectors an object, vector_names a sorted
 *    array of distinct strings that are exactly the keys of vectors, each
 *    passing doc_create_vector_name_ok();
 *  - with problems: none of sys, metadata, blobs, fields, vectors,
 *    vector_names is set;
 *  - document_id, when set, starts with "doc_" and is at most 104 bytes;
 *  - doc_create_clear() leaves nothing behind (LeakSanitizer).
 */
#include "fuzz_common.h"

#include "body.h"
#include "doc_create.h"
#include "log.h"
#include "util.h"

#include <json-c/json.h>

/* Parses s (a text doc_create_build produced) back with json-c; the value
 * (caller owns). */
static struct json_object *parse_back(const char *s, const char *what)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t n;

	FUZZ_ASSERT(s != NULL, what);
	n = strlen(s);
	FUZZ_ASSERT(util_utf8_valid(s, n), what);
	tok = json_tokener_new_ex(1000);
	o = json_tokener_parse_ex(tok, s, (int)n + 1);
	FUZZ_ASSERT(json_tokener_get_error(tok) == json_tokener_success, what);
	json_tokener_free(tok);
	/* and with the one-call parser the invariant names */
	struct json_object *again = json_tokener_parse(s);
	FUZZ_ASSERT(again != NULL || strcmp(s, "null") == 0, what);
	json_object_put(again);
	return o;
}

static void expect_type(const char *s, json_type t, const char *what)
{
	struct json_object *o = parse_back(s, what);
	FUZZ_ASSERT(json_object_is_type(o, t), what);
	json_object_put(o);
}

static void check_problems(struct verrs *v)
{
	struct json_object *d = v->detail;

	FUZZ_ASSERT(d && json_object_is_type(d, json_type_array), "problem list");
	for (size_t i = 0; i < json_object_array_length(d); i++) {
		struct json_object *p = json_object_array_get_idx(d, i), *loc, *msg;
		FUZZ_ASSERT(json_object_object_get_ex(p, "loc", &loc) &&
		            json_object_is_type(loc, json_type_array) &&
		            json_object_array_length(loc) >= 1, "problem loc");
		FUZZ_ASSERT(strcmp(json_object_get_string(json_object_array_get_idx(loc, 0)),
		                   "body") == 0, "problem loc starts with body");
		FUZZ_ASSERT(json_object_object_get_ex(p, "msg", &msg) &&
		            json_object_get_string_len(msg) > 0, "problem msg");
		/* the whole 422 body must serialize to valid UTF-8 */
		const char *t = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
		FUZZ_ASSERT(util_utf8_valid(t, strlen(t)), "problem text is not UTF-8");
	}
}

static void check_vectors(const struct doc_create *dc)
{
	FUZZ_ASSERT(!dc->vectors == !dc->vector_names, "vectors and vector_names together");
	if (dc->vector) {
		struct json_object *o = parse_back(dc->vector, "vector is not JSON");
		FUZZ_ASSERT(json_object_is_type(o, json_type_array) &&
		            json_object_array_length(o) > 0, "vector is a non-empty array");
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			struct json_object *x = json_object_array_get_idx(o, i);
			FUZZ_ASSERT(json_object_is_type(x, json_type_int) ||
			            json_object_is_type(x, json_type_double), "vector of numbers");
		}
		json_object_put(o);
		FUZZ_ASSERT(dc->vectors != NULL, "a vector without the vector map");
	}
	if (!dc->vector_names)
		return;
	struct json_object *names = parse_back(dc->vector_names, "vector_names is not JSON");
	struct json_object *map = parse_back(dc->vectors, "vectors is not JSON");
	FUZZ_ASSERT(json_object_is_type(names, json_type_array), "vector_names is an array");
	FUZZ_ASSERT(json_object_is_type(map, json_type_object), "vectors is an object");
	size_t n = json_object_array_length(names);
	FUZZ_ASSERT(n > 0, "vector_names set but empty");
	FUZZ_ASSERT((size_t)json_object_object_length(map) == n,
	            "vector_names and vectors differ in count");
	const char *prev = NULL;
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(names, i), *entry, *type;
		FUZZ_ASSERT(json_object_is_type(x, json_type_string), "vector name is a string");
		const char *s = json_object_get_string(x);
		FUZZ_ASSERT(doc_create_vector_name_ok(s), "vector name shape");
		FUZZ_ASSERT(!prev || strcmp(prev, s) < 0, "vector_names sorted and distinct");
		FUZZ_ASSERT(json_object_object_get_ex(map, s, &entry) &&
		            json_object_is_type(entry, json_type_object), "vector name in vectors");
		FUZZ_ASSERT(json_object_object_get_ex(entry, "type", &type), "vector type");
		const char *t = json_object_get_string(type);
		FUZZ_ASSERT(strcmp(t, "dense") == 0 || strcmp(t, "multi") == 0 ||
		            strcmp(t, "sparse") == 0, "vector type value");
		prev = s;
	}
	json_object_put(names);
	json_object_put(map);
}

static void build(struct json_object *body)
{
	struct doc_create dc;
	struct verrs v = { 0 };

	doc_create_build(&dc, body, "v2", &v);
	if (verr_count(&v) == 0) {
		expect_type(dc.sys, json_type_object, "sys is not a JSON object");
		expect_type(dc.metadata, json_type_object, "metadata is not a JSON object");
		expect_type(dc.blobs, json_type_array, "blobs is not a JSON array");
		expect_type(dc.fields, json_type_object, "fields is not a JSON object");
		check_vectors(&dc);
		FUZZ_ASSERT(!dc.document_id[0] ||
		            (strncmp(dc.document_id, "doc_", 4) == 0 &&
		             strlen(dc.document_id) <= 104), "document_id");
	} else {
		check_problems(&v);
		FUZZ_ASSERT(!dc.sys && !dc.metadata && !dc.blobs && !dc.fields &&
		            !dc.vectors && !dc.vector_names, "texts set despite problems");
	}
	verr_free(&v);
	doc_create_clear(&dc);
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

	FUZZ_ASSERT(!(body && verr_count(&v)), "a value returned together with errors");
	if (body && json_object_is_type(body, json_type_object)) {
		build(body);
	} else if (body || verr_count(&v) == 0) {
		/* what the handler sees for [] / "x" / 1 / null (NULL): one
		 * problem at body */
		struct doc_create dc;
		struct verrs w = { 0 };
		doc_create_build(&dc, body, "v2", &w);
		FUZZ_ASSERT(verr_count(&w) == 1, "a non-object body is one problem");
		check_problems(&w);
		FUZZ_ASSERT(!dc.sys && !dc.fields, "texts for a non-object body");
		verr_free(&w);
		doc_create_clear(&dc);
	}
	json_object_put(body);
	verr_free(&v);
	free(copy);
	return 0;
}
