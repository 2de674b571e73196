/* router.c - see router.h. */
#include "router.h"
#include "handlers.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static const struct route routes[] = {
	{ HTTP_GET, "/healthz", h_healthz, 0 },
	{ HTTP_GET, "/v1/openapi.json", h_openapi, 0 },
	{ HTTP_GET, "/v1/collections/{}/documents/{}", h_document_get,
	  R_AUTH | R_NAMESPACE },
	{ HTTP_PATCH, "/v1/collections/{}/documents/{}", h_document_patch,
	  R_AUTH | R_NAMESPACE },
	{ 0, NULL, NULL, 0 },
};

/* 1 when the pattern matches the segments; variable segments go to params. */
static int pattern_matches(const char *pattern, char *const *segs, int nsegs,
                           const char **params)
{
	const char *p = pattern;
	int i = 0, np = 0;

	while (*p == '/') {
		const char *end = strchr(p + 1, '/');
		size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
		if (i >= nsegs)
			return 0;
		if (len == 2 && p[1] == '{' && p[2] == '}')
			params[np++] = segs[i];
		else if (strlen(segs[i]) != len || strncmp(segs[i], p + 1, len) != 0)
			return 0;
		i++;
		if (!end)
			break;
		p = end;
	}
	return i == nsegs;
}

const struct route *router_match(const struct route *table, enum http_method m,
                                 char *const *segs, int nsegs,
                                 const char **params, int *allow)
{
	*allow = 0;
	for (const struct route *r = table; r->pattern; r++) {
		const char *tmp[HTTP_MAX_SEGS] = { 0 };
		if (!pattern_matches(r->pattern, segs, nsegs, tmp))
			continue;
		*allow |= r->methods;
		if (r->methods & m) {
			memcpy(params, tmp, sizeof tmp);
			return r;
		}
	}
	return NULL;
}

void router_allow_header(int methods, char *out, size_t outlen)
{
	static const struct { int m; const char *name; } names[] = {
		{ HTTP_GET, "GET" }, { HTTP_HEAD, "HEAD" }, { HTTP_POST, "POST" },
		{ HTTP_PUT, "PUT" }, { HTTP_PATCH, "PATCH" }, { HTTP_DELETE, "DELETE" },
	};
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!(methods & names[i].m))
			continue;
		int n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "",
		                 names[i].name);
		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
}

void router_dispatch(struct app *a)
{
	struct request *req = &a->req;
	struct response *resp = &a->resp;
	const char *params[HTTP_MAX_SEGS] = { 0 };
	const struct route *r = NULL;
	int allow = 0;
	/* HEAD is GET without a body (http_send drops it). */
	enum http_method m = req->method == HTTP_HEAD ? HTTP_GET : req->method;

	if (req->path_ok)
		r = router_match(routes, m, req->segs, req->nsegs, params, &allow);
	if (!r) {
		if (allow) {
			char hdr[64];
			router_allow_header(allow, hdr, sizeof hdr);
			http_error(resp, 405, "Method not allowed", NULL);
			http_add_header(resp, "Allow", hdr);
		} else {
			http_error(resp, 404, "Not found", NULL);
		}
		return;
	}
	if ((r->flags & R_AUTH) && !req->authorization) {
		/* Apache strips Authorization for FastCGI and CGI unless told. */
		log_info(req->request_id, "no Authorization header reached docapi; "
		         "behind Apache this needs \"CGIPassAuth On\"");
		http_error(resp, 401, "Missing bearer token", NULL);
		return;
	}
	/* R_NAMESPACE (400 for a missing or repeated X-Namespace) is checked by
	 * the handler once the key is known valid: 401 comes first. */
	r->handler(a, params);
}
