/* http.c - see http.h. */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long retry_after_seconds = 1;

void http_set_retry_after(long seconds)
{
	retry_after_seconds = seconds;
}

/* ---- reading the request ------------------------------------------------ */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int http_pct_decode(const char *s, size_t n, char *out, int plus_is_space)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (plus_is_space && s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return util_utf8_valid(out, o) ? 0 : -1;
}

/* Splits a raw path ("/v1/a%20b") into decoded segments. */
static void split_path(struct request *req, const char *path, size_t len)
{
	const char *p = path, *end = path + len;

	req->path_ok = 0;
	if (len == 0 || *p != '/')
		return;
	p++;
	while (p <= end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *seg_end = slash ? slash : end;
		size_t n = (size_t)(seg_end - p);
		if (req->nsegs == HTTP_MAX_SEGS)
			return;
		/* Empty segments ("//", trailing "/") and dot segments never name
		 * a resource: REQUEST_URI is raw while the server normalised the
		 * path it checked, so refuse them outright. */
		if (n == 0)
			return;
		char *seg = xmalloc(n + 1);
		if (http_pct_decode(p, n, seg, 0) != 0 || strcmp(seg, ".") == 0 ||
		    strcmp(seg, "..") == 0 || strlen(seg) > 256) {
			free(seg);
			return;
		}
		req->segs[req->nsegs++] = seg;
		if (!slash)
			break;
		p = slash + 1;
	}
	req->path_ok = 1;
}

/* Derives the route from REQUEST_URI (raw), falling back to
 * SCRIPT_NAME + PATH_INFO only when a server sends no REQUEST_URI. */
static void read_route(struct request *req, const char *uri, const char *script,
                       const char *pathinfo, const char *prefix)
{
	struct buf tmp = { 0 };
	const char *path;
	size_t len, plen = strlen(prefix);

	if (!uri || !*uri) {
		buf_puts(&tmp, script ? script : "");
		buf_puts(&tmp, pathinfo ? pathinfo : "");
		uri = tmp.data ? tmp.data : "";
	}
	/* Apache passes the absolute form when the client used one. */
	const char *scheme = strstr(uri, "://");
	if (scheme && scheme < strchr(uri, '/') + 1 && uri[0] != '/') {
		const char *slash = strchr(scheme + 3, '/');
		uri = slash ? slash : "/";
	}
	path = uri;
	len = strcspn(path, "?#");
	if (plen) {
		if (len < plen || strncmp(path, prefix, plen) != 0 ||
		    (len > plen && path[plen] != '/')) {
			req->path_ok = 0;
			goto cleanup;
		}
		path += plen;
		len -= plen;
	}
	split_path(req, path, len);
cleanup:
	buf_free(&tmp);
}

static enum http_method parse_method(const char *m)
{
	static const struct { const char *name; enum http_method m; } t[] = {
		{ "GET", HTTP_GET }, { "PATCH", HTTP_PATCH }, { "PUT", HTTP_PUT },
		{ "POST", HTTP_POST }, { "DELETE", HTTP_DELETE }, { "HEAD", HTTP_HEAD },
	};
	for (size_t i = 0; m && i < sizeof t / sizeof t[0]; i++)
		if (strcmp(m, t[i].name) == 0)
			return t[i].m;
	return HTTP_OTHER;
}

static int sane_request_id(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (!(isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':'))
			return 0;
	}
	return n > 0 && n < 65;
}

