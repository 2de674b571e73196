/* s3presign.c: SigV4 query presigning of S3 GET URLs (see s3presign.h) */

/* SHA-256 through the low-level API (see hmac.h): the HMAC pads of a
 * signing key are computed once and each URL starts from a struct copy. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "s3presign.h"
#include "hmac.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#define CACHE_SLOTS 8
#define ALGO "AWS4-HMAC-SHA256"
#define SCOPE_TAIL "/s3/aws4_request"

/* One derived key and what it was derived from. The secret is kept to find
 * the key again by comparison (a hash of it on every URL cost a SHA-256 and
 * an EVP fetch); it is wiped with the slot on eviction and in
 * presign_cache_free(), as the derived key is. */
struct slot {
	char secret[PRESIGN_SECRET_MAX];
	size_t slen;		/* bytes of secret in use */
	char date[8];		/* YYYYMMDD */
	char region[PRESIGN_REGION_MAX + 1];
	unsigned char key[32];	/* kSigning */
	struct hmac_key mac;	/* HMAC pads of key */
	/* mac.inner after the string to sign up to its last line (algorithm,
	 * X-Amz-Date, scope): that head fills the first block after the ipad
	 * and changes once a second, so URLs signed in the same second skip
	 * one SHA-256 block. Valid for the instant head_now if head_ok. */
	SHA256_CTX head;
	time_t head_now;
	int head_ok;
	unsigned long used;	/* LRU stamp; 0 = empty */
};

struct presign_cache {
	unsigned long tick;
	struct slot slot[CACHE_SLOTS];
	time_t date_now;	/* instant formatted in amzdate, if date_ok */
	int date_ok;
	char amzdate[17];	/* X-Amz-Date, "YYYYMMDDTHHMMSSZ" */
};

/* A bounded writer: counts every byte, stores the ones that fit. */
struct out {
	char *p;
	size_t cap, len;
};

/* One query parameter inside the output buffer: "name=value" at off. */
struct span {
	size_t off, nlen, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n && o->len + n <= o->cap)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

#define PUTS(o, lit) put((o), (lit), sizeof(lit) - 1)

/* A-Z a-z 0-9 - . _ ~ as a 256-bit set (one lookup per byte encoded). */
static int unreserved(unsigned char c)
{
	static const uint32_t set[8] = {
		0x00000000,	/* 0x00-0x1f */
		0x03ff6000,	/* '-' '.' '0'-'9' */
		0x87fffffe,	/* 'A'-'Z' '_' */
		0x47fffffe,	/* 'a'-'z' '~' */
	};

	return (set[c >> 5] >> (c & 31)) & 1;
}

/* UriEncode() of [S3-HDR]: one pass, uppercase hex, '/' kept if asked. */
static void put_enc(struct out *o, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, need = 0;
	char *p;

	if (n == 0)
		return;
	if (o->len + 3 * n > o->cap) {	/* may not fit: measure first */
		for (i = 0; i < n; i++)
			need += unreserved((unsigned char)s[i]) ||
			        (keep_slash && s[i] == '/') ? 1 : 3;
		if (o->len + need > o->cap) {
			o->len += need;
			return;
		}
	}
	for (p = o->p + o->len, i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	o->len = (size_t)(p - o->p);
}

static void put_lower(struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, o->len++)
		if (o->len < o->cap)
			o->p[o->len] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i];
}

static void put_ulong(struct out *o, unsigned long v)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(o, d + i, sizeof(d) - i);
}

static void hex_lower(char *dst, const unsigned char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		dst[2 * i] = hex[src[i] >> 4];
		dst[2 * i + 1] = hex[src[i] & 15];
	}
	dst[2 * n] = '\0';
}

/* Returns a zeroed cache; nothing can fail since SHA-256 is built in. */
struct presign_cache *presign_cache_new(void)
{
	return xcalloc(1, sizeof(struct presign_cache));
}

