/* router.c - see router.h. */
#include "router.h"
#include "auth.h"
#include "doc_patch.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static const struct route routes[] = {
	{ HTTP_GET, "/healthz", h_healthz, 0, NULL },
	{ HTTP_GET, "/v1/openapi.json", h_openapi, 0, NULL },
	{ HTTP_GET, "/v1/collections/{}/documents/{}", h_document_get,
	  R_AUTH | R_NAMESPACE | R_COLLECTION | R_DOCUMENT | R_DOC_QUERY, NULL },
	{ HTTP_PATCH, "/v1/collections/{}/documents/{}", h_document_patch,
	  R_AUTH | R_NAMESPACE | R_WRITE | R_BODY_PATCH | R_COLLECTION |
	  R_DOCUMENT | R_DOC_QUERY | R_FUSED, doc_patch_check_syntax },
	{ HTTP_PUT, "/v1/collections/{}/documents/{}", h_document_put,
	  R_AUTH | R_NAMESPACE | R_WRITE | R_BODY_JSON | R_COLLECTION |
	  R_DOCUMENT | R_DOC_QUERY, doc_patch_check_syntax },
	{ HTTP_DELETE, "/v1/collections/{}/documents/{}", h_document_delete,
	  R_AUTH | R_NAMESPACE | R_WRITE | R_COLLECTION | R_DOCUMENT | R_FUSED, NULL },
	{ HTTP_POST, "/v1/collections/{}/documents", h_document_create,
	  R_AUTH | R_NAMESPACE | R_WRITE | R_BODY_JSON | R_COLLECTION |
	  R_DOC_QUERY | R_FUSED, NULL },
	{ HTTP_POST, "/v1/collections/{}/documents/list", h_list,
	  R_AUTH | R_NAMESPACE | R_BODY_JSON | R_BODY_OPTIONAL | R_COLLECTION |
	  R_DOC_QUERY | R_FUSED, NULL },
	{ HTTP_PATCH, "/v1/collections/{}/documents/bulk", h_bulk,
	  R_AUTH | R_NAMESPACE | R_WRITE | R_BODY_JSON | R_COLLECTION | R_FUSED, NULL },
	{ HTTP_POST, "/v1/collections/{}/documents/batch", h_batch_update,
	  R_AUTH | R_NAMESPACE | R_WRITE | R_BODY_JSON | R_COLLECTION | R_FUSED, NULL },
	{ HTTP_DELETE, "/v1/collections/{}/documents/batch", h_batch_delete,
	  R_AUTH | R_NAMESPACE | R_WRITE | R_BODY_JSON | R_COLLECTION | R_FUSED, NULL },
	{ HTTP_POST, "/v1/collections/{}/documents/aggregate", h_aggregate,
	  R_AUTH | R_NAMESPACE | R_BODY_JSON | R_COLLECTION | R_FUSED, NULL },
	{ HTTP_GET, "/v1/collections/{}/documents/changes", h_changes,
	  R_AUTH | R_NAMESPACE | R_COLLECTION | R_FUSED, NULL },
	{ HTTP_GET, "/v1/collections/{}/documents/{}/lineage", h_lineage,
	  R_AUTH | R_NAMESPACE | R_COLLECTION | R_FUSED, NULL },
	{ HTTP_GET, "/v1/objects/{}/documents", h_object_documents,
	  R_AUTH | R_NAMESPACE | R_DOC_QUERY | R_FUSED, NULL },
	{ HTTP_GET, "/v1/objects/{}/decomposition-tree", h_object_tree,
	  R_AUTH | R_NAMESPACE | R_FUSED, NULL },
	{ HTTP_POST, "/v1/documents/list", h_list,
	  R_AUTH | R_NAMESPACE | R_BODY_JSON | R_BODY_OPTIONAL | R_DOC_QUERY | R_FUSED, NULL },
	{ HTTP_GET, "/v1/documents/{}", h_ns_document,
	  R_AUTH | R_NAMESPACE | R_DOC_QUERY | R_FUSED, NULL },
	{ HTTP_PATCH, "/v1/documents/{}", h_ns_document,
	  R_AUTH | R_NAMESPACE | R_WRITE | R_BODY_PATCH | R_DOC_QUERY | R_FUSED,
	  doc_patch_check_syntax },
	{ HTTP_PUT, "/v1/documents/{}", h_ns_document,
	  R_AUTH | R_NAMESPACE | R_WRITE | R_BODY_JSON | R_DOC_QUERY | R_FUSED,
	  doc_patch_check_syntax },
	{ 0, NULL, NULL, 0, NULL },
};

/* The literal segments after .../documents/ that are routes, never
 * document ids (contract section 6): a variable segment there does not
 * match them, so .../documents/batch/lineage is no route at all. */
