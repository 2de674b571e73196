/* doc_check.c - see doc_check.h. */
#include "doc_check.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

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

void doc_check_blobs(struct json_object *blobs, struct verrs *v)
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