/* Value of a NAME=value entry when it names `name`, else NULL. */
static const char *env_match(const char *entry, const char *name, size_t nlen)
{
	if (strncmp(entry, name, nlen) == 0 && entry[nlen] == '=')
		return entry + nlen + 1;
	return NULL;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/*
 * Reads the body to end of stream, at most body_limit bytes. CONTENT_LENGTH
 * (clen, may be NULL) is only a hint: it may be missing, empty or 0 while a
 * body streams in (mod_proxy_fcgi, mod_cgi).
 */
static void read_body(struct request *req, const struct http_io *io,
                      const char *clen, long body_limit)
{
	unsigned long long declared = 0;
	int has_declared = 0;
	if (clen && *clen) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(clen, &end, 10);
		if (!errno && !*end && isdigit((unsigned char)clen[0])) {
			declared = n;
			has_declared = 1;
			if (n > 0)
				req->has_body = 1;
			if (n > (unsigned long long)body_limit) {
				req->body_too_large = 1;
				return;
			}
		}
	}
	for (;;) {
		char chunk[8192];
		int n = io->read(io->ctx, chunk, sizeof chunk);
		if (n <= 0)
			break;
		req->has_body = 1;
		if (req->body.len + (size_t)n > (size_t)body_limit) {
			req->body_too_large = 1;
			break;
		}
		buf_append(&req->body, chunk, (size_t)n);
	}
	/* A server that gave up on the body (mod_fcgid past its own limit)
	 * can hand over less than it announced: never treat that as the body. */
	if (has_declared && !req->body_too_large && req->body.len < declared)
		req->body_truncated = 1;
}

void http_read_request(struct request *req, const struct http_io *io,
                       const char *mount_prefix, long body_limit,
                       int method_override)
{
	const char *uri = NULL, *script = NULL, *pathinfo = NULL, *method = NULL;
	const char *override = NULL;
	const char *clen = NULL, *auth = NULL, *redirect_auth = NULL, *rid = NULL;

	req->io = io;
	/* One pass over the environment. The first copy of a name wins, as in
	 * FCGX_GetParam, except X-Namespace, whose copies are counted. */
#define TAKE(var, NAME)                                                    \
	if (!var && (v = env_match(e, NAME, sizeof NAME - 1)) != NULL) {       \
		var = v;                                                           \
		continue;                                                          \
	}
	for (char **ep = io->envp; ep && *ep; ep++) {
		const char *e = *ep, *v;
		if (e[0] == 'H' && (v = env_match(e, "HTTP_X_NAMESPACE", 16)) != NULL) {
			if (req->x_namespace_count++ == 0)
				req->x_namespace = v;
			continue;
		}
		TAKE(method, "REQUEST_METHOD");
		TAKE(uri, "REQUEST_URI");
		TAKE(req->query, "QUERY_STRING");
		TAKE(script, "SCRIPT_NAME");
		TAKE(pathinfo, "PATH_INFO");
		TAKE(clen, "CONTENT_LENGTH");
		TAKE(req->content_type, "CONTENT_TYPE");
		TAKE(auth, "HTTP_AUTHORIZATION");
		TAKE(redirect_auth, "REDIRECT_HTTP_AUTHORIZATION");
		TAKE(req->if_match, "HTTP_IF_MATCH");
		TAKE(req->if_none_match, "HTTP_IF_NONE_MATCH");
		TAKE(req->prefer, "HTTP_PREFER");
		TAKE(req->idempotency_key, "HTTP_IDEMPOTENCY_KEY");
		TAKE(rid, "HTTP_X_REQUEST_ID");
		TAKE(override, "HTTP_X_HTTP_METHOD_OVERRIDE");
	}
#undef TAKE
	req->method = parse_method(method);
	if (method_override && override && req->method == HTTP_POST) {
		enum http_method m = parse_method(override);
		if (m == HTTP_PATCH || m == HTTP_PUT || m == HTTP_DELETE)
			req->method = m;
	}
	/* Apache's rewrite tricks set an empty HTTP_AUTHORIZATION when the
	 * client sent none; an empty value counts as absent. */
	req->authorization = nonempty(auth) ? auth : nonempty(redirect_auth);
	req->content_type = nonempty(req->content_type);
	req->if_match = nonempty(req->if_match);
	req->if_none_match = nonempty(req->if_none_match);
	req->prefer = nonempty(req->prefer);
	if (req->x_namespace && strchr(req->x_namespace, ','))
		req->x_namespace_count++; /* "a, b": the header came twice */
	if (req->x_namespace && !*req->x_namespace && req->x_namespace_count == 1) {
		req->x_namespace = NULL;
		req->x_namespace_count = 0;
	}
	/* A name that is not UTF-8 can name no namespace (names and ids are
	 * ASCII), but PostgreSQL fails the whole lookup on it (500). Look up
	 * U+FFFD instead: 404 "Namespace not found", with an id that is valid
	 * JSON text. */
	if (req->x_namespace && !util_utf8_valid(req->x_namespace, strlen(req->x_namespace)))
		req->x_namespace = "\xEF\xBF\xBD";
	if (!req->query)
		req->query = "";

	if (rid && sane_request_id(rid)) {
		snprintf(req->request_id, sizeof req->request_id, "%s", rid);
	} else {
		util_unique_id(req->request_id);
	}

	read_route(req, uri, script, pathinfo, mount_prefix);

	read_body(req, io, clen, body_limit);
	if (req->content_type)
		req->has_body = 1;
}

