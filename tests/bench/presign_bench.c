/*
 * presign_bench.c - how fast docapi presigns (return_url=true), in process.
 *
 *   tests/bench/presign_bench.sh [SECONDS_PER_MEASUREMENT]
 *
 * (compiles this file with gcc -O2 against cgi/s3presign.c, cgi/doc.c,
 * cgi/doc_json.c and what they need, then runs it on one core.)
 *
 * 1. URLs per second on ONE thread: presign_url() into a fixed buffer and
 *    presign_url_alloc() (what the app calls), with the signing key cached
 *    (one per-worker cache, as in presigner.c), a typical 40-byte key,
 *    path-style custom endpoint and AWS virtual-hosted, with and without a
 *    session token. Target: >= 500,000 URLs/s.
 * 2. The server-side cost of a GET with return_url=true for a document with
 *    100 s3:// blobs against the same GET without it: doc_render() with
 *    DV_RESPONSE|DV_PRESIGN against DV_RESPONSE (what h_document.c
 *    reply_document() passes), plus the serialisation of http_set_json(), on
 *    a document loaded with doc_load() from stored JSON. The sign
 *    callback does what presigner_sign() does minus the credential lookup
 *    (a struct copy under a cache hit): parse the s3:// URL, one time(NULL)
 *    reading, presign_url_alloc() with the worker's cache.
 *
 * Each measurement repeats its loop until SECONDS of this thread's CPU time
 * have passed (default 1) and reports the best of 3 runs (wall-clock rate in
 * parentheses). Output is one line per figure.
 *
 * For profiling (e.g. valgrind --tool=callgrind):
 *   presign_bench --profile-urls N     N presign_url() calls, nothing else
 *   presign_bench --profile-render N   N renders of the 100-blob document
 *                                      with return_url=true
 */
#define _POSIX_C_SOURCE 200809L
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc.h"
#include "doc_json.h"
#include "s3presign.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double g_seconds = 1.0;
static volatile size_t g_sink;	/* keeps the compiler from dropping work */
static double g_wall_rate;	/* wall-clock rate of the last rate() call */

/* Runs fn(arg) in batches until g_seconds of this thread's CPU time pass;
 * returns calls per CPU second (best of 3 runs): on a busy machine that is
 * still the one-core figure. The wall-clock rate of the same best run is
 * left in g_wall_rate. */
static double rate(void (*fn)(void *), void *arg, long batch)
{
	double best = 0;

	for (int run = 0; run < 3; run++) {
		long n = 0;
		double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC), t;
		do {
			for (long i = 0; i < batch; i++)
				fn(arg);
			n += batch;
			t = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		} while (t < g_seconds);
		if (n / t > best) {
			best = n / t;
			g_wall_rate = n / (clock_s(CLOCK_MONOTONIC) - w0);
		}
	}
	return best;
}

/* ------------------------------------------------------------ URL rate */

struct url_case {
	struct presign_cache *cache;
	struct presign_request req;
	char buf[2048];
};

static void one_url_buf(void *arg)
{
	struct url_case *c = arg;
	size_t len;

	c->req.now = time(NULL);	/* one clock reading per URL, as the glue */
	if (presign_url(c->cache, &c->req, c->buf, sizeof c->buf, &len, NULL) != PRESIGN_OK) {
		fprintf(stderr, "presign_url failed\n");
		exit(1);
	}
	g_sink += len;
}

static void one_url_alloc(void *arg)
{
	struct url_case *c = arg;
	char *out = NULL;

	c->req.now = time(NULL);
	if (presign_url_alloc(c->cache, &c->req, &out, NULL) != PRESIGN_OK) {
		fprintf(stderr, "presign_url_alloc failed\n");
		exit(1);
	}
	g_sink += strlen(out);
	free(out);
}

/* AWS-like example credentials (not real). */
#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define TOKEN "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6mock+session/token=="
/* A typical 40-byte object key. */
#define KEY40 "videos/2025/10/18/clip-0001-original.mp4"

