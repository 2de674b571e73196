/* auth.c - see auth.h. */
#include "auth.h"
#include "util.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

const char *auth_bearer_key(const char *header, size_t *len)
{
	const char *p;
	size_t n;

	if (!header || strncasecmp(header, "Bearer", 6) != 0 || header[6] != ' ')
		return NULL;
	p = header + 6;
	while (*p == ' ')
		p++;
	n = strlen(p);
	while (n > 0 && p[n - 1] == ' ')
		n--;
	if (n == 0)
		return NULL;
	*len = n;
	return p;
}

int auth_key_well_formed(const char *key, size_t len)
{
	if (len < 8 + 32 || len > 200)
		return 0;
	if (strncmp(key, "sk_live_", 8) != 0 && strncmp(key, "sk_test_", 8) != 0)
		return 0;
	for (size_t i = 8; i < len; i++)
		if (!isalnum((unsigned char)key[i]))
			return 0;
	return 1;
}

void auth_hash_key(const char *key, size_t len, unsigned char out[32])
{
	util_sha256(key, len, out);
}

void auth_new_key(char *out, int test_mode)
{
	memcpy(out, test_mode ? "sk_test_" : "sk_live_", 8);
	util_random_base62(out + 8, AUTH_KEY_RANDOM_LEN);
}

int auth_role_allows(const char *role, int is_write)
{
	if (!is_write)
		return 1;
	return strcmp(role, "write") == 0 || strcmp(role, "admin") == 0;
}