void http_request_reset(struct request *req)
{
	struct buf body = req->body;
	for (int i = 0; i < req->nsegs; i++)
		free(req->segs[i]);
	memset(req, 0, sizeof *req);
	buf_reset(&body);
	req->body = body;
}

void http_request_free(struct request *req)
{
	http_request_reset(req);
	buf_free(&req->body);
}

/* ---- writing the response ----------------------------------------------- */

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 503: return "Service Unavailable";
	default: return status >= 500 ? "Internal Server Error" : "Error";
	}
}

const char *http_error_type(int status)
{
	switch (status) {
	case 400: return "BadRequestError";
	case 401: return "UnauthorizedError";
	case 403: return "ForbiddenError";
	case 404: return "NotFoundError";
	case 405: return "MethodNotAllowedError";
	case 409: return "ConflictError";
	case 411: return "LengthRequiredError";
	case 412: return "PreconditionFailedError";
	case 413: return "PayloadTooLargeError";
	case 415: return "UnsupportedMediaTypeError";
	case 503: return "ServiceUnavailableError";
	default: return "InternalServerError";
	}
}

void http_error_reset(struct response *resp)
{
	resp->etag = 0;
	resp->allow = 0;
	resp->preference_applied = NULL;
	resp->replayed = 0;
	buf_reset(&resp->location);
}

void http_response_reset(struct response *resp)
{
	resp->status = 0;
	http_error_reset(resp);
	buf_reset(&resp->body);
}

void http_response_free(struct response *resp)
{
	buf_free(&resp->body);
	buf_free(&resp->location);
}

void http_set_body(struct response *resp, int status, const char *json, size_t len)
{
	resp->status = status;
	buf_reset(&resp->body);
	buf_append(&resp->body, json, len);
}

void http_set_json(struct response *resp, int status, struct json_object *obj)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	resp->status = status;
	buf_reset(&resp->body);
	buf_append(&resp->body, s, len);
}

void http_error(struct response *resp, int status, const char *message,
                struct json_object *details)
{
	struct json_object *root = json_object_new_object();
	struct json_object *err = json_object_new_object();

	json_object_object_add(root, "success", json_object_new_boolean(0));
	json_object_object_add(root, "status", json_object_new_int(status));
	json_object_object_add(err, "message", json_object_new_string(message));
	json_object_object_add(err, "type", json_object_new_string(http_error_type(status)));
	if (details)
		json_object_object_add(err, "details", details);
	json_object_object_add(root, "error", err);
	http_error_reset(resp);
	http_set_json(resp, status, root);
	json_object_put(root);
}

struct json_object *http_not_found_details(const char *resource, const char *id)
{
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "resource", json_object_new_string(resource));
	json_object_object_add(d, "id", json_object_new_string(id ? id : ""));
	return d;
}

void http_allow_list(int methods, char *out, size_t outlen)
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

/*
 * The name Location is sent under. Apache's CGI handlers (mod_cgid, and
 * mod_fcgid with CGI semantics) take a Location on a 200 for a CGI
 * redirect (RFC 3875 6.2.2, 6.2.3): a local path re-runs the request as a
 * GET of it, anything else becomes a 302, so a create's 200 could never
 * reach the client. Their shipped configurations set
 * DOCAPI_LOCATION_HEADER (per request, SetEnv) to another name, which
 * mod_headers renames back to Location. Any other value than a header
 * token (1..64 of A-Z a-z 0-9 -) is ignored.
 */