static void url_rates(struct presign_cache *cache)
{
	static struct url_case c;
	struct {
		const char *name, *endpoint, *region, *token;
		enum presign_addressing addr;
	} cases[] = {
		{ "path style, http://127.0.0.1:9000, long-term key", "http://127.0.0.1:9000",
		  "us-east-1", NULL, PRESIGN_ADDR_PATH },
		{ "AWS virtual-hosted eu-west-1, long-term key", NULL, "eu-west-1", NULL,
		  PRESIGN_ADDR_AUTO },
		{ "AWS virtual-hosted eu-west-1, session token (IMDS/ECS)", NULL, "eu-west-1",
		  TOKEN, PRESIGN_ADDR_AUTO },
	};
	char *sample = NULL;

	if (strlen(KEY40) != 40) {
		fprintf(stderr, "KEY40 is %zu bytes\n", strlen(KEY40));
		exit(1);
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&c, 0, sizeof c);
		c.cache = cache;
		c.req.access_key = AK;
		c.req.secret_key = SK;
		c.req.session_token = cases[i].token;
		c.req.region = cases[i].region;
		c.req.endpoint = cases[i].endpoint;
		c.req.addressing = cases[i].addr;
		c.req.bucket = "docapi-media";
		c.req.key = KEY40;
		c.req.expires = 3600;
		one_url_buf(&c);	/* derives and caches the signing key */
		double rb = rate(one_url_buf, &c, 1000), wb = g_wall_rate;
		double ra = rate(one_url_alloc, &c, 1000);
		c.req.now = time(NULL);
		presign_url_alloc(cache, &c.req, &sample, NULL);
		printf("URLs/s %-52s %8.0f (%.2f us/URL; wall %.0f) presign_url, "
		       "%8.0f presign_url_alloc; %zu-byte URL\n",
		       cases[i].name, rb, 1e6 / rb, wb, ra, strlen(sample));
		if (i == 0)
			printf("  e.g. %s\n", sample);
		free(sample);
		sample = NULL;
	}
}

/* ------------------------------------------------ GET with 100 s3 blobs */

struct sign_ctx {
	struct presign_cache *cache;
	long signed_ok, failed;
};

/* presigner_sign() without the credential provider. */
static char *bench_sign(void *ctx, const char *url)
{
	struct sign_ctx *s = ctx;
	char bucket[PRESIGN_BUCKET_MAX + 1];
	const char *key = NULL;
	struct presign_request r;
	char *out = NULL;

	if (presign_parse_s3_url(url, bucket, sizeof bucket, &key) != PRESIGN_OK) {
		s->failed++;
		return NULL;
	}
	memset(&r, 0, sizeof r);
	r.access_key = AK;
	r.secret_key = SK;
	r.session_token = NULL;
	r.region = "us-east-1";
	r.endpoint = "http://127.0.0.1:9000";
	r.addressing = PRESIGN_ADDR_PATH;
	r.bucket = bucket;
	r.key = key;
	r.now = time(NULL);
	r.expires = 3600;
	if (presign_url_alloc(s->cache, &r, &out, NULL) != PRESIGN_OK) {
		s->failed++;
		return NULL;
	}
	s->signed_ok++;
	return out;
}

struct render_case {
	struct stored_doc row;
	int presign;
	struct sign_ctx sc;
	size_t last_len;
};

/* What h_document.c's reply_document() does for a GET: write the stored
 * texts as they are; with return_url=true parse and presign the blobs. */
static void one_render(void *arg)
{
	struct render_case *c = arg;
	struct buf body = { 0 }, blobs = { 0 }, urls = { 0 };
	char *primary = NULL;
	struct doc_texts t = {
		.document_id = "doc_bench", .collection_id = "col_bench",
		.sys = c->row.sys, .metadata = c->row.metadata, .fields = c->row.fields,
		.blobs = c->row.blobs, .created_at = c->row.created_at,
		.updated_at = c->row.updated_at,
	};
	if (c->presign) {
		doc_json_presign_blobs(c->row.blobs, bench_sign, &c->sc, &blobs, &urls,
		                      &primary);
		t.blobs = blobs.data;
		t.presigned_urls = urls.data;
		t.presigned_url = primary;
	}
	doc_json_write(&body, &t);
	c->last_len = body.len;
	g_sink += body.len + (size_t)body.data[0];
	free(primary);
	buf_free(&body);
	buf_free(&blobs);
	buf_free(&urls);
}

