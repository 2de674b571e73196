/* hmac.c - see hmac.h. */
#include "hmac.h"
#include "util.h"

#include <string.h>

#include <openssl/crypto.h>

/* Prepares h for HMAC-SHA256 under key (any length: a key longer than the
 * 64-byte block is hashed first, as RFC 2104 says). */
void hmac_init(struct hmac_key *h, const void *key, size_t klen)
{
	unsigned char block[SHA256_CBLOCK], pad[SHA256_CBLOCK];
	size_t i;

	memset(block, 0, sizeof(block));
	if (klen > SHA256_CBLOCK)
		util_sha256(key, klen, block);
	else
		memcpy(block, key, klen);
	for (i = 0; i < SHA256_CBLOCK; i++)
		pad[i] = block[i] ^ 0x36;
	SHA256_Init(&h->inner);
	SHA256_Update(&h->inner, pad, SHA256_CBLOCK);
	for (i = 0; i < SHA256_CBLOCK; i++)
		pad[i] = block[i] ^ 0x5c;
	SHA256_Init(&h->outer);
	SHA256_Update(&h->outer, pad, SHA256_CBLOCK);
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(pad, sizeof(pad));
}

void hmac_final(const struct hmac_key *h, SHA256_CTX *inner,
                       unsigned char out[32])
{
	SHA256_CTX outer = h->outer;
	unsigned char ihash[32];

	SHA256_Final(ihash, inner);
	SHA256_Update(&outer, ihash, sizeof(ihash));
	SHA256_Final(out, &outer);
}

void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                 unsigned char out[32])
{
	struct hmac_key h;
	SHA256_CTX inner;

	hmac_init(&h, key, klen);
	inner = h.inner;
	SHA256_Update(&inner, msg, mlen);
	hmac_final(&h, &inner, out);
	OPENSSL_cleanse(&h, sizeof(h));
}
