/* test_http.c - routing, request parsing, query booleans and error bodies. */
#include "check.h"
#include "http.h"
#include "router.h"
#include "body.h"

#include <stdlib.h>

/* A request fed from a fixed environment and body. */
struct fake {
	const char *body;
	size_t off;
	struct buf out;
};

static int fake_read(void *ctx, char *buf, int n)
{
	struct fake *f = ctx;
	size_t left = strlen(f->body) - f->off;
	size_t k = left < (size_t)n ? left : (size_t)n;
	memcpy(buf, f->body + f->off, k);
	f->off += k;
	return (int)k;
}

static int fake_write(void *ctx, const char *buf, int n)
{
	buf_append(&((struct fake *)ctx)->out, buf, (size_t)n);
	return n;
}

static void read_req(struct request *req, struct fake *f, char **env,
                     const char *prefix, long limit)
{
	static struct http_io io;
	io.read = fake_read;
	io.write = fake_write;
	io.envp = env;
	io.ctx = f;
	http_request_reset(req);
	http_read_request(req, &io, prefix, limit, 1);
}

static void test_routes(void)
{
	struct request req = { 0 };
	struct fake f = { "", 0, { 0 } };
	char *env1[] = { "REQUEST_METHOD=PATCH",
	                 "REQUEST_URI=/api/v1/collections/col_a%20b/documents/doc_1?x=1",
	                 "HTTP_X_NAMESPACE=prod", "HTTP_X_NAMESPACE=other", NULL };
	read_req(&req, &f, env1, "/api", 100);
	CHECK(req.path_ok, "prefixed path parses");
	CHECK(req.nsegs == 5, "five segments");
	CHECK_STR(req.segs[2], "col_a b", "segment percent-decoded");
	CHECK(req.method == HTTP_PATCH, "method");
	CHECK(req.x_namespace_count == 2, "duplicate X-Namespace counted");
	char *envo[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/x",
	                 "HTTP_X_HTTP_METHOD_OVERRIDE=PATCH", NULL };
	read_req(&req, &f, envo, "", 100);
	CHECK(req.method == HTTP_PATCH, "POST + X-HTTP-Method-Override: PATCH");
	char *envo2[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/x",
	                  "HTTP_X_HTTP_METHOD_OVERRIDE=PATCH", NULL };
	read_req(&req, &f, envo2, "", 100);
	CHECK(req.method == HTTP_GET, "override only applies to POST");

	static const struct { const char *uri; int ok; const char *why; } cases[] = {
		{ "/v1/collections/c/documents/d", 1, "plain" },
		{ "http://host:8080/v1/collections/c/documents/d", 1, "absolute form" },
		{ "/v1/collections/c/documents/d?q=1#f", 1, "query cut" },
		{ "/v1/collections/../documents/d", 0, "dot-dot segment" },
		{ "/v1/collections/./documents/d", 0, "dot segment" },
		{ "/v1//collections", 0, "empty segment" },
		{ "/v1/collections/a%00b/documents/d", 0, "NUL escape" },
		{ "/v1/collections/a%zzb/documents/d", 0, "bad escape" },
		{ "/v1/collections/a%c3%28/documents/d", 0, "invalid UTF-8" },
		{ "/v1/collections/a%2", 0, "truncated escape" },
		{ "/1/2/3/4/5/6/7/8/9", 0, "too deep" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char uri[200];
		snprintf(uri, sizeof uri, "REQUEST_URI=%s", cases[i].uri);
		char *env[] = { "REQUEST_METHOD=GET", uri, NULL };
		read_req(&req, &f, env, "", 100);
		CHECK(req.path_ok == cases[i].ok, cases[i].why);
	}
	char *env2[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/other/v1/x", NULL };
	read_req(&req, &f, env2, "/api", 100);
	CHECK(!req.path_ok, "path outside the mount prefix");
	char *env3[] = { "REQUEST_METHOD=GET", "SCRIPT_NAME=/v1", "PATH_INFO=/collections/c/documents/d", NULL };
	read_req(&req, &f, env3, "", 100);
	CHECK(req.path_ok && req.nsegs == 5, "fallback to SCRIPT_NAME + PATH_INFO");

	/* The route table: 404 vs 405 + Allow. */
	char *segs[] = { "v1", "collections", "c", "documents", "d" };
	const char *params[HTTP_MAX_SEGS];
	int allow;
	static const struct route table[] = {
		{ HTTP_GET, "/v1/collections/{}/documents/{}", NULL, 0, NULL },
		{ HTTP_PATCH, "/v1/collections/{}/documents/{}", NULL, 0, NULL },
		{ HTTP_POST, "/v1/collections/{}/documents/list", NULL, 0, NULL },
		{ HTTP_POST | HTTP_DELETE, "/v1/collections/{}/documents/batch", NULL, 0, NULL },
		{ HTTP_GET, "/v1/collections/{}/documents/{}/lineage", NULL, 0, NULL },
		{ 0, NULL, NULL, 0, NULL },
	};
	CHECK(router_match(table, HTTP_GET, segs, 5, params, &allow) == &table[0], "GET matches");
	CHECK_STR(params[0], "c", "first param");
	CHECK_STR(params[1], "d", "second param");
	CHECK(router_match(table, HTTP_POST, segs, 5, params, &allow) == NULL && allow == (HTTP_GET | HTTP_PATCH), "POST is 405");
	char hdr[64];
	http_allow_list(allow, hdr, sizeof hdr);
	CHECK_STR(hdr, "GET, PATCH", "Allow header");
	CHECK(router_match(table, HTTP_GET, segs, 4, params, &allow) == NULL && allow == 0, "short path is 404");
	/* Literal segments beat {document_id}, whatever the method. */
	char *lsegs[] = { "v1", "collections", "c", "documents", "list", "lineage" };
	CHECK(router_match(table, HTTP_POST, lsegs, 5, params, &allow) == &table[2], "POST list is the list route");
	CHECK(router_match(table, HTTP_GET, lsegs, 5, params, &allow) == NULL && allow == HTTP_POST,
	      "GET .../documents/list is 405 Allow: POST, not a document");
	CHECK(router_match(table, HTTP_PATCH, lsegs, 5, params, &allow) == NULL && allow == HTTP_POST,
	      "PATCH .../documents/list is 405");
	lsegs[4] = "batch";
	CHECK(router_match(table, HTTP_GET, lsegs, 5, params, &allow) == NULL &&
	      allow == (HTTP_POST | HTTP_DELETE), "GET .../documents/batch: Allow POST, DELETE");
	http_allow_list(allow, hdr, sizeof hdr);
	CHECK_STR(hdr, "POST, DELETE", "Allow of batch");
	CHECK(router_match(table, HTTP_DELETE, lsegs, 5, params, &allow) == &table[3], "DELETE batch");
	lsegs[4] = "doc_1";
	CHECK(router_match(table, HTTP_GET, lsegs, 6, params, &allow) == &table[4], "lineage of a document");
	CHECK_STR(params[1], "doc_1", "lineage param");
	http_request_free(&req);
	buf_free(&f.out);
}

/* The response as http_send() writes it (a static buffer, per call). */
static const char *sent(const struct response *resp)
{
	static struct fake out = { "", 0, { 0 } };
	static char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/x", NULL };
	static struct request req;
	static struct http_io io = { fake_read, fake_write, env, &out };
	out.off = 0;
	http_request_reset(&req);
	http_read_request(&req, &io, "", 100, 0);
	buf_reset(&out.out);
	http_send(&req, resp);
	return out.out.data ? out.out.data : "";
}

static void test_headers_and_body(void)
{
	struct request req = { 0 };
	struct fake f = { "{\"a\":1}", 0, { 0 } };
	char *env[] = { "REQUEST_METHOD=PATCH", "REQUEST_URI=/healthz",
	                "HTTP_AUTHORIZATION=", "REDIRECT_HTTP_AUTHORIZATION=Bearer k",
	                "CONTENT_LENGTH=", "CONTENT_TYPE=application/json",
	                "HTTP_X_REQUEST_ID=abc-123", NULL };
	read_req(&req, &f, env, "", 100);
	CHECK_STR(req.authorization, "Bearer k", "empty Authorization falls back to REDIRECT_");
	CHECK_STR(req.body.data, "{\"a\":1}", "body read to EOF without a length");
	CHECK_STR(req.request_id, "abc-123", "sane request id echoed");
	struct fake f2 = { "0123456789", 0, { 0 } };
	char *env2[] = { "REQUEST_METHOD=PATCH", "REQUEST_URI=/x",
	                 "HTTP_X_REQUEST_ID=bad id\x01", NULL };
	read_req(&req, &f2, env2, "", 5);
	CHECK(req.body_too_large, "body over the limit");
	CHECK(strlen(req.request_id) == 24, "generated request id");
	struct fake f3 = { "", 0, { 0 } };
	char *env3[] = { "REQUEST_METHOD=PATCH", "REQUEST_URI=/x", "CONTENT_LENGTH=999", NULL };
	read_req(&req, &f3, env3, "", 5);
	CHECK(req.body_too_large, "Content-Length over the limit");

	/* Error bodies. */
	struct response resp = { 0 };
	http_error(&resp, 404, "Namespace not found", http_not_found_details("namespace", "ns_1"));
	CHECK_STR(resp.body.data, "{\"success\":false,\"status\":404,\"error\":{\"message\":"
	          "\"Namespace not found\",\"type\":\"NotFoundError\",\"details\":"
	          "{\"resource\":\"namespace\",\"id\":\"ns_1\"}}}", "404 body shape");
	http_response_reset(&resp);
	http_error(&resp, 401, "x", NULL);
	CHECK(strstr(sent(&resp), "WWW-Authenticate: Bearer\r\n") != NULL, "401 challenge");
	http_response_reset(&resp);
	resp.etag = 5;
	CHECK(strstr(sent(&resp), "ETag: \"5\"\r\n") != NULL, "ETag from the field");
	http_error(&resp, 503, "x", NULL);
	CHECK(strstr(sent(&resp), "Retry-After: ") != NULL, "503 Retry-After");
	CHECK(strstr(sent(&resp), "ETag") == NULL, "an error drops the ETag set before");
	CHECK(strstr(resp.body.data, "ServiceUnavailableError") != NULL, "503 type");
	http_response_reset(&resp);
	struct verrs v = { 0 };
	verr_add(&v, "must be an object", "type_error.dict", "body", "metadata", NULL, NULL);
	verr_add(&v, "bad", "type_error.bool", "query", "return_url", NULL, NULL);
	verr_add(&v, "m", "t", "body", "document_blobs", "#2", "url");
	verr_respond(&v, &resp);
	CHECK_STR(resp.body.data, "{\"detail\":[{\"loc\":[\"body\",\"metadata\"],\"msg\":"
	          "\"must be an object\",\"type\":\"type_error.dict\"},{\"loc\":[\"query\","
	          "\"return_url\"],\"msg\":\"bad\",\"type\":\"type_error.bool\"},{\"loc\":"
	          "[\"body\",\"document_blobs\",2,\"url\"],\"msg\":\"m\",\"type\":\"t\"}]}",
	          "422 FastAPI shape");
	CHECK(resp.status == 422, "422 status");
	/* The written response. */
	req.method = HTTP_GET;
	http_send(&req, &resp);
	CHECK(strncmp(f3.out.data, "Status: 422 Unprocessable Entity\r\n", 34) == 0, "Status line first");
	http_response_free(&resp);
	verr_free(&v);
	http_request_free(&req);
	buf_free(&f.out);
	buf_free(&f2.out);
	buf_free(&f3.out);
}

static void test_bool_and_query(void)
{
	static const struct { const char *s; int want; } b[] = {
		{ "true", 1 }, { "TRUE", 1 }, { "True", 1 }, { "1", 1 }, { "false", 0 },
		{ "FaLsE", 0 }, { "0", 0 }, { "yes", -1 }, { "", -1 }, { "2", -1 },
		{ "truee", -1 }, { " true", -1 },
	};
	for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
		CHECK(http_parse_bool(b[i].s) == b[i].want, b[i].s);
	char v[32];
	CHECK(http_query_param("a=1&return_url=tr%75e", "return_url", v, sizeof v) == 1, "found");
	CHECK_STR(v, "true", "decoded value");
	CHECK(http_query_param("return_urls=1", "return_url", v, sizeof v) == 0, "prefix is not a match");
	CHECK(http_query_param("x=1&y", "y", v, sizeof v) == 1 && v[0] == 0, "bare name");
}

static void test_body(void)
{
	static const struct { const char *body; int ok; const char *why; } cases[] = {
		{ "{\"a\":1}", 1, "object" },
		{ "[1,2]", 1, "array" },
		{ "  {\"a\":1}  \n", 1, "surrounding whitespace" },
		{ "{\"a\":1,}", 0, "trailing comma" },
		{ "{'a':1}", 0, "single quotes" },
		{ "{\"a\":1} x", 0, "trailing garbage" },
		{ "{\"a\":\"\\u0000\"}", 0, "NUL escape in a string" },
		{ "{\"\\u0000\":1}", 0, "NUL escape in a key" },
		{ "{\"a\":\"\\\\u0000\"}", 1, "escaped backslash then u0000 is text" },
		{ "{\"a\":\"\xc3\x28\"}", 0, "invalid UTF-8" },
		{ "{\"a\":1e400}", 0, "number beyond double range" },
		{ "", 0, "empty" },
		{ "12", 1, "bare number" },
		{ "{\"a\":-9223372036854775808}", 1, "int64 minimum" },
		{ "{\"a\":-9223372036854775809}", 0, "below int64" },
		{ "{\"a\":18446744073709551615}", 1, "uint64 maximum" },
		{ "{\"a\":18446744073709551616}", 0, "above uint64" },
		{ "{\"a\":99999999999999999999999}", 0, "huge integer" },
		{ "{\"a\":1e20}", 0, "double beyond 2^63" },
		{ "{\"a\":-1.5e300}", 0, "huge negative double" },
		{ "{\"a\":1.5e-300}", 1, "tiny double" },
		{ "{\"a\":9.2e18}", 1, "double below 2^63" },
		{ "{\"a\":\"\\ud800\"}", 0, "lone high surrogate" },
		{ "{\"a\":\"\\udc00x\"}", 0, "lone low surrogate" },
		{ "{\"a\":\"\\ud83d\\ude00\"}", 1, "surrogate pair" },
		{ "{\"a\":\"\\ud83dx\"}", 0, "high surrogate without its pair" },
		{ "{\"k-1\":[1,-2,3.5e2]}", 1, "numbers in arrays" },
		{ "{\"a\":-01}", 0, "leading zero" },
		{ "{\"a\":1.}", 0, "fraction without digits" },
		{ "{\"a\":1e}", 0, "exponent without digits" },
		{ "{\"a\":\"x\ty\"}", 0, "raw tab in a string" },
		{ "{}\f", 0, "form feed after the value" },
		{ "null", 0, "a null body" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct verrs v = { 0 };
		struct json_object *o = body_parse_json(cases[i].body, strlen(cases[i].body), 64, &v);
		CHECK((o != NULL) == cases[i].ok, cases[i].why);
		CHECK((verr_count(&v) == 0) == cases[i].ok, cases[i].why);
		json_object_put(o);
		verr_free(&v);
	}
	/* Depth: 64 levels of objects pass, 65 do not (json-c alone is off by
	 * one for objects). */
	for (int depth = 64; depth <= 65; depth++) {
		struct buf b = { 0 };
		struct verrs v = { 0 };
		for (int i = 0; i < depth; i++)
			buf_puts(&b, "{\"a\":");
		buf_puts(&b, "1");
		for (int i = 0; i < depth; i++)
			buf_putc(&b, '}');
		struct json_object *o = body_parse_json(b.data, b.len, 64, &v);
		CHECK((o != NULL) == (depth == 64), depth == 64 ? "64 objects ok" : "65 objects refused");
		json_object_put(o);
		verr_free(&v);
		buf_free(&b);
	}
	/* Depth: 64 levels of arrays pass, 65 do not. */
	for (int depth = 64; depth <= 65; depth++) {
		struct buf b = { 0 };
		struct verrs v = { 0 };
		for (int i = 0; i < depth; i++)
			buf_putc(&b, '[');
		for (int i = 0; i < depth; i++)
			buf_putc(&b, ']');
		struct json_object *o = body_parse_json(b.data, b.len, 64, &v);
		CHECK((o != NULL) == (depth == 64), depth == 64 ? "depth 64 ok" : "depth 65 refused");
		json_object_put(o);
		verr_free(&v);
		buf_free(&b);
	}
	CHECK(body_kind_of("application/json") == BODY_MERGE_PATCH, "json");
	CHECK(body_kind_of("Application/JSON; charset=utf-8") == BODY_MERGE_PATCH, "json with params");
	CHECK(body_kind_of("application/merge-patch+json") == BODY_MERGE_PATCH, "merge patch");
	CHECK(body_kind_of("application/json-patch+json") == BODY_JSON_PATCH, "json patch");
	CHECK(body_kind_of("text/plain") == BODY_NONE, "text/plain");
	CHECK(body_kind_of("application/jsonx") == BODY_NONE, "prefix only");
	CHECK(body_kind_of(NULL) == BODY_NONE, "missing");
}

int main(void)
{
	test_routes();
	test_headers_and_body();
	test_bool_and_query();
	test_body();
	return check_summary();
}
