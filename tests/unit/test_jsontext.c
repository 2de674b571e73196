/*
 * test_jsontext.c - walking JSON text without parsing it (jsontext.h), and
 * doc_json_presign_blobs(), its user on the return_url=true path.
 */
#include "check.h"
#include "../../cgi/doc_json.h"
#include "../../cgi/jsontext.h"
#include "../../cgi/util.h"

#include <stdlib.h>
#include <string.h>

/* The members of an object as "key=value;" pairs, or "ERR" on -1. */
static const char *members(const char *text, size_t len)
{
	static char out[512];
	struct jt_iter it;
	struct jt_slice k, v;
	size_t n = 0;
	int rc;

	if (jt_begin(&it, text, len, '{') != 0)
		return "NOTOBJ";
	while ((rc = jt_next_member(&it, &k, &v)) == 1)
		n += (size_t)snprintf(out + n, sizeof out - n, "%.*s=%.*s;",
		                      (int)k.len, k.p, (int)v.len, v.p);
	if (rc < 0)
		return "ERR";
	out[n] = '\0';
	return out;
}

static const char *elements(const char *text, size_t len)
{
	static char out[512];
	struct jt_iter it;
	struct jt_slice v;
	size_t n = 0;
	int rc;

	if (jt_begin(&it, text, len, '[') != 0)
		return "NOTARR";
	while ((rc = jt_next_element(&it, &v)) == 1)
		n += (size_t)snprintf(out + n, sizeof out - n, "%.*s;", (int)v.len, v.p);
	if (rc < 0)
		return "ERR";
	out[n] = '\0';
	return out;
}

#define M(text, want) CHECK_STR(members(text, strlen(text)), want, text)
#define E(text, want) CHECK_STR(elements(text, strlen(text)), want, text)

static void test_walk(void)
{
	M("{}", "");
	M(" \n{ \t}\n", "");
	M("{\"a\": 1, \"b\": [1, {\"c\": \"}\"}], \"d\\\"e\": \"x\\\\\"}",
	  "a=1;b=[1, {\"c\": \"}\"}];d\\\"e=\"x\\\\\";");
	M("{\"a\":{\"b\":{}},\"t\":true,\"n\":null,\"f\":-1.5e3}",
	  "a={\"b\":{}};t=true;n=null;f=-1.5e3;");
	M("{\"s\": \"],}{[\"}", "s=\"],}{[\";");
	E("[]", "");
	E("[1, \"a,b\", {\"x\":[]}, null, -1.5e3]", "1;\"a,b\";{\"x\":[]};null;-1.5e3;");
	E("[[[]],[{}]]", "[[]];[{}];");
	/* malformed text stops with -1 */
	M("{\"a\" 1}", "ERR");
	M("{\"a\":}", "ERR");
	M("{\"a\":1,}", "ERR");
	M("{\"a\":1 \"b\":2}", "ERR");
	M("{\"a\": \"unterminated", "ERR");
	M("{a:1}", "ERR");
	M("{", "ERR");
	E("[1 2]", "ERR");
	E("[1,]", "ERR");
	E("[", "ERR");
	E("[{\"a\":[1}", "ERR");
	M("[1]", "NOTOBJ");
	E("{}", "NOTARR");
	E("", "NOTARR");
	/* the length bounds every read: no NUL needed, none read past */
	CHECK_STR(elements("[1,2]", 3), "ERR", "cut at 3 bytes");
	CHECK_STR(members("{\"a\":\"bc\"}", 7), "ERR", "cut inside a string");
	CHECK_STR(elements("[\"\\", 3), "ERR", "cut after a backslash");
	CHECK_STR(members("{\"a\":1, \n", 9), "ERR", "cut after a comma (found by fuzzing)");
	CHECK_STR(elements("[1,", 3), "ERR", "cut right after a comma");
}

static void test_strings(void)
{
	struct jt_slice s = { "\"source\"", 8 }, e = { "\"sou\\u0072ce\"", 13 };
	CHECK(jt_string_is(s, "source"), "plain string compares");
	CHECK(!jt_string_is(s, "sourc"), "shorter string differs");
	CHECK(!jt_string_is((struct jt_slice){ "source", 6 }, "source"), "unquoted is no string");
	CHECK(jt_plain(s), "no escape");
	CHECK(!jt_plain(e), "escape seen");
}

/* A presigner that marks what it signed; NULL for "s3://nosign/...". */
static char *fake_sign(void *ctx, const char *url)
{
	(*(int *)ctx)++;
	if (strncmp(url, "s3://nosign/", 12) == 0)
		return NULL;
	size_t n = strlen(url);
	char *out = xmalloc(n + 8);
	memcpy(out, url, n);
	memcpy(out + n, "?signed", 8);
	return out;
}

