/*
 * fuzz_sql.h - the checks of a generated statement shared by the harnesses
 * that build SQL (fuzz_filter.c, fuzz_batch.c): its "$n" and that no text
 * of the request became SQL text. The harness sets g_in / g_len to the
 * input before it checks. Included once per harness (static functions).
 */
#ifndef DOCAPI_FUZZ_SQL_H
#define DOCAPI_FUZZ_SQL_H

#include "filter.h"
#include "problems.h"
#include "util.h"

#include <json-c/json.h>

#define FIRST 6

static const uint8_t *g_in;     /* the input, for the leak check */
static size_t g_len;

/* The quoted literals and identifiers filter.c, list_query.c and batch.c write. */
static const char *const literals[] = {
	"", "{}", "string", "number", "boolean", "array", "null", "[\"string\"]",
	"document_schema_version", "root_bucket_id", "source_type", "source_object_id",
	"lineage_path", "internal_metadata", "source_blobs",
	"UTC", "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"", "epoch", "1 microsecond",
	"-", "G", "D", "total_documents", "avg_blobs_per_document", "total_groups",
	"avg_documents_per_group",
	/* batch.c's */
	"write", "admin", "[]", "document_id", "collection_id", "created_at", "updated_at",
	"vector", "i", "err", "Document not found", "mp", "md", "fp", "fd", "mx", "fx", "b", "ro",
	"Field %L is read-only",
	"A dotted path in update_data goes through a value that is not an object",
	"The updated document would nest deeper than the limit", "ok", "failed", "results",
	"success", "error",
};
static const char *const identifiers[] = { "C", "char" };

static int listed(const char *s, size_t n, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
			return 1;
	return 0;
}

/* The SQL's quoted pieces ('...' and "...") that are whitelisted, each
 * replaced by \x01 bytes: what is left is the text that came from no
 * literal of the generator (a quote that does not close stays too). */
static char *masked_sql(const char *sql, size_t n)
{
	char *m = fuzz_strndup(sql, n);

	for (size_t i = 0; i < n; i++) {
		if (m[i] != '\'' && m[i] != '"')
			continue;
		const char *close = memchr(m + i + 1, m[i], n - i - 1);
		if (!close)
			break;
		size_t len = (size_t)(close - (m + i)) - 1;
		int ok = m[i] == '\''
		         ? listed(m + i + 1, len, literals, sizeof literals / sizeof literals[0])
		         : listed(m + i + 1, len, identifiers, sizeof identifiers / sizeof identifiers[0]);
		if (ok)
			memset(m + i, '\x01', len + 2);
		i += len + 1;  /* a piece not listed stays, quotes and all */
	}
	return m;
}

static int meta_at(const char *m, size_t n, size_t i)
{
	return m[i] == '\'' || m[i] == '"' || m[i] == ';' ||
	       (m[i] == '-' && i + 1 < n && m[i + 1] == '-');
}

/* The checks of a statement without problems: its "$n" (lo..first +
 * nparams - 1, each parameter used) and that no request text is SQL. */
