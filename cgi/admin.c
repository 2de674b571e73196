/*
 * admin.c - docapi-admin: migrations, organizations, namespaces,
 * collections, API keys, and NDJSON import/export of documents.
 *
 * Scriptable: a command prints its result alone on stdout (an id, a key, a
 * count, NDJSON); messages go to stderr; failure exits non-zero. It reads
 * the same configuration as docapi.fcgi.
 */
#include "auth.h"
#include "body.h"
#include "config.h"
#include "db.h"
#include "db_internal.h"
#include "doc.h"
#include "doc_import.h"
#include "doc_json.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *conn;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	fputs("docapi-admin: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Runs a parameterized statement; returns the result (caller PQclear) or
 * NULL after printing the server's message. */
static PGresult *exec(const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	fprintf(stderr, "docapi-admin: %s", PQresultErrorMessage(r));
	PQclear(r);
	return NULL;
}

/* Runs SQL text of our own (no parameters; may hold several statements,
 * as a migration file does). */
static int exec_ok(const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "docapi-admin: %s", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

/* Prints the first column of a one-row result; 0 on success. */
static int print_one(const char *sql, int n, const char *const *params,
                     const char *not_found)
{
	PGresult *r = exec(sql, n, params);
	int rc = 1;
	if (!r)
		return 1;
	if (PQntuples(r) == 1) {
		puts(PQgetvalue(r, 0, 0));
		rc = 0;
	} else {
		fail("%s", not_found);
	}
	PQclear(r);
	return rc;
}

static void new_id(char *out, const char *prefix, size_t nrand)
{
	size_t p = strlen(prefix);
	memcpy(out, prefix, p);
	util_random_base62(out + p, nrand);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The text of file, or NULL (said on stderr). Caller frees. */
static char *read_file(const char *path)
{
	struct buf sql = { 0 };
	char chunk[4096];
	size_t got;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "docapi-admin: cannot read %s\n", path);
		return NULL;
	}
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&sql, chunk, got);
	fclose(f);
	return sql.data ? sql.data : xstrdup("");
}

/* Applies migration `file` of dir, inside the caller's transaction, unless
 * it is recorded. A numbered file (001_schema.sql) is applied once; any
 * other (functions.sql, which sorts after them) again whenever its text
 * differs from the text last applied, recorded as its SHA-256. Returns 1
 * when applied, 0 when it already was, -1 on failure (said on stderr). */
static int apply_migration(const char *dir, const char *file)
{
	struct buf path = { 0 };
	char *sql = NULL;
	unsigned char sha[32];
	char hex[65];
	int repeatable = !isdigit((unsigned char)file[0]);
	const char *p[2] = { file, hex };
	PGresult *r = NULL;
	int rc = -1;

	buf_printf(&path, "%s/%s", dir, file);
	if (!(sql = read_file(path.data)))
		goto cleanup;
	util_sha256(sql, strlen(sql), sha);
	util_hex(sha, sizeof sha, hex);
	r = exec(repeatable ? "SELECT 1 FROM schema_migrations WHERE version = $1"
	                      " AND checksum = $2"
	                    : "SELECT 1 FROM schema_migrations WHERE version = $1",
	         repeatable ? 2 : 1, p);
	if (!r)
		goto cleanup;
	rc = PQntuples(r) == 1 ? 0 : -1;
	PQclear(r);
	r = NULL;
	if (rc == 0 || exec_ok(sql))
		goto cleanup;
	r = exec("INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)"
	         " ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum,"
	         " applied_at = now()", 2, p);
	rc = r ? 1 : -1;
cleanup:
	if (rc < 0)
		fprintf(stderr, "docapi-admin: migration %s failed\n", file);
	PQclear(r);
	free(sql);
	buf_free(&path);
	return rc;
}