static int is_reserved_segment(const char *prev, size_t prevlen, const char *seg)
{
	static const char *const names[] = { "list", "batch", "bulk", "aggregate", "changes" };

	if (prevlen != 9 || strncmp(prev, "documents", 9) != 0)
		return 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(seg, names[i]) == 0)
			return 1;
	return 0;
}

/* How specific a pattern that matches the segments is (literal segments
 * weigh more the further left they are), or -1 when it does not match.
 * Variable segments go to params. */
static int pattern_matches(const char *pattern, char *const *segs, int nsegs,
                           const char **params)
{
	const char *p = pattern, *prev = "";
	size_t prevlen = 0;
	int i = 0, np = 0, weight = 0;

	while (*p == '/') {
		const char *end = strchr(p + 1, '/');
		size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
		if (i >= nsegs)
			return -1;
		if (len == 2 && p[1] == '{' && p[2] == '}') {
			if (is_reserved_segment(prev, prevlen, segs[i]))
				return -1;
			params[np++] = segs[i];
		} else if (strlen(segs[i]) != len || strncmp(segs[i], p + 1, len) != 0)
			return -1;
		else
			weight |= 1 << (HTTP_MAX_SEGS - 1 - i);
		i++;
		prev = p + 1;
		prevlen = len;
		if (!end)
			break;
		p = end;
	}
	return i == nsegs ? weight : -1;
}

const struct route *router_match(const struct route *table, enum http_method m,
                                 char *const *segs, int nsegs,
                                 const char **params, int *allow)
{
	const struct route *found = NULL;
	int best = -1;

	*allow = 0;
	for (const struct route *r = table; r->pattern; r++) {
		const char *tmp[HTTP_MAX_SEGS] = { 0 };
		int w = pattern_matches(r->pattern, segs, nsegs, tmp);
		if (w < 0 || w < best)
			continue;
		if (w > best) {   /* a more specific pattern: forget the others */
			best = w;
			*allow = 0;
			found = NULL;
		}
		*allow |= r->methods;
		if ((r->methods & m) && !found) {
			memcpy(params, tmp, sizeof tmp);
			found = r;
		}
	}
	return found;
}

enum h_result h_of_db(enum db_status st)
{
	return st == DB_UNAVAILABLE ? H_UNAVAILABLE : H_FAILED;
}

/* The one place a failure becomes a response. */
static void reply_failure(struct response *resp, enum h_result r)
{
	if (r == H_UNAVAILABLE)
		http_error(resp, 503, "Database unavailable, retry shortly", NULL);
	else
		http_error(resp, 500, "Internal server error", NULL);
}

/* The key of the Authorization header, hashed into c->key_hash. Returns
 * 0, or 1 with the 401 set: the first check, and one needing no database. */
static int key_or_401(struct call *c)
{
	const struct request *req = c->req;
	size_t klen = 0;
	const char *key = auth_bearer_key(req->authorization, &klen);

	if (!req->authorization)
		/* Apache strips Authorization for FastCGI and CGI unless told. */
		log_info(req->request_id, "no Authorization header reached docapi; "
		         "behind Apache this needs \"CGIPassAuth On\"");
	if (!key) {
		http_error(c->resp, 401, req->authorization ? "Authorization must be "
		           "\"Bearer <api key>\"" : "Missing bearer token", NULL);
		return 1;
	}
	if (!auth_key_well_formed(key, klen)) {
		http_error(c->resp, 401, "Invalid or expired API key", NULL);
		return 1;
	}
	auth_hash_key(key, klen, c->key_hash);
	return 0;
}

const char *call_namespace(const struct call *c)
{
	return c->req->x_namespace_count == 1 ? c->req->x_namespace : NULL;
}

int call_refuse_scope(struct call *c)
{
	const struct request *req = c->req;
	const struct db_scope *s = &c->scope;
	const char *msg = NULL;
	int status = 0;

	if (!s->key_found || !s->key_valid)
		status = 401, msg = "Invalid or expired API key";
	else if (!(c->flags & R_NAMESPACE))
		status = 0;
	else if (req->x_namespace_count > 1)
		status = 400, msg = "X-Namespace header sent more than once";
	else if (!call_namespace(c))
		status = 400, msg = "X-Namespace header is required";
	else if (!s->ns_id)
		status = 404;
	else if (!s->ns_allowed)
		status = 403, msg = "This API key may not access this namespace";
	else if (!auth_role_allows(s->role, (c->flags & R_WRITE) != 0))
		status = 403, msg = "This API key is read-only";
	if (status == 404)
		http_error(c->resp, 404, "Namespace not found",
		           http_not_found_details("namespace", req->x_namespace));
	else if (status)
		http_error(c->resp, status, msg, NULL);
	return status != 0;
}