/* Stored columns of a document with n s3:// blobs (first role source). */
static void make_row(int n, char **blobs_json, char **sys_json)
{
	struct json_object *blobs = json_object_new_array();
	struct json_object *sys = json_object_new_object();
	char key[160], url[200], field[32];

	for (int i = 0; i < n; i++) {
		struct json_object *b = json_object_new_object();
		snprintf(key, sizeof key, "media/2025/10/18/asset-%04d/rendition-%02d.mp4", i, i % 7);
		snprintf(url, sizeof url, "s3://docapi-media/%s", key);
		snprintf(field, sizeof field, "blob_%d", i);
		json_object_object_add(b, "field", json_object_new_string(field));
		json_object_object_add(b, "url", json_object_new_string(url));
		json_object_object_add(b, "role", json_object_new_string(i == 0 ? "source" : "processed"));
		json_object_object_add(b, "type", json_object_new_string("video"));
		json_object_object_add(b, "object_key", json_object_new_string(key));
		json_object_object_add(b, "content_type", json_object_new_string("video/mp4"));
		json_object_object_add(b, "size_bytes", json_object_new_int64(1048576 + i));
		json_object_array_add(blobs, b);
	}
	json_object_object_add(sys, "document_schema_version", json_object_new_string("v1"));
	json_object_object_add(sys, "root_object_id", json_object_new_string("obj_1"));
	json_object_object_add(sys, "root_bucket_id", json_object_new_string("bkt_media"));
	json_object_object_add(sys, "source_type", json_object_new_string("bucket"));
	json_object_object_add(sys, "source_object_id", json_object_new_string("obj_1"));
	json_object_object_add(sys, "lineage_path", json_object_new_string("bkt_media/col_assets"));
	json_object_object_add(sys, "source_blobs", json_object_new_array());
	json_object_object_add(sys, "internal_metadata", json_object_new_object());
	*blobs_json = strdup(json_object_to_json_string_ext(blobs, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	*sys_json = strdup(json_object_to_json_string_ext(sys, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(blobs);
	json_object_put(sys);
}

static void render_times(struct presign_cache *cache, int nblobs)
{
	static struct render_case with, without;
	char *blobs_json, *sys_json;
	struct stored_doc row;

	make_row(nblobs, &blobs_json, &sys_json);
	memset(&row, 0, sizeof row);
	row.pk = 1;
	row.version = 1;
	row.sys = sys_json;
	row.metadata = "{\"title\":\"bench\",\"tags\":[\"a\",\"b\"]}";
	row.blobs = blobs_json;
	row.fields = "{}";
	row.vector = NULL;
	row.created_at = "2025-10-18T10:30:00Z";
	row.updated_at = "2025-10-18T10:30:00Z";
	with.row = row;
	with.presign = 1;
	with.sc.cache = cache;
	without.row = row;
	without.presign = 0;
	without.sc.cache = cache;

	/* sanity: every blob presigned */
	one_render(&with);
	size_t len_with = with.last_len;
	one_render(&without);
	size_t len_without = without.last_len;
	if (with.sc.signed_ok != nblobs || with.sc.failed) {
		fprintf(stderr, "render: %ld blobs signed of %d, %ld failed\n",
		        with.sc.signed_ok, nblobs, with.sc.failed);
		exit(1);
	}

	if (g_seconds < 0) {	/* --profile-render N */
		for (long i = 0; i < (long)-g_seconds; i++)
			one_render(&with);
		free(blobs_json);
		free(sys_json);
		return;
	}
	double r_with = rate(one_render, &with, 20), w_with = g_wall_rate;
	double r_without = rate(one_render, &without, 20), w_without = g_wall_rate;
	double us_with = 1e6 / r_with, us_without = 1e6 / r_without;
	printf("GET %d s3 blobs, without return_url (stored text):            "
	       "%8.1f us CPU/request (wall %.1f), %zu-byte body\n", nblobs, us_without,
	       1e6 / w_without, len_without);
	printf("GET %d s3 blobs, return_url=true (presigned blobs):        "
	       "%8.1f us CPU/request (wall %.1f), %zu-byte body\n", nblobs, us_with,
	       1e6 / w_with, len_with);
	printf("  return_url=true adds %.1f us per request (%.2f us per blob, x%.1f)\n",
	       us_with - us_without, (us_with - us_without) / nblobs, us_with / us_without);
	free(blobs_json);
	free(sys_json);
}

int main(int argc, char **argv)
{
	struct presign_cache *cache;

	if (argc == 2)
		g_seconds = atof(argv[1]);
	if (g_seconds <= 0)
		g_seconds = 1.0;
	cache = presign_cache_new();
	if (!cache) {
		fprintf(stderr, "presign_cache_new failed (OpenSSL without SHA-256/HMAC?)\n");
		return 1;
	}
	if (argc > 2 && strcmp(argv[1], "--profile-urls") == 0) {
		/* for callgrind: N URLs of the first case, nothing else */
		static struct url_case c;
		long n = atol(argv[2]);
		c.cache = cache;
		c.req.access_key = AK;
		c.req.secret_key = SK;
		c.req.region = "us-east-1";
		c.req.endpoint = "http://127.0.0.1:9000";
		c.req.addressing = PRESIGN_ADDR_PATH;
		c.req.bucket = "docapi-media";
		c.req.key = KEY40;
		c.req.expires = 3600;
		for (long i = 0; i < n; i++)
			one_url_buf(&c);
		presign_cache_free(cache);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "--profile-render") == 0) {
		/* for callgrind: N renders of the 100-blob document, return_url=true */
		g_seconds = -atof(argv[2]);	/* render_times() reads it as a count */
		render_times(cache, 100);
		presign_cache_free(cache);
		return 0;
	}
	url_rates(cache);
	render_times(cache, 100);
	presign_cache_free(cache);
	return 0;
}
