/* doc_create.c - see doc_create.h. */
#include "doc_create.h"
#include "doc.h"
#include "doc_check.h"
#include "doc_import.h"
#include "util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How JSON is written to the database: compact, '/' not escaped. */
#define JSON_COMPACT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

#define ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

/* The lineage members of a create body, stored as given (strings). */
static const char *const lineage_strings[] = {
	"root_object_id", "root_bucket_id", "source_object_id",
	"source_collection_id", "source_document_id", "lineage_path",
};
#define N_LINEAGE_STRINGS (sizeof lineage_strings / sizeof lineage_strings[0])

/* Body members that are fields of the request, not flat user fields. */
static int is_request_field(const char *k)
{
	static const char *const names[] = {
		"collection_id", "document_id", "document_schema_version",
		"source_type", "lineage_chain", "metadata", "features",
		"document_blobs", "source_blobs", "internal_metadata",
	};
	for (size_t i = 0; i < N_LINEAGE_STRINGS; i++)
		if (strcmp(k, lineage_strings[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(k, names[i]) == 0)
			return 1;
	return 0;
}

/* Members that only responses carry: ignored on input. */
static int is_response_only(const char *k)
{
	return strcmp(k, "presigned_url") == 0 || strcmp(k, "presigned_urls") == 0 ||
	       strcmp(k, "_vectors") == 0;
}

int doc_create_vector_name_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 128 && strspn(s, ID_CHARS) == n;
}

int doc_create_idempotency_key_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static void problem(struct verrs *v, const char *msg, const char *type,
                    const char *l1, const char *l2, const char *l3)
{
	verr_add(v, msg, type, "body", l1, l2, l3);
}

static int is_string(struct json_object *x)
{
	return json_object_is_type(x, json_type_string);
}

static int is_number(struct json_object *x)
{
	return json_object_is_type(x, json_type_int) ||
	       json_object_is_type(x, json_type_double);
}

/* A non-empty array of numbers. */
static int is_number_row(struct json_object *x)
{
	size_t n = json_object_is_type(x, json_type_array)
	           ? json_object_array_length(x) : 0;
	for (size_t i = 0; i < n; i++)
		if (!is_number(json_object_array_get_idx(x, i)))
			return 0;
	return n > 0;
}

/* The steps of lineage_chain: {collection_id*, feature_extractor_id*,
 * document_id?, timestamp?}. */
static void check_chain(struct json_object *chain, struct verrs *v)
{
	char ix[24];

	if (!json_object_is_type(chain, json_type_array)) {
		problem(v, "must be an array of lineage steps", "type_error.list",
		        "lineage_chain", NULL, NULL);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(chain); i++) {
		struct json_object *s = json_object_array_get_idx(chain, i), *x;
		snprintf(ix, sizeof ix, "#%zu", i);
		if (!json_object_is_type(s, json_type_object)) {
			problem(v, "must be an object", "type_error.dict", "lineage_chain", ix, NULL);
			continue;
		}
		static const char *const required[] = { "collection_id", "feature_extractor_id" };
		for (size_t k = 0; k < 2; k++)
			if (!json_object_object_get_ex(s, required[k], &x) || !is_string(x))
				problem(v, "field required (a string)", "value_error.missing",
				        "lineage_chain", ix, required[k]);
		if (json_object_object_get_ex(s, "document_id", &x) && !is_string(x))
			problem(v, "must be a string", "type_error.str", "lineage_chain", ix,
			        "document_id");
		if (json_object_object_get_ex(s, "timestamp", &x) &&
		    (!is_string(x) || !util_is_rfc3339(json_object_get_string(x))))
			problem(v, "must be an RFC 3339 date-time", "value_error.datetime",
			        "lineage_chain", ix, "timestamp");
	}
}

/* Adds vector `name` to the document's map, refusing a bad or repeated
 * name. loc: the feature's index. */
static void add_vector(struct doc_create *dc, const char *name,
                       struct json_object *stored, const char *ix, struct verrs *v)
{
	char msg[256];

	if (!doc_create_vector_name_ok(name) || doc_is_reserved(name) || is_response_only(name)) {
		snprintf(msg, sizeof msg, "vector name %.140s must match ^[A-Za-z0-9_]{1,128}$ "
		         "and name no document field", name);
		problem(v, msg, "value_error.vector_name", "features", ix, "vectors");
	} else if (json_object_object_get_ex(dc->vectors_obj, name, NULL)) {
		snprintf(msg, sizeof msg, "vector %s is named twice", name);
		problem(v, msg, "value_error.vector_name", "features", ix, "vectors");
	} else {
		json_object_object_add(dc->vectors_obj, name, json_object_get(stored));
		json_object_array_add(dc->names_obj, json_object_new_string(name));
	}
	json_object_put(stored);
}

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Mixpeek's SparseVector: {"indices": [distinct ints >= 0], "values":
 * [numbers]}, as many of each. 1 when vecs has that shape (checked). */
