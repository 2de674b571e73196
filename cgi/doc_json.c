/* doc_json.c - see doc_json.h. */
#include "doc_json.h"
#include "doc.h"
#include "jsontext.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* A JSON string literal for s (ids, timestamps, URLs: usually plain, so
 * runs of plain bytes are found by strcspn and copied in one piece). */
static void put_string(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	static const char special[] = "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\x09"
		"\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
		"\x19\x1a\x1b\x1c\x1d\x1e\x1f";

	buf_putc(out, '"');
	for (;;) {
		size_t n = strcspn(s, special);
		buf_append(out, s, n);
		s += n;
		if (!*s)
			break;
		unsigned char c = (unsigned char)*s++;
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			buf_append(out, esc, sizeof esc);
		} else {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			buf_append(out, esc, sizeof esc);
		}
	}
	buf_putc(out, '"');
}

/*
 * The URL a blob's "url" value (JSON text) holds, NUL-terminated in scratch;
 * NULL when it is not a string. docapi stores URLs unescaped; other writers
 * may escape '/' (as "\/"): simple escapes are decoded here, \u escapes
 * by json-c.
 */
static const char *url_of(struct jt_slice value, struct buf *scratch)
{
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	const char *p = value.p + 1, *end = value.p + value.len - 1;
	const char *decoded = NULL;
	struct json_object *o = NULL;

	/* struct buf keeps its data NUL-terminated. */
	buf_reset(scratch);
	if (value.len < 2 || value.p[0] != '"')
		return NULL;
	while (p < end) {
		const char *run = p;
		while (p < end && *p != '\\')
			p++;
		buf_append(scratch, run, (size_t)(p - run));
		if (p == end)
			break;
		const char *e = strchr(simple, p[1]);
		if (!e || p[1] == '\0' || (e - simple) % 2)
			goto json_c; /* \u, or not JSON */
		buf_putc(scratch, e[1]);
		p += 2;
	}
	return scratch->data ? scratch->data : "";
json_c:
	buf_reset(scratch);
	buf_append(scratch, value.p, value.len);
	o = doc_parse_stored(scratch->data);
	decoded = json_object_is_type(o, json_type_string) ? json_object_get_string(o)
	                                                   : NULL;
	buf_reset(scratch);
	if (decoded)
		buf_puts(scratch, decoded);
	json_object_put(o);
	return decoded ? scratch->data : NULL;
}

/*
 * Appends a signed blob to blobs_out (its first head_len bytes, then
 * presigned_url) and its entry to urls_out (the n-th); the URL is quoted
 * once, into quoted, for both arrays.
 */
static void put_signed(struct buf *blobs_out, struct buf *urls_out,
                       struct jt_slice blob, size_t head_len,
                       struct jt_slice field, struct jt_slice object_key,
                       const char *signed_url, int n, struct buf *quoted)
{
	buf_reset(quoted);
	put_string(quoted, signed_url);
	buf_append(blobs_out, blob.p, head_len);
	buf_puts(blobs_out, ",\"presigned_url\":");
	buf_append(blobs_out, quoted->data, quoted->len);
	buf_putc(blobs_out, '}');
	buf_puts(urls_out, n ? ",{\"key_name\":" : "{\"key_name\":");
	if (field.p)
		buf_append(urls_out, field.p, field.len);
	else
		buf_puts(urls_out, "null");
	if (object_key.p) {
		buf_puts(urls_out, ",\"object_key\":");
		buf_append(urls_out, object_key.p, object_key.len);
	}
	buf_puts(urls_out, ",\"presigned_url\":");
	buf_append(urls_out, quoted->data, quoted->len);
	buf_putc(urls_out, '}');
}

int doc_json_presign_blobs(const char *blobs, doc_sign_fn sign,
                          void *sign_ctx, struct buf *blobs_out,
                          struct buf *urls_out, char **primary)
{
	struct jt_iter arr;
	struct jt_slice blob;
	struct buf scratch = { 0 }, quoted = { 0 };
	int seen_source = 0, n_urls = 0, rc = -1, more;

