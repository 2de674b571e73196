/* test_s3presign.c: SigV4 presigning against the reference vectors */
#include "check.h"
#include "s3presign.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define T0 1369353600	/* 20130524T000000Z */
#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static int starts(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static time_t parse_amzdate(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon,
	                        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return (time_t)-1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static json_object *load(const char *file)
{
	char path[1024];
	const char *dir = getenv("DOCAPI_TESTDATA");
	const char *srcdir = getenv("srcdir");
	json_object *j;

	if (dir && *dir)
		snprintf(path, sizeof(path), "%s/%s", dir, file);
	else
		snprintf(path, sizeof(path), "%s/tests/unit/data/%s",
		         srcdir && *srcdir ? srcdir : ".", file);
	j = json_object_from_file(path);
	if (j == NULL)
		fprintf(stderr, "cannot load %s: %s\n", path, json_util_get_last_err());
	return j;
}

/* Reproduces one vector: URL, canonical request, string to sign, signature. */
static void run_vector(struct presign_cache *c, json_object *v)
{
	struct presign_param extra[PRESIGN_MAX_EXTRA];
	struct presign_request r;
	struct presign_debug d;
	json_object *jx, *jps;
	const char *name = jstr(v, "name");
	const char *want = jstr(v, "expected_url");
	char buf[4096], *alloc = NULL;
	size_t len = 0, n = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.access_key = jstr(v, "access_key");
	r.secret_key = jstr(v, "secret_key");
	r.session_token = jstr(v, "session_token");
	r.region = jstr(v, "region");
	r.endpoint = jstr(v, "endpoint");
	r.bucket = jstr(v, "bucket");
	r.key = jstr(v, "key");
	r.expires = json_object_get_int64(json_object_object_get(v, "expires"));
	r.now = parse_amzdate(jstr(v, "timestamp"));
	json_object_object_get_ex(v, "path_style", &jps);
	r.addressing = json_object_get_boolean(jps) ? PRESIGN_ADDR_PATH
	                                            : PRESIGN_ADDR_VIRTUAL;
	if (json_object_object_get_ex(v, "extra_query", &jx)) {
		json_object_object_foreach(jx, ek, ev) {
			if (n < PRESIGN_MAX_EXTRA) {
				extra[n].name = ek;
				extra[n++].value = json_object_get_string(ev);
			}
		}
		r.extra = extra;
		r.n_extra = n;
	}

	rc = presign_url(c, &r, buf, sizeof(buf), &len, &d);
	CHECK(rc == PRESIGN_OK, name);
	if (rc != PRESIGN_OK) {
		fprintf(stderr, "  %s: %s\n", name, presign_strerror(rc));
		return;
	}
	CHECK_STR(buf, want, name);
	CHECK(len == strlen(buf), name);
	CHECK_STR(d.canonical_request, jstr(v, "canonical_request"), name);
	CHECK_STR(d.string_to_sign, jstr(v, "string_to_sign"), name);
	if (jstr(v, "expected_signature"))
		CHECK_STR(d.signature, jstr(v, "expected_signature"), name);
	CHECK(strstr(buf, d.signature) != NULL, name);
	if (jstr(v, "host_header")) {
		char hh[300];

		snprintf(hh, sizeof(hh), "\nhost:%s\n", jstr(v, "host_header"));
		CHECK(strstr(d.canonical_request, hh) != NULL, name);
	}
	presign_debug_free(&d);

	/* size protocol: exactly len bytes is too small, len + 1 fits */
	CHECK(presign_url(c, &r, buf, len, &n, NULL) == PRESIGN_ENOSPC && n == len, name);
	CHECK(presign_url(c, &r, NULL, 0, &n, NULL) == PRESIGN_ENOSPC && n == len, name);
	CHECK(presign_url(c, &r, buf, len + 1, &n, NULL) == PRESIGN_OK && n == len, name);
	CHECK_STR(buf, want, name);
	CHECK(presign_url_alloc(c, &r, &alloc, NULL) == PRESIGN_OK, name);
	CHECK_STR(alloc, want, name);
	free(alloc);

	/* AUTO picks the vector's style, except for a DNS-safe bucket on AWS
	 * that the vector forces into path style */
	r.addressing = PRESIGN_ADDR_AUTO;
	CHECK(presign_url(c, &r, buf, sizeof(buf), &len, NULL) == PRESIGN_OK, name);
	if (strcmp(name, "us-east-1-path-style-aws") == 0)
		CHECK(starts(buf, "https://examplebucket.s3.amazonaws.com/test.txt?"), name);
	else
		CHECK_STR(buf, want, name);
}

