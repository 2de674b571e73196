/* update_data.c - see update_data.h. */
#include "update_data.h"
#include "doc.h"
#include "doc_check.h"

#include <stdio.h>
#include <string.h>

#define JSON_COMPACT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char *text_of(struct json_object *o)
{
	return o ? json_object_to_json_string_ext(o, JSON_COMPACT) : NULL;
}

/* Appends {"p": [segments of key], "v": val} (or "rm" for null) to list. */
static void add_path(struct json_object **list, const char *key, struct json_object *val)
{
	struct json_object *e = json_object_new_object(), *p = json_object_new_array();

	for (const char *s = key; *s;) {
		size_t n = strcspn(s, ".");
		json_object_array_add(p, json_object_new_string_len(s, (int)n));
		s += n + (s[n] == '.');
	}
	json_object_object_add(e, "p", p);
	if (!val || json_object_is_type(val, json_type_null))
		json_object_object_add(e, "rm", json_object_new_boolean(1));
	else
		json_object_object_add(e, "v", json_object_get(val));
	if (!*list)
		*list = json_object_new_array();
	json_object_array_add(*list, e);
}

/* 1 when a merge patch nests an object or holds null: then `||` is not
 * the merge (docapi_patched). */
static int is_deep(struct json_object *patch)
{
	if (!patch)
		return 0;
	json_object_object_foreach(patch, k, val) {
		(void)k;
		if (!val || json_object_is_type(val, json_type_null) ||
		    json_object_is_type(val, json_type_object))
			return 1;
	}
	return 0;
}

/* doc_check_blobs() names ["body", "document_blobs", i, member], as for a
 * document body: moves each problem under ["body", "update_data",
 * "document_blobs", i], the member then named in the message. */
static void rehome_blob_problems(struct verrs *from, struct verrs *to)
{
	struct json_object *d = verr_take(from);
	size_t n = json_object_array_length(d);

	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(d, i), *loc, *msg, *type;
		char ix[24] = "", text[300];
		json_object_object_get_ex(p, "loc", &loc);
		json_object_object_get_ex(p, "msg", &msg);
		json_object_object_get_ex(p, "type", &type);
		size_t nl = json_object_array_length(loc);
		if (nl > 2)
			snprintf(ix, sizeof ix, "#%d", json_object_get_int(json_object_array_get_idx(loc, 2)));
		snprintf(text, sizeof text, "%.100s%s%.180s",
		         nl > 3 ? json_object_get_string(json_object_array_get_idx(loc, 3)) : "",
		         nl > 3 ? ": " : "", json_object_get_string(msg));
		verr_add(to, text, json_object_get_string(type), "body", "update_data",
		         "document_blobs", ix[0] ? ix : NULL);
	}
	json_object_put(d);
}

/* A dotted key with no empty segment. */
static int is_path(const char *k)
{
	size_t n = strlen(k);
	return strchr(k, '.') && k[0] != '.' && k[n - 1] != '.' && !strstr(k, "..");
}

int update_data_split(struct update_data *u, struct json_object *ud, struct verrs *v)
{
	int before = verr_count(v);

	memset(u, 0, sizeof *u);
	if (!json_object_is_type(ud, json_type_object)) {
		verr_add(v, "must be an object", "type_error.dict", "body", "update_data", NULL, NULL);
		return verr_count(v) - before;
	}
	json_object_object_foreach(ud, k, val) {
		if (!strcmp(k, "presigned_url") || !strcmp(k, "presigned_urls") || !strcmp(k, "_vectors"))
			continue;
		if (!strcmp(k, "metadata")) {
			if (!json_object_is_type(val, json_type_object))
				verr_add(v, "must be an object", "type_error.dict", "body", "update_data",
				         "metadata", NULL);
			else
				u->meta = json_object_get(val);
			continue;
		}
		if (!strcmp(k, "document_blobs")) {
			struct verrs bv = { 0 };
			doc_check_blobs(val, &bv);
			rehome_blob_problems(&bv, v);
			if (verr_count(v) == before)
				u->canon_blobs = doc_canonical_blobs(val);
			continue;
		}
		if (!strncmp(k, "metadata.", 9) && is_path(k)) {
			add_path(&u->mpaths, k + 9, val);
			continue;
		}
		char first[256];
		size_t n = strcspn(k, ".");
		snprintf(first, sizeof first, "%.*s", (int)(n < 255 ? n : 255), k);
		if (doc_is_reserved(first)) {  /* a read-only field, or a path into one */
			if (!u->read_only)
				u->read_only = k;
			add_path(&u->ropaths, is_path(k) ? k : first, val);
			continue;
		}
		if (is_path(k)) {  /* into a flat field, if it holds an object (per document) */
			add_path(&u->fpaths, k, val);
			continue;
		}
		if (!u->fields)
			u->fields = json_object_new_object();
		json_object_object_add(u->fields, k, json_object_get(val));
	}
	u->meta_patch = text_of(u->meta);
	u->fields_patch = text_of(u->fields);
	u->meta_paths = text_of(u->mpaths);
	u->field_paths = text_of(u->fpaths);
	u->blobs = text_of(u->canon_blobs);
	u->ro_paths = text_of(u->ropaths);
	u->meta_deep = is_deep(u->meta);
	u->fields_deep = is_deep(u->fields);
	return verr_count(v) - before;
}

/* Adds o[k] = a reference to val, when val is set. */
static void put(struct json_object *o, const char *k, struct json_object *val)
{
	if (val)
		json_object_object_add(o, k, json_object_get(val));
}

struct json_object *update_data_item(const struct update_data *u)
{
	struct json_object *o = json_object_new_object();

	put(o, "mp", u->meta);
	if (u->meta_deep)
		json_object_object_add(o, "md", json_object_new_boolean(1));
	put(o, "fp", u->fields);
	if (u->fields_deep)
		json_object_object_add(o, "fd", json_object_new_boolean(1));
	put(o, "mx", u->mpaths);
	put(o, "fx", u->fpaths);
	put(o, "b", u->canon_blobs);
	put(o, "ro", u->ropaths);
	return o;
}

void update_data_clear(struct update_data *u)
{
	json_object_put(u->meta);
	json_object_put(u->fields);
	json_object_put(u->mpaths);
	json_object_put(u->fpaths);
	json_object_put(u->ropaths);
	json_object_put(u->canon_blobs);
	memset(u, 0, sizeof *u);
}