	*primary = NULL;
	if (jt_begin(&arr, blobs, strlen(blobs), '[') != 0)
		goto cleanup;
	buf_putc(blobs_out, '[');
	buf_putc(urls_out, '[');
	/* Stored blobs are in contract order already (as GET serves them):
	 * each is copied as it is, with its presigned_url added at the end. */
	for (int i = 0; (more = jt_next_element(&arr, &blob)) == 1; i++) {
		struct jt_iter members;
		struct jt_slice k, val, url = { 0 }, field = { 0 }, object_key = { 0 };
		int is_primary = 0, m;
		char *signed_url = NULL;
		const char *u;

		if (i)
			buf_putc(blobs_out, ',');
		if (jt_begin(&members, blob.p, blob.len, '{') != 0)
			goto cleanup;
		while ((m = jt_next_member(&members, &k, &val)) == 1) {
			if (k.len == 3 && memcmp(k.p, "url", 3) == 0)
				url = val;
			else if (k.len == 5 && memcmp(k.p, "field", 5) == 0)
				field = val;
			else if (k.len == 10 && memcmp(k.p, "object_key", 10) == 0)
				object_key = val;
			/* The primary blob is the first with role "source",
			 * signable or not. */
			else if (k.len == 4 && memcmp(k.p, "role", 4) == 0 &&
			         !seen_source && jt_string_is(val, "source"))
				is_primary = seen_source = 1;
		}
		if (m < 0)
			goto cleanup;
		u = url.p ? url_of(url, &scratch) : NULL;
		if (u && util_starts_with(u, "s3://"))
			signed_url = sign(sign_ctx, u);
		else if (u && (util_starts_with(u, "http://") ||
		               util_starts_with(u, "https://")))
			signed_url = xstrdup(u);
		if (!signed_url) {
			buf_append(blobs_out, blob.p, blob.len);
			continue;
		}
		/* A blob with a url has a member, so "...}" becomes "...,pu}". */
		put_signed(blobs_out, urls_out, blob, (size_t)(members.p - 1 - blob.p),
		           field, object_key, signed_url, n_urls++, &quoted);
		if (is_primary)
			*primary = signed_url;
		else
			free(signed_url);
	}
	if (more < 0)
		goto cleanup;
	buf_putc(blobs_out, ']');
	buf_putc(urls_out, ']');
	rc = 0;
cleanup:
	if (rc != 0) {
		free(*primary);
		*primary = NULL;
	}
	buf_free(&scratch);
	buf_free(&quoted);
	return rc;
}

/* Appends ",<members>" of an object's JSON text, or nothing for "{}". */
static void put_members(struct buf *out, const char *obj)
{
	const char *open = strchr(obj, '{'), *close = strrchr(obj, '}');
	if (!open || !close || close <= open)
		return;
	open++;
	while (open < close && (*open == ' ' || *open == '\n' || *open == '\t'))
		open++;
	if (open == close)
		return;
	buf_putc(out, ',');
	buf_append(out, open, (size_t)(close - open));
}

static void put_field(struct buf *out, const char *name, const char *json)
{
	buf_puts(out, ",\"");
	buf_puts(out, name);
	buf_puts(out, "\":");
	buf_puts(out, json);
}

void doc_json_write(struct buf *out, const struct doc_texts *t)
{
	buf_reserve(out, 256 + strlen(t->sys) + strlen(t->metadata) +
	            strlen(t->fields) + strlen(t->blobs) +
	            (t->vector ? strlen(t->vector) : 0) +
	            (t->vector_names ? strlen(t->vector_names) : 0) +
	            (t->presigned_urls ? strlen(t->presigned_urls) : 0));
	buf_puts(out, "{\"document_id\":");
	put_string(out, t->document_id);
	buf_puts(out, ",\"collection_id\":");
	put_string(out, t->collection_id);
	put_members(out, t->sys);
	put_field(out, "metadata", t->metadata);
	put_members(out, t->fields);
	if (t->vector)
		put_field(out, "vector", t->vector);
	if (t->vector_names)
		put_field(out, "_vectors", t->vector_names);
	put_field(out, "document_blobs", t->blobs);
	if (t->presigned_url) {
		buf_puts(out, ",\"presigned_url\":");
		put_string(out, t->presigned_url);
	}
	put_field(out, "presigned_urls", t->presigned_urls ? t->presigned_urls : "[]");
	buf_puts(out, ",\"created_at\":");
	put_string(out, t->created_at);
	buf_puts(out, ",\"updated_at\":");
	put_string(out, t->updated_at);
	buf_putc(out, '}');
}

/* ---- validation of the writable view ------------------------------------ */
