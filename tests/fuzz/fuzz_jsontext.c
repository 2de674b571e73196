/*
 * fuzz_jsontext.c - the JSON text walker (jsontext.c) and its user on the
 * return_url=true path, doc_json_presign_blobs().
 *
 * Input: any bytes, walked as an object and as an array with the exact
 * length (no NUL at the end: ASan sees any read past it).
 * Invariants: every slice lies inside the input; walking ends (1 per item,
 * then 0 or -1). Differential: when json-c accepts the input as an array
 * of objects, doc_json_presign_blobs() succeeds, its two outputs are JSON
 * that json-c accepts, with as many blobs as the input and at most as many
 * presigned_urls entries; when it fails, it leaves no primary URL behind.
 */
#include "fuzz_common.h"

#include "doc_json.h"
#include "jsontext.h"
#include "util.h"

#include <json-c/json.h>

static char *sign_all(void *ctx, const char *url)
{
	(void)ctx;
	size_t n = strlen(url);
	char *out = xmalloc(n + 3);
	memcpy(out, url, n);
	memcpy(out + n, "?s", 3);
	return out;
}

static int inside(struct jt_slice s, const char *p, size_t n)
{
	return s.p >= p && s.p + s.len <= p + n;
}

static void walk(const char *p, size_t n)
{
	struct jt_iter it;
	struct jt_slice k, v;
	int rc;

	if (jt_begin(&it, p, n, '{') == 0) {
		while ((rc = jt_next_member(&it, &k, &v)) == 1) {
			FUZZ_ASSERT(inside(k, p, n) && inside(v, p, n), "member outside input");
			FUZZ_ASSERT(v.len > 0, "empty value");
		}
		FUZZ_ASSERT(rc == 0 || rc == -1, "member walk result");
	}
	if (jt_begin(&it, p, n, '[') == 0) {
		while ((rc = jt_next_element(&it, &v)) == 1)
			FUZZ_ASSERT(inside(v, p, n) && v.len > 0, "element outside input");
		FUZZ_ASSERT(rc == 0 || rc == -1, "element walk result");
	}
}

/* json-c in strict mode (its default accepts more than JSON). */
static struct json_object *parse_strict(const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* 1 when text is, for json-c, an array whose elements are all objects. */
static int array_of_objects(const char *text, size_t *count)
{
	struct json_object *o = parse_strict(text);
	int ok = json_object_is_type(o, json_type_array);

	*count = ok ? json_object_array_length(o) : 0;
	for (size_t i = 0; ok && i < *count; i++)
		ok = json_object_is_type(json_object_array_get_idx(o, i), json_type_object);
	json_object_put(o);
	return ok;
}

static size_t array_length(const char *text)
{
	struct json_object *o = parse_strict(text);
	size_t n = json_object_is_type(o, json_type_array) ? json_object_array_length(o)
	                                                   : (size_t)-1;
	json_object_put(o);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *exact = malloc(size ? size : 1);
	char *text = fuzz_strndup(data, size);
	struct buf blobs = { 0 }, urls = { 0 };
	char *primary = NULL;
	size_t count;

	if (!exact)
		abort();
	memcpy(exact, data, size);
	walk(exact, size);
	free(exact);

	/* Whole C strings only: json-c and docview see the same text. */
	if (strlen(text) == size) {
		int valid = array_of_objects(text, &count);
		int rc = doc_json_presign_blobs(text, sign_all, NULL, &blobs, &urls, &primary);
		if (valid) {
			FUZZ_ASSERT(rc == 0, "valid blobs refused");
			FUZZ_ASSERT(array_length(blobs.data) == count, "blob count changed");
			FUZZ_ASSERT(array_length(urls.data) <= count, "presigned_urls not JSON");
		}
		if (rc != 0)
			FUZZ_ASSERT(primary == NULL, "primary left behind on failure");
	}
	free(primary);
	buf_free(&blobs);
	buf_free(&urls);
	free(text);
	return 0;
}
