/* docview.c - see docview.h. */
#include "docview.h"
#include "jsonpatch.h"
#include "jsontext.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read-only fields kept in `sys`, in output order (contract section 3). */
static const char *const sys_fields[] = {
	"document_schema_version", "root_object_id", "root_bucket_id",
	"source_type", "source_object_id", "source_collection_id",
	"source_document_id", "lineage_path", "lineage", "lineage_chain",
	"source_blobs", "internal_metadata",
};
#define N_SYS (sizeof sys_fields / sizeof sys_fields[0])

/* Every field name of section 3; anything else is a flat user field. */
int docview_is_reserved(const char *name)
{
	static const char *const others[] = {
		"document_id", "collection_id", "metadata", "vector",
		"document_blobs", "presigned_url", "presigned_urls", "created_at",
		"updated_at",
	};
	for (size_t i = 0; i < N_SYS; i++)
		if (strcmp(name, sys_fields[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		if (strcmp(name, others[i]) == 0)
			return 1;
	return 0;
}

void docview_split_stored(struct json_object *doc, struct json_object *sys,
                          struct json_object *fields)
{
	struct json_object *v;
	for (size_t i = 0; i < N_SYS; i++) {
		if (json_object_object_get_ex(doc, sys_fields[i], &v))
			json_object_object_add(sys, sys_fields[i], json_object_get(v));
		else if (strcmp(sys_fields[i], "source_blobs") == 0)
			json_object_object_add(sys, "source_blobs", json_object_new_array());
	}
	json_object_object_foreach(doc, k, val) {
		if (!docview_is_reserved(k))
			json_object_object_add(fields, k, json_object_get(val));
	}
}

/* Parses text with a tokener of the given depth; *err says why on NULL. */
static struct json_object *parse_with_depth(const char *text, int depth,
                                            enum json_tokener_error *err)
{
	struct json_tokener *tok = json_tokener_new_ex(depth);
	struct json_object *o;

	if (!tok)
		abort();
	o = json_tokener_parse_ex(tok, text, -1);
	*err = json_tokener_get_error(tok);
	json_tokener_free(tok);
	return o;
}

struct json_object *docview_parse_stored(const char *text)
{
	enum json_tokener_error err;
	struct json_object *o;

	if (!text)
		return NULL;
	/* A tokener allocates and zeroes its stack for its whole depth (35 KB at
	 * 1100 levels, more work than parsing a typical document), so a shallow
	 * one goes first and only deeper documents pay for a deep one: json-c's
	 * own json_tokener_parse() stops at 32, while stored documents may nest
	 * as deep as a request may (max_depth, at most 1000). */
	o = parse_with_depth(text, DOCVIEW_SHALLOW_DEPTH, &err);
	if (!o && err == json_tokener_error_depth)
		o = parse_with_depth(text, DOCVIEW_STORED_DEPTH, &err);
	return o;
}

static struct json_object *parse_stored(const char *text, json_type want)
{
	struct json_object *o;
	if (!text)
		return NULL;
	o = docview_parse_stored(text);
	if (o && !json_object_is_type(o, want)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int docview_load(struct doc *d, const struct db_doc_row *row,
                 const char *document_id, const char *collection_id)
{
	memset(d, 0, sizeof *d);
	d->document_id = document_id;
	d->collection_id = collection_id;
	d->pk = row->pk;
	d->version = row->version;
	d->sys = parse_stored(row->sys, json_type_object);
	d->metadata = parse_stored(row->metadata, json_type_object);
	d->blobs = parse_stored(row->blobs, json_type_array);
	d->fields = parse_stored(row->fields, json_type_object);
	d->vector = parse_stored(row->vector, json_type_array);
	snprintf(d->created_at, sizeof d->created_at, "%s", row->created_at ? row->created_at : "");
	snprintf(d->updated_at, sizeof d->updated_at, "%s", row->updated_at ? row->updated_at : "");
	if (!d->sys || !d->metadata || !d->blobs || !d->fields ||
	    (row->vector && !d->vector))
		return -1;
	return 0;
}

void docview_free(struct doc *d)
{
	json_object_put(d->sys);
	json_object_put(d->metadata);
	json_object_put(d->blobs);
	json_object_put(d->fields);
	json_object_put(d->vector);
	memset(d, 0, sizeof *d);
}

static void add_copy(struct json_object *dst, const char *key, struct json_object *v)
{
	json_object_object_add(dst, key, json_object_get(v));
}

/* Blob members in the contract's order; others follow as stored. */
static const char *const blob_keys[] = {
	"field", "url", "role", "type", "object_key", "filename", "size_bytes",
	"content_type", "checksum", "created_at", "source_blob_id", NULL,
};

static int is_blob_key(const char *k)
{
	for (int i = 0; blob_keys[i]; i++)
		if (strcmp(k, blob_keys[i]) == 0)
			return 1;
	return 0;
}

/* A blob as returned: its values shared with b, keys in contract order.
 * Caller owns the result. */
static struct json_object *render_blob(struct json_object *b)
{
	struct json_object *out = json_object_new_object(), *v;
	for (int i = 0; blob_keys[i]; i++)
		if (json_object_object_get_ex(b, blob_keys[i], &v))
			add_copy(out, blob_keys[i], v);
	json_object_object_foreach(b, k, val) {
		if (!is_blob_key(k) && strcmp(k, "presigned_url") != 0)
			add_copy(out, k, val);
	}
	return out;
}

struct json_object *docview_canonical_blobs(struct json_object *blobs)
{
	size_t n = json_object_array_length(blobs);
	struct json_object *out = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(out, render_blob(json_object_array_get_idx(blobs, i)));
	return out;
}

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
	o = docview_parse_stored(scratch->data);
	decoded = json_object_is_type(o, json_type_string) ? json_object_get_string(o)
	                                                   : NULL;
	buf_reset(scratch);
	if (decoded)
		buf_puts(scratch, decoded);
	json_object_put(o);
	return decoded ? scratch->data : NULL;
}

int docview_presign_blobs(const char *blobs, docview_sign_fn sign,
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
		/* A blob with a url has a member, so "...}" becomes "...,pu}".
		 * The URL is quoted once for both arrays. */
		buf_reset(&quoted);
		put_string(&quoted, signed_url);
		buf_append(blobs_out, blob.p, (size_t)(members.p - 1 - blob.p));
		buf_puts(blobs_out, ",\"presigned_url\":");
		buf_append(blobs_out, quoted.data, quoted.len);
		buf_putc(blobs_out, '}');
		buf_puts(urls_out, n_urls++ ? ",{\"key_name\":" : "{\"key_name\":");
		if (field.p)
			buf_append(urls_out, field.p, field.len);
		else
			buf_puts(urls_out, "null");
		if (object_key.p) {
			buf_puts(urls_out, ",\"object_key\":");
			buf_append(urls_out, object_key.p, object_key.len);
		}
		buf_puts(urls_out, ",\"presigned_url\":");
		buf_append(urls_out, quoted.data, quoted.len);
		buf_putc(urls_out, '}');
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

struct json_object *docview_render(const struct doc *d)
{
	struct json_object *o = json_object_new_object(), *v;

	json_object_object_add(o, "document_id", json_object_new_string(d->document_id));
	json_object_object_add(o, "collection_id", json_object_new_string(d->collection_id));
	for (size_t i = 0; i < N_SYS; i++) {
		if (json_object_object_get_ex(d->sys, sys_fields[i], &v))
			add_copy(o, sys_fields[i], v);
		else if (strcmp(sys_fields[i], "source_blobs") == 0)
			json_object_object_add(o, "source_blobs", json_object_new_array());
	}
	add_copy(o, "metadata", d->metadata);
	json_object_object_foreach(d->fields, fk, fv) {
		add_copy(o, fk, fv);
	}
	if (d->vector)
		add_copy(o, "vector", d->vector);
	add_copy(o, "document_blobs", d->blobs);
	json_object_object_add(o, "created_at", json_object_new_string(d->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(d->updated_at));
	return o;
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

void docview_write(struct buf *out, const struct doc_texts *t)
{
	buf_reserve(out, 256 + strlen(t->sys) + strlen(t->metadata) +
	            strlen(t->fields) + strlen(t->blobs) +
	            (t->vector ? strlen(t->vector) : 0) +
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

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static void check_blob(struct json_object *b, int idx, struct verrs *v)
{
	static const char *const roles[] = { "source", "processed", "thumbnail",
	                                     "artifact", "aux", NULL };
	static const char *const types[] = { "video", "image", "audio", "text",
	                                     "pdf", "other", NULL };
	static const char *const strings[] = { "object_key", "filename",
	                                       "content_type", "checksum",
	                                       "created_at", "source_blob_id", NULL };
	char ix[16];
	struct json_object *f;

	snprintf(ix, sizeof ix, "#%d", idx);
	if (!json_object_is_type(b, json_type_object)) {
		verr_add(v, "must be an object", "type_error.dict", "body",
		         "document_blobs", ix, NULL);
		return;
	}
	json_object_object_del(b, "presigned_url"); /* response-only */
	if (!json_object_object_get_ex(b, "field", &f))
		verr_add(v, "field required", "value_error.missing", "body",
		         "document_blobs", ix, "field");
	else if (!json_object_is_type(f, json_type_string) ||
	         json_object_get_string_len(f) == 0)
		verr_add(v, "must be a non-empty string", "type_error.str", "body",
		         "document_blobs", ix, "field");
	if (!json_object_object_get_ex(b, "url", &f)) {
		verr_add(v, "field required", "value_error.missing", "body",
		         "document_blobs", ix, "url");
	} else if (!json_object_is_type(f, json_type_string)) {
		verr_add(v, "must be a string", "type_error.str", "body",
		         "document_blobs", ix, "url");
	} else {
		const char *u = json_object_get_string(f);
		const char *rest = util_starts_with(u, "s3://") ? u + 5
			: util_starts_with(u, "http://") ? u + 7
			: util_starts_with(u, "https://") ? u + 8 : NULL;
		if (!rest || !*rest || *rest == '/')
			verr_add(v, "must be an s3://, http:// or https:// URL",
			         "value_error.url.scheme", "body", "document_blobs", ix, "url");
	}
	if (!json_object_object_get_ex(b, "role", &f)) {
		json_object_object_add(b, "role", json_object_new_string("source"));
	} else if (!json_object_is_type(f, json_type_string) ||
	           !in_list(json_object_get_string(f), roles)) {
		verr_add(v, "must be one of source, processed, thumbnail, artifact, aux",
		         "type_error.enum", "body", "document_blobs", ix, "role");
	}
	if (!json_object_object_get_ex(b, "type", &f)) {
		json_object_object_add(b, "type", json_object_new_string("other"));
	} else if (!json_object_is_type(f, json_type_string) ||
	           !in_list(json_object_get_string(f), types)) {
		verr_add(v, "must be one of video, image, audio, text, pdf, other",
		         "type_error.enum", "body", "document_blobs", ix, "type");
	}
	if (json_object_object_get_ex(b, "size_bytes", &f) &&
	    (!json_object_is_type(f, json_type_int) || json_object_get_int64(f) < 0))
		verr_add(v, "must be an integer >= 0", "type_error.integer", "body",
		         "document_blobs", ix, "size_bytes");
	for (int i = 0; strings[i]; i++)
		if (json_object_object_get_ex(b, strings[i], &f) &&
		    !json_object_is_type(f, json_type_string) &&
		    !json_object_is_type(f, json_type_null))
			verr_add(v, "must be a string", "type_error.str", "body",
			         "document_blobs", ix, strings[i]);
}

void docview_check_blobs(struct json_object *blobs, struct verrs *v)
{
	if (!json_object_is_type(blobs, json_type_array)) {
		verr_add(v, "must be an array", "type_error.list", "body",
		         "document_blobs", NULL, NULL);
		return;
	}
	size_t n = json_object_array_length(blobs);
	for (size_t i = 0; i < n; i++)
		check_blob(json_object_array_get_idx(blobs, i), (int)i, v);
}

/* The value of a read-only field as the stored document has it (or NULL). */
static struct json_object *current_readonly(const struct doc *d, const char *k,
                                            struct json_object **tmp)
{
	struct json_object *v;
	*tmp = NULL;
	if (strcmp(k, "document_id") == 0)
		return *tmp = json_object_new_string(d->document_id);
	if (strcmp(k, "collection_id") == 0)
		return *tmp = json_object_new_string(d->collection_id);
	if (strcmp(k, "created_at") == 0)
		return *tmp = json_object_new_string(d->created_at);
	if (strcmp(k, "updated_at") == 0)
		return *tmp = json_object_new_string(d->updated_at);
	if (strcmp(k, "vector") == 0)
		return d->vector;
	if (json_object_object_get_ex(d->sys, k, &v))
		return v;
	if (strcmp(k, "source_blobs") == 0)
		return *tmp = json_object_new_array();
	return NULL;
}

/* 1 when v nests deeper than max (v itself is level 1). */
static int nests_deeper(struct json_object *v, int max)
{
	int container = json_object_is_type(v, json_type_object) ||
	                json_object_is_type(v, json_type_array);
	if (!container)
		return 0;
	if (max <= 0)
		return 1;
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, val) {
			(void)k;
			if (nests_deeper(val, max - 1))
				return 1;
		}
	} else if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++)
			if (nests_deeper(json_object_array_get_idx(v, i), max - 1))
				return 1;
	}
	return 0;
}

int docview_take_writable(const struct doc *d, struct json_object *patched,
                          int max_depth, struct verrs *v,
                          struct json_object **metadata,
                          struct json_object **blobs,
                          struct json_object **fields)
{
	/* Read-only fields outside `sys`; those in it are sys_fields[]. */
	static const char *const readonly[] = {
		"document_id", "collection_id", "vector", "created_at", "updated_at",
	};
	struct json_object *m = NULL, *b = NULL, *f = NULL, *x;
	int before = verr_count(v), rc = -1;

	*metadata = *blobs = *fields = NULL;
	if (!json_object_is_type(patched, json_type_object)) {
		verr_add(v, "the patched document must be an object", "type_error.dict",
		         "body", NULL, NULL, NULL);
		goto cleanup;
	}
	/* JSON Patch copies can nest deeper than any request body may. */
	if (nests_deeper(patched, max_depth)) {
		char msg[80];
		snprintf(msg, sizeof msg, "the patched document nests deeper than %d levels",
		         max_depth);
		verr_add(v, msg, "value_error.json.depth", "body", NULL, NULL, NULL);
		goto cleanup;
	}
	/* Response-only values are ignored on input. */
	json_object_object_del(patched, "presigned_url");
	json_object_object_del(patched, "presigned_urls");
	for (size_t i = 0; i < N_SYS + sizeof readonly / sizeof readonly[0]; i++) {
		const char *name = i < N_SYS ? sys_fields[i] : readonly[i - N_SYS];
		struct json_object *tmp, *cur = current_readonly(d, name, &tmp);
		struct json_object *now = NULL;
		json_object_object_get_ex(patched, name, &now);
		if ((cur == NULL) != (now == NULL) || (cur && !jp_equal(cur, now)))
			verr_add(v, "field is read-only", "value_error.read_only", "body",
			         name, NULL, NULL);
		json_object_put(tmp);
	}
	if (!json_object_object_get_ex(patched, "metadata", &x) ||
	    !json_object_is_type(x, json_type_object))
		verr_add(v, "must be an object", "type_error.dict", "body",
		         "metadata", NULL, NULL);
	else
		m = json_object_get(x);
	if (!json_object_object_get_ex(patched, "document_blobs", &x)) {
		verr_add(v, "must be an array", "type_error.list", "body",
		         "document_blobs", NULL, NULL);
	} else {
		docview_check_blobs(x, v);
		b = docview_canonical_blobs(x);
	}
	f = json_object_new_object();
	json_object_object_foreach(patched, k, val) {
		if (!docview_is_reserved(k))
			add_copy(f, k, val);
	}
	if (verr_count(v) > before)
		goto cleanup;
	*metadata = m;
	*blobs = b;
	*fields = f;
	m = b = f = NULL;
	rc = 0;
cleanup:
	json_object_put(m);
	json_object_put(b);
	json_object_put(f);
	json_object_put(patched);
	return rc;
}

/* ---- the short path of a merge patch ------------------------------------ */

/* 1 when a value at the top of the document (level 2) nests too deep. */
static int member_too_deep(struct json_object *val, int max_depth, struct verrs *v,
                           const char *name)
{
	char msg[80];
	if (!nests_deeper(val, max_depth - 1))
		return 0;
	snprintf(msg, sizeof msg, "the patched document nests deeper than %d levels",
	         max_depth);
	verr_add(v, msg, "value_error.json.depth", "body", name, NULL, NULL);
	return 1;
}

enum docview_merge docview_merge_columns(const struct db_doc_row *row,
                                         struct json_object *patch,
                                         int max_depth, struct verrs *v,
                                         struct json_object **metadata,
                                         struct json_object **blobs,
                                         struct json_object **fields)
{
	struct json_object *m = NULL, *b = NULL, *f = NULL, *stored = NULL, *x;
	enum docview_merge rc = DOCVIEW_GENERAL;
	int before = verr_count(v), touches_fields = 0;

	*metadata = *blobs = *fields = NULL;
	json_object_object_foreach(patch, k, val) {
		(void)val;
		if (strcmp(k, "metadata") == 0 || strcmp(k, "document_blobs") == 0 ||
		    strcmp(k, "presigned_url") == 0 || strcmp(k, "presigned_urls") == 0)
			continue;
		if (docview_is_reserved(k))
			goto cleanup; /* read-only: DOCVIEW_GENERAL */
		touches_fields = 1;
	}
	rc = DOCVIEW_CORRUPT;
	if (json_object_object_get_ex(patch, "metadata", &x)) {
		if (!(m = parse_stored(row->metadata, json_type_object)))
			goto cleanup;
		if (jp_merge_is_noop(m, x)) {
			json_object_put(m);
			m = NULL;
		} else {
			m = jp_merge(m, x);
			member_too_deep(m, max_depth, v, "metadata");
		}
	}
	if (json_object_object_get_ex(patch, "document_blobs", &x)) {
		if (!(stored = parse_stored(row->blobs, json_type_array)))
			goto cleanup;
		b = docview_canonical_blobs(x);
		if (jp_equal(b, stored)) {
			json_object_put(b);
			b = NULL;
		} else {
			member_too_deep(b, max_depth, v, "document_blobs");
		}
	}
	if (touches_fields) {
		if (!(f = parse_stored(row->fields, json_type_object)))
			goto cleanup;
		int changed = 0;
		json_object_object_foreach(patch, fk, fv) {
			if (docview_is_reserved(fk) || jp_merge_is_noop(
			    json_object_object_get(f, fk), fv))
				continue;
			changed = 1;
			if (!fv) {
				json_object_object_del(f, fk);
				continue;
			}
			struct json_object *cur = NULL;
			if (json_object_object_get_ex(f, fk, &cur))
				json_object_get(cur);
			struct json_object *merged = jp_merge(cur, fv);
			if (merged == cur)
				json_object_put(merged); /* merged in place, f keeps it */
			else
				json_object_object_add(f, fk, merged);
			if (member_too_deep(merged, max_depth, v, fk))
				break;
		}
		if (!changed) {
			json_object_put(f);
			f = NULL;
		}
	}
	if (verr_count(v) > before) {
		rc = DOCVIEW_INVALID;
		goto cleanup;
	}
	*metadata = m;
	*blobs = b;
	*fields = f;
	m = b = f = NULL;
	rc = DOCVIEW_MERGED;
cleanup:
	json_object_put(m);
	json_object_put(b);
	json_object_put(f);
	json_object_put(stored);
	return rc;
}