static void test_vectors(struct presign_cache *c)
{
	json_object *j = load("sigv4-vectors.json"), *cases = NULL;
	size_t i, n = 0;

	CHECK(j != NULL, "load sigv4-vectors.json");
	if (j && json_object_object_get_ex(j, "cases", &cases))
		n = json_object_array_length(cases);
	CHECK(n == 17, "17 vectors");
	for (i = 0; i < n; i++)
		run_vector(c, json_object_array_get_idx(cases, i));
	json_object_put(j);

	j = load("sigv4-vectors-extra.json");
	CHECK(j != NULL && json_object_is_type(j, json_type_array) &&
	      json_object_array_length(j) == 2, "2 extra vectors");
	for (i = 0; j && i < json_object_array_length(j); i++)
		run_vector(c, json_object_array_get_idx(j, i));
	json_object_put(j);
}

static struct presign_request base(void)
{
	struct presign_request r;

	memset(&r, 0, sizeof(r));
	r.access_key = AKID;
	r.secret_key = SECRET;
	r.region = "us-east-1";
	r.bucket = "examplebucket";
	r.key = "test.txt";
	r.now = T0;
	r.expires = 86400;
	return r;
}

static int sign(struct presign_cache *c, const struct presign_request *r,
                char *buf, size_t size)
{
	size_t len;

	buf[0] = '\0';
	return presign_url(c, r, buf, size, &len, NULL);
}

/* The derived keys listed in research/s3-presign.md section 1.4. */
static void test_signing_keys(struct presign_cache *c)
{
	static const struct {
		const char *secret, *region, *key;
	} t[] = {
		{ "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1",
		  "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378" },
		{ SECRET, "us-east-1",
		  "f117494eff5d09da21cbf7f0339559ea04fc9582d31299cb992be70a6b27c97a" },
		{ SECRET, "auto",
		  "96f81694a30b43349596c15215c2bfed64e6fb8db75f33cef431a356997d9b2d" },
	};
	struct presign_request r = base();
	struct presign_debug d;
	char buf[2048];
	size_t i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.secret_key = t[i].secret;
		r.region = t[i].region;
		CHECK(presign_url(c, &r, buf, sizeof(buf), &len, &d) == PRESIGN_OK, "kSigning");
		CHECK_STR(d.signing_key, t[i].key, "kSigning");
		presign_debug_free(&d);
	}
}

static void hex(char *dst, const unsigned char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(dst + 2 * i, "%02x", src[i]);
}

/* The module's own HMAC/SHA-256 against OpenSSL's EVP HMAC(), for secrets
 * around the 64-byte HMAC block ("AWS4" + secret longer than a block is
 * hashed first) and at the 508-byte limit: kSigning, the canonical request's
 * hash inside the string to sign, and the signature over it. */
static void test_hmac_reference(void)
{
	static const size_t lens[] = { 1, 40, 59, 60, 61, 62, 123, 124, 125, 508 };
	struct presign_cache *c = presign_cache_new();
	struct presign_request r = base();
	struct presign_debug d;
	char secret[PRESIGN_SECRET_MAX + 1], buf[2048], want[65];
	unsigned char kbuf[4 + PRESIGN_SECRET_MAX], k[32], h[32];
	unsigned int n;
	size_t i, j, len;

	CHECK(c != NULL, "cache_new");
	for (i = 0; c && i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (j = 0; j < lens[i]; j++)
			secret[j] = (char)('!' + (j * 7 + i) % 94);
		secret[lens[i]] = '\0';
		r.secret_key = secret;
		r.region = i % 2 ? "eu-west-1" : "auto";
		r.now = T0 + (time_t)i * 3601;
		CHECK(presign_url(c, &r, buf, sizeof(buf), &len, &d) == PRESIGN_OK,
		      "reference: signs");
		if (!d.string_to_sign)
			continue;
		memcpy(kbuf, "AWS4", 4);
		memcpy(kbuf + 4, secret, lens[i]);
		HMAC(EVP_sha256(), kbuf, (int)(4 + lens[i]),
		     (const unsigned char *)d.string_to_sign + 17, 8, k, &n);
		HMAC(EVP_sha256(), k, 32, (const unsigned char *)r.region,
		     strlen(r.region), k, &n);
		HMAC(EVP_sha256(), k, 32, (const unsigned char *)"s3", 2, k, &n);
		HMAC(EVP_sha256(), k, 32, (const unsigned char *)"aws4_request", 12, k, &n);
		hex(want, k, 32);
		CHECK_STR(d.signing_key, want, "reference: kSigning");
		EVP_Digest(d.canonical_request, strlen(d.canonical_request), h, &n,
		           EVP_sha256(), NULL);
		hex(want, h, 32);
		CHECK(strlen(d.string_to_sign) > 64 &&
		      strcmp(d.string_to_sign + strlen(d.string_to_sign) - 64, want) == 0,
		      "reference: canonical request hash");
		HMAC(EVP_sha256(), k, 32, (const unsigned char *)d.string_to_sign,
		     strlen(d.string_to_sign), h, &n);
		hex(want, h, 32);
		CHECK_STR(d.signature, want, "reference: signature");
		presign_debug_free(&d);
	}
	presign_cache_free(c);
}

