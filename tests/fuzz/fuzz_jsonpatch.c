/*
 * fuzz_jsonpatch.c - RFC 7396 merge (jp_merge) and RFC 6902 patch
 * (jp_validate, jp_apply, jp_equal) on values parsed by body_parse_json.
 *
 * Input: "DOC\0PATCH" (both JSON text); without a '\0' the whole input is
 * the patch, applied to a fixed document shaped like a writable view.
 *
 * Invariants:
 *  - jp_validate and jp_apply agree on JP_EINVALID;
 *  - a failed jp_apply leaves *doc the same pointer with the same content;
 *  - neither function modifies the patch;
 *  - merging the same patch twice changes nothing the second time
 *    (RFC 7396 patches are idempotent);
 *  - results serialize to JSON that parses back to an equal value;
 *  - jp_equal is reflexive on deep copies; jp_error.msg is terminated.
 */
#include "fuzz_common.h"

#include "body.h"
#include "http.h"
#include "jsonpatch.h"

static const char default_doc[] =
	"{\"metadata\":{\"title\":\"x\",\"tags\":[\"a\",\"b\"],\"n\":1,\"f\":1.5,"
	"\"a/b\":{\"m~n\":true},\"\":null},\"document_blobs\":[{\"field\":\"v\","
	"\"url\":\"s3://b/k\",\"role\":\"source\",\"type\":\"video\"}],"
	"\"cluster_id\":\"c\",\"vector\":[0.5,-1],\"document_id\":\"doc_1\"}";

/* Parses like the app does; *ok = 0 when the text was refused (422). */
static struct json_object *parse(const char *s, size_t n, int *ok)
{
	struct verrs v = { 0 };
	char *copy = fuzz_strndup(s, n);
	struct json_object *o = body_parse_json(copy, n, 64, &v);
	FUZZ_ASSERT(!(o && verr_count(&v)), "a value returned together with errors");
	*ok = verr_count(&v) == 0;
	verr_free(&v);
	free(copy);
	return o;
}

/*
 * "copy" ops can double the document each (copy "" or a big subtree into
 * itself): n of them make 2^n nodes. jsonpatch.c has no size bound yet
 * (reported as a bug), so without FUZZ_ALLOW_COPY_BOMB inputs with more
 * than MAX_COPIES copy ops are only validated, not applied, to keep the
 * fuzzer from dying of that one known out-of-memory.
 */
#define MAX_COPIES 4
static int too_many_copies(struct json_object *ops)
{
#ifdef FUZZ_ALLOW_COPY_BOMB
	(void)ops;
	return 0;
#else
	int copies = 0;
	if (!json_object_is_type(ops, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(ops); i++) {
		struct json_object *op = json_object_array_get_idx(ops, i), *x;
		if (json_object_object_get_ex(op, "op", &x) &&
		    json_object_is_type(x, json_type_string) &&
		    strcmp(json_object_get_string(x), "copy") == 0)
			copies++;
	}
	return copies > MAX_COPIES;
#endif
}

/* NULL is JSON null for json-c: a serialized "null" parses back to NULL. */
static char *dump(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	return strdup(s);
}

static void roundtrip(struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH * 8);
	struct json_object *back = json_tokener_parse_ex(tok, s, (int)len + 1);
	FUZZ_ASSERT(json_tokener_get_error(tok) == json_tokener_success,
	            "result does not parse back");
	FUZZ_ASSERT(jp_equal(o, back), "result parses back to a different value");
	json_object_put(back);
	json_tokener_free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sep = memchr(data, '\0', size);
	struct json_object *doc, *patch, *copy = NULL, *before = NULL;
	char *patch_text;
	struct jp_error err;

	int ok = 1;
	if (sep) {
		doc = parse((const char *)data, (size_t)(sep - (const char *)data), &ok);
		if (!ok) /* the document did not parse: use the default one */
			doc = parse(default_doc, sizeof default_doc - 1, &ok);
		patch = parse(sep + 1, size - (size_t)(sep + 1 - (const char *)data), &ok);
	} else {
		doc = parse(default_doc, sizeof default_doc - 1, &ok);
		patch = parse((const char *)data, size, &ok);
	}
	if (!ok) {
		/* the app answers 422 here and goes no further */
		json_object_put(doc);
		return 0;
	}
	patch_text = dump(patch);

	/* jp_equal: reflexive on a deep copy */
	json_object_deep_copy(doc, &copy, NULL);
	FUZZ_ASSERT(jp_equal(doc, copy) && jp_equal(copy, doc), "jp_equal not reflexive");

	/* --- RFC 6902 --- */
	enum jp_status vst = jp_validate(patch, &err);
	FUZZ_ASSERT(vst == JP_OK || vst == JP_EINVALID, "jp_validate status");
	FUZZ_ASSERT(memchr(err.msg, '\0', sizeof err.msg) != NULL || vst == JP_OK,
	            "jp_validate msg unterminated");
	struct json_object *target = NULL;
	json_object_deep_copy(doc, &target, NULL);
	struct json_object *orig_ptr = target;
	json_object_deep_copy(target, &before, NULL);
	if (too_many_copies(patch)) {
		json_object_put(target);
		json_object_put(before);
		json_object_put(copy);
		json_object_put(doc);
		json_object_put(patch);
		free(patch_text);
		return 0;
	}
	enum jp_status st = jp_apply(&target, patch, &err);
	FUZZ_ASSERT(memchr(err.msg, '\0', sizeof err.msg) != NULL, "jp_apply msg unterminated");
	FUZZ_ASSERT((vst == JP_EINVALID) == (st == JP_EINVALID),
	            "jp_validate and jp_apply disagree on validity");
	if (st != JP_OK) {
		FUZZ_ASSERT(target == orig_ptr, "failed jp_apply swapped the document");
		FUZZ_ASSERT(jp_equal(target, before), "failed jp_apply changed the document");
		FUZZ_ASSERT(err.index >= -1, "error index");
	} else {
		roundtrip(target);
	}
	json_object_put(target);
	json_object_put(before);
	before = NULL;

	/* --- RFC 7396 --- */
	struct json_object *m1 = NULL, *m2 = NULL;
	json_object_deep_copy(doc, &m1, NULL);
	m1 = jp_merge(m1, patch);
	json_object_deep_copy(m1, &m2, NULL);
	m2 = jp_merge(m2, patch);
	FUZZ_ASSERT(jp_equal(m1, m2), "merge patch is not idempotent");
	roundtrip(m1);
	json_object_put(m1);
	json_object_put(m2);

	/* the patch was borrowed: unchanged */
	char *after = dump(patch);
	FUZZ_ASSERT(strcmp(after, patch_text) == 0, "patch was modified");
	free(after);
	free(patch_text);

	json_object_put(copy);
	json_object_put(doc);
	json_object_put(patch);
	return 0;
}