static void test_presign_blobs(void)
{
	struct buf blobs = { 0 }, urls = { 0 };
	char *primary = NULL;
	int calls = 0;
	const char *stored =
		"[{\"field\": \"thumb\", \"url\": \"s3://b/t.png\", \"role\": \"thumbnail\"},"
		" {\"field\":\"src\",\"url\":\"s3:\\/\\/b\\/a b.mp4\",\"role\":\"source\","
		"\"object_key\":\"a b.mp4\",\"extra\":{\"k\":[1]}},"
		" {\"field\":\"web\",\"url\":\"https://x.example/q?a=\\\"1\\\"\",\"role\":\"source\"},"
		" {\"field\":\"gone\",\"url\":\"s3://nosign/k\",\"role\":\"aux\"},"
		" {\"field\":\"nourl\",\"role\":\"aux\"},"
		" {\"url\":\"s3://b/nofield\"},"
		" {\"field\":\"u\",\"url\":\"s3:\\u002f/b/u\\tv\"}]";

	CHECK(doc_json_presign_blobs(stored, fake_sign, &calls, &blobs, &urls, &primary) == 0,
	      "presign a stored array");
	CHECK(calls == 5, "s3:// URLs are signed, others are not");
	CHECK_STR(blobs.data,
		"[{\"field\": \"thumb\", \"url\": \"s3://b/t.png\", \"role\": \"thumbnail\","
		"\"presigned_url\":\"s3://b/t.png?signed\"},"
		"{\"field\":\"src\",\"url\":\"s3:\\/\\/b\\/a b.mp4\",\"role\":\"source\","
		"\"object_key\":\"a b.mp4\",\"extra\":{\"k\":[1]},"
		"\"presigned_url\":\"s3://b/a b.mp4?signed\"},"
		"{\"field\":\"web\",\"url\":\"https://x.example/q?a=\\\"1\\\"\",\"role\":\"source\","
		"\"presigned_url\":\"https://x.example/q?a=\\\"1\\\"\"},"
		"{\"field\":\"gone\",\"url\":\"s3://nosign/k\",\"role\":\"aux\"},"
		"{\"field\":\"nourl\",\"role\":\"aux\"},"
		"{\"url\":\"s3://b/nofield\",\"presigned_url\":\"s3://b/nofield?signed\"},"
		"{\"field\":\"u\",\"url\":\"s3:\\u002f/b/u\\tv\","
		"\"presigned_url\":\"s3://b/u\\u0009v?signed\"}]",
		"blobs with their presigned_url, stored text kept");
	CHECK_STR(urls.data,
		"[{\"key_name\":\"thumb\",\"presigned_url\":\"s3://b/t.png?signed\"},"
		"{\"key_name\":\"src\",\"object_key\":\"a b.mp4\","
		"\"presigned_url\":\"s3://b/a b.mp4?signed\"},"
		"{\"key_name\":\"web\",\"presigned_url\":\"https://x.example/q?a=\\\"1\\\"\"},"
		"{\"key_name\":null,\"presigned_url\":\"s3://b/nofield?signed\"},"
		"{\"key_name\":\"u\",\"presigned_url\":\"s3://b/u\\u0009v?signed\"}]",
		"presigned_urls");
	CHECK_STR(primary, "s3://b/a b.mp4?signed", "primary: the first source blob");
	free(primary);
	buf_free(&blobs);
	buf_free(&urls);

	/* the first source blob has no signable URL: no primary at all */
	primary = NULL;
	CHECK(doc_json_presign_blobs("[{\"url\":\"s3://nosign/x\",\"role\":\"source\"},"
	                            "{\"url\":\"s3://b/y\",\"role\":\"source\"}]",
	                            fake_sign, &calls, &blobs, &urls, &primary) == 0,
	      "two source blobs");
	CHECK(primary == NULL, "no primary when the first source blob is unsigned");
	buf_free(&blobs);
	buf_free(&urls);

	CHECK(doc_json_presign_blobs("[]", fake_sign, &calls, &blobs, &urls, &primary) == 0,
	      "empty list");
	CHECK_STR(blobs.data, "[]", "empty blobs");
	CHECK_STR(urls.data, "[]", "empty presigned_urls");
	buf_free(&blobs);
	buf_free(&urls);

	static const char *const corrupt[] = { "{}", "[1]", "[{\"url\":\"s3://b/k\"}", "" };
	for (size_t i = 0; i < sizeof corrupt / sizeof corrupt[0]; i++) {
		primary = NULL;
		CHECK(doc_json_presign_blobs(corrupt[i], fake_sign, &calls, &blobs, &urls,
		                            &primary) == -1, corrupt[i]);
		CHECK(primary == NULL, "no primary left behind on failure");
		buf_free(&blobs);
		buf_free(&urls);
	}
}

int main(void)
{
	test_walk();
	test_strings();
	test_presign_blobs();
	return check_summary();
}