static void test_cache(void)
{
	struct presign_cache *c = presign_cache_new(), *fresh;
	struct presign_request r = base();
	struct presign_debug d;
	char a[2048], b[2048];
	size_t len;
	int i;

	CHECK(c != NULL, "cache_new");
	if (c == NULL)
		return;
	CHECK(presign_url(c, &r, a, sizeof(a), &len, &d) == PRESIGN_OK && d.key_derived == 1,
	      "first call derives");
	presign_debug_free(&d);
	for (i = 0; i < 3; i++) {
		CHECK(presign_url(c, &r, b, sizeof(b), &len, &d) == PRESIGN_OK && d.key_derived == 0,
		      "repeat uses the cache");
		CHECK_STR(b, a, "repeat gives the same URL");
		presign_debug_free(&d);
	}
	r.now = T0 + 86399;	/* same UTC day */
	CHECK(presign_url(c, &r, b, sizeof(b), &len, &d) == PRESIGN_OK && d.key_derived == 0,
	      "same day, cached");
	presign_debug_free(&d);
	CHECK(strstr(b, "X-Amz-Date=20130524T235959Z") && strstr(b, "%2F20130524%2F"),
	      "23:59:59 date and scope");
	/* the string-to-sign head is cached per second: a new second, a second
	 * back in time, and a repeat within one must all sign as a fresh cache,
	 * and the debug text must be whole whether the head was cached or not */
	{
		static const time_t at[] = { T0 + 86399, T0 + 5, T0 + 5, T0 + 86399 };
		char *sts = NULL;

		for (i = 0; i < 4; i++) {
			r.now = at[i];
			CHECK(presign_url(c, &r, b, sizeof(b), &len, &d) == PRESIGN_OK,
			      "per-second head");
			fresh = presign_cache_new();
			CHECK(fresh && sign(fresh, &r, a, sizeof(a)) == PRESIGN_OK, "fresh");
			CHECK_STR(b, a, "per-second head equals fresh cache");
			presign_cache_free(fresh);
			if (i == 1)
				sts = d.string_to_sign ? strdup(d.string_to_sign) : NULL;
			if (i == 2)
				CHECK_STR(d.string_to_sign, sts, "string to sign from a cached head");
			presign_debug_free(&d);
		}
		free(sts);
		r.now = T0 + 86399;
	}

	r.now = T0 + 86400;	/* next UTC day: new key */
	CHECK(presign_url(c, &r, a, sizeof(a), &len, &d) == PRESIGN_OK && d.key_derived == 1,
	      "new day derives");
	presign_debug_free(&d);
	CHECK(strstr(a, "X-Amz-Date=20130525T000000Z") && strstr(a, "%2F20130525%2F"),
	      "midnight: date and scope from one instant");
	fresh = presign_cache_new();
	CHECK(fresh && sign(fresh, &r, b, sizeof(b)) == PRESIGN_OK, "fresh cache");
	CHECK_STR(a, b, "new day equals fresh cache");
	presign_cache_free(fresh);

	/* another credential, then back: both stay cached */
	r.secret_key = "another-secret";
	CHECK(presign_url(c, &r, b, sizeof(b), &len, &d) == PRESIGN_OK && d.key_derived == 1,
	      "other secret derives");
	presign_debug_free(&d);
	r.secret_key = SECRET;
	CHECK(presign_url(c, &r, b, sizeof(b), &len, &d) == PRESIGN_OK && d.key_derived == 0,
	      "first secret still cached");
	presign_debug_free(&d);
	CHECK_STR(b, a, "first secret URL unchanged");

	/* rotation in place: same access key, same address, same length, one
	 * byte changed; then a prefix of it. Each derives and equals a fresh
	 * cache, and the old secret is never matched. */
	{
		char rot[sizeof(SECRET)];
		const size_t cut[] = { sizeof(SECRET) - 1, sizeof(SECRET) - 1, 10, 1 };

		memcpy(rot, SECRET, sizeof(SECRET));
		r.secret_key = rot;
		for (i = 0; i < 4; i++) {
			if (i == 1)
				rot[sizeof(SECRET) - 2] ^= 1;	/* last byte */
			if (i == 2)
				rot[0] ^= 1;			/* first byte */
			rot[cut[i]] = '\0';
			CHECK(presign_url(c, &r, b, sizeof(b), &len, &d) == PRESIGN_OK &&
			      d.key_derived == (i > 0), "rotated secret derives");
			presign_debug_free(&d);
			fresh = presign_cache_new();
			CHECK(fresh && sign(fresh, &r, a, sizeof(a)) == PRESIGN_OK, "fresh");
			CHECK_STR(b, a, "rotated secret equals fresh cache");
			presign_cache_free(fresh);
		}
		r.secret_key = SECRET;
	}

	/* more regions than slots: results stay right after evictions */
	for (i = 0; i < 20; i++) {
		char region[16];

		snprintf(region, sizeof(region), "r%d", i % 11);
		r.region = region;
		r.endpoint = "http://127.0.0.1:9000";
		CHECK(sign(c, &r, a, sizeof(a)) == PRESIGN_OK, "many regions");
		fresh = presign_cache_new();
		CHECK(fresh && sign(fresh, &r, b, sizeof(b)) == PRESIGN_OK, "fresh");
		CHECK_STR(a, b, "evicting cache equals fresh cache");
		presign_cache_free(fresh);
	}
	presign_cache_free(c);
	presign_cache_free(NULL);
}

