/*
 * presigner.h - the worker's S3 presigner: decides whether presigning is
 * available and signs one s3:// URL with the worker's credentials
 * (credentials.h) and signing-key cache (s3presign.h), for doc_json.h's
 * blob rewriter.
 *
 * Per bucket, the region, endpoint and addressing style come from the
 * bucket's s3_bucket.NAME.* overrides, else from s3_region, s3_endpoint and
 * s3_addressing (config.h). The URL lifetime is presign_expires, capped so
 * that a URL never outlives the temporary credentials it was signed with.
 */
#ifndef DOCAPI_PRESIGNER_H
#define DOCAPI_PRESIGNER_H

#include "config.h"

/*
 * Returns the worker's presigning state (owned by the caller: free with
 * presigner_free()); cfg is borrowed and must outlive it. Never NULL.
 * Does no network I/O: credentials are fetched on first use. A bad
 * s3_credentials value or a bucket override the signer refuses is logged
 * here, once.
 */
struct presigner *presigner_new(const struct config *cfg);

/* NULL is a no-op. */
void presigner_free(struct presigner *g);

/*
 * 1 when return_url=true can be honoured right now: credentials are at hand
 * (fetched or refreshed if due, at most every CRED_RETRY_INTERVAL seconds
 * after a failure). Call it before anything is written.
 */
int presigner_ready(struct presigner *g, const char *rid);

/* What presigner_sign() signs for: one request's presigner and id. */
struct presigner_call {
	struct presigner *presigner;
	const char *rid;
};

/* doc_sign_fn: ctx is a struct presigner_call, url an s3:// URL. Returns a
 * malloc'd URL (caller frees) or NULL when this blob cannot be signed (the
 * reason is logged under the request id). */
char *presigner_sign(void *ctx, const char *url);

#endif
