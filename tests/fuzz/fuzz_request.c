/*
 * fuzz_request.c - request parsing: CGI/FastCGI environment + body ->
 * http_read_request() -> route split and dispatch (router_dispatch with
 * stub handlers) -> body_kind_of() / body_parse_json() / query parameters
 * -> http_send().
 *
 * Input: byte 0 selects options (mount prefix, method override, body limit,
 * read chunk size); the rest is split on '\0': every piece but the last is
 * an environment entry ("NAME=value", passed as is, even without '='), the
 * last piece is the request body (it may contain NUL bytes once the entry
 * limit is reached).
 *
 * Invariants checked on every input:
 *  - segments are valid UTF-8, at most 256 bytes, never "." or "..";
 *  - the response head has Status first, no bare CR or LF (no header
 *    injection through the request id, Allow, or anything echoed), and
 *    ends with an empty line; a body, when sent, is one JSON object;
 *  - the request id is 1..64 characters of [A-Za-z0-9._:-];
 *  - the same request served twice through the same (reused) struct
 *    request gives the same status.
 * The real dispatcher runs every check of a route's row; the handlers are
 * stubs generated from cgi/handlers.h by run.sh, and the scope lookup is a
 * stand-in that finds everything (below).
 */
#include "fuzz_common.h"

#include "app.h"
#include "auth.h"
#include "body.h"
#include "db_scope.h"
#include "doc_check.h"
#include "handlers.h"
#include "presigner.h"
#include "http.h"
#include "jsonpatch.h"
#include "log.h"
#include "router.h"

#include <ctype.h>

#define MAX_ENV 48

struct fake_io {
	const char *body;
	size_t len, off;
	int chunk;           /* bytes handed out per read() call */
	struct buf out;
};

static int fake_read(void *ctx, char *buf, int n)
{
	struct fake_io *f = ctx;
	size_t k = f->len - f->off;
	if ((size_t)n < k)
		k = (size_t)n;
	if ((size_t)f->chunk < k)
		k = (size_t)f->chunk;
	memcpy(buf, f->body + f->off, k);
	f->off += k;
	return (int)k;
}

static int fake_write(void *ctx, const char *buf, int n)
{
	buf_append(&((struct fake_io *)ctx)->out, buf, (size_t)n);
	return n;
}

/*
 * The database and the presigner, as the dispatcher sees them: every key
 * is valid, every namespace, collection and document exists (the stored
 * document below), so each request goes through every check of its route.
 */
static const struct stored_doc fake_doc = {
	.pk = 7, .version = 3, .sys = "{\"source_blobs\":[]}", .metadata = "{\"a\":1}",
	.blobs = "[]", .fields = "{}", .created_at = "2025-01-01T00:00:00Z",
	.updated_at = "2025-01-01T00:00:00Z",
};

enum db_status db_resolve_scope(struct db *db, const char *rid,
                                const unsigned char *key_hash, const char *ns,
                                const char *col, const char *doc,
                                struct db_scope *out)
{
	(void)db;
	(void)rid;
	(void)key_hash;
	memset(out, 0, sizeof *out);
	out->key_found = out->key_valid = 1;
	out->role = "write";
	out->ns_id = ns ? "ns_fuzz" : NULL;
	out->ns_allowed = 1;
	if (col) {
		FUZZ_ASSERT(util_utf8_valid(col, strlen(col)), "collection not UTF-8");
		out->col_id = "col_fuzz";
	}
	if (doc) {
		FUZZ_ASSERT(util_utf8_valid(doc, strlen(doc)), "document not UTF-8");
		out->doc = fake_doc;
	}
	return DB_OK;
}

void db_scope_clear(struct db_scope *s)
{
	memset(s, 0, sizeof *s);
}

enum db_status db_cursor_secret(struct db *db, const char *rid, const char **out)
{
	(void)db;
	(void)rid;
	*out = "fuzz: a cursor secret of 32 bytes or more";
	return DB_OK;
}

enum db_status db_role(struct db *db, const char *rid, int *standby)
{
	(void)db;
	(void)rid;
	*standby = 0;
	return DB_OK;
}

int presigner_ready(struct presigner *g, const char *rid)
{
	(void)g;
	(void)rid;
	return 0;
}

/* Called by every stub handler: what the dispatcher promised holds. */
enum h_result fuzz_handler(struct call *c, const char *name);
enum h_result fuzz_handler(struct call *c, const char *name)
{
	struct json_object *o;

	if (strncmp(name, "h_document", 10) == 0) {
		FUZZ_ASSERT(!c->scope_resolved ||
		            (c->scope.col_id && c->scope.doc.pk == fake_doc.pk),
		            "document handler without a resolved document");
		FUZZ_ASSERT(c->scope_resolved || (c->flags & R_FUSED),
		            "scope unresolved on a route that does not fuse");
		FUZZ_ASSERT(c->req->method != HTTP_PATCH || c->body, "PATCH without a body");
		FUZZ_ASSERT(!c->query.return_url, "return_url without a presigner");
	}
	o = json_object_new_object();
	json_object_object_add(o, "handler", json_object_new_string(name));
	http_set_json(c->resp, 200, o);
	json_object_put(o);
	return H_DONE;
}