static void test_errors(struct presign_cache *c)
{
	static const char *const dot[] = {
		".", "..", "./a", "../a", "a/.", "a/..", "a/./b", "a/../b", "a//./b",
	};
	static const char *const ok_keys[] = {
		"...", ".a", "a.", "..a", "a..", "a/.../b", ".hidden/x", "a/b/",
		"/a", "a//b", "%2e%2e/x", "a\\..\\b",
	};
	struct presign_param p[PRESIGN_MAX_EXTRA + 1];
	struct presign_request r = base();
	char buf[2048];
	size_t i, len;

	CHECK(presign_url(NULL, &r, buf, sizeof(buf), &len, NULL) == PRESIGN_EINVAL, "NULL cache");
	CHECK(presign_url(c, NULL, buf, sizeof(buf), &len, NULL) == PRESIGN_EINVAL, "NULL req");
	CHECK(presign_url(c, &r, buf, sizeof(buf), NULL, NULL) == PRESIGN_EINVAL, "NULL len");

	r.expires = 0;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EEXPIRES, "lifetime 0");
	r.expires = 604801;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EEXPIRES, "lifetime 604801");
	r.expires = -5;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EEXPIRES, "lifetime negative");
	r.expires = 1;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_OK && strstr(buf, "X-Amz-Expires=1&"),
	      "lifetime 1");
	r.expires = 604800;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_OK, "lifetime 604800");

	for (i = 0; i < sizeof(dot) / sizeof(dot[0]); i++) {
		r.key = dot[i];
		CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EDOTSEG, dot[i]);
	}
	for (i = 0; i < sizeof(ok_keys) / sizeof(ok_keys[0]); i++) {
		r.key = ok_keys[i];
		CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_OK, ok_keys[i]);
	}
	r.key = "%2e%2e/x";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_OK &&
	      strstr(buf, ".com/%252e%252e/x?"), "percent in key encoded once");
	r.key = "";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EKEY, "empty key");
	r.key = NULL;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EKEY, "NULL key");
	r = base();

	r.access_key = "";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_ECRED, "empty access key");
	r = base();
	r.secret_key = NULL;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_ECRED, "NULL secret");
	r = base();
	r.region = "";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EREGION, "empty region");
	r.region = "us east";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EREGION, "bad region");
	r = base();
	r.addressing = (enum presign_addressing)7;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EINVAL, "bad addressing");
	r = base();

	r.bucket = "";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EBUCKET, "empty bucket");
	r.bucket = "a/b";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EBUCKET, "slash in bucket");
	r.bucket = "..";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EBUCKET, "dot-dot bucket");
	r.bucket = "My_Bucket";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_OK &&
	      starts(buf, "https://s3.amazonaws.com/My_Bucket/test.txt?"),
	      "non-DNS bucket: AUTO is path style");
	r.addressing = PRESIGN_ADDR_VIRTUAL;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EBUCKET, "non-DNS bucket: no virtual");
	r = base();

	r.now = (time_t)253402300800LL;	/* year 10000 */
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_ETIME, "year 10000");
	r.now = (time_t)253402300799LL;	/* 9999-12-31T23:59:59Z */
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_OK &&
	      strstr(buf, "X-Amz-Date=99991231T235959Z&"), "year 9999");
	r = base();

	for (i = 0; i <= PRESIGN_MAX_EXTRA; i++) {
		p[i].name = "response-content-type";
		p[i].value = "text/plain";
	}
	r.extra = p;
	r.n_extra = PRESIGN_MAX_EXTRA + 1;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EPARAM, "too many extras");
	r.n_extra = 1;
	p[0].name = "X-AMZ-Expires";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EPARAM, "X-Amz-Expires extra");
	p[0].name = "X-Amz-Signature";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EPARAM, "X-Amz-Signature extra");
	p[0].name = "x-amz-request-payer";
	p[0].value = "requester";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_OK &&
	      strstr(buf, "?x-amz-request-payer=requester&X-Amz-Algorithm="), "x-amz-request-payer");
	p[0].name = "";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EPARAM, "empty extra name");
	p[0].name = "versionId";
	p[0].value = NULL;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EPARAM, "NULL extra value");
	r.extra = NULL;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EPARAM, "NULL extra array");

	for (i = PRESIGN_OK; i <= PRESIGN_EURL; i++)
		CHECK(presign_strerror((int)i) && strcmp(presign_strerror((int)i), "unknown error"),
		      "strerror");
	CHECK_STR(presign_strerror(-1), "unknown error", "strerror -1");
	CHECK_STR(presign_strerror(99), "unknown error", "strerror 99");
}