static const char *location_header(const struct request *req)
{
	static const char name[] = "DOCAPI_LOCATION_HEADER";
	static const char token[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-";

	for (char **ep = req->io ? req->io->envp : NULL; ep && *ep; ep++) {
		const char *v = env_match(*ep, name, sizeof name - 1);
		if (v) {
			size_t n = strlen(v);
			return n >= 1 && n <= 64 && strspn(v, token) == n ? v : "Location";
		}
	}
	return "Location";
}

int http_send(const struct request *req, const struct response *resp)
{
	struct buf out = { 0 };
	int rc, status = resp->status ? resp->status : 500;
	int has_body = status != 204 && status != 304 && req->method != HTTP_HEAD;

	buf_reserve(&out, 320 + (has_body ? resp->body.len : 0));
	buf_printf(&out, "Status: %d %s\r\n", status, http_reason(status));
	if (status != 204 && status != 304)
		buf_puts(&out, "Content-Type: application/json\r\n");
	buf_puts(&out, "X-Request-Id: ");
	buf_puts(&out, req->request_id);
	buf_puts(&out, "\r\nCache-Control: no-store\r\n");
	if (resp->etag)
		buf_printf(&out, "ETag: \"%lld\"\r\n", resp->etag);
	if (resp->allow) {
		char allow[64];
		http_allow_list(resp->allow, allow, sizeof allow);
		buf_printf(&out, "Allow: %s\r\n", allow);
	}
	if (resp->preference_applied)
		buf_printf(&out, "Preference-Applied: %s\r\n", resp->preference_applied);
	if (resp->location.len)
		buf_printf(&out, "%s: %s\r\n", location_header(req), resp->location.data);
	if (resp->replayed)
		buf_puts(&out, "Idempotent-Replayed: true\r\n");
	if (status == 401)
		buf_puts(&out, "WWW-Authenticate: Bearer\r\n");
	if (status == 503)
		buf_printf(&out, "Retry-After: %ld\r\n", retry_after_seconds);
	if (status != 204 && status != 304)
		buf_printf(&out, "Content-Length: %lu\r\n", (unsigned long)resp->body.len);
	buf_puts(&out, "\r\n");
	if (has_body)
		buf_append(&out, resp->body.data ? resp->body.data : "", resp->body.len);
	rc = req->io->write(req->io->ctx, out.data, (int)out.len);
	buf_free(&out);
	return rc < 0 ? -1 : 0;
}

/* ---- validation errors (422) -------------------------------------------- */

void verr_respond(struct verrs *v, struct response *resp)
{
	struct json_object *root = json_object_new_object();
	json_object_object_add(root, "detail", verr_take(v));
	http_error_reset(resp);
	http_set_json(resp, 422, root);
	json_object_put(root);
}

/* ---- query strings ------------------------------------------------------ */

int http_parse_bool(const char *s)
{
	if (!strcasecmp(s, "true") || !strcmp(s, "1"))
		return 1;
	if (!strcasecmp(s, "false") || !strcmp(s, "0"))
		return 0;
	return -1;
}

int http_query_int(const char *query, const char *name, long long min,
                   long long max, long long *out)
{
	char value[32];
	size_t n;

	if (!http_query_param(query, name, value, sizeof value))
		return 0;
	n = strlen(value);
	/* Plain decimal: no sign, no spaces, at most 18 digits (no overflow). */
	if (n < 1 || n > 18 || strspn(value, "0123456789") != n)
		return -1;
	long long v = strtoll(value, NULL, 10);
	if (v < min || v > max)
		return -1;
	*out = v;
	return 1;
}

int http_query_next(const char **pos, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = *pos;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t klen = eq ? (size_t)(eq - p) : len;
		const char *next = amp ? amp + 1 : NULL;
		if (klen == nlen && strncmp(p, name, nlen) == 0) {
			const char *val = eq ? eq + 1 : p + len;
			size_t vlen = eq ? len - klen - 1 : 0;
			if (vlen >= outlen || http_pct_decode(val, vlen, out, 1) != 0)
				snprintf(out, outlen, "%s", "\x01invalid");
			*pos = next;
			return 1;
		}
		p = next;
	}
	*pos = NULL;
	return 0;
}

int http_query_param(const char *query, const char *name, char *out, size_t outlen)
{
	const char *pos = query;
	int found = 0;

	/* The last occurrence wins, as in most frameworks. */
	while (http_query_next(&pos, name, out, outlen))
		found = 1;
	return found;
}
