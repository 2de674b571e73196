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

/* Reasons a blob is not presigned, counted per request (presigner.c). */
#define PRESIGNER_REASONS 24

/*
 * What presigner_sign() signs for: one request's presigner and id, and
 * what went wrong while signing that request's blobs. Start it as
 * { presigner, rid } (the rest zero) and end it with
 * presigner_call_finish().
 */
struct presigner_call {
	struct presigner *presigner;
	const char *rid;
	unsigned long failed;                        /* blobs not presigned */
	unsigned long by_reason[PRESIGNER_REASONS];  /* of them, per reason */
};

/*
 * doc_sign_fn: ctx is a struct presigner_call, url an s3:// URL. Returns a
 * malloc'd URL (caller frees) or NULL when this blob cannot be signed. The
 * log of one request stays bounded whatever its document holds: the first
 * blob of each reason is logged (its URL or bucket quoted, log_quote()),
 * the others only counted for presigner_call_finish().
 */
char *presigner_sign(void *ctx, const char *url);

/*
 * After the last presigner_sign() of a request: when more blobs failed
 * than were logged, one line with the count per reason, e.g.
 * "3000 blobs not presigned in this reply: 2999 invalid bucket name ..., 1
 * object key has a '.' ... (the first of each is logged above)". Resets
 * the counts. NULL is a no-op.
 */
void presigner_call_finish(struct presigner_call *pc);

#endif