static void test_addressing(struct presign_cache *c)
{
	static const struct {
		const char *endpoint, *region, *bucket;
		enum presign_addressing mode;
		const char *prefix;
	} t[] = {
		{ NULL, "eu-west-1", "examplebucket", PRESIGN_ADDR_AUTO,
		  "https://examplebucket.s3.eu-west-1.amazonaws.com/k?" },
		{ NULL, "eu-west-1", "examplebucket", PRESIGN_ADDR_PATH,
		  "https://s3.eu-west-1.amazonaws.com/examplebucket/k?" },
		{ NULL, "cn-north-1", "examplebucket", PRESIGN_ADDR_AUTO,
		  "https://examplebucket.s3.cn-north-1.amazonaws.com.cn/k?" },
		{ NULL, "eu-west-1", "my.dotted.bucket", PRESIGN_ADDR_AUTO,
		  "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/k?" },
		{ NULL, "eu-west-1", "my.dotted.bucket", PRESIGN_ADDR_VIRTUAL,
		  "https://my.dotted.bucket.s3.eu-west-1.amazonaws.com/k?" },
		{ NULL, "us-east-1", "ab", PRESIGN_ADDR_AUTO,
		  "https://s3.amazonaws.com/ab/k?" },
		{ NULL, "us-east-1", "-abc", PRESIGN_ADDR_AUTO,
		  "https://s3.amazonaws.com/-abc/k?" },
		{ "http://127.0.0.1:9000", "us-east-1", "mybucket", PRESIGN_ADDR_AUTO,
		  "http://127.0.0.1:9000/mybucket/k?" },
		{ "https://minio.example.com:9000/", "us-east-1", "mybucket", PRESIGN_ADDR_VIRTUAL,
		  "https://mybucket.minio.example.com:9000/k?" },
		{ "HTTPS://S3.Example.COM:443", "us-east-1", "b-1", PRESIGN_ADDR_AUTO,
		  "https://s3.example.com/b-1/k?" },
		{ "http://s3.example.com:80", "us-east-1", "b-1", PRESIGN_ADDR_AUTO,
		  "http://s3.example.com/b-1/k?" },
		{ "http://s3.example.com:443", "us-east-1", "b-1", PRESIGN_ADDR_AUTO,
		  "http://s3.example.com:443/b-1/k?" },
		{ "http://[::1]:9000", "auto", "b-1", PRESIGN_ADDR_AUTO,
		  "http://[::1]:9000/b-1/k?" },
		{ "http://minio_1:9000", "us-east-1", "b-1", PRESIGN_ADDR_AUTO,
		  "http://minio_1:9000/b-1/k?" },
		{ "https://acct.r2.cloudflarestorage.com", "auto", "bucket", PRESIGN_ADDR_AUTO,
		  "https://acct.r2.cloudflarestorage.com/bucket/k?" },
	};
	static const char *const bad[] = {
		"ftp://h", "https://", "https://h/path", "https://h:0", "https://h:70000",
		"https://h:", "h:9000", "https://h:9000x", "http://[]:1", "https://user@h",
		"https://h?x", "https://h h",
	};
	struct presign_request r = base();
	struct presign_debug d;
	char buf[2048], hh[128];
	size_t i, len;

	r.key = "k";
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *host = strstr(t[i].prefix, "://") + 3;

		r.endpoint = t[i].endpoint;
		r.region = t[i].region;
		r.bucket = t[i].bucket;
		r.addressing = t[i].mode;
		CHECK(presign_url(c, &r, buf, sizeof(buf), &len, &d) == PRESIGN_OK, t[i].prefix);
		CHECK(starts(buf, t[i].prefix), t[i].prefix);
		/* the signed host is the URL's host */
		snprintf(hh, sizeof(hh), "\nhost:%.*s\n", (int)strcspn(host, "/"), host);
		CHECK(d.canonical_request && strstr(d.canonical_request, hh), t[i].prefix);
		presign_debug_free(&d);
	}
	r = base();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.endpoint = bad[i];
		CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EENDPOINT, bad[i]);
	}
	r.endpoint = "http://[::1]:9000";
	r.addressing = PRESIGN_ADDR_VIRTUAL;
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_EENDPOINT, "virtual on IPv6 literal");
	r.addressing = PRESIGN_ADDR_AUTO;
	r.endpoint = "";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_OK &&
	      starts(buf, "https://examplebucket.s3.amazonaws.com/"), "empty endpoint = AWS");
}