static void check_sql(const struct filter_sql *f, int lo, const char *what)
{
	const char *sql = f->sql.data;
	size_t n = sql ? strlen(sql) : 0;
	char *seen;

	FUZZ_ASSERT(n > 0, what);
	FUZZ_ASSERT(n == f->sql.len, "sql.len is not the SQL's length");
	FUZZ_ASSERT(f->first == FIRST, "parameters numbered from 6");
	FUZZ_ASSERT(f->nparams >= 0 && f->nparams <= 65535 - (FIRST - 1),
	            "more parameters than PostgreSQL takes in one statement");
	for (int i = 0; i < f->nparams; i++)
		FUZZ_ASSERT(f->params[i] == NULL || util_utf8_valid(f->params[i], strlen(f->params[i])),
		            "a parameter is not UTF-8");  /* NULL: SQL NULL */

	/* 1. no input sequence of 4+ bytes with a quote, ';' or "--" is in the
	 * SQL outside the generator's own literals: every such sequence holds
	 * a 4-byte window around the metacharacter, so the windows around
	 * each metacharacter left in the masked SQL are looked up in the input */
	char *m = masked_sql(sql, n);
	for (size_t i = 0; i < n; i++) {
		if (!meta_at(m, n, i))
			continue;
		size_t last = m[i] == '-' ? i + 1 : i;  /* "--": both dashes */
		for (size_t s = last >= 3 ? last - 3 : 0; s <= i && s + 4 <= n; s++)
			FUZZ_ASSERT(!memmem(g_in, g_len, m + s, 4),
			            "a piece of the input with a quote, ; or -- is SQL text");
	}
	/* 2. and the SQL's own text has none of them either */
	seen = xcalloc((size_t)f->nparams + 1, 1);
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(m[i] != '\'' && m[i] != '"',
		            "a quoted literal or identifier that is not the generator's");
		FUZZ_ASSERT(m[i] != ';', "a ; in the SQL");
		FUZZ_ASSERT(!(m[i] == '-' && i + 1 < n && m[i + 1] == '-'), "a -- in the SQL");
		FUZZ_ASSERT(!(m[i] == '/' && i + 1 < n && m[i + 1] == '*'), "a /* in the SQL");
		FUZZ_ASSERT(m[i] != '\\', "a backslash in the SQL");
		if (m[i] != '$')
			continue;
		FUZZ_ASSERT(i + 1 < n && m[i + 1] >= '1' && m[i + 1] <= '9',
		            "a $ that is not a parameter (dollar quoting?)");
		long k = strtol(m + i + 1, NULL, 10);
		FUZZ_ASSERT(k >= lo && k < FIRST + f->nparams, "a $n out of range");
		if (k >= FIRST)
			seen[k - FIRST] = 1;
	}
	for (int i = 0; i < f->nparams; i++)
		FUZZ_ASSERT(seen[i], "a parameter the SQL never uses");
	free(seen);
	free(m);
}

/* Every problem's loc starts with "body" (with loc1: then loc1); "invalid
 * cursor" at ["query", "cursor"] when cursor_ok. */
static void check_problems(struct verrs *v, const char *loc1, int cursor_ok)
{
	struct json_object *d = v->detail;

	FUZZ_ASSERT(d && json_object_is_type(d, json_type_array) &&
	            json_object_array_length(d) > 0, "problem list");
	for (size_t i = 0; i < json_object_array_length(d); i++) {
		struct json_object *p = json_object_array_get_idx(d, i), *loc, *msg, *type;
		FUZZ_ASSERT(json_object_object_get_ex(p, "loc", &loc) &&
		            json_object_is_type(loc, json_type_array) &&
		            json_object_array_length(loc) >= 1, "problem loc");
		FUZZ_ASSERT(json_object_object_get_ex(p, "msg", &msg) &&
		            json_object_get_string_len(msg) > 0, "problem msg");
		FUZZ_ASSERT(json_object_object_get_ex(p, "type", &type) &&
		            json_object_get_string_len(type) > 0, "problem type");
		for (size_t j = 0; j < json_object_array_length(loc); j++) {
			struct json_object *part = json_object_array_get_idx(loc, j);
			FUZZ_ASSERT(json_object_is_type(part, json_type_string) ||
			            json_object_is_type(part, json_type_int), "a loc part is a string or int");
		}
		const char *l0 = json_object_get_string(json_object_array_get_idx(loc, 0));
		if (cursor_ok && strcmp(l0, "query") == 0) {
			FUZZ_ASSERT(json_object_array_length(loc) == 2 &&
			            strcmp(json_object_get_string(json_object_array_get_idx(loc, 1)),
			                   "cursor") == 0 &&
			            strcmp(json_object_get_string(msg), "invalid cursor") == 0,
			            "a query problem that is not the cursor's");
			continue;
		}
		FUZZ_ASSERT(strcmp(l0, "body") == 0, "problem loc starts with body");
		if (loc1) {
			FUZZ_ASSERT(json_object_array_length(loc) >= 2 &&
			            strcmp(json_object_get_string(json_object_array_get_idx(loc, 1)),
			                   loc1) == 0, "a filter problem's loc is body.filters...");
		}
		const char *t = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
		FUZZ_ASSERT(util_utf8_valid(t, strlen(t)), "problem text is not UTF-8");
	}
}

#endif
