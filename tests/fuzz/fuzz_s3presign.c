/*
 * fuzz_s3presign.c - presign_parse_s3_url() and presign_url() with fixed
 * credentials, as presigner.c uses them for every s3:// blob URL.
 *
 * Input: 8 option bytes (addressing, expiry and clock selectors, flags),
 * then '\0'-separated fields: URL, region, endpoint, session token, extra
 * parameter name, extra parameter value. Missing fields take defaults.
 *
 * Invariants:
 *  - a parsed bucket is non-empty and the key points into the URL;
 *  - the size query (NULL, 0) and the real call agree on the length, a
 *    buffer one byte short is PRESIGN_ENOSPC, presign_url_alloc gives the
 *    same URL;
 *  - a URL is printable ASCII without spaces, starts with http(s)://, and
 *    carries X-Amz-Signature with 64 hex digits at its end;
 *  - presign_strerror never returns NULL.
 */
#include "fuzz_common.h"

#include "s3presign.h"

#include <ctype.h>

static struct presign_cache *cache;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cache = presign_cache_new();
	if (!cache)
		abort();
	return 0;
}

static void check_url(const char *url, size_t len)
{
	FUZZ_ASSERT(strlen(url) == len, "URL length");
	FUZZ_ASSERT(strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0,
	            "URL scheme");
	for (size_t i = 0; i < len; i++)
		FUZZ_ASSERT(url[i] > 0x20 && url[i] < 0x7f, "URL byte not printable ASCII");
	/* the last parameter (an extra one may be named like it, in any case) */
	const char *sig = NULL;
	for (const char *p = strstr(url, "&X-Amz-Signature="); p;
	     p = strstr(p + 1, "&X-Amz-Signature="))
		sig = p;
	FUZZ_ASSERT(sig, "no X-Amz-Signature");
	sig += 17;
	FUZZ_ASSERT(strlen(sig) == 64, "signature length");
	for (int i = 0; i < 64; i++)
		FUZZ_ASSERT(isxdigit((unsigned char)sig[i]) && !isupper((unsigned char)sig[i]),
		            "signature not lowercase hex");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long expiries[] = { 3600, 1, 604800, 604801, 0, -1, 900, 86400 };
	static const time_t clocks[] = {
		1445412480,          /* 2015-10-21 */
		0,                   /* 1970 */
		-30610224000LL,      /* year 1000 */
		253402300799LL,      /* 9999-12-31 23:59:59 */
		253402300800LL,      /* year 10000 */
		-30610224001LL,      /* year 999 */
		1735689599,          /* 2024-12-31 23:59:59 */
		1735689600,
	};
	char *f[8] = { 0 };
	size_t lens[8];
	char bucket[PRESIGN_BUCKET_MAX + 1];
	const char *key = NULL;

	if (size < 8)
		return 0;
	int n = fuzz_split(data + 8, size - 8, 6, f, lens);
	const char *url = f[0];

	/* the parser first, as presigner does */
	int prc = presign_parse_s3_url(url, bucket, sizeof bucket, &key);
	FUZZ_ASSERT(presign_strerror(prc) != NULL, "strerror");
	if (prc == PRESIGN_OK) {
		FUZZ_ASSERT(bucket[0] && strlen(bucket) <= PRESIGN_BUCKET_MAX, "bucket");
		FUZZ_ASSERT(key && key > url && key <= url + lens[0] && *key, "key");
	} else {
		FUZZ_ASSERT(key == NULL, "key set on failure");
		/* still sign something: the URL as a raw key in a fixed bucket */
		snprintf(bucket, sizeof bucket, "%s", (data[7] & 1) ? "my.bucket" : "bucket");
		key = url;
	}

	struct presign_param extra = { n > 4 ? f[4] : "response-content-type",
	                               n > 5 ? f[5] : "" };
	struct presign_request r = {
		.access_key = "AKIDEXAMPLE",
		.secret_key = (data[6] & 1) ? "" : "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		.session_token = n > 3 ? f[3] : NULL,
		.region = n > 1 ? f[1] : "us-east-1",
		.endpoint = n > 2 ? f[2] : NULL,
		.addressing = (enum presign_addressing)(data[0] % 4),  /* 3: invalid */
		.bucket = bucket,
		.key = key,
		.now = clocks[data[1] & 7] + (time_t)data[2] * 86399,
		.expires = expiries[data[3] & 7],
		.extra = &extra,
		.n_extra = (size_t)(data[4] % 3),  /* 0, 1, or 2 (twice the same) */
	};
	struct presign_param two[2] = { extra, extra };
	if (r.n_extra == 2)
		r.extra = two;
	if (data[5] & 1)
		r.endpoint = NULL;

	size_t need = 0, got = 0;
	int rc = presign_url(cache, &r, NULL, 0, &need, NULL);
	FUZZ_ASSERT(presign_strerror(rc) != NULL, "strerror");
	if (rc == PRESIGN_ENOSPC) {
		char *buf = malloc(need + 1);
		struct presign_debug dbg;
		memset(&dbg, 0, sizeof dbg);
		if (need > 0) {
			size_t short_len = 0;
			FUZZ_ASSERT(presign_url(cache, &r, buf, need, &short_len, NULL) ==
			            PRESIGN_ENOSPC && short_len == need, "one byte short");
		}
		rc = presign_url(cache, &r, buf, need + 1, &got, (data[5] & 2) ? &dbg : NULL);
		FUZZ_ASSERT(rc == PRESIGN_OK, "sized call failed after the size query");
		FUZZ_ASSERT(got == need, "sized call length differs");
		check_url(buf, got);
		char *alloc = NULL;
		FUZZ_ASSERT(presign_url_alloc(cache, &r, &alloc, NULL) == PRESIGN_OK &&
		            strcmp(alloc, buf) == 0, "presign_url_alloc differs");
		free(alloc);
		presign_debug_free(&dbg);
		free(buf);
	} else {
		FUZZ_ASSERT(rc != PRESIGN_OK, "size query signed into a NULL buffer");
		char *alloc = (char *)1;
		FUZZ_ASSERT(presign_url_alloc(cache, &r, &alloc, NULL) == rc && alloc == NULL,
		            "presign_url_alloc error differs");
	}
	fuzz_free_pieces(f, n);
	return 0;
}
