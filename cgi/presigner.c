/* presigner.c - see presigner.h. */
#include "presigner.h"
#include "credentials.h"
#include "log.h"
#include "s3presign.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct presigner {
	const struct config *cfg;        /* borrowed */
	struct presign_cache *cache;     /* NULL: OpenSSL lacks SHA-256/HMAC */
	struct cred_provider *creds;     /* NULL: bad s3_credentials */
};

static enum presign_addressing addressing_of(const char *s)
{
	if (s && strcmp(s, "virtual") == 0)
		return PRESIGN_ADDR_VIRTUAL;
	if (s && strcmp(s, "path") == 0)
		return PRESIGN_ADDR_PATH;
	return PRESIGN_ADDR_AUTO;
}

/* Fills region, endpoint and addressing of r for `bucket`. */
static void target_of(const struct config *cfg, const char *bucket,
                      struct presign_request *r)
{
	const struct config_s3_bucket *ov = NULL;

	for (size_t i = 0; i < cfg->n_s3_buckets; i++)
		if (strcmp(cfg->s3_buckets[i].name, bucket) == 0)
			ov = &cfg->s3_buckets[i];
	r->region = ov && ov->region ? ov->region : cfg->s3_region;
	r->endpoint = ov && ov->endpoint ? ov->endpoint : cfg->s3_endpoint;
	if (r->endpoint && strcmp(r->endpoint, "aws") == 0)
		r->endpoint = NULL;
	r->addressing = addressing_of(ov && ov->addressing ? ov->addressing
	                                                   : cfg->s3_addressing);
}

/* Reasons of presigner_call.by_reason beyond the presign_err codes. */
enum {
	REASON_NO_CREDS = PRESIGN_EURL + 1,   /* credentials.c logs why, once */
	REASON_EXPIRING,                      /* credentials expire this second */
	REASON_COUNT
};
_Static_assert(REASON_COUNT <= PRESIGNER_REASONS, "PRESIGNER_REASONS too small");

static const char *reason_text(int reason)
{
	if (reason == REASON_NO_CREDS)
		return "no S3 credentials";
	if (reason == REASON_EXPIRING)
		return "the S3 credentials expire now";
	return presign_strerror(reason);
}

/* Signs a dummy object with dummy credentials: does the signer accept the
 * target of this bucket? Returns a presign_err. */
static int check_target(struct presigner *g, const char *bucket)
{
	struct presign_request r;
	char *url = NULL;
	int err;

	memset(&r, 0, sizeof r);
	target_of(g->cfg, bucket, &r);
	r.access_key = "AKIDEXAMPLE";
	r.secret_key = "check";
	r.bucket = bucket;
	r.key = "check";
	r.now = time(NULL);
	r.expires = g->cfg->presign_expires;
	err = presign_url_alloc(g->cache, &r, &url, NULL);
	free(url);
	return err;
}

struct presigner *presigner_new(const struct config *cfg)
{
	struct presigner *g = xcalloc(1, sizeof *g);
	struct cred_options o;
	char err[256], name[LOG_QUOTE_SIZE];

	g->cfg = cfg;
	g->cache = presign_cache_new();
	if (!g->cache) {
		log_error(NULL, "presigning disabled: OpenSSL provides no SHA-256/HMAC");
		return g;
	}
	memset(&o, 0, sizeof o);
	o.sources = cfg->s3_credentials;
	o.access_key_id = cfg->s3_access_key_id;
	o.secret_access_key = cfg->s3_secret_access_key;
	o.session_token = cfg->s3_session_token;
	o.imds_endpoint = cfg->s3_imds_endpoint;
	o.ecs_endpoint = cfg->s3_ecs_endpoint;
	g->creds = cred_provider_new(&o, err, sizeof err);
	if (!g->creds)
		log_error(NULL, "presigning disabled: %s", err);
	/* A target the signer refuses would fail every URL: say so once. */
	int e = check_target(g, "example-bucket");
	if (e != PRESIGN_OK)
		log_error(NULL, "presigning: s3_region/s3_endpoint/s3_addressing refused: %s",
		          presign_strerror(e));
	for (size_t i = 0; i < cfg->n_s3_buckets; i++) {
		e = check_target(g, cfg->s3_buckets[i].name);
		if (e != PRESIGN_OK)
			log_error(NULL, "presigning: s3_bucket.NAME.* refused for NAME=%s: %s",
			          log_quote(cfg->s3_buckets[i].name, name, sizeof name),
			          presign_strerror(e));
	}
	return g;
}

