/*
 * auth.h - bearer API keys: format, hashing, and the decisions the contract
 * makes from the key's row (section 1).
 *
 * A key is "sk_live_" or "sk_test_" followed by at least 32 base62
 * characters. Only its SHA-256 is stored and looked up, so the comparison
 * the database makes is on a hash, never on the secret itself.
 */
#ifndef DOCAPI_AUTH_H
#define DOCAPI_AUTH_H

#include <stddef.h>

#define AUTH_KEY_RANDOM_LEN 40
#define AUTH_PREFIX_LEN 12

/*
 * Extracts the key from an Authorization header value ("Bearer <key>",
 * scheme case-insensitive). Returns a pointer into `header` and sets *len,
 * or NULL when the header is not a Bearer credential or the key is empty.
 */
const char *auth_bearer_key(const char *header, size_t *len);

/* 1 when key (len bytes) has the documented shape. */
int auth_key_well_formed(const char *key, size_t len);

/* SHA-256 of the key into out (32 bytes). */
void auth_hash_key(const char *key, size_t len, unsigned char out[32]);

/* Writes a new random key into out (at least 8 + AUTH_KEY_RANDOM_LEN + 1). */
void auth_new_key(char *out, int test_mode);

/* 1 when `role` may use a method: read -> GET only; write/admin -> all. */
int auth_role_allows(const char *role, int is_write);

#endif