void presign_cache_free(struct presign_cache *c)
{
	if (c == NULL)
		return;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

void presign_debug_free(struct presign_debug *dbg)
{
	if (dbg == NULL)
		return;
	free(dbg->canonical_request);
	free(dbg->string_to_sign);
	memset(dbg, 0, sizeof(*dbg));
}

/* Finds or derives kSigning for (secret, date, region); the slot's HMAC pads
 * are ready for the string to sign. A slot matches only when its secret is
 * byte for byte the same, so rotated credentials (even at the same address
 * or under the same access key id) never meet a stale key. */
static struct slot *signing_slot(struct presign_cache *c, const char *secret,
                                 size_t slen, const char *date,
                                 const char *region, int *derived)
{
	unsigned char k[32];
	unsigned char kbuf[4 + PRESIGN_SECRET_MAX];
	struct slot *s, *victim = NULL;
	int i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		s = &c->slot[i];
		if (s->used && s->slen == slen && strcmp(s->region, region) == 0 &&
		    CRYPTO_memcmp(s->secret, secret, slen) == 0) {
			if (memcmp(s->date, date, 8) == 0) {
				s->used = ++c->tick;
				*derived = 0;
				return s;
			}
			victim = s;	/* same credential and region, older day */
		}
	}
	if (victim == NULL) {	/* least recently used (empty slots first) */
		victim = &c->slot[0];
		for (i = 1; i < CACHE_SLOTS; i++)
			if (c->slot[i].used < victim->used)
				victim = &c->slot[i];
	}
	s = victim;
	OPENSSL_cleanse(s, sizeof(*s));	/* the previous secret may be longer */
	memcpy(kbuf, "AWS4", 4);
	memcpy(kbuf + 4, secret, slen);
	hmac_sha256(kbuf, 4 + slen, date, 8, k);
	hmac_sha256(k, 32, region, strlen(region), k);
	hmac_sha256(k, 32, "s3", 2, k);
	hmac_sha256(k, 32, "aws4_request", 12, k);
	OPENSSL_cleanse(kbuf, 4 + slen);
	memcpy(s->secret, secret, slen);
	s->slen = slen;
	memcpy(s->date, date, 8);
	strcpy(s->region, region);
	memcpy(s->key, k, 32);
	hmac_init(&s->mac, k, 32);
	s->used = ++c->tick;
	OPENSSL_cleanse(k, sizeof(k));
	*derived = 1;
	return s;
}

/* The X-Amz-Date of `now`, formatted once per second into the cache.
 * Returns NULL when its UTC year is not 1000..9999 (not 4 digits). */
static const char *amz_date(struct presign_cache *c, time_t now)
{
	struct tm tm;

	if (c->date_ok && c->date_now == now)
		return c->amzdate;
	c->date_ok = 0;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(c->amzdate, sizeof(c->amzdate), "%Y%m%dT%H%M%SZ", &tm) != 16)
		return NULL;
	c->date_now = now;
	c->date_ok = 1;
	return c->amzdate;
}

/* Writes the string to sign without its last line (the canonical request's
 * hash): "AWS4-HMAC-SHA256\n<X-Amz-Date>\n<date>/<region>/s3/aws4_request\n". */
static void sts_head(struct out *so, const char *amzdate, const char *region,
                     size_t rlen)
{
	PUTS(so, ALGO "\n");
	put(so, amzdate, 16);
	PUTS(so, "\n");
	put(so, amzdate, 8);
	PUTS(so, "/");
	put(so, region, rlen);
	PUTS(so, SCOPE_TAIL "\n");
}

static int bucket_char(char ch)
{
	return unreserved((unsigned char)ch) && ch != '~';
}