void presigner_free(struct presigner *g)
{
	if (!g)
		return;
	cred_provider_free(g->creds);
	presign_cache_free(g->cache);
	free(g);
}

int presigner_ready(struct presigner *g, const char *rid)
{
	struct credentials c;

	if (!g || !g->cache || !g->creds)
		return 0;
	return cred_get(g->creds, time(NULL), rid, &c) == 0;
}

/*
 * Counts one blob of pc that is not presigned, for `reason`; 1 when it is
 * the first of that reason in this request (the caller logs it), else 0.
 */
static int count_failure(struct presigner_call *pc, int reason)
{
	pc->failed++;
	return pc->by_reason[reason]++ == 0;
}

char *presigner_sign(void *ctx, const char *url)
{
	struct presigner_call *pc = ctx;
	struct presigner *g = pc->presigner;
	const char *rid = pc->rid;
	char bucket[PRESIGN_BUCKET_MAX + 1], q[LOG_QUOTE_SIZE];
	const char *key = NULL;
	struct credentials c;
	struct presign_request r;
	time_t now = time(NULL);   /* the one clock reading for this URL */
	char *out = NULL;
	int err;

	if (!g || !g->cache || !g->creds)
		return NULL;
	if (presign_parse_s3_url(url, bucket, sizeof bucket, &key) != PRESIGN_OK) {
		if (count_failure(pc, PRESIGN_EURL))
			log_warn(rid, "blob URL %s is not s3://bucket/key: not presigned",
			         log_quote(url, q, sizeof q));
		return NULL;
	}
	if (cred_get(g->creds, now, rid, &c) != 0) {
		count_failure(pc, REASON_NO_CREDS);   /* credentials.c said why */
		return NULL;
	}
	memset(&r, 0, sizeof r);
	target_of(g->cfg, bucket, &r);
	r.access_key = c.access_key_id;
	r.secret_key = c.secret_access_key;
	r.session_token = c.session_token;
	r.bucket = bucket;
	r.key = key;
	r.now = now;
	r.expires = g->cfg->presign_expires;
	/* A URL never outlives the credentials it is signed with. */
	if (c.expiration && c.expiration - now < r.expires)
		r.expires = (long)(c.expiration - now);
	if (r.expires < 1) {
		if (count_failure(pc, REASON_EXPIRING))
			log_warn(rid, "blob of bucket %s not presigned: %s",
			         log_quote(bucket, q, sizeof q), reason_text(REASON_EXPIRING));
		return NULL;
	}
	err = presign_url_alloc(g->cache, &r, &out, NULL);
	if (err != PRESIGN_OK) {
		int reason = err > 0 && err < REASON_NO_CREDS ? err : PRESIGN_EINVAL;
		if (count_failure(pc, reason))
			log_warn(rid, "cannot presign an object of bucket %s: %s",
			         log_quote(bucket, q, sizeof q), presign_strerror(err));
		free(out);
		out = NULL;
	}
	return out;
}

void presigner_call_finish(struct presigner_call *pc)
{
	struct buf b = { 0 };
	unsigned long logged = 0;

	if (!pc)
		return;
	for (int k = 0; k < REASON_COUNT; k++)
		if (pc->by_reason[k] && k != REASON_NO_CREDS)
			logged++;
	if (pc->failed > logged) {
		for (int k = 0; k < REASON_COUNT; k++)
			if (pc->by_reason[k])
				buf_printf(&b, "%s%lu %s", b.len ? ", " : "", pc->by_reason[k],
				           reason_text(k));
		log_warn(pc->rid, "%lu blobs not presigned in this reply: %s%s", pc->failed,
		         b.data, logged ? " (the first of each is logged above)" : "");
		buf_free(&b);
	}
	pc->failed = 0;
	memset(pc->by_reason, 0, sizeof pc->by_reason);
}
