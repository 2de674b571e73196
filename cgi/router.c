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
	  R_DOCUMENT | R_DOC_QUERY, doc_patch_check_syntax },
	{ HTTP_DELETE, "/v1/collections/{}/documents/{}", h_document_delete,
	  R_AUTH | R_NAMESPACE | R_WRITE | R_COLLECTION | R_DOCUMENT, NULL },
	{ 0, NULL, NULL, 0, NULL },
};

/* How specific a pattern that matches the segments is (literal segments
 * weigh more the further left they are), or -1 when it does not match.
 * Variable segments go to params. */
static int pattern_matches(const char *pattern, char *const *segs, int nsegs,
                           const char **params)
{
	const char *p = pattern;
	int i = 0, np = 0, weight = 0;

	while (*p == '/') {
		const char *end = strchr(p + 1, '/');
		size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
		if (i >= nsegs)
			return -1;
		if (len == 2 && p[1] == '{' && p[2] == '}')
			params[np++] = segs[i];
		else if (strlen(segs[i]) != len || strncmp(segs[i], p + 1, len) != 0)
			return -1;
		else
			weight |= 1 << (HTTP_MAX_SEGS - 1 - i);
		i++;
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

/* Credentials, namespace and role (contract section 1), in that order,
 * resolving the path's collection and document in the same round trip.
 * Returns H_DONE with c->scope filled and resp unset to go on. */
static enum h_result authorize(struct call *c, int flags, int *answered)
{
	const struct request *req = c->req;
	struct db_scope *s = &c->scope;
	unsigned char hash[32];
	size_t klen = 0;
	const char *key = auth_bearer_key(req->authorization, &klen);
	const char *ns = req->x_namespace_count == 1 ? req->x_namespace : NULL;
	const char *msg = NULL;
	int status = 0;

	*answered = 1;
	if (!req->authorization)
		/* Apache strips Authorization for FastCGI and CGI unless told. */
		log_info(req->request_id, "no Authorization header reached docapi; "
		         "behind Apache this needs \"CGIPassAuth On\"");
	if (!key) {
		http_error(c->resp, 401, req->authorization ? "Authorization must be "
		           "\"Bearer <api key>\"" : "Missing bearer token", NULL);
		return H_DONE;
	}
	if (!auth_key_well_formed(key, klen)) {
		http_error(c->resp, 401, "Invalid or expired API key", NULL);
		return H_DONE;
	}
	auth_hash_key(key, klen, hash);
	/* The key is checked even without a usable X-Namespace: 401 before 400. */
	enum db_status st = db_resolve_scope(c->db, req->request_id, hash, ns,
	                                     (flags & R_COLLECTION) ? c->params[0] : NULL,
	                                     (flags & R_DOCUMENT) ? c->params[1] : NULL, s);
	if (st != DB_OK)
		return h_of_db(st);
	if (!s->key_found || !s->key_valid)
		status = 401, msg = "Invalid or expired API key";
	else if (!(flags & R_NAMESPACE))
		status = 0;
	else if (req->x_namespace_count > 1)
		status = 400, msg = "X-Namespace header sent more than once";
	else if (!ns)
		status = 400, msg = "X-Namespace header is required";
	else if (!s->ns_id)
		status = 404;
	else if (!s->ns_allowed)
		status = 403, msg = "This API key may not access this namespace";
	else if (!auth_role_allows(s->role, (flags & R_WRITE) != 0))
		status = 403, msg = "This API key is read-only";
	if (status == 404)
		http_error(c->resp, 404, "Namespace not found",
		           http_not_found_details("namespace", req->x_namespace));
	else if (status)
		http_error(c->resp, status, msg, NULL);
	*answered = status != 0;
	return H_DONE;
}

/* Media type, size, then the body parsed and checked (problems to v).
 * Returns 1 when the response is set (415, 400, 413). */
static int take_body_or_reply(struct call *c, const struct route *r,
                              struct verrs *v)
{
	const struct request *req = c->req;
	enum body_kind kind = body_kind_of(req->content_type);

	if ((r->flags & R_BODY_JSON) && kind != BODY_NONE &&
	    !body_is_plain_json(req->content_type))
		kind = BODY_NONE;
	if (kind == BODY_NONE && (req->has_body || req->content_type)) {
		http_error(c->resp, 415, (r->flags & R_BODY_PATCH)
		           ? "Content-Type must be application/json, "
		             "application/merge-patch+json or application/json-patch+json"
		           : "Content-Type must be application/json", NULL);
		return 1;
	}
	if (req->body_truncated) {
		http_error(c->resp, 400, "Request body is shorter than its Content-Length", NULL);
		return 1;
	}
	if (req->body_too_large) {
		char msg[96];
		snprintf(msg, sizeof msg, "Request body exceeds %ld bytes", c->cfg->body_limit);
		http_error(c->resp, 413, msg, NULL);
		return 1;
	}
	c->body_kind = kind == BODY_NONE ? BODY_MERGE_PATCH : kind;
	c->body = body_parse_json(req->body.data ? req->body.data : "", req->body.len,
	                          (int)c->cfg->max_depth, v);
	if (c->body && r->check)
		r->check(c->body_kind, c->body, v);
	return 0;
}

/* Query parameters of section 4; problems go to v. */
static void parse_doc_query(const char *query, struct doc_query *q, struct verrs *v)
{
	static const char *const names[] = { "return_url", "return_presigned_urls",
	                                     "return_vectors" };
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
		if (i == 2)
			q->return_vectors = b;
		else
			q->return_url |= b;
	}
}

/* What exists (404) and what must be available (503), after syntax. */
static int locate_or_reply(struct call *c, int flags)
{
	if ((flags & R_COLLECTION) && !c->scope.col_id) {
		http_error(c->resp, 404, "Collection not found",
		           http_not_found_details("collection", c->params[0]));
		return 1;
	}
	if ((flags & R_DOCUMENT) && !c->scope.doc.pk) {
		http_error(c->resp, 404, "Document not found",
		           http_not_found_details("document", c->params[1]));
		return 1;
	}
	if ((flags & R_DOC_QUERY) && c->query.return_url &&
	    !presigner_ready(c->presigner, c->req->request_id)) {
		/* credentials.c logs the reason once; this is per request. */
		log_info(c->req->request_id, "presigned URLs requested but no S3 "
		         "credentials are available");
		http_error(c->resp, 503, "Presigned URLs are not available: "
		           "S3 presigning is not configured on this server", NULL);
		return 1;
	}
	return 0;
}

/* Runs the checks of r's flags, then r's handler. */
static enum h_result run_route(struct call *c, const struct route *r,
                               struct verrs *v)
{
	int answered = 0;
	enum h_result res;

	if (r->flags & R_AUTH) {
		res = authorize(c, r->flags, &answered);
		if (res != H_DONE || answered)
			return res;
	}
	if ((r->flags & (R_BODY_JSON | R_BODY_PATCH)) && take_body_or_reply(c, r, v))
		return H_DONE;
	if (r->flags & R_DOC_QUERY)
		parse_doc_query(c->req->query, &c->query, v);
	if (verr_count(v)) {
		verr_respond(v, c->resp);
		return H_DONE;
	}
	if (locate_or_reply(c, r->flags))
		return H_DONE;
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
