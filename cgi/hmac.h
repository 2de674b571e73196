/*
 * hmac.h - HMAC-SHA256 (RFC 2104) over OpenSSL's low-level SHA-256.
 *
 * A SHA256_CTX is a plain struct: the pads of a key are hashed once
 * (hmac_init) and every message starts from a copy of them, with no EVP
 * dispatch or allocation per call (an EVP_MD_CTX or EVP_MAC_CTX copy
 * allocates in OpenSSL 3.0). The low-level API is deprecated in 3.0 but
 * present; a FIPS-only build would need EVP instead. Used by the S3
 * signer (many URLs per key) and the list cursors.
 */
#ifndef DOCAPI_HMAC_H
#define DOCAPI_HMAC_H

#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <stddef.h>
#include <openssl/sha.h>

/* The hash states after the key block XOR ipad and XOR opad.
 * Secret-equivalent: wipe with OPENSSL_cleanse. */
struct hmac_key {
	SHA256_CTX inner, outer;
};

void hmac_init(struct hmac_key *h, const void *key, size_t klen);
/* Completes an HMAC: `inner` is a copy of h->inner that has absorbed the
 * message; it is consumed (left wiped). */
void hmac_final(const struct hmac_key *h, SHA256_CTX *inner, unsigned char out[32]);
/* out = HMAC-SHA256(key, msg); out may alias key. */
void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                 unsigned char out[32]);

#endif