static int take_sparse(struct doc_create *dc, struct json_object *vecs,
                       const char *extractor, const char *ix, struct verrs *v)
{
	struct json_object *ind, *val;

	if (json_object_object_length(vecs) != 2 ||
	    !json_object_object_get_ex(vecs, "indices", &ind) ||
	    !json_object_object_get_ex(vecs, "values", &val))
		return 0;
	size_t n = json_object_is_type(ind, json_type_array) ? json_object_array_length(ind) : 0;
	int ok = n > 0 && is_number_row(val) && json_object_array_length(val) == n;
	int64_t *sorted = ok ? xmalloc(n * sizeof *sorted) : NULL;
	for (size_t i = 0; ok && i < n; i++) {
		struct json_object *x = json_object_array_get_idx(ind, i);
		ok = json_object_is_type(x, json_type_int) && json_object_get_int64(x) >= 0;
		sorted[i] = json_object_get_int64(x);
	}
	if (ok) {  /* distinct: no two equal neighbours once sorted */
		qsort(sorted, n, sizeof *sorted, cmp_int64);
		for (size_t i = 1; ok && i < n; i++)
			ok = sorted[i] != sorted[i - 1];
	}
	free(sorted);
	if (!ok) {
		problem(v, "a sparse vector needs as many distinct integer indices >= 0 "
		        "as numeric values, at least one", "value_error.sparse_vector",
		        "features", ix, "vectors");
		return 1;
	}
	struct json_object *s = json_object_new_object();
	json_object_object_add(s, "type", json_object_new_string("sparse"));
	json_object_object_add(s, "indices", json_object_get(ind));
	json_object_object_add(s, "values", json_object_get(val));
	add_vector(dc, extractor, s, ix, v);
	return 1;
}

/* features[i].vectors: dense, named dense, multi-dense or sparse. */
static void take_vectors(struct doc_create *dc, struct json_object *vecs,
                         const char *extractor, const char *ix, struct verrs *v)
{
	if (!json_object_is_type(vecs, json_type_object)) {
		problem(v, "must be an object of vectors", "type_error.dict", "features", ix,
		        "vectors");
		return;
	}
	if (take_sparse(dc, vecs, extractor, ix, v))
		return;
	json_object_object_foreach(vecs, name, val) {
		struct json_object *s = json_object_new_object();
		int dense = is_number_row(val), multi = !dense;
		size_t rows = json_object_is_type(val, json_type_array)
		              ? json_object_array_length(val) : 0;
		/* json-c asserts (aborts the worker) on the length of a non-array:
		 * a dense vector's first element is a number */
		struct json_object *first = rows ? json_object_array_get_idx(val, 0) : NULL;
		size_t width = json_object_is_type(first, json_type_array)
		               ? json_object_array_length(first) : 0;
		for (size_t r = 0; multi && r < rows; r++) {
			struct json_object *row = json_object_array_get_idx(val, r);
			multi = is_number_row(row) && json_object_array_length(row) == width;
		}
		if (!dense && !(multi && rows > 0)) {
			char msg[256];
			snprintf(msg, sizeof msg, "vector %.128s must be a non-empty array of "
			         "numbers, or of rows of numbers of one length", name);
			problem(v, msg, "value_error.vector", "features", ix, "vectors");
			json_object_put(s);
			continue;
		}
		json_object_object_add(s, "type", json_object_new_string(dense ? "dense" : "multi"));
		json_object_object_add(s, dense ? "vector" : "vectors", json_object_get(val));
		if (dense && !dc->vector)  /* the document's `vector`: the first dense one */
			dc->vector = json_object_to_json_string_ext(val, JSON_COMPACT);
		add_vector(dc, name, s, ix, v);
	}
}

/* Puts a flat user field, refusing a key set twice or naming a field. */
static void put_flat(struct doc_create *dc, const char *k, struct json_object *val,
                     const char *ix, struct verrs *v)
{
	char msg[200];

	if (doc_is_reserved(k) || is_request_field(k) || is_response_only(k)) {
		snprintf(msg, sizeof msg, "payload key %.128s names a document field", k);
		problem(v, msg, "value_error.reserved", "features", ix, "payload");
	} else if (json_object_object_get_ex(dc->fields_obj, k, NULL)) {
		snprintf(msg, sizeof msg, "field %.128s is set twice", k);
		problem(v, msg, "value_error.duplicate", "features", ix, "payload");
	} else {
		json_object_object_add(dc->fields_obj, k, json_object_get(val));
	}
}