/*
 * Applies the migrations of dir not yet recorded, in name order, all in
 * one transaction that first takes the migrations' transaction-level
 * advisory lock: two migrates at once take turns (the second applies what
 * is left: nothing), a failure leaves nothing applied, and nothing is held
 * between transactions, so it also works through a pooler.
 */
static int cmd_migrate(const char *dir)
{
	DIR *d = NULL;
	struct dirent *e;
	char **files = NULL;
	int *did = NULL;
	size_t n = 0;
	int rc = 1, applied = 0;

	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "docapi-admin: cannot open %s: %s\n", dir, strerror(errno));
		goto cleanup;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 4 && strcmp(e->d_name + len - 4, ".sql") == 0) {
			files = xrealloc(files, (n + 1) * sizeof *files);
			files[n++] = xstrdup(e->d_name);
		}
	}
	qsort(files, n, sizeof *files, cmp_str);
	did = xcalloc(n ? n : 1, sizeof *did);
	if (exec_ok("BEGIN") || exec_ok("SET LOCAL client_min_messages = warning") ||
	    exec_ok("SELECT pg_advisory_xact_lock(727001)") ||
	    exec_ok("CREATE TABLE IF NOT EXISTS schema_migrations ("
	            " version text PRIMARY KEY,"
	            " applied_at timestamptz NOT NULL DEFAULT now())") ||
	    exec_ok("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text"))
		goto rollback;
	for (size_t i = 0; i < n; i++)
		if ((did[i] = apply_migration(dir, files[i])) < 0)
			goto rollback;
	if (exec_ok("COMMIT"))
		goto rollback;
	for (size_t i = 0; i < n; i++)
		if (did[i] == 1) {
			fprintf(stderr, "docapi-admin: applied %s\n", files[i]);
			applied++;
		}
	printf("%d\n", applied);
	rc = 0;
	goto cleanup;
rollback:
	exec_ok("ROLLBACK");
cleanup:
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	free(did);
	return rc;
}

static int cmd_create_org(const char *name)
{
	char id[32];
	new_id(id, "org_", 16);
	const char *p[2] = { id, name };
	return print_one("INSERT INTO organizations (org_id, name) VALUES ($1, $2)"
	                 " RETURNING org_id", 2, p, "could not create the organization");
}

static int cmd_create_namespace(const char *org, const char *name)
{
	char id[32];
	new_id(id, "ns_", 16);
	const char *p[3] = { id, org, name };
	return print_one("INSERT INTO namespaces (ns_id, org_pk, name)"
	                 " SELECT $1, id, $3 FROM organizations WHERE org_id = $2"
	                 " RETURNING ns_id", 3, p, "organization not found");
}

static int cmd_create_collection(const char *ns, const char *name)
{
	char id[32];
	new_id(id, "col_", 16);
	const char *p[3] = { id, ns, name };
	return print_one("INSERT INTO collections (col_id, ns_pk, name)"
	                 " SELECT $1, id, $3 FROM namespaces WHERE ns_id = $2"
	                 " RETURNING col_id", 3, p, "namespace not found");
}

