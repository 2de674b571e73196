/*
 * s3presign.h - presigned S3 GET URLs (AWS Signature Version 4, query auth).
 *
 * Pure: no I/O, no global state. The only state is a signing-key cache that
 * the caller owns (one per worker thread; a cache is not thread-safe).
 * Algorithm and pitfalls: research/s3-presign.md; reference cases:
 * tests/unit/data/sigv4-vectors*.json (all reproduced byte for byte).
 *
 * Rules this module applies:
 *  - The object key is taken as raw bytes (UTF-8 as given, never normalized,
 *    never percent-decoded) and encoded exactly once: A-Z a-z 0-9 - . _ ~ stay,
 *    '/' stays literal, every other byte becomes %XX (uppercase hex), so a
 *    space is %20 and '+' is %2B. The same bytes are the URL path and the
 *    canonical URI.
 *  - Keys with a "." or ".." path segment ("a/./b", "../x", "a/..") are
 *    refused with PRESIGN_EDOTSEG: S3 signs the literal path, but browsers,
 *    curl and most HTTP clients remove dot segments before sending, so such a
 *    URL would fail with SignatureDoesNotMatch or fetch another object.
 *    Empty segments (leading '/', "a//b", trailing '/') are allowed: clients
 *    keep them (RFC 3986 section 5.2.4, WHATWG URL), and AWS SDKs sign them
 *    literally (vectors key-leading-slash, key-nested-double-and-trailing-slash).
 *  - Only `host` is signed; the host carries a non-default port; the payload
 *    hash is UNSIGNED-PAYLOAD; X-Amz-Security-Token is part of the signed query.
 *  - The canonical query is sorted by encoded name, then value (byte order).
 *    The URL lists the extra parameters first, in the caller's order, then the
 *    X-Amz-* parameters in canonical order (so the session token sits between
 *    X-Amz-Expires and X-Amz-SignedHeaders), then X-Amz-Signature. This is the
 *    expected_url form of both vector files.
 *  - Addressing (PRESIGN_ADDR_AUTO): on AWS (endpoint NULL) virtual-hosted,
 *    bucket.s3.amazonaws.com for us-east-1 and bucket.s3.<region>.amazonaws.com
 *    elsewhere (.amazonaws.com.cn for cn-* regions); path style
 *    (s3[.<region>].amazonaws.com/bucket/key) when the bucket is not a DNS
 *    label (dots, uppercase, '_', length outside 3..63). With a custom
 *    endpoint AUTO means path style. PRESIGN_ADDR_VIRTUAL forces
 *    bucket.<host>; the bucket must then be a valid DNS name (dots allowed:
 *    over https the caller must have a certificate that matches) and the
 *    endpoint host not an [IPv6] literal. The endpoint host is lowercased; a
 *    default port (:443 for https, :80 for http) is dropped.
 *  - The lifetime must be 1..604800 seconds (S3's limit).
 */
#ifndef DOCAPI_S3PRESIGN_H
#define DOCAPI_S3PRESIGN_H

#include <stddef.h>
#include <time.h>

enum presign_err {
	PRESIGN_OK = 0,
	PRESIGN_EINVAL,		/* NULL cache/request/out pointer, bad addressing value */
	PRESIGN_ECRED,		/* access key or secret missing/empty, secret too long */
	PRESIGN_EREGION,	/* region empty, over PRESIGN_REGION_MAX, not [A-Za-z0-9._-] */
	PRESIGN_EENDPOINT,	/* not http(s)://host[:port][/], or virtual on [IPv6] */
	PRESIGN_EBUCKET,	/* bucket empty, over PRESIGN_BUCKET_MAX, not [A-Za-z0-9._-],
				 * "." or "..", or (virtual) not a DNS name */
	PRESIGN_EKEY,		/* key NULL or empty */
	PRESIGN_EDOTSEG,	/* key has a "." or ".." path segment (see above) */
	PRESIGN_EEXPIRES,	/* lifetime outside 1..604800 */
	PRESIGN_ETIME,		/* signing instant's UTC year is not 1000..9999 */
	PRESIGN_EPARAM,		/* extra parameter: too many, NULL, empty name, or a
				 * name this module sets (X-Amz-Algorithm...Signature,
				 * any case; other x-amz-* names are allowed) */
	PRESIGN_ENOSPC,		/* output buffer too small (the needed length is reported) */
	PRESIGN_ECRYPTO,	/* an OpenSSL call failed (not returned today) */
	PRESIGN_EURL		/* presign_parse_s3_url: not s3://bucket/key */
};

#define PRESIGN_MAX_EXPIRES 604800L
#define PRESIGN_REGION_MAX 63	/* bytes, without the NUL */
#define PRESIGN_BUCKET_MAX 255	/* bytes, without the NUL (legacy us-east-1 names) */
#define PRESIGN_SECRET_MAX 508	/* bytes */
#define PRESIGN_MAX_EXTRA 8	/* extra signed query parameters per URL */