static void test_query(struct presign_cache *c)
{
	static const struct presign_param p[] = {
		{ "versionId", "v" }, { "a-b", "y" }, { "Ab", "c" }, { "a", "2" },
		{ "a", "1" }, { "x y", "+/ ~" },
	};
	struct presign_request r = base();
	struct presign_debug d;
	char buf[2048], buf2[2048];
	size_t len;
	const char *q;

	r.extra = p;
	r.n_extra = sizeof(p) / sizeof(p[0]);
	r.session_token = "tok/+=";
	CHECK(presign_url(c, &r, buf, sizeof(buf), &len, &d) == PRESIGN_OK, "extras");
	/* canonical: byte order of encoded names, then values */
	q = d.canonical_request ? strchr(d.canonical_request + 4, '\n') : NULL;
	CHECK(q && starts(q + 1,
	      "Ab=c&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20130524"
	      "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
	      "&X-Amz-Security-Token=tok%2F%2B%3D&X-Amz-SignedHeaders=host"
	      "&a=1&a=2&a-b=y&versionId=v&x%20y=%2B%2F%20~\n"), "canonical query order");
	/* URL: extras as given, then X-Amz-*, then the signature */
	CHECK(starts(buf, "https://examplebucket.s3.amazonaws.com/test.txt?versionId=v&a-b=y&Ab=c"
	             "&a=2&a=1&x%20y=%2B%2F%20~&X-Amz-Algorithm="), "URL query order");
	CHECK(strstr(buf, "&X-Amz-Signature=") == buf + len - 81, "signature last");
	presign_debug_free(&d);

	r.n_extra = 0;
	r.session_token = "";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_OK, "empty token");
	r.session_token = NULL;
	CHECK(sign(c, &r, buf2, sizeof(buf2)) == PRESIGN_OK, "NULL token");
	CHECK_STR(buf, buf2, "empty token = no token");
	CHECK(strstr(buf, "Security-Token") == NULL, "no token parameter");

	r.access_key = "AK+/X";
	CHECK(sign(c, &r, buf, sizeof(buf)) == PRESIGN_OK &&
	      strstr(buf, "X-Amz-Credential=AK%2B%2FX%2F20130524%2F"), "access key encoded");
}