int call_refuse_missing(struct call *c)
{
	if ((c->flags & R_COLLECTION) && !c->scope.col_id) {
		http_error(c->resp, 404, "Collection not found",
		           http_not_found_details("collection", c->params[0]));
		return 1;
	}
	if ((c->flags & R_DOCUMENT) && !c->scope.doc.pk) {
		http_error(c->resp, 404, "Document not found",
		           http_not_found_details("document", c->params[1]));
		return 1;
	}
	return 0;
}

/* The lookup of the key, namespace, collection and document (one round
 * trip). A route that writes nothing reads from the replica when one is
 * configured, and from the primary while the replica is unavailable;
 * a write route reads from the primary, so what it reads is what it
 * writes against. */
static enum h_result lookup(struct call *c)
{
	const char *rid = c->req->request_id;
	const char *ns = call_namespace(c);
	const char *col = (c->flags & R_COLLECTION) ? c->params[0] : NULL;
	const char *doc = (c->flags & R_DOCUMENT) ? c->params[1] : NULL;
	struct db *db = (c->flags & R_WRITE) ? c->db : c->db_read;
	enum db_status st = db_resolve_scope(db, rid, c->key_hash, ns, col, doc,
	                                     &c->scope);

	if (st == DB_UNAVAILABLE && db != c->db) {
		log_info(rid, "read database unavailable: reading from the primary");
		st = db_resolve_scope(c->db, rid, c->key_hash, ns, col, doc, &c->scope);
	}
	return st == DB_OK ? H_DONE : h_of_db(st);
}

enum h_result call_resolve(struct call *c, int *answered)
{
	enum h_result r = lookup(c);

	*answered = r == H_DONE && (call_refuse_scope(c) || call_refuse_missing(c));
	return r;
}

enum h_result call_cursor_secret(struct call *c, const char **secret)
{
	if ((*secret = c->cfg->cursor_secret) != NULL)
		return H_DONE;
	enum db_status st = db_cursor_secret(c->db_read, c->req->request_id, secret);
	if (st == DB_UNAVAILABLE && c->db_read != c->db)
		st = db_cursor_secret(c->db, c->req->request_id, secret);
	return st == DB_OK ? H_DONE : h_of_db(st);
}

enum h_result call_refuse_invalid(struct call *c, struct verrs *v)
{
	int answered = 0, flags = c->flags;
	enum h_result r;

	c->flags &= ~(R_COLLECTION | R_DOCUMENT);
	r = call_resolve(c, &answered);
	c->flags = flags;
	if (r == H_DONE && !answered)
		verr_respond(v, c->resp);
	return r;
}

/* An error the database found in what the request asked (an invalid
 * regular expression, a date out of range): 422 once the scope's checks
 * pass, as any other problem of the body. 0: not such an error. */
int call_refuse_bad_value(struct call *c, const struct db *db, enum h_result *r)
{
	if (strcmp(db->sqlstate, "2201B") && strcmp(db->sqlstate, "22008") &&
	    strcmp(db->sqlstate, "22007"))
		return 0;
	struct verrs v = { 0 };
	verr_add(&v, !strcmp(db->sqlstate, "2201B") ? "invalid regular expression"
	         : "invalid timestamp", "value_error", "body", "filters", NULL, NULL);
	*r = call_refuse_invalid(c, &v);
	verr_free(&v);
	return 1;
}

/* What the checks needing no database found, to be answered in the
 * contract's order once the scope's own checks have passed. */
struct local {
	int status;               /* 415, 400, 413; 0: none */
	char msg[112];
	int presign_down;         /* return_url=true but presigning unavailable */
};

/* Media type, size, then the body parsed and checked (problems to v). */
static void check_body(struct call *c, const struct route *r, struct verrs *v,
                       struct local *l)
{
	const struct request *req = c->req;
	enum body_kind kind = body_kind_of(req->content_type);