/* The response head must be "Status: ...\r\n" lines with no bare CR/LF. */
static int check_response(const struct buf *out, int *status)
{
	const char *s = out->data;
	size_t n = out->len;
	const char *end = NULL;

	FUZZ_ASSERT(s && n > 8 && memcmp(s, "Status: ", 8) == 0, "no Status line first");
	*status = atoi(s + 8);
	FUZZ_ASSERT(*status >= 100 && *status <= 599, "status out of range");
	for (size_t i = 0; i + 3 < n; i++)
		if (memcmp(s + i, "\r\n\r\n", 4) == 0) {
			end = s + i;
			break;
		}
	FUZZ_ASSERT(end, "response head not terminated");
	for (const char *p = s; p < end; p++) {
		FUZZ_ASSERT(*p != '\0', "NUL in response head");
		if (*p == '\r')
			FUZZ_ASSERT(p[1] == '\n', "bare CR in response head");
		if (*p == '\n')
			FUZZ_ASSERT(p > s && p[-1] == '\r', "bare LF in response head");
		if (*p == '\n')
			FUZZ_ASSERT(p[1] != ' ' && p[1] != '\t', "folded header line");
	}
	const char *body = end + 4;
	size_t blen = n - (size_t)(body - s);
	if (blen) {
		struct json_tokener *tok = json_tokener_new();
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		struct json_object *o = json_tokener_parse_ex(tok, body, (int)blen);
		FUZZ_ASSERT(o && json_object_is_type(o, json_type_object) &&
		            json_tokener_get_parse_end(tok) == blen,
		            "response body is not one JSON object");
		json_object_put(o);
		json_tokener_free(tok);
	}
	return 0;
}

static int serve(struct app *a, struct fake_io *f, struct http_io *io,
                 const char *prefix, long limit, int override)
{
	int status;

	f->off = 0;
	buf_reset(&f->out);
	http_request_reset(&a->req);
	http_response_reset(&a->resp);
	http_read_request(&a->req, io, prefix, limit, override);

	/* request id: sane and bounded */
	size_t rl = strlen(a->req.request_id);
	FUZZ_ASSERT(rl > 0 && rl < sizeof a->req.request_id, "request id length");
	for (size_t i = 0; i < rl; i++) {
		unsigned char c = (unsigned char)a->req.request_id[i];
		FUZZ_ASSERT(isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':',
		            "request id character");
	}
	FUZZ_ASSERT(a->req.nsegs >= 0 && a->req.nsegs <= HTTP_MAX_SEGS, "nsegs");
	if (a->req.path_ok)
		for (int i = 0; i < a->req.nsegs; i++) {
			const char *sg = a->req.segs[i];
			FUZZ_ASSERT(sg && *sg, "empty segment");
			FUZZ_ASSERT(strlen(sg) <= 256, "segment over 256 bytes");
			FUZZ_ASSERT(strcmp(sg, ".") && strcmp(sg, ".."), "dot segment");
			FUZZ_ASSERT(util_utf8_valid(sg, strlen(sg)), "segment not UTF-8");
		}
	FUZZ_ASSERT(a->req.body.len <= (size_t)limit, "body over the limit kept");
	FUZZ_ASSERT(a->req.query != NULL, "query NULL");

	router_dispatch(a);
	http_send(&a->req, &a->resp);
	check_response(&f->out, &status);
	return status;
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
	static const char *const prefixes[] = { "", "/api", "/a/b", "" };
	static const int chunks[] = { 8192, 1, 3, 7, 64, 1000, 4096, 8192 };
	char *pieces[MAX_ENV + 1];
	size_t lens[MAX_ENV + 1];
	char *envp[MAX_ENV + 1];
	struct app a;
	struct fake_io f;
	struct http_io io;

	if (size < 1)
		return 0;
	unsigned flags = data[0];
	int n = fuzz_split(data + 1, size - 1, MAX_ENV + 1, pieces, lens);
	int nenv = n - 1;
	for (int i = 0; i < nenv; i++)
		envp[i] = pieces[i];
	envp[nenv] = NULL;

	static struct config cfg;
	memset(&a, 0, sizeof a);
	memset(&f, 0, sizeof f);
	f.body = pieces[n - 1];
	f.len = lens[n - 1];
	f.chunk = chunks[(flags >> 3) & 7];
	io.read = fake_read;
	io.write = fake_write;
	io.envp = envp;
	io.ctx = &f;
	const char *prefix = prefixes[flags & 3];
	long limit = (flags & 0x40) ? 64 : 1048576;
	int override = (flags >> 2) & 1;
	cfg.body_limit = limit;
	cfg.max_depth = 64;
	a.cfg = &cfg;

	int s1 = serve(&a, &f, &io, prefix, limit, override);
	/* the same request again through the reused buffers */
	int s2 = serve(&a, &f, &io, prefix, limit, override);
	FUZZ_ASSERT(s1 == s2, "same request, different status on reuse");

	http_request_free(&a.req);
	http_response_free(&a.resp);
	buf_free(&f.out);
	fuzz_free_pieces(pieces, n);
	return 0;
}
