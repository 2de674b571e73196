/* doc_import.c - see doc_import.h. */
#include "doc_import.h"
#include "body.h"
#include "doc.h"
#include "doc_check.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* How JSON is written to the database: compact, '/' not escaped. */
#define JSON_COMPACT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int doc_id_of(struct json_object *o, char *docid, size_t idlen, const char **err)
{
	struct json_object *v;

	docid[0] = '\0';
	if (!json_object_object_get_ex(o, "document_id", &v))
		return 0;
	const char *s = json_object_get_string(v);
	size_t n = s ? strlen(s) : 0;
	if (!json_object_is_type(v, json_type_string) || !util_starts_with(s, "doc_") ||
	    n >= idlen || n < 5 || strspn(s + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_") != n - 4) {
		*err = "document_id must be \"doc_\" followed by letters, digits or _";
		return -1;
	}
	memcpy(docid, s, n + 1);
	return 0;
}

/* The text of member `name` of o when it is a string, else NULL. */
static const char *string_member(struct json_object *o, const char *name)
{
	struct json_object *x;
	if (!json_object_object_get_ex(o, name, &x))
		return NULL;
	return json_object_get_string(x);
}

/* Fills the writable columns of imp from its document. */
static void take_columns(struct doc_import *imp, const char **err)
{
	struct json_object *o = imp->doc, *x;

	imp->metadata = "{}";
	imp->blobs = "[]";
	if (json_object_object_get_ex(o, "metadata", &x)) {
		if (!json_object_is_type(x, json_type_object))
			*err = "metadata must be an object";
		imp->metadata = json_object_to_json_string_ext(x, JSON_COMPACT);
	}
	if (json_object_object_get_ex(o, "document_blobs", &x)) {
		doc_check_blobs(x, &imp->problems);
		if (verr_count(&imp->problems)) {
			*err = json_object_to_json_string(imp->problems.detail);
		} else {
			/* Stored as json: members in contract order. */
			imp->canon_blobs = doc_canonical_blobs(x);
			imp->blobs = json_object_to_json_string_ext(imp->canon_blobs,
			                                            JSON_COMPACT);
		}
	}
	if (json_object_object_get_ex(o, "vector", &x)) {
		if (!json_object_is_type(x, json_type_array))
			*err = "vector must be an array of numbers";
		imp->vector = json_object_to_json_string_ext(x, JSON_COMPACT);
	}
}

int doc_import_line(struct doc_import *imp, const char *line, size_t len,
                    const char **err)
{
	memset(imp, 0, sizeof *imp);
	*err = NULL;
	imp->doc = body_parse_json(line, len, 64, &imp->problems);
	if (!imp->doc) {
		/* The parser's reasons, as the API would give them (owned by imp). */
		*err = json_object_to_json_string(imp->problems.detail);
		return -1;
	}
	if (!json_object_is_type(imp->doc, json_type_object)) {
		*err = "not a JSON object";
		return -1;
	}
	imp->sys_obj = json_object_new_object();
	imp->fields_obj = json_object_new_object();
	doc_split_stored(imp->doc, imp->sys_obj, imp->fields_obj);
	if (doc_id_of(imp->doc, imp->document_id, sizeof imp->document_id, err))
		return -1;
	take_columns(imp, err);
	if (*err)
		return -1;
	imp->sys = json_object_to_json_string_ext(imp->sys_obj, JSON_COMPACT);
	imp->fields = json_object_to_json_string_ext(imp->fields_obj, JSON_COMPACT);
	imp->created_at = string_member(imp->doc, "created_at");
	imp->updated_at = string_member(imp->doc, "updated_at");
	return 0;
}

void doc_import_clear(struct doc_import *imp)
{
	json_object_put(imp->doc);
	json_object_put(imp->sys_obj);
	json_object_put(imp->fields_obj);
	json_object_put(imp->canon_blobs);
	verr_free(&imp->problems);
	memset(imp, 0, sizeof *imp);
}