/* features: [{feature_extractor_id*, payload?, vectors?}]. */
static void take_features(struct doc_create *dc, struct json_object *features,
                          struct verrs *v)
{
	char ix[24];

	if (!json_object_is_type(features, json_type_array)) {
		problem(v, "must be an array of features", "type_error.list", "features",
		        NULL, NULL);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(features); i++) {
		struct json_object *f = json_object_array_get_idx(features, i), *x, *p;
		snprintf(ix, sizeof ix, "#%zu", i);
		if (!json_object_is_type(f, json_type_object)) {
			problem(v, "must be an object", "type_error.dict", "features", ix, NULL);
			continue;
		}
		if (!json_object_object_get_ex(f, "feature_extractor_id", &x) || !is_string(x)) {
			problem(v, "field required (a string)", "value_error.missing", "features",
			        ix, "feature_extractor_id");
			continue;
		}
		if (json_object_object_get_ex(f, "payload", &p)) {
			if (!json_object_is_type(p, json_type_object))
				problem(v, "must be an object", "type_error.dict", "features", ix,
				        "payload");
			else {
				json_object_object_foreach(p, k, val)
					put_flat(dc, k, val, ix, v);
			}
		}
		if (json_object_object_get_ex(f, "vectors", &p) && !json_object_is_type(p, json_type_null))
			take_vectors(dc, p, json_object_get_string(x), ix, v);
	}
}

/* The body's members that are read-only fields, checked, and the flat
 * fields. */
static void take_members(struct doc_create *dc, struct json_object *body,
                         struct verrs *v)
{
	json_object_object_foreach(body, k, val) {
		if (is_request_field(k) || is_response_only(k))
			continue;
		if (doc_is_reserved(k)) {
			char msg[160];
			snprintf(msg, sizeof msg, "%s is set by the server and cannot be given", k);
			problem(v, msg, "value_error.read_only", k, NULL, NULL);
			continue;
		}
		json_object_object_add(dc->fields_obj, k, json_object_get(val));
	}
	for (size_t i = 0; i < N_LINEAGE_STRINGS; i++) {
		struct json_object *x;
		if (json_object_object_get_ex(body, lineage_strings[i], &x) && !is_string(x))
			problem(v, "must be a string", "type_error.str", lineage_strings[i], NULL, NULL);
	}
}

/* The type checks of the fixed members other than lineage strings. */
static void check_fixed(struct json_object *body, const char **version, struct verrs *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(body, "collection_id", &x))
		problem(v, "field required", "value_error.missing", "collection_id", NULL, NULL);
	else if (!is_string(x))
		problem(v, "must be a string", "type_error.str", "collection_id", NULL, NULL);
	if (json_object_object_get_ex(body, "document_schema_version", &x)) {
		const char *s = json_object_get_string(x);
		if (!is_string(x) || (strcmp(s, "v1") && strcmp(s, "v2")))
			problem(v, "must be \"v1\" or \"v2\"", "type_error.enum",
			        "document_schema_version", NULL, NULL);
		else
			*version = s;
	}
	if (json_object_object_get_ex(body, "source_type", &x) &&
	    (!is_string(x) || (strcmp(json_object_get_string(x), "bucket") &&
	                       strcmp(json_object_get_string(x), "collection"))))
		problem(v, "must be \"bucket\" or \"collection\"", "type_error.enum",
		        "source_type", NULL, NULL);
	if (json_object_object_get_ex(body, "lineage_chain", &x))
		check_chain(x, v);
	if (json_object_object_get_ex(body, "metadata", &x) &&
	    !json_object_is_type(x, json_type_object))
		problem(v, "must be an object", "type_error.dict", "metadata", NULL, NULL);
	if (json_object_object_get_ex(body, "internal_metadata", &x) &&
	    !json_object_is_type(x, json_type_object))
		problem(v, "must be an object", "type_error.dict", "internal_metadata", NULL, NULL);
	if (json_object_object_get_ex(body, "source_blobs", &x)) {
		int ok = json_object_is_type(x, json_type_array);
		for (size_t i = 0; ok && i < json_object_array_length(x); i++)
			ok = json_object_is_type(json_object_array_get_idx(x, i), json_type_object);
		if (!ok)
			problem(v, "must be an array of objects", "type_error.list", "source_blobs",
			        NULL, NULL);
	}
	if (json_object_object_get_ex(body, "document_blobs", &x))
		doc_check_blobs(x, v);
}