	if ((r->flags & R_BODY_JSON) && kind != BODY_NONE &&
	    !body_is_plain_json(req->content_type))
		kind = BODY_NONE;
	if (kind == BODY_NONE && (req->has_body || req->content_type)) {
		l->status = 415;
		snprintf(l->msg, sizeof l->msg, "%s", (r->flags & R_BODY_PATCH)
		         ? "Content-Type must be application/json, "
		           "application/merge-patch+json or application/json-patch+json"
		         : "Content-Type must be application/json");
	} else if (req->body_truncated) {
		l->status = 400;
		snprintf(l->msg, sizeof l->msg, "Request body is shorter than its Content-Length");
	} else if (req->body_too_large) {
		l->status = 413;
		snprintf(l->msg, sizeof l->msg, "Request body exceeds %ld bytes",
		         c->cfg->body_limit);
	}
	if (l->status)
		return;
	if ((r->flags & R_BODY_OPTIONAL) && req->body.len == 0) {  /* no body: {} */
		c->body_kind = BODY_MERGE_PATCH;
		c->body = json_object_new_object();
		return;
	}
	c->body_kind = kind == BODY_NONE ? BODY_MERGE_PATCH : kind;
	c->body = body_parse_json(req->body.data ? req->body.data : "", req->body.len,
	                          (int)c->cfg->max_depth, v);
	if (c->body && r->check)
		r->check(c->body_kind, c->body, v);
}

/* Query parameters of section 4; problems go to v. */
static void parse_doc_query(const char *query, struct doc_query *q, struct verrs *v)
{
	static const char *const names[] = { "return_url", "return_presigned_urls",
	                                     "return_vectors", "return_vector_names" };
	memset(q, 0, sizeof *q);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char value[32];
		if (!http_query_param(query, names[i], value, sizeof value))
			continue;
		int b = http_parse_bool(value);
		if (b < 0) {
			verr_add(v, "value could not be parsed to a boolean",
			         "type_error.bool", "query", names[i], NULL, NULL);
			continue;
		}
		if (i == 3)
			q->return_vector_names = b;
		else if (i == 2)
			q->return_vectors = b;
		else
			q->return_url |= b;
	}
}

/* Answers what the local checks found, in contract order after the scope
 * (415/400/413, then 422; 404s come from the caller; 503 for presigning
 * last). Returns 1 when the response is set. */
static int refuse_local(struct call *c, const struct local *l, struct verrs *v)
{
	if (l->status) {
		http_error(c->resp, l->status, l->msg, NULL);
		return 1;
	}
	if (verr_count(v)) {
		verr_respond(v, c->resp);
		return 1;
	}
	if (call_refuse_missing(c))
		return 1;
	if (l->presign_down) {
		/* credentials.c logs the reason once; this is per request. */
		log_info(c->req->request_id, "presigned URLs requested but no S3 "
		         "credentials are available");
		http_error(c->resp, 503, "Presigned URLs are not available: "
		           "S3 presigning is not configured on this server", NULL);
		return 1;
	}
	return 0;
}

/*
 * Runs the checks of r's flags, then r's handler. The checks that need no
 * database run first; when all of them pass on an R_FUSED route, the
 * handler resolves the scope in its own statement (c->scope_resolved 0).
 */
static enum h_result run_route(struct call *c, const struct route *r,
                               struct verrs *v)
{
	struct local l = { 0 };
	enum h_result res;

	c->flags = r->flags;
	if ((r->flags & R_AUTH) && key_or_401(c))
		return H_DONE;
	if (r->flags & (R_BODY_JSON | R_BODY_PATCH))
		check_body(c, r, v, &l);
	if (r->flags & R_DOC_QUERY) {
		parse_doc_query(c->req->query, &c->query, v);
		l.presign_down = c->query.return_url &&
		                 !presigner_ready(c->presigner, c->req->request_id);
	}
	if ((r->flags & R_FUSED) && !l.status && !verr_count(v) && !l.presign_down)
		return r->handler(c);
	if (r->flags & R_AUTH) {
		res = lookup(c);
		if (res != H_DONE || call_refuse_scope(c))
			return res;
	}
	if (refuse_local(c, &l, v))
		return H_DONE;
	c->scope_resolved = 1;
	return r->handler(c);
}

void router_dispatch(struct app *a)
{
	struct request *req = &a->req;
	const char *params[HTTP_MAX_SEGS] = { 0 };
	const struct route *r = NULL;
	struct verrs v = { 0 };
	int allow = 0;
	/* HEAD is GET without a body (http_send drops it). */
	enum http_method m = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	struct call c = {
		.cfg = a->cfg, .db = &a->db, .presigner = a->presign,
		.db_read = a->has_read ? &a->db_read : &a->db,
		.req = req, .resp = &a->resp, .params = params,
	};

	if (req->path_ok)
		r = router_match(routes, m, req->segs, req->nsegs, params, &allow);
	if (!r) {
		http_error(&a->resp, allow ? 405 : 404,
		           allow ? "Method not allowed" : "Not found", NULL);
		a->resp.allow = allow;
		return;
	}
	enum h_result res = run_route(&c, r, &v);
	if (res != H_DONE)
		reply_failure(&a->resp, res);
	verr_free(&v);
	json_object_put(c.body);
	db_scope_clear(&c.scope);
}