/* Every byte 1..255 in a key and in a parameter value: only A-Z a-z 0-9
 * - . _ ~ stay (and '/' in the key), everything else is %XX uppercase. */
static void test_encoding_all_bytes(struct presign_cache *c)
{
	struct presign_param p = { "p", NULL };
	struct presign_request r = base();
	char buf[2048], key[4], want[64], enc[4];
	size_t len;
	int ch;

	r.extra = &p;
	r.n_extra = 1;
	for (ch = 1; ch < 256; ch++) {
		int keep = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		           (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL;

		if (keep)
			snprintf(enc, sizeof(enc), "%c", ch);
		else
			snprintf(enc, sizeof(enc), "%%%02X", ch);
		snprintf(key, sizeof(key), "k%ck", ch);
		r.key = key;
		p.value = key + 1;
		CHECK(presign_url(c, &r, buf, sizeof(buf), &len, NULL) == PRESIGN_OK,
		      "byte encoding: signs");
		snprintf(want, sizeof(want), "https://examplebucket.s3.amazonaws.com/k%sk?p=",
		         ch == '/' ? "/" : enc);
		CHECK(starts(buf, want), "byte encoding: key");
		snprintf(want, sizeof(want), "?p=%sk&X-Amz-", enc);
		CHECK(strstr(buf, want) != NULL, "byte encoding: value");
	}
}

static void test_parse_s3_url(void)
{
	static const struct {
		const char *url, *bucket, *key;
	} ok[] = {
		{ "s3://bucket/key", "bucket", "key" },
		{ "s3://b/a/b/c.txt", "b", "a/b/c.txt" },
		{ "S3://MyBucket/k", "MyBucket", "k" },
		{ "s3://b/my%20file?x=1#frag", "b", "my%20file?x=1#frag" },
		{ "s3://b//lead", "b", "/lead" },
		{ "s3://b/ space +plus", "b", " space +plus" },
	};
	static const char *const bad[] = {
		"", "s3://", "s3:///key", "s3://bucket", "s3://bucket/", "http://b/k",
		"s3:/b/k", "s3:b/k", "gs://b/k",
	};
	char bucket[PRESIGN_BUCKET_MAX + 1], longurl[600];
	const char *key = "x";
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK(presign_parse_s3_url(ok[i].url, bucket, sizeof(bucket), &key) == PRESIGN_OK,
		      ok[i].url);
		CHECK_STR(bucket, ok[i].bucket, ok[i].url);
		CHECK_STR(key, ok[i].key, ok[i].url);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(presign_parse_s3_url(bad[i], bucket, sizeof(bucket), &key) == PRESIGN_EURL &&
		      key == NULL, bad[i]);
	}
	CHECK(presign_parse_s3_url(NULL, bucket, sizeof(bucket), &key) == PRESIGN_EURL, "NULL url");
	CHECK(presign_parse_s3_url("s3://abcd/k", bucket, 4, &key) == PRESIGN_EURL,
	      "bucket does not fit");
	CHECK(presign_parse_s3_url("s3://abc/k", bucket, 4, &key) == PRESIGN_OK, "bucket fits");
	memcpy(longurl, "s3://", 5);
	memset(longurl + 5, 'b', 256);
	strcpy(longurl + 261, "/k");
	CHECK(presign_parse_s3_url(longurl, bucket, sizeof(bucket), &key) == PRESIGN_EURL,
	      "256-byte bucket");
	longurl[260] = '/';	/* 255 bytes: fits */
	CHECK(presign_parse_s3_url(longurl, bucket, sizeof(bucket), &key) == PRESIGN_OK &&
	      strlen(bucket) == 255, "255-byte bucket");
}

int main(void)
{
	struct presign_cache *c = presign_cache_new();

	CHECK(c != NULL, "presign_cache_new");
	if (c == NULL)
		return check_summary();
	test_vectors(c);
	test_signing_keys(c);
	test_errors(c);
	test_addressing(c);
	test_query(c);
	test_cache();
	test_hmac_reference();
	test_encoding_all_bytes(c);
	test_parse_s3_url();
	presign_cache_free(c);
	presign_debug_free(NULL);
	return check_summary();
}