static int cmd_create_key(const char *org, const char *role, const char *nslist,
                          const char *expires_in, int test_mode)
{
	char key[8 + AUTH_KEY_RANDOM_LEN + 1], id[32], prefix[AUTH_PREFIX_LEN + 1];
	unsigned char hash[32];
	struct buf arr = { 0 };
	int rc;

	if (strcmp(role, "read") && strcmp(role, "write") && strcmp(role, "admin"))
		return fail("--role must be read, write or admin (got \"%s\")", role);
	if (expires_in) {
		char *end;
		long s = strtol(expires_in, &end, 10);
		if (*end || end == expires_in || s < 0)
			return fail("--expires-in must be a number of seconds (got \"%s\")", expires_in);
	}
	auth_new_key(key, test_mode);
	auth_hash_key(key, strlen(key), hash);
	new_id(id, "key_", 16);
	memcpy(prefix, key, AUTH_PREFIX_LEN);
	prefix[AUTH_PREFIX_LEN] = '\0';
	if (nslist) {
		/* "ns_a,ns_b" -> "{ns_a,ns_b}"; ids are alphanumeric, no quoting needed. */
		for (const char *c = nslist; *c; c++)
			if (!(*c == ',' || *c == '_' || (*c >= '0' && *c <= '9') ||
			      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
				return fail("--namespaces takes ns_ ids separated by commas (got \"%s\")", nslist);
		buf_printf(&arr, "{%s}", nslist);
	}
	char hexhash[65];
	util_hex(hash, 32, hexhash);
	const char *p[7] = { id, org, hexhash, prefix, role, arr.data, expires_in };
	PGresult *r = exec(
		"INSERT INTO api_keys (key_id, org_pk, key_hash, prefix, role, namespaces, expires_at)"
		" SELECT $1, o.id, decode($3, 'hex'), $4, $5, $6::text[],"
		" CASE WHEN $7::bigint IS NULL THEN NULL ELSE now() + make_interval(secs => $7::bigint) END"
		" FROM organizations o WHERE o.org_id = $2"
		"   AND (SELECT bool_and(EXISTS (SELECT 1 FROM namespaces n WHERE n.ns_id = x AND n.org_pk = o.id))"
		"        FROM unnest(coalesce($6::text[], '{}')) AS x) IS NOT FALSE"
		" RETURNING key_id", 7, p);
	rc = 1;
	if (r && PQntuples(r) == 1) {
		fprintf(stderr, "docapi-admin: created %s (%s..., role %s); the key is shown once:\n",
		        PQgetvalue(r, 0, 0), prefix, role);
		puts(key);
		rc = 0;
	} else if (r) {
		fail("organization not found, or a namespace is not in it");
	}
	PQclear(r);
	buf_free(&arr);
	return rc;
}

static int cmd_list_keys(const char *org)
{
	const char *p[1] = { org };
	PGresult *r = exec(
		"SELECT k.key_id, k.prefix, k.role, coalesce(array_to_string(k.namespaces, ','), '*'),"
		" coalesce(to_char(k.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'),"
		" CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'"
		"      WHEN k.expires_at <= now() THEN 'expired' ELSE 'active' END"
		" FROM api_keys k JOIN organizations o ON o.id = k.org_pk"
		" WHERE o.org_id = $1 ORDER BY k.id", 1, p);
	if (!r)
		return 1;
	for (int i = 0; i < PQntuples(r); i++)
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
		       PQgetvalue(r, i, 5));
	PQclear(r);
	return 0;
}

static int cmd_revoke_key(const char *key_id)
{
	const char *p[1] = { key_id };
	return print_one("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())"
	                 " WHERE key_id = $1 RETURNING key_id", 1, p, "key not found");
}

/* Inserts (or replaces) one imported document; 1 when it was. */
static int import_insert(const char *col, const struct doc_import *imp)
{
	const char *p[9] = {
		col, imp->document_id, imp->sys, imp->metadata, imp->blobs,
		imp->fields, imp->vector, imp->created_at, imp->updated_at,
	};
	/* Timestamps given in the file are kept (an export re-imports as it
	 * was); missing ones are "now". Only the columns of schema 001: a
	 * trigger of migration 003 names an imported vector "default". */
	PGresult *r = exec(
		"INSERT INTO documents (col_pk, document_id, sys, metadata, document_blobs,"
		" fields, vector, created_at, updated_at)"
		" SELECT c.id, $2, $3::json, $4::jsonb, $5::json, $6::jsonb, $7::jsonb,"
		" coalesce($8::timestamptz, now()),"
		" coalesce($9::timestamptz, $8::timestamptz, now())"
		" FROM collections c WHERE c.col_id = $1"
		" ON CONFLICT (col_pk, document_id) DO UPDATE SET sys = EXCLUDED.sys,"
		" metadata = EXCLUDED.metadata, document_blobs = EXCLUDED.document_blobs,"
		" fields = EXCLUDED.fields, vector = EXCLUDED.vector,"
		" created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,"
		" version = documents.version + 1"
		" RETURNING id", 9, p);
	int ok = r && PQntuples(r) == 1;
	if (r && !ok)
		fprintf(stderr, "docapi-admin: collection %s not found\n", col);
	PQclear(r);
	return ok;
}

static int cmd_import(const char *col, const char *file)
{
	FILE *f = file ? fopen(file, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, count = 0;
	int rc = 1;

	if (!f)
		return fail("cannot open %s", file);
	if (exec_ok("BEGIN"))
		goto cleanup;
	while ((len = getline(&line, &cap, f)) > 0) {
		struct doc_import imp;
		const char *err = NULL;
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (doc_import_line(&imp, line, (size_t)len, &err) != 0) {
			fprintf(stderr, "docapi-admin: line %ld: %s\n", lineno, err);
			doc_import_clear(&imp);
			goto cleanup;
		}
		if (!imp.document_id[0])
			new_id(imp.document_id, "doc_", 24);
		int ok = import_insert(col, &imp);
		doc_import_clear(&imp);
		if (!ok) {
			fprintf(stderr, "docapi-admin: line %ld: not imported\n", lineno);
			goto cleanup;
		}
		count++;
	}
	if (exec_ok("COMMIT"))
		goto cleanup;
	printf("%ld\n", count);
	rc = 0;
cleanup:
	if (rc)
		exec_ok("ROLLBACK");
	free(line);
	if (file && f)
		fclose(f);
	return rc;
}

static int cmd_export(const char *col)
{
	const char *p[1] = { col };
	PGresult *r = exec(
		/* no vector_names: export reads schema 001 as well (before a migrate) */
		"SELECT " DB_DOC_COLUMNS_WITH("NULL::json") ", d.document_id, c.col_id"
		" FROM documents d JOIN collections c ON c.id = d.col_pk"
		" WHERE c.col_id = $1 ORDER BY d.id", 1, p);
	if (!r)
		return 1;
	struct buf line = { 0 };
	for (int i = 0; i < PQntuples(r); i++) {
		/* The same writer as the API's responses, vector included. */
		struct stored_doc row;
		db_stored_doc(r, i, 0, &row);
		struct doc_texts t = {
			.document_id = PQgetvalue(r, i, DB_DOC_NCOLUMNS),
			.collection_id = PQgetvalue(r, i, DB_DOC_NCOLUMNS + 1),
			.sys = row.sys, .metadata = row.metadata, .blobs = row.blobs,
			.fields = row.fields, .vector = row.vector,
			.created_at = row.created_at, .updated_at = row.updated_at,
		};
		buf_reset(&line);
		doc_json_write(&line, &t);
		puts(line.data);
	}
	buf_free(&line);
	PQclear(r);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: docapi-admin [--config FILE] COMMAND ...\n"
	      "  migrate\n"
	      "  create-org NAME\n"
	      "  create-namespace --org ORG_ID NAME\n"
	      "  create-collection --namespace NS_ID NAME\n"
	      "  create-key --org ORG_ID --role read|write|admin [--namespaces NS,..]\n"
	      "             [--expires-in SECONDS] [--test]\n"
	      "  list-keys --org ORG_ID\n"
	      "  revoke-key KEY_ID\n"
	      "  import --collection COL_ID [FILE]   (NDJSON, default stdin)\n"
	      "  export --collection COL_ID\n", f);
}

/* Options "--name value" and flags after the command; positional args kept. */
struct args {
	const char *org, *ns, *col, *role, *nslist, *expires_in;
	int test_mode;
	const char *pos[2];
	int npos;
};

static int parse_args(int argc, char **argv, int i, struct args *a)
{
	memset(a, 0, sizeof *a);
	for (; i < argc; i++) {
		const char **slot = NULL;
		if (!strcmp(argv[i], "--org")) slot = &a->org;
		else if (!strcmp(argv[i], "--namespace")) slot = &a->ns;
		else if (!strcmp(argv[i], "--collection")) slot = &a->col;
		else if (!strcmp(argv[i], "--role")) slot = &a->role;
		else if (!strcmp(argv[i], "--namespaces")) slot = &a->nslist;
		else if (!strcmp(argv[i], "--expires-in")) slot = &a->expires_in;
		else if (!strcmp(argv[i], "--test")) { a->test_mode = 1; continue; }
		else if (argv[i][0] == '-' && argv[i][1]) return fail("unknown option %s", argv[i]);
		else if (a->npos < 2) { a->pos[a->npos++] = argv[i]; continue; }
		else return fail("too many arguments at %s", argv[i]);
		if (i + 1 >= argc)
			return fail("%s needs a value", argv[i]);
		*slot = argv[++i];
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct args a;
	char err[512];
	const char *conf_path = NULL, *cmd;
	int i = 1, rc = 2;

	if (i + 1 < argc && !strcmp(argv[i], "--config")) {
		conf_path = argv[i + 1];
		i += 2;
	}
	if (i >= argc || !strcmp(argv[i], "--help")) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	cmd = argv[i];
	if (parse_args(argc, argv, i + 1, &a))
		return 2;
	if (config_load(&cfg, conf_path, err, sizeof err) != 0) {
		fprintf(stderr, "docapi-admin: %s\n", err);
		return 1;
	}
	conn = db_connect_once(cfg.database_url, err, sizeof err);
	if (!conn) {
		fprintf(stderr, "docapi-admin: cannot connect to the database: %s", err);
		rc = 1;
		goto out;
	}
	PQclear(PQexec(conn, "SET client_min_messages = warning"));
#define NEED(cond, what) if (!(cond)) { rc = fail("%s", what); usage(stderr); goto out; }
	if (!strcmp(cmd, "migrate")) {
		rc = cmd_migrate(cfg.sql_dir);
	} else if (!strcmp(cmd, "create-org")) {
		NEED(a.npos == 1, "create-org needs a NAME");
		rc = cmd_create_org(a.pos[0]);
	} else if (!strcmp(cmd, "create-namespace")) {
		NEED(a.org && a.npos == 1, "create-namespace needs --org ORG_ID and a NAME");
		rc = cmd_create_namespace(a.org, a.pos[0]);
	} else if (!strcmp(cmd, "create-collection")) {
		NEED(a.ns && a.npos == 1, "create-collection needs --namespace NS_ID and a NAME");
		rc = cmd_create_collection(a.ns, a.pos[0]);
	} else if (!strcmp(cmd, "create-key")) {
		NEED(a.org && a.role && a.npos == 0, "create-key needs --org ORG_ID and --role ROLE");
		rc = cmd_create_key(a.org, a.role, a.nslist, a.expires_in, a.test_mode);
	} else if (!strcmp(cmd, "list-keys")) {
		NEED(a.org, "list-keys needs --org ORG_ID");
		rc = cmd_list_keys(a.org);
	} else if (!strcmp(cmd, "revoke-key")) {
		NEED(a.npos == 1, "revoke-key needs a KEY_ID");
		rc = cmd_revoke_key(a.pos[0]);
	} else if (!strcmp(cmd, "import")) {
		NEED(a.col && a.npos <= 1, "import needs --collection COL_ID [FILE]");
		rc = cmd_import(a.col, a.npos ? a.pos[0] : NULL);
	} else if (!strcmp(cmd, "export")) {
		NEED(a.col && a.npos == 0, "export needs --collection COL_ID");
		rc = cmd_export(a.col);
	} else {
		rc = fail("unknown command \"%s\"", cmd);
		usage(stderr);
		rc = 2;
	}
#undef NEED
out:
	PQfinish(conn);
	config_free(&cfg);
	return rc ? (rc == 2 ? 2 : 1) : 0;
}