/* `sys`, members in contract order. v1 keeps the lineage also as the
 * `lineage` object, with the chain inside it; v2 keeps the chain flat. */
static struct json_object *build_sys(struct json_object *body, const char *version)
{
	struct json_object *sys = json_object_new_object(), *x;
	struct json_object *lineage = NULL;
	int v1 = strcmp(version, "v1") == 0;

	if (v1) {
		static const char *const in_lineage[] = {
			"root_object_id", "root_bucket_id", "source_type", "source_object_id",
			"source_collection_id", "source_document_id",
		};
		lineage = json_object_new_object();
		for (size_t i = 0; i < sizeof in_lineage / sizeof in_lineage[0]; i++)
			if (json_object_object_get_ex(body, in_lineage[i], &x))
				json_object_object_add(lineage, in_lineage[i], json_object_get(x));
		json_object_object_add(lineage, "lineage_chain",
		                       json_object_object_get_ex(body, "lineage_chain", &x)
		                       ? json_object_get(x) : json_object_new_array());
	}
	for (size_t i = 0; i < DOC_N_SYS; i++) {
		const char *k = doc_sys_fields[i];
		if (strcmp(k, "document_schema_version") == 0)
			json_object_object_add(sys, k, json_object_new_string(version));
		else if (strcmp(k, "lineage") == 0) {
			if (lineage)
				json_object_object_add(sys, k, lineage);
		} else if (strcmp(k, "lineage_chain") == 0 && v1)
			continue;
		else if (json_object_object_get_ex(body, k, &x))
			json_object_object_add(sys, k, json_object_get(x));
		else if (strcmp(k, "source_blobs") == 0)
			json_object_object_add(sys, k, json_object_new_array());
		else if (strcmp(k, "internal_metadata") == 0)
			json_object_object_add(sys, k, json_object_new_object());
	}
	return sys;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(struct json_object *const *)a),
	              json_object_get_string(*(struct json_object *const *)b));
}

void doc_create_build(struct doc_create *dc, struct json_object *body,
                      const char *default_version, struct verrs *v)
{
	const char *version = default_version, *err = NULL;
	struct json_object *x;
	int before = verr_count(v);

	memset(dc, 0, sizeof *dc);
	if (!json_object_is_type(body, json_type_object)) {
		verr_add(v, "must be a JSON object", "type_error.dict", "body", NULL, NULL, NULL);
		return;
	}
	dc->fields_obj = json_object_new_object();
	dc->vectors_obj = json_object_new_object();
	dc->names_obj = json_object_new_array();
	check_fixed(body, &version, v);
	if (json_object_object_get_ex(body, "collection_id", &x) && is_string(x))
		dc->collection_id = json_object_get_string(x);
	if (doc_id_of(body, dc->document_id, sizeof dc->document_id, &err) != 0 ||
	    (dc->document_id[0] && strlen(dc->document_id) > 104))
		problem(v, "must match ^doc_[A-Za-z0-9_]{1,100}$", "value_error.str.regex",
		        "document_id", NULL, NULL);
	take_members(dc, body, v);
	if (json_object_object_get_ex(body, "features", &x))
		take_features(dc, x, v);
	if (verr_count(v) > before) {
		dc->vector = NULL;  /* no text is set when the body is refused */
		return;
	}
	dc->sys_obj = build_sys(body, version);
	dc->sys = json_object_to_json_string_ext(dc->sys_obj, JSON_COMPACT);
	dc->metadata = json_object_object_get_ex(body, "metadata", &x)
	               ? json_object_to_json_string_ext(x, JSON_COMPACT) : "{}";
	dc->blobs = "[]";
	if (json_object_object_get_ex(body, "document_blobs", &x)) {
		/* Stored as json: members in contract order. */
		dc->blobs_obj = doc_canonical_blobs(x);
		dc->blobs = json_object_to_json_string_ext(dc->blobs_obj, JSON_COMPACT);
	}
	dc->fields = json_object_to_json_string_ext(dc->fields_obj, JSON_COMPACT);
	if (json_object_array_length(dc->names_obj)) {
		json_object_array_sort(dc->names_obj, cmp_names);
		dc->vectors = json_object_to_json_string_ext(dc->vectors_obj, JSON_COMPACT);
		dc->vector_names = json_object_to_json_string_ext(dc->names_obj, JSON_COMPACT);
	}
}

void doc_create_clear(struct doc_create *dc)
{
	json_object_put(dc->sys_obj);
	json_object_put(dc->fields_obj);
	json_object_put(dc->blobs_obj);
	json_object_put(dc->vectors_obj);
	json_object_put(dc->names_obj);
	memset(dc, 0, sizeof *dc);
}
