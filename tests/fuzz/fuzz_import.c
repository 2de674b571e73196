/*
 * fuzz_import.c - what `docapi-admin import` (cmd_import in cgi/admin.c)
 * does with each NDJSON line before its INSERT: body_parse_json(line, 64),
 * "must be an object", docview_split_stored() (read-only vs flat fields),
 * the document_id check, metadata / document_blobs (docview_check_blobs) /
 * vector checks, and the serialization of the INSERT parameters.
 *
 * cgi/admin.c is a program whose per-line steps live inside cmd_import();
 * import_line() below mirrors them with the same public functions. Keep it
 * in step with admin.c (better: move the per-line steps into one function
 * that admin.c and this harness both call).
 *
 * Input: NDJSON text, split on '\n' like getline(); "\r\n" endings are
 * stripped as cmd_import does; a line may contain NUL bytes.
 * Invariants: an accepted line yields a document id "doc_..." shorter than
 * the buffer, and every INSERT parameter is valid JSON text that PostgreSQL
 * could take (no NUL, valid UTF-8, parses back).
 */
#include "fuzz_common.h"

#include "body.h"
#include "docview.h"
#include "http.h"
#include "log.h"
#include "util.h"

#include <sys/types.h>

/* admin.c's document_id_of() (static there), with a fixed generated id. */
static int document_id_of(struct json_object *o, char *docid, size_t idlen,
                          const char **err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, "document_id", &v)) {
		snprintf(docid, idlen, "doc_%s", "generatedgeneratedgenera");
		return 0;
	}
	const char *s = json_object_get_string(v);
	if (!json_object_is_type(v, json_type_string) || !util_starts_with(s, "doc_") ||
	    strlen(s) >= idlen || strlen(s) < 5) {
		*err = "document_id must be \"doc_\" followed by letters, digits or _";
		return -1;
	}
	snprintf(docid, idlen, "%s", s);
	return 0;
}

static void check_param(const char *s)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t n;

	if (!s)
		return;
	n = strlen(s);
	FUZZ_ASSERT(http_utf8_valid(s, n), "INSERT parameter is not valid UTF-8");
	tok = json_tokener_new_ex(1000);
	o = json_tokener_parse_ex(tok, s, (int)n + 1);
	FUZZ_ASSERT(json_tokener_get_error(tok) == json_tokener_success,
	            "INSERT parameter is not JSON");
	json_object_put(o);
	json_tokener_free(tok);
}

/* cmd_import's loop body up to the INSERT; returns 1 when the line would
 * be inserted. line is NUL-terminated at len (as getline leaves it). */
static int import_line(char *line, ssize_t len)
{
	struct verrs v = { 0 };
	struct json_object *o, *sys, *fields, *x;
	const char *meta = "{}", *blobs = "[]", *vec = NULL, *err = NULL;
	char docid[128];
	int ok = 0;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len == 0)
		return 0;
	o = body_parse_json(line, (size_t)len, 64, &v);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		verr_free(&v);
		return 0;
	}
	sys = json_object_new_object();
	fields = json_object_new_object();
	docview_split_stored(o, sys, fields);
	if (document_id_of(o, docid, sizeof docid, &err) == 0) {
		if (json_object_object_get_ex(o, "metadata", &x)) {
			if (!json_object_is_type(x, json_type_object))
				err = "metadata must be an object";
			meta = json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN);
		}
		if (json_object_object_get_ex(o, "document_blobs", &x)) {
			docview_check_blobs(x, &v);
			if (verr_count(&v))
				err = json_object_to_json_string(v.detail);
			blobs = json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN);
		}
		if (json_object_object_get_ex(o, "vector", &x)) {
			if (!json_object_is_type(x, json_type_array))
				err = "vector must be an array of numbers";
			vec = json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN);
		}
	}
	if (!err) {
		FUZZ_ASSERT(strncmp(docid, "doc_", 4) == 0 && strlen(docid) < sizeof docid,
		            "document id");
		check_param(json_object_to_json_string_ext(sys, JSON_C_TO_STRING_PLAIN));
		check_param(meta);
		check_param(blobs);
		check_param(json_object_to_json_string_ext(fields, JSON_C_TO_STRING_PLAIN));
		check_param(vec);
		/* created_at / updated_at go to PostgreSQL as text */
		if (json_object_object_get_ex(o, "created_at", &x)) {
			const char *s = json_object_get_string(x);
			FUZZ_ASSERT(!s || http_utf8_valid(s, strlen(s)), "created_at text");
		}
		ok = 1;
	} else {
		FUZZ_ASSERT(strlen(err) > 0, "empty error");
	}
	json_object_put(o);
	json_object_put(sys);
	json_object_put(fields);
	verr_free(&v);
	return ok;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0;
	/* a line ends after '\n' (kept, as getline keeps it) or at the end */
	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			size_t end = i < size ? i + 1 : i;
			if (end > start) {
				char *line = fuzz_strndup(data + start, end - start);
				import_line(line, (ssize_t)(end - start));
				free(line);
			}
			start = end;
		}
	}
	return 0;
}
