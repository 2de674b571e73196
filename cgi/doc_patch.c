/* doc_patch.c - see doc_patch.h. */
#include "doc_patch.h"
#include "doc_check.h"
#include "jsonpatch.h"

#include <stdio.h>
#include <string.h>

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

int doc_patch_take_writable(const struct doc *d, struct json_object *patched,
                            int max_depth, struct verrs *v,
                            struct doc_columns *cols)
{
	/* Read-only fields outside `sys`; those in it are doc_sys_fields[]. */
	static const char *const readonly[] = {
		"document_id", "collection_id", "vector", "created_at", "updated_at",
	};
	struct json_object *m = NULL, *b = NULL, *f = NULL, *x;
	int before = verr_count(v), rc = -1;

	memset(cols, 0, sizeof *cols);
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
	for (size_t i = 0; i < DOC_N_SYS + sizeof readonly / sizeof readonly[0]; i++) {
		const char *name = i < DOC_N_SYS ? doc_sys_fields[i] : readonly[i - DOC_N_SYS];
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
		doc_check_blobs(x, v);
		b = doc_canonical_blobs(x);
	}
	f = json_object_new_object();
	json_object_object_foreach(patched, k, val) {
		if (!doc_is_reserved(k))
			json_object_object_add(f, k, json_object_get(val));
	}
	if (verr_count(v) > before)
		goto cleanup;
	cols->metadata = m;
	cols->blobs = b;
	cols->fields = f;
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

/*
 * The stored flat fields f with the patch's flat members merged in (f is
 * edited in place). Returns 1 when anything changed. Problems go to v.
 */
static int merge_fields(struct json_object *f, struct json_object *patch,
                        int max_depth, struct verrs *v)
{
	int changed = 0;

	json_object_object_foreach(patch, fk, fv) {
		if (doc_is_reserved(fk) ||
		    jp_merge_is_noop(json_object_object_get(f, fk), fv))
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
	return changed;
}

/* 1 when the patch names a read-only member (other than response-only
 * ones); *flat is set when it names a flat user field. */
static int names_readonly(struct json_object *patch, int *flat)
{
	*flat = 0;
	json_object_object_foreach(patch, k, val) {
		(void)val;
		if (strcmp(k, "metadata") == 0 || strcmp(k, "document_blobs") == 0 ||
		    strcmp(k, "presigned_url") == 0 || strcmp(k, "presigned_urls") == 0)
			continue;
		if (doc_is_reserved(k))
			return 1;
		*flat = 1;
	}
	return 0;
}

int doc_patch_writable_only(struct json_object *patch)
{
	int flat;
	return json_object_is_type(patch, json_type_object) &&
	       !names_readonly(patch, &flat);
}

struct json_object *doc_patch_flat_members(struct json_object *patch)
{
	struct json_object *flat = NULL;

	json_object_object_foreach(patch, k, val) {
		if (doc_is_reserved(k))
			continue;
		if (!flat)
			flat = json_object_new_object();
		json_object_object_add(flat, k, json_object_get(val));
	}
	return flat;
}

enum doc_merge doc_patch_merge_columns(const struct stored_doc *row,
                                       struct json_object *patch,
                                       int max_depth, struct verrs *v,
                                       struct doc_columns *cols)
{
	struct json_object *m = NULL, *b = NULL, *f = NULL, *stored = NULL, *x;
	enum doc_merge rc = DOC_GENERAL;
	int before = verr_count(v), touches_fields = 0;

	memset(cols, 0, sizeof *cols);
	if (names_readonly(patch, &touches_fields))
		goto cleanup;
	rc = DOC_CORRUPT;
	if (json_object_object_get_ex(patch, "metadata", &x)) {
		if (!(m = doc_parse_stored_as(row->metadata, json_type_object)))
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
		if (!(stored = doc_parse_stored_as(row->blobs, json_type_array)))
			goto cleanup;
		b = doc_canonical_blobs(x);
		if (jp_equal(b, stored)) {
			json_object_put(b);
			b = NULL;
		} else {
			member_too_deep(b, max_depth, v, "document_blobs");
		}
	}
	if (touches_fields) {
		if (!(f = doc_parse_stored_as(row->fields, json_type_object)))
			goto cleanup;
		if (!merge_fields(f, patch, max_depth, v)) {
			json_object_put(f);
			f = NULL;
		}
	}
	rc = verr_count(v) > before ? DOC_INVALID : DOC_MERGED;
	if (rc == DOC_MERGED) {
		cols->metadata = m;
		cols->blobs = b;
		cols->fields = f;
		m = b = f = NULL;
	}
cleanup:
	json_object_put(m);
	json_object_put(b);
	json_object_put(f);
	json_object_put(stored);
	return rc;
}

/* ---- a patch applied to a stored row ------------------------------------ */

void doc_columns_clear(struct doc_columns *c)
{
	json_object_put(c->metadata);
	json_object_put(c->blobs);
	json_object_put(c->fields);
	memset(c, 0, sizeof *c);
}

int doc_columns_empty(const struct doc_columns *c)
{
	return !c->metadata && !c->blobs && !c->fields;
}

/* A JSON Patch problem as a 422 item at ["body", op index]. */
static void add_jsonpatch_error(struct verrs *v, const struct jp_error *err)
{
	char ix[16];

	snprintf(ix, sizeof ix, "#%d", err->index);
	verr_add(v, err->msg, "value_error.jsonpatch", "body",
	         err->index >= 0 ? ix : NULL, NULL, NULL);
}

void doc_patch_check_syntax(enum body_kind kind, struct json_object *patch,
                            struct verrs *v)
{
	struct json_object *x;
	struct jp_error err;

	if (kind == BODY_JSON_PATCH) {
		if (jp_validate(patch, &err) != JP_OK)
			add_jsonpatch_error(v, &err);
		return;
	}
	if (!json_object_is_type(patch, json_type_object)) {
		verr_add(v, "a merge patch must be a JSON object", "type_error.dict",
		         "body", NULL, NULL, NULL);
		return;
	}
	if (json_object_object_get_ex(patch, "metadata", &x) &&
	    !json_object_is_type(x, json_type_object))
		verr_add(v, "must be an object", "type_error.dict", "body", "metadata",
		         NULL, NULL);
	if (json_object_object_get_ex(patch, "document_blobs", &x))
		doc_check_blobs(x, v);
}

/*
 * The document view a PUT asks for (contract section 7): the stored
 * read-only fields, then the body's members; metadata {} and
 * document_blobs [] when the body has none, and no other flat field.
 * Consumes view (the rendered document); values are shared with body.
 */
static struct json_object *replaced_view(struct json_object *view,
                                         struct json_object *body)
{
	struct json_object *out = json_object_new_object();

	json_object_object_foreach(view, k, val) {
		if (doc_is_reserved(k) && strcmp(k, "metadata") != 0 &&
		    strcmp(k, "document_blobs") != 0)
			json_object_object_add(out, k, json_object_get(val));
	}
	json_object_put(view);
	json_object_object_foreach(body, bk, bv) {
		if (strcmp(bk, "_vectors") != 0)  /* response-only */
			json_object_object_add(out, bk, json_object_get(bv));
	}
	if (!json_object_object_get_ex(out, "metadata", NULL))
		json_object_object_add(out, "metadata", json_object_new_object());
	if (!json_object_object_get_ex(out, "document_blobs", NULL))
		json_object_object_add(out, "document_blobs", json_object_new_array());
	return out;
}

/*
 * The general path: the patch applied to the whole document d. Returns
 * DOC_PATCH_OK with cols filled, or why not.
 */
static enum doc_patch_status patch_document(const struct doc *d,
                                            enum body_kind kind,
                                            struct json_object *patch,
                                            int max_depth, struct verrs *v,
                                            struct doc_columns *cols,
                                            char *msg)
{
	/* render() shares values with d; the patch edits a private deep copy. */
	struct json_object *shared = doc_render(d);
	struct json_object *view = NULL;

	json_object_deep_copy(shared, &view, NULL);
	json_object_put(shared);
	if (kind == BODY_MERGE_PATCH) {
		view = jp_merge(view, patch);
	} else if (kind == BODY_REPLACE) {
		view = replaced_view(view, patch);
	} else {
		struct jp_error err;
		enum jp_status st = jp_apply(&view, patch, &err);
		if (st != JP_OK) {
			json_object_put(view);
			if (st == JP_ETEST) {
				snprintf(msg, DOC_PATCH_MSG, "%s", err.msg);
				return DOC_PATCH_CONFLICT;
			}
			add_jsonpatch_error(v, &err);
			return DOC_PATCH_INVALID;
		}
	}
	if (doc_patch_take_writable(d, view, max_depth, v, cols) != 0)
		return DOC_PATCH_INVALID;
	return DOC_PATCH_OK;
}

/* Drops *now (sets it NULL) when it equals the stored value `was`. */
static void drop_if_unchanged(struct json_object **now, struct json_object *was)
{
	if (*now && jp_equal(*now, was)) {
		json_object_put(*now);
		*now = NULL;
	}
}

enum doc_patch_status doc_patch_row(const struct stored_doc *row,
                                    const char *document_id,
                                    const char *collection_id,
                                    enum body_kind kind,
                                    struct json_object *patch, int max_depth,
                                    struct doc *d, struct doc_columns *cols,
                                    struct verrs *v, char *msg)
{
	enum doc_patch_status st;

	memset(cols, 0, sizeof *cols);
	if (kind == BODY_MERGE_PATCH) {
		switch (doc_patch_merge_columns(row, patch, max_depth, v, cols)) {
		case DOC_MERGED:
			return DOC_PATCH_OK;
		case DOC_INVALID:
			return DOC_PATCH_INVALID;
		case DOC_CORRUPT:
			return DOC_PATCH_CORRUPT;
		case DOC_GENERAL:
			break;
		}
	}
	doc_free(d);
	if (doc_load(d, row, document_id, collection_id) != 0)
		return DOC_PATCH_CORRUPT;
	st = patch_document(d, kind, patch, max_depth, v, cols, msg);
	if (st != DOC_PATCH_OK)
		return st;
	drop_if_unchanged(&cols->metadata, d->metadata);
	drop_if_unchanged(&cols->blobs, d->blobs);
	drop_if_unchanged(&cols->fields, d->fields);
	return DOC_PATCH_OK;
}