static int valid_bucket(const char *b, size_t n)
{
	size_t i;

	if (n == 0 || n > PRESIGN_BUCKET_MAX || strcmp(b, ".") == 0 ||
	    strcmp(b, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!bucket_char(b[i]))
			return 0;
	return 1;
}

/* A bucket usable as a host name: 3..63 of [a-z0-9-], labels not starting or
 * ending with '-'; dots (label separators) only if allow_dots. */
static int dns_name(const char *b, size_t n, int allow_dots)
{
	size_t i;

	if (n < 3 || n > 63 || b[0] == '-' || b[0] == '.' ||
	    b[n - 1] == '-' || b[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (b[i] == '.') {
			if (!allow_dots || b[i - 1] == '.' || b[i - 1] == '-' ||
			    b[i + 1] == '-')
				return 0;
		} else if (!((b[i] >= 'a' && b[i] <= 'z') ||
		             (b[i] >= '0' && b[i] <= '9') || b[i] == '-')) {
			return 0;
		}
	}
	return 1;
}

static int valid_region(const char *r)
{
	size_t i;

	if (r == NULL || *r == '\0')
		return 0;
	for (i = 0; r[i]; i++)
		if (i >= PRESIGN_REGION_MAX || !bucket_char(r[i]))
			return 0;
	return 1;
}

static int has_dot_segment(const char *k)
{
	for (;;) {
		const char *end = strchr(k, '/');
		size_t n = end ? (size_t)(end - k) : strlen(k);

		if ((n == 1 && k[0] == '.') || (n == 2 && k[0] == '.' && k[1] == '.'))
			return 1;
		if (end == NULL)
			return 0;
		k = end + 1;
	}
}

struct endpoint {
	int https;
	const char *host;	/* NULL: AWS */
	size_t host_len;
	unsigned long port;	/* 0: the scheme's default */
};

/* "http(s)://host[:port][/]", host a name, IPv4 or [IPv6] literal. */
static int parse_endpoint(const char *s, struct endpoint *e)
{
	const char *h;
	unsigned long port = 0;
	int nd = 0;

	if (strncasecmp(s, "https://", 8) == 0)
		e->https = 1, s += 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		e->https = 0, s += 7;
	else
		return PRESIGN_EENDPOINT;
	h = s;
	if (*s == '[') {
		while (*++s && (strchr("0123456789abcdefABCDEF:.", *s)))
			;
		if (*s != ']' || s == h + 1)
			return PRESIGN_EENDPOINT;
		s++;
	} else {
		while (bucket_char(*s))
			s++;
	}
	if (s == h)
		return PRESIGN_EENDPOINT;
	e->host = h;
	e->host_len = (size_t)(s - h);
	if (*s == ':') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (++nd > 5)
				return PRESIGN_EENDPOINT;
			port = port * 10 + (unsigned long)(*s - '0');
		}
		if (port == 0 || port > 65535)
			return PRESIGN_EENDPOINT;
		if (port == (e->https ? 443UL : 80UL))
			port = 0;
	}
	e->port = port;
	if (*s == '/')
		s++;
	return *s == '\0' ? PRESIGN_OK : PRESIGN_EENDPOINT;
}

#define LIT(s) (s), (sizeof(s) - 1)

/* Starts query parameter number *ns ("&" before all but the first). */
static void param(struct out *o, struct span *sp, size_t *ns,
                  const char *name, size_t nlen, int enc)
{
	struct span *s = &sp[*ns];

	if ((*ns)++)
		PUTS(o, "&");
	s->off = o->len;
	if (enc)
		put_enc(o, name, nlen, 0);
	else
		put(o, name, nlen);
	s->nlen = o->len - s->off;
	PUTS(o, "=");
}

static int memcmp_len(const char *a, size_t an, const char *b, size_t bn)
{
	int d = memcmp(a, b, an < bn ? an : bn);

	return d ? d : (an > bn) - (an < bn);
}

/* Canonical order: by encoded name, then encoded value, byte-wise. */
static int span_cmp(const char *buf, const struct span *a, const struct span *b)
{
	int d = memcmp_len(buf + a->off, a->nlen, buf + b->off, b->nlen);

	return d ? d : memcmp_len(buf + a->off + a->nlen + 1, a->len - a->nlen - 1,
	                          buf + b->off + b->nlen + 1, b->len - b->nlen - 1);
}

/* Feeds the canonical request to SHA-256, and to a copy if debugging. */
struct sink {
	SHA256_CTX md;
	char *copy;
	size_t len;
};

static void feed(struct sink *k, const char *p, size_t n)
{
	if (k->copy)
		memcpy(k->copy + k->len, p, n);
	k->len += n;
	SHA256_Update(&k->md, p, n);
}

/* One of the SigV4 query parameters this module sets (any case)? */
static int auth_param(const char *name)
{
	static const char *const names[] = {
		"Algorithm", "Credential", "Date", "Expires", "Security-Token",
		"SignedHeaders", "Signature",
	};
	size_t i;

	for (i = 0; strncasecmp(name, "X-Amz-", 6) == 0 && i < 7; i++)
		if (strcasecmp(name + 6, names[i]) == 0)
			return 1;
	return 0;
}

