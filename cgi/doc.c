/* doc.c - see doc.h. */
#include "doc.h"
#include "jsonpatch.h"
#include "jsontext.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read-only fields kept in `sys`, in output order (contract section 3). */
const char *const doc_sys_fields[DOC_N_SYS] = {
	"document_schema_version", "root_object_id", "root_bucket_id",
	"source_type", "source_object_id", "source_collection_id",
	"source_document_id", "lineage_path", "lineage", "lineage_chain",
	"source_blobs", "internal_metadata",
};

/* Every field name of section 3; anything else is a flat user field. */
int doc_is_reserved(const char *name)
{
	static const char *const others[] = {
		"document_id", "collection_id", "metadata", "vector",
		"document_blobs", "presigned_url", "presigned_urls", "created_at",
		"updated_at",
	};
	for (size_t i = 0; i < DOC_N_SYS; i++)
		if (strcmp(name, doc_sys_fields[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		if (strcmp(name, others[i]) == 0)
			return 1;
	return 0;
}

void doc_split_stored(struct json_object *doc, struct json_object *sys,
                          struct json_object *fields)
{
	struct json_object *v;
	for (size_t i = 0; i < DOC_N_SYS; i++) {
		if (json_object_object_get_ex(doc, doc_sys_fields[i], &v))
			json_object_object_add(sys, doc_sys_fields[i], json_object_get(v));
		else if (strcmp(doc_sys_fields[i], "source_blobs") == 0)
			json_object_object_add(sys, "source_blobs", json_object_new_array());
	}
	json_object_object_foreach(doc, k, val) {
		if (!doc_is_reserved(k))
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

struct json_object *doc_parse_stored(const char *text)
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
	o = parse_with_depth(text, DOC_SHALLOW_DEPTH, &err);
	if (!o && err == json_tokener_error_depth)
		o = parse_with_depth(text, DOC_STORED_DEPTH, &err);
	return o;
}

struct json_object *doc_parse_stored_as(const char *text, json_type want)
{
	struct json_object *o;
	if (!text)
		return NULL;
	o = doc_parse_stored(text);
	if (o && !json_object_is_type(o, want)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int doc_load(struct doc *d, const struct stored_doc *row,
                 const char *document_id, const char *collection_id)
{
	memset(d, 0, sizeof *d);
	d->document_id = document_id;
	d->collection_id = collection_id;
	d->pk = row->pk;
	d->version = row->version;
	d->sys = doc_parse_stored_as(row->sys, json_type_object);
	d->metadata = doc_parse_stored_as(row->metadata, json_type_object);
	d->blobs = doc_parse_stored_as(row->blobs, json_type_array);
	d->fields = doc_parse_stored_as(row->fields, json_type_object);
	d->vector = doc_parse_stored_as(row->vector, json_type_array);
	snprintf(d->created_at, sizeof d->created_at, "%s", row->created_at ? row->created_at : "");
	snprintf(d->updated_at, sizeof d->updated_at, "%s", row->updated_at ? row->updated_at : "");
	if (!d->sys || !d->metadata || !d->blobs || !d->fields ||
	    (row->vector && !d->vector))
		return -1;
	return 0;
}

void doc_free(struct doc *d)
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

struct json_object *doc_canonical_blobs(struct json_object *blobs)
{
	size_t n = json_object_array_length(blobs);
	struct json_object *out = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(out, render_blob(json_object_array_get_idx(blobs, i)));
	return out;
}


struct json_object *doc_render(const struct doc *d)
{
	struct json_object *o = json_object_new_object(), *v;

	json_object_object_add(o, "document_id", json_object_new_string(d->document_id));
	json_object_object_add(o, "collection_id", json_object_new_string(d->collection_id));
	for (size_t i = 0; i < DOC_N_SYS; i++) {
		if (json_object_object_get_ex(d->sys, doc_sys_fields[i], &v))
			add_copy(o, doc_sys_fields[i], v);
		else if (strcmp(doc_sys_fields[i], "source_blobs") == 0)
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