enum presign_addressing {
	PRESIGN_ADDR_AUTO = 0,	/* see the rules above */
	PRESIGN_ADDR_VIRTUAL,	/* always bucket.<host>/key */
	PRESIGN_ADDR_PATH	/* always <host>/bucket/key */
};

/* An extra signed query parameter, e.g. response-content-disposition or
 * versionId. Name and value are raw; the signer encodes both. */
struct presign_param {
	const char *name;
	const char *value;	/* may be "" */
};

/* Everything one URL depends on. All strings are borrowed for the call only. */
struct presign_request {
	const char *access_key;		/* required */
	const char *secret_key;		/* required */
	const char *session_token;	/* NULL or "" = long-term credentials */
	const char *region;		/* e.g. "eu-west-1"; "auto" for Cloudflare R2 */
	const char *endpoint;		/* NULL or "" = AWS; else "http(s)://host[:port]" */
	enum presign_addressing addressing;
	const char *bucket;
	const char *key;		/* raw object key (not percent-encoded) */
	time_t now;			/* ONE clock reading: X-Amz-Date and the scope date */
	long expires;			/* lifetime in seconds, 1..604800 */
	const struct presign_param *extra;	/* n_extra entries, may be NULL if 0 */
	size_t n_extra;			/* at most PRESIGN_MAX_EXTRA */
};

/* Optional by-products of one presign_url() call, for tests and debugging.
 * signing_key is secret-equivalent (for one day and region): never log it. */
struct presign_debug {
	char *canonical_request;	/* malloc'd, owned by the struct */
	char *string_to_sign;		/* malloc'd, owned by the struct */
	char signature[65];		/* lowercase hex */
	char signing_key[65];		/* lowercase hex kSigning */
	int key_derived;		/* 1: derived by this call, 0: taken from the cache */
};

/* Opaque signing-key cache: a few derived keys, each keyed by (secret, UTC
 * date, region) and kept with its precomputed HMAC pads. The secret is kept
 * beside its key and compared byte for byte, so a rotated secret never finds
 * a stale key; it lives only in the cache's memory and is wiped on eviction
 * and by presign_cache_free(). A key is derived once per day per credential
 * and region; a new UTC date replaces the stale entry. Per second it also
 * keeps the X-Amz-Date text and, per key, the HMAC state after the string to
 * sign's first lines, so URLs signed in the same second share that work.
 * SHA-256 is OpenSSL's built-in implementation (the low-level API, not an
 * EVP fetch): it does not go through the configured providers. */
struct presign_cache;

/* Returns a new cache owned by the caller (free with presign_cache_free()).
 * Never NULL today (aborts on out-of-memory); callers still check, so a
 * future implementation may fail. Use one cache per thread. */
struct presign_cache *presign_cache_new(void);

/* Wipes the secrets and derived keys and frees the cache. NULL is a no-op. */
void presign_cache_free(struct presign_cache *cache);

/*
 * Writes the presigned URL for `req` into buf (bufsz bytes, NUL-terminated)
 * and sets *url_len to its length (without the NUL). This module allocates
 * nothing unless `dbg` is given. The signing key comes from `cache`, derived
 * at most once per UTC day, credential and region.
 *
 * Returns PRESIGN_OK, or a presign_err; on PRESIGN_ENOSPC *url_len holds the
 * length the URL needs (so bufsz must be at least *url_len + 1) and nothing
 * was signed; buf==NULL with bufsz==0 is the way to ask for the size. On any
 * error buf's contents are unspecified.
 *
 * dbg: NULL, or a struct that is overwritten (free a previous result with
 * presign_debug_free() first) and filled on PRESIGN_OK only.
 */
int presign_url(struct presign_cache *cache, const struct presign_request *req,
                char *buf, size_t bufsz, size_t *url_len,
                struct presign_debug *dbg);

/* Like presign_url() but allocates the URL exactly: on PRESIGN_OK *out is a
 * malloc'd string the caller frees; on error *out is NULL. Aborts on OOM. */
int presign_url_alloc(struct presign_cache *cache,
                      const struct presign_request *req, char **out,
                      struct presign_debug *dbg);

/* Frees the strings inside *dbg and zeroes it. NULL is a no-op. */
void presign_debug_free(struct presign_debug *dbg);

/*
 * Splits "s3://bucket/key" (scheme in any case). The bucket is copied into
 * bucket[bucket_size] (PRESIGN_BUCKET_MAX + 1 always fits a valid one);
 * *key points into `url`, at the byte after the first '/' following the
 * bucket. The key is raw: it is NOT percent-decoded, and '?', '#', '%' and
 * further '/' are part of it ("s3://b/a%20b?x" is key "a%20b?x").
 * Returns PRESIGN_OK, or PRESIGN_EURL when url is NULL, is not s3://, the
 * bucket or key is empty, or the bucket does not fit; then *key is NULL.
 * Bucket/key content is validated later by presign_url().
 */
int presign_parse_s3_url(const char *url, char *bucket, size_t bucket_size,
                         const char **key);

/* A static English description of a presign_err; never NULL. */
const char *presign_strerror(int err);

#endif