static int check_request(const struct presign_request *r, struct endpoint *ep,
                         int *virt)
{
	size_t i, blen;
	int rc;

	if (!r->access_key || !*r->access_key || !r->secret_key ||
	    !*r->secret_key || strlen(r->secret_key) > PRESIGN_SECRET_MAX)
		return PRESIGN_ECRED;
	if (!valid_region(r->region))
		return PRESIGN_EREGION;
	if (r->endpoint && *r->endpoint &&
	    (rc = parse_endpoint(r->endpoint, ep)) != PRESIGN_OK)
		return rc;
	blen = r->bucket ? strlen(r->bucket) : 0;
	if (!valid_bucket(r->bucket, blen))
		return PRESIGN_EBUCKET;
	if (r->addressing == PRESIGN_ADDR_AUTO)
		*virt = ep->host == NULL && dns_name(r->bucket, blen, 0);
	else if (r->addressing == PRESIGN_ADDR_VIRTUAL)
		*virt = 1;
	else if (r->addressing == PRESIGN_ADDR_PATH)
		*virt = 0;
	else
		return PRESIGN_EINVAL;
	if (*virt && !dns_name(r->bucket, blen, 1))
		return PRESIGN_EBUCKET;
	if (*virt && ep->host && ep->host[0] == '[')
		return PRESIGN_EENDPOINT;	/* no bucket.[IPv6] */
	if (!r->key || !*r->key)
		return PRESIGN_EKEY;
	if (has_dot_segment(r->key))
		return PRESIGN_EDOTSEG;
	if (r->expires < 1 || r->expires > PRESIGN_MAX_EXPIRES)
		return PRESIGN_EEXPIRES;
	if (r->n_extra > PRESIGN_MAX_EXTRA || (r->n_extra && !r->extra))
		return PRESIGN_EPARAM;
	for (i = 0; i < r->n_extra; i++)
		if (!r->extra[i].name || !*r->extra[i].name || !r->extra[i].value ||
		    auth_param(r->extra[i].name))
			return PRESIGN_EPARAM;
	return PRESIGN_OK;
}

/* Appends scheme://host of r to o; returns where the host starts and sets
 * *host_len. */
static size_t put_origin(struct out *o, const struct presign_request *r,
                         const struct endpoint *ep, int virt, size_t rlen,
                         size_t *host_len)
{
	if (ep->host && !ep->https)
		PUTS(o, "http://");
	else
		PUTS(o, "https://");
	size_t host_off = o->len;
	if (virt) {
		put(o, r->bucket, strlen(r->bucket));
		PUTS(o, ".");
	}
	if (ep->host) {
		put_lower(o, ep->host, ep->host_len);
		if (ep->port) {
			PUTS(o, ":");
			put_ulong(o, ep->port);
		}
	} else {
		PUTS(o, "s3");
		if (strcmp(r->region, "us-east-1") != 0) {
			PUTS(o, ".");
			put(o, r->region, rlen);
		}
		PUTS(o, ".amazonaws.com");
		if (strncmp(r->region, "cn-", 3) == 0)
			PUTS(o, ".cn");
	}
	*host_len = o->len - host_off;
	return host_off;

}

/* Appends the query, recording each parameter in sp: the extras in the
 * caller's order, then X-Amz-* in canonical order. */
static void put_query(struct out *o, struct span *sp, size_t *ns,
                      const struct presign_request *r, const char *amzdate,
                      size_t rlen)
{
	PUTS(o, "?");
	for (size_t i = 0; i < r->n_extra; i++) {
		const struct presign_param *p = &r->extra[i];

		param(o, sp, ns, p->name, strlen(p->name), 1);
		put_enc(o, p->value, strlen(p->value), 0);
	}
	param(o, sp, ns, LIT("X-Amz-Algorithm"), 0);
	PUTS(o, ALGO);
	param(o, sp, ns, LIT("X-Amz-Credential"), 0);
	put_enc(o, r->access_key, strlen(r->access_key), 0);
	PUTS(o, "%2F");
	put(o, amzdate, 8);
	PUTS(o, "%2F");
	put_enc(o, r->region, rlen, 0);
	PUTS(o, "%2Fs3%2Faws4_request");
	param(o, sp, ns, LIT("X-Amz-Date"), 0);
	put(o, amzdate, 16);
	param(o, sp, ns, LIT("X-Amz-Expires"), 0);
	put_ulong(o, (unsigned long)r->expires);
	if (r->session_token && *r->session_token) {
		param(o, sp, ns, LIT("X-Amz-Security-Token"), 0);
		put_enc(o, r->session_token, strlen(r->session_token), 0);
	}
	param(o, sp, ns, LIT("X-Amz-SignedHeaders"), 0);
	PUTS(o, "host");

}

/* order = the indexes of sp in canonical order (an insertion sort: at
 * most 14 entries). */
