/*
 * fuzz_import.c - what `docapi-admin import` (cmd_import in cgi/admin.c)
 * does with each NDJSON line before its INSERT: doc_import_line() parses
 * it, splits read-only and flat fields, checks the document_id, metadata,
 * document_blobs and vector, and serializes the INSERT parameters.
 *
 * The per-line steps are doc_import_line() (cgi/doc_import.c), which
 * cmd_import() calls too: this harness fuzzes the real function.
 *
 * Input: NDJSON text, split on '\n' like getline(); "\r\n" endings are
 * stripped as cmd_import does; a line may contain NUL bytes.
 * Invariants: an accepted line yields a document id "doc_..." shorter than
 * the buffer, and every INSERT parameter is valid JSON text that PostgreSQL
 * could take (no NUL, valid UTF-8, parses back).
 */
#include "fuzz_common.h"

#include "body.h"
#include "doc_import.h"
#include "log.h"
#include "util.h"

#include <sys/types.h>

static void check_param(const char *s)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t n;

	if (!s)
		return;
	n = strlen(s);
	FUZZ_ASSERT(util_utf8_valid(s, n), "INSERT parameter is not valid UTF-8");
	tok = json_tokener_new_ex(1000);
	o = json_tokener_parse_ex(tok, s, (int)n + 1);
	FUZZ_ASSERT(json_tokener_get_error(tok) == json_tokener_success,
	            "INSERT parameter is not JSON");
	json_object_put(o);
	json_tokener_free(tok);
}

/* cmd_import's loop body up to the INSERT, through the same function;
 * returns 1 when the line would be inserted. line is NUL-terminated at len
 * (as getline leaves it). */
static int import_line(char *line, ssize_t len)
{
	struct doc_import imp;
	const char *err = NULL;
	int ok = 0;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len == 0)
		return 0;
	if (doc_import_line(&imp, line, (size_t)len, &err) == 0) {
		FUZZ_ASSERT(!imp.document_id[0] ||
		            (strncmp(imp.document_id, "doc_", 4) == 0 &&
		             strlen(imp.document_id) < sizeof imp.document_id),
		            "document id");
		check_param(imp.sys);
		check_param(imp.metadata);
		check_param(imp.blobs);
		check_param(imp.fields);
		check_param(imp.vector);
		/* created_at / updated_at go to PostgreSQL as text */
		FUZZ_ASSERT(!imp.created_at || util_utf8_valid(imp.created_at,
		            strlen(imp.created_at)), "created_at text");
		ok = 1;
	} else {
		FUZZ_ASSERT(err && strlen(err) > 0, "empty error");
	}
	doc_import_clear(&imp);
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