static void sort_params(const char *buf, const struct span *sp, size_t ns,
                        size_t *order)
{
	size_t i, j;

	for (i = 0; i < ns; i++) {
		for (j = i; j > 0 && span_cmp(buf, &sp[order[j - 1]], &sp[i]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
}

/* SHA-256 of the canonical request into hash, read from the URL in buf in
 * place: sp are its query parameters, order their canonical order. */
static void hash_canonical(struct sink *k, const char *buf, size_t path_off,
                           size_t path_len, size_t host_off, size_t host_len,
                           const struct span *sp, const size_t *order, size_t ns,
                           unsigned char *hash)
{
	size_t i, j;

	k->len = 0;
	SHA256_Init(&k->md);
	feed(k, LIT("GET\n"));
	feed(k, buf + path_off, path_len);
	feed(k, LIT("\n"));
	for (i = 0; i < ns; i = j) {
		/* a run of parameters already in canonical order is one piece of
		 * the URL, '&'s included (all of the query without extras) */
		for (j = i + 1; j < ns && order[j] == order[j - 1] + 1; j++)
			;
		if (i)
			feed(k, LIT("&"));
		feed(k, buf + sp[order[i]].off,
		     sp[order[j - 1]].off + sp[order[j - 1]].len - sp[order[i]].off);
	}
	feed(k, LIT("\nhost:"));
	feed(k, buf + host_off, host_len);
	feed(k, LIT("\n\nhost\nUNSIGNED-PAYLOAD"));
	SHA256_Final(hash, &k->md);

}

/* Fills dbg with the texts signed (taking k's copy). */
static void fill_debug(struct presign_debug *dbg, struct sink *k, const char *sts,
                       size_t sts_len, const unsigned char *sig,
                       const struct slot *slot, int derived)
{
	k->copy[k->len] = '\0';
	dbg->canonical_request = k->copy;
	k->copy = NULL;
	dbg->string_to_sign = xmalloc(sts_len + 1);
	memcpy(dbg->string_to_sign, sts, sts_len + 1);
	hex_lower(dbg->signature, sig, 32);
	hex_lower(dbg->signing_key, slot->key, 32);
	dbg->key_derived = derived;
	}

/* The signature of the string to sign for hash into sig; its text goes
 * to so (the head only when want_text or not cached). Returns the slot of
 * the signing key. */
static struct slot *sign_hash(struct presign_cache *c,
                              const struct presign_request *r,
                              const char *amzdate, size_t rlen,
                              const unsigned char *hash, struct out *so,
                              int want_text, unsigned char *sig, int *derived)
{
	struct slot *slot = signing_slot(c, r->secret_key, strlen(r->secret_key),
	                                 amzdate, r->region, derived);
	int new_head = !slot->head_ok || slot->head_now != r->now;
	SHA256_CTX mac;

	if (new_head || want_text)
		sts_head(so, amzdate, r->region, rlen);
	if (new_head) {
		slot->head = slot->mac.inner;
		SHA256_Update(&slot->head, so->p, so->len);
		slot->head_now = r->now;
		slot->head_ok = 1;
	}
	hex_lower(so->p + so->len, hash, 32);
	mac = slot->head;
	SHA256_Update(&mac, so->p + so->len, 64);
	so->len += 64;
	hmac_final(&slot->mac, &mac, sig);
	return slot;
}

int presign_url(struct presign_cache *c, const struct presign_request *r,
                char *buf, size_t bufsz, size_t *url_len,
                struct presign_debug *dbg)
{
	struct endpoint ep = { 1, NULL, 0, 0 };
	struct span sp[PRESIGN_MAX_EXTRA + 6];
	size_t order[PRESIGN_MAX_EXTRA + 6];
	struct out o = { buf, buf ? bufsz : 0, 0 };
	struct sink k;
	struct slot *slot;
	const char *amzdate;
	char sts[sizeof(ALGO) + 17 + 9 + PRESIGN_REGION_MAX + sizeof(SCOPE_TAIL) + 65];
	struct out so = { sts, sizeof(sts), 0 };
	unsigned char hash[32], sig[32];
	size_t ns = 0, i, host_off, host_len, path_off, path_len;
	size_t rlen;
	int virt = 0, derived = 0, rc;

	if (dbg)
		memset(dbg, 0, sizeof(*dbg));
	if (c == NULL || r == NULL || url_len == NULL)
		return PRESIGN_EINVAL;
	*url_len = 0;
	if ((rc = check_request(r, &ep, &virt)) != PRESIGN_OK)
		return rc;
	/* one instant for X-Amz-Date and the scope date; 4-digit years only */
	if ((amzdate = amz_date(c, r->now)) == NULL)
		return PRESIGN_ETIME;
	rlen = strlen(r->region);

	host_off = put_origin(&o, r, &ep, virt, rlen, &host_len);

	/* path = canonical URI */
	path_off = o.len;
	PUTS(&o, "/");
	if (!virt) {
		put(&o, r->bucket, strlen(r->bucket));
		PUTS(&o, "/");
	}
	put_enc(&o, r->key, strlen(r->key), 1);
	path_len = o.len - path_off;
	put_query(&o, sp, &ns, r, amzdate, rlen);

	for (i = 0; i < ns; i++)	/* a parameter ends at the next '&' */
		sp[i].len = (i + 1 < ns ? sp[i + 1].off - 1 : o.len) - sp[i].off;
	*url_len = o.len + sizeof("&X-Amz-Signature=") - 1 + 64;
	if (*url_len >= o.cap)
		return PRESIGN_ENOSPC;

	sort_params(buf, sp, ns, order);

	/* SHA-256 of the canonical request, read from the URL in place */
	k.copy = dbg ? xmalloc(o.len + host_len + 64) : NULL;
	hash_canonical(&k, buf, path_off, path_len, host_off, host_len, sp, order,
	               ns, hash);

	/* HMAC of the string to sign: the head from the slot (once a second),
	 * then the hash's hex; the full text is only written out for dbg */
	slot = sign_hash(c, r, amzdate, rlen, hash, &so, dbg != NULL, sig, &derived);
	PUTS(&o, "&X-Amz-Signature=");
	hex_lower(buf + o.len, sig, 32);
	o.len += 64;

	if (dbg)
		fill_debug(dbg, &k, sts, so.len, sig, slot, derived);
	return PRESIGN_OK;
}

int presign_url_alloc(struct presign_cache *c, const struct presign_request *r,
                      char **out, struct presign_debug *dbg)
{
	size_t len = 0;
	int rc;

	if (dbg)
		memset(dbg, 0, sizeof(*dbg));
	if (out == NULL)
		return PRESIGN_EINVAL;
	*out = NULL;
	/* Sign once into a stack buffer that fits any usual URL and copy it;
	 * only a longer URL pays for a second, exactly sized pass. */
	char stack_buf[2048];
	rc = presign_url(c, r, stack_buf, sizeof stack_buf, &len, dbg);
	if (rc == PRESIGN_OK) {
		*out = xmalloc(len + 1);
		memcpy(*out, stack_buf, len + 1);
		return rc;
	}
	if (rc != PRESIGN_ENOSPC)
		return rc;
	*out = xmalloc(len + 1);
	rc = presign_url(c, r, *out, len + 1, &len, dbg);
	if (rc != PRESIGN_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int presign_parse_s3_url(const char *url, char *bucket, size_t bucket_size,
                         const char **key)
{
	const char *b, *slash;

	if (key)
		*key = NULL;
	if (url == NULL || bucket == NULL || key == NULL ||
	    strncasecmp(url, "s3://", 5) != 0)
		return PRESIGN_EURL;
	b = url + 5;
	slash = strchr(b, '/');
	if (slash == NULL || slash == b || slash[1] == '\0' ||
	    (size_t)(slash - b) >= bucket_size)
		return PRESIGN_EURL;
	memcpy(bucket, b, (size_t)(slash - b));
	bucket[slash - b] = '\0';
	*key = slash + 1;
	return PRESIGN_OK;
}

const char *presign_strerror(int err)
{
	static const char *const msg[] = {
		[PRESIGN_OK] = "success",
		[PRESIGN_EINVAL] = "invalid argument",
		[PRESIGN_ECRED] = "missing or invalid credentials",
		[PRESIGN_EREGION] = "invalid region",
		[PRESIGN_EENDPOINT] = "endpoint is not http(s)://host[:port]",
		[PRESIGN_EBUCKET] = "invalid bucket name for this addressing style",
		[PRESIGN_EKEY] = "empty object key",
		[PRESIGN_EDOTSEG] = "object key has a '.' or '..' path segment",
		[PRESIGN_EEXPIRES] = "lifetime must be 1..604800 seconds",
		[PRESIGN_ETIME] = "signing time out of range",
		[PRESIGN_EPARAM] = "invalid extra query parameter",
		[PRESIGN_ENOSPC] = "output buffer too small",
		[PRESIGN_ECRYPTO] = "OpenSSL failure",
		[PRESIGN_EURL] = "not an s3://bucket/key URL",
	};

	if (err < 0 || (size_t)err >= sizeof(msg) / sizeof(msg[0]) || !msg[err])
		return "unknown error";
	return msg[err];
}
