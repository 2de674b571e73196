/* credentials.c - see credentials.h. */
#include "credentials.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>     /* types and constants only: see lc_load() */
#include <json-c/json.h>
#include <openssl/crypto.h>

#define RESP_MAX 65536          /* bytes: larger answers are refused */
#define IMDS_TOKEN_TTL 21600    /* seconds asked for an IMDSv2 session token */
#define NOEXP_REFRESH 3600      /* ecs/imds answer without Expiration */
#define WHY_MAX 256
#define TIME_FOREVER ((time_t)INT64_MAX)

/* One set of credentials. Owns its strings; free with value_clear(). */
struct cred_value {
	char *ak, *sk, *tok;
	time_t expiration;
	enum cred_source source;
};

struct cred_provider {
	enum cred_source order[CRED_N_SOURCES];
	size_t n_order;
	struct cred_value cfg, env;     /* static sources; ak NULL = not set */
	char *ecs_url;                  /* NULL = not configured */
	char *ecs_refused;              /* FULL_URI refused: the reason */
	char *ecs_token;                /* AWS_CONTAINER_AUTHORIZATION_TOKEN */
	char *ecs_token_file;           /* ..._TOKEN_FILE, read at each fetch */
	char *imds_endpoint;            /* without trailing '/' */
	int imds_disabled;              /* AWS_EC2_METADATA_DISABLED=true */
	char *imds_token;               /* IMDSv2 session token, or NULL */
	time_t imds_token_expires;

	struct cred_value cur;          /* what cred_get() hands out */
	int have;
	time_t refresh_at;              /* fetch again from this instant */
	time_t retry_at;                /* after a failure: not before this */
	char *logged;                   /* the failure reason logged last */
};

static const char *const source_names[CRED_N_SOURCES] = { "config", "env", "ecs", "imds" };

const char *cred_source_name(enum cred_source s)
{
	return (unsigned)s < CRED_N_SOURCES ? source_names[s] : "?";
}

/* Wipes and frees a string that may hold a secret. NULL is a no-op. */
static void secret_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void value_clear(struct cred_value *v)
{
	free(v->ak);
	secret_free(v->sk);
	secret_free(v->tok);
	memset(v, 0, sizeof *v);
}

static char *dup_nonempty(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* ------------------------------------------------------------------ time */

int cred_parse_time(const char *s, time_t *out)
{
	struct tm tm;
	int n = 0;
	const char *p;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 && strcmp(p, "z") != 0)
		return -1;
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

/* ------------------------------------------------------------- parsing */

/* Reads one credentials JSON document (ECS, or IMDS when imds=1) into *v.
 * Returns 0, or -1 with a reason that holds no secret. */
static int parse_cred_json(const char *text, int imds, struct cred_value *v,
                           char *why, size_t whylen)
{
	struct json_object *o = NULL, *x;
	int rc = -1;

	memset(v, 0, sizeof *v);
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(why, whylen, "answer is not a JSON object");
		goto cleanup;
	}
	if (imds && json_object_object_get_ex(o, "Code", &x)) {
		const char *code = json_object_get_string(x);
		if (!code || strcmp(code, "Success") != 0) {
			char safe[65];
			size_t i = 0;
			for (; code && code[i] && i < sizeof safe - 1; i++)
				safe[i] = isalnum((unsigned char)code[i]) ? code[i] : '_';
			safe[i] = '\0';
			snprintf(why, whylen, "answer has Code \"%s\"", safe);
			goto cleanup;
		}
	}
	if (!json_object_object_get_ex(o, "AccessKeyId", &x) ||
	    !json_object_is_type(x, json_type_string) || !*json_object_get_string(x)) {
		snprintf(why, whylen, "answer has no AccessKeyId");
		goto cleanup;
	}
	v->ak = xstrdup(json_object_get_string(x));
	if (!json_object_object_get_ex(o, "SecretAccessKey", &x) ||
	    !json_object_is_type(x, json_type_string) || !*json_object_get_string(x)) {
		snprintf(why, whylen, "answer has no SecretAccessKey");
		goto cleanup;
	}
	v->sk = xstrdup(json_object_get_string(x));
	if (json_object_object_get_ex(o, "Token", &x) &&
	    json_object_is_type(x, json_type_string))
		v->tok = dup_nonempty(json_object_get_string(x));
	if (json_object_object_get_ex(o, "Expiration", &x)) {
		if (!json_object_is_type(x, json_type_string) ||
		    cred_parse_time(json_object_get_string(x), &v->expiration) != 0) {
			snprintf(why, whylen, "answer has an unreadable Expiration");
			goto cleanup;
		}
	}
	rc = 0;
cleanup:
	if (rc != 0)
		value_clear(v);
	json_object_put(o);
	return rc;
}

/*
 * Splits an absolute "scheme://host[:port][/...]" URL: copies the scheme and
 * the host (an IPv6 literal with its brackets, as libcurl reports it) into
 * the buffers. Stricter than RFC 3986 on purpose: no user info, and only
 * the characters a host name or address can hold, so there is no URL this
 * check and libcurl would read as two different hosts. Returns 0 or -1.
 */
static int split_url(const char *url, char *scheme, size_t slen, char *host, size_t hlen)
{
	const char *p = url, *h, *e;
	size_t n;

	if (!isalpha((unsigned char)*p))
		return -1;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	n = (size_t)(p - url);
	if (strncmp(p, "://", 3) != 0 || n >= slen)
		return -1;
	for (size_t i = 0; i < n; i++)
		scheme[i] = (char)tolower((unsigned char)url[i]);
	scheme[n] = '\0';
	h = p + 3;
	if (*h == '[') {
		e = h + 1 + strspn(h + 1, "0123456789abcdefABCDEF:.");
		if (*e != ']')
			return -1;
		e++;
	} else {
		e = h + strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                  "0123456789.-_");
	}
	n = (size_t)(e - h);
	if (n == 0 || n >= hlen)
		return -1;
	if (*e == ':')  /* port: digits only */
		e += 1 + strspn(e + 1, "0123456789");
	if (*e != '\0' && *e != '/' && *e != '?' && *e != '#')
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	return 0;
}

/* ECS FULL_URI over plain http is only allowed to these hosts (as in the
 * AWS SDKs): a loopback address or the ECS / EKS pod identity agent. */
static int ecs_full_uri_allowed(const char *uri, char *why, size_t whylen)
{
	char scheme[16], host[256];

	if (split_url(uri, scheme, sizeof scheme, host, sizeof host) != 0) {
		snprintf(why, whylen, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL");
		return 0;
	}
	if (strcmp(scheme, "https") == 0)
		return 1;
	if (strcmp(scheme, "http") != 0) {
		snprintf(why, whylen, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not http(s)");
		return 0;
	}
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strcmp(host, "169.254.170.2") == 0 || strcmp(host, "169.254.170.23") == 0 ||
	    strcasecmp(host, "[fd00:ec2::23]") == 0 ||
	    (strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == strlen(host)))
		return 1;
	snprintf(why, whylen, "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is "
	         "allowed only to a loopback address or 169.254.170.2/.23");
	return 0;
}

/* A header value we may send: printable ASCII, no CR/LF, not too long. */
static int header_value_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return 0;
	return n > 0 && n <= 4096;
}

/* An IAM role name as IMDS lists it: [A-Za-z0-9+=,.@_-], 1..128 bytes. */
static int role_name_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 128 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789+=,.@_-") == n &&
	       strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* ---------------------------------------------------------------- libcurl */

/*
 * libcurl is needed only by the ecs and imds sources, which most
 * deployments never use, and with its own dependencies (ssh2, nghttp2,
 * rtmp, zstd, brotli, psl, z) it would cost every worker about 1 MB of
 * resident memory. So it is not linked: the first HTTP call dlopen()s it
 * and resolves the few functions used here into `lc`. The headers still
 * come from libcurl's pkg-config CFLAGS, for the types and constants.
 *
 * One attempt per process, under a mutex (each thread of a threaded worker
 * has its own provider); a failure is kept and reported as the reason of
 * every later call. Once loaded, libcurl stays for the life of the process
 * (never dlclose()d, no curl_global_cleanup()).
 */
#define LIBCURL_SONAME "libcurl.so.4"

static struct curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode cc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
} lc;

#define LC_SYM(f) { "curl_" #f, offsetof(struct curl_api, f) }
static const struct {
	const char *name;
	size_t offset;
} lc_syms[] = {
	LC_SYM(global_init), LC_SYM(easy_init), LC_SYM(easy_setopt), LC_SYM(easy_perform),
	LC_SYM(easy_getinfo), LC_SYM(easy_cleanup), LC_SYM(easy_strerror),
	LC_SYM(slist_append), LC_SYM(slist_free_all),
};
#undef LC_SYM

static pthread_mutex_t lc_mutex = PTHREAD_MUTEX_INITIALIZER;
static const char *lc_soname = LIBCURL_SONAME;  /* the unit test changes it */
static int lc_state;                 /* 0 not tried, 1 loaded, -1 failed */
static char lc_error[WHY_MAX];       /* why it failed */

/* Tries once to load libcurl into `lc`; the caller holds lc_mutex. */
static void lc_load_locked(void)
{
	void *h = dlopen(lc_soname, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (!h) {
		snprintf(lc_error, sizeof lc_error, "cannot load %s (libcurl, needed by the "
		         "ecs and imds credential sources): %s", lc_soname, dlerror());
		goto cleanup;
	}
	for (size_t i = 0; i < sizeof lc_syms / sizeof lc_syms[0] && !missing; i++) {
		void *f = dlsym(h, lc_syms[i].name);
		if (f)  /* POSIX: a function pointer can be stored as a void * */
			memcpy((char *)&lc + lc_syms[i].offset, &f, sizeof f);
		else
			missing = lc_syms[i].name;
	}
	if (missing) {
		snprintf(lc_error, sizeof lc_error, "%s has no %s", lc_soname, missing);
		goto cleanup;
	}
	if (lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(lc_error, sizeof lc_error, "curl_global_init failed");
		goto cleanup;
	}
	lc_state = 1;
cleanup:
	if (lc_state != 1) {
		lc_state = -1;
		memset(&lc, 0, sizeof lc);
		if (h)
			dlclose(h);
	}
}

/* Makes sure `lc` is usable. Returns 0, or -1 with the reason in why. */
static int lc_load(char *why, size_t whylen)
{
	int rc;

	pthread_mutex_lock(&lc_mutex);
	if (lc_state == 0)
		lc_load_locked();
	rc = lc_state == 1 ? 0 : -1;
	if (rc != 0)
		snprintf(why, whylen, "%s", lc_error);
	pthread_mutex_unlock(&lc_mutex);
	return rc;
}

/* ----------------------------------------------------------------- HTTP */

struct body_sink {
	struct buf *b;
	int too_big;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct body_sink *s = ud;
	size_t n = size * nmemb;

	if (s->b->len + n > RESP_MAX) {
		s->too_big = 1;
		return 0;
	}
	memcpy(s->b->data + s->b->len, ptr, n);
	s->b->len += n;
	s->b->data[s->b->len] = '\0';
	return n;
}

/* A body buffer that is never reallocated (so secrets are not left behind
 * in freed memory) and is wiped by body_free(). */
static void body_init(struct buf *b)
{
	memset(b, 0, sizeof *b);
	b->cap = RESP_MAX + 1;
	b->data = xmalloc(b->cap);
	b->data[0] = '\0';
}

static void body_free(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	free(b->data);
	memset(b, 0, sizeof *b);
}

/*
 * One HTTP request (method "GET" or "PUT", no body) with the given extra
 * header lines. Fills body and *status. Returns 0 when an HTTP answer came
 * back (any status), or -1 with a stable reason (no URL, no secret).
 * Loads libcurl on first use.
 */
static int http_call(const char *method, const char *url,
                     const char *const *headers, size_t nheaders,
                     struct buf *body, long *status, char *why, size_t whylen)
{
	CURL *c = NULL;
	struct curl_slist *hl = NULL;
	struct body_sink sink = { body, 0 };
	CURLcode cc;
	int rc = -1;

	body->len = 0;
	body->data[0] = '\0';
	*status = 0;
	if (lc_load(why, whylen) != 0)
		return -1;  /* nothing to clean up: lc is not usable */
	c = lc.easy_init();
	if (!c) {
		snprintf(why, whylen, "curl_easy_init failed");
		goto cleanup;
	}
	for (size_t i = 0; i < nheaders; i++)
		hl = lc.slist_append(hl, headers[i]);
	if (strcmp(method, "PUT") == 0) {
		lc.easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
		hl = lc.slist_append(hl, "Content-Length: 0");
	}
	hl = lc.slist_append(hl, "Accept:");
	lc.easy_setopt(c, CURLOPT_URL, url);
	lc.easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	lc.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	lc.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)CRED_CONNECT_TIMEOUT_MS);
	lc.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)CRED_TOTAL_TIMEOUT_MS);
	lc.easy_setopt(c, CURLOPT_PROXY, "");        /* never via a proxy */
	lc.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	lc.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	lc.easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	lc.easy_setopt(c, CURLOPT_USERAGENT, "docapi");
	lc.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	lc.easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	cc = lc.easy_perform(c);
	if (sink.too_big) {
		snprintf(why, whylen, "answer larger than %d bytes", RESP_MAX);
		goto cleanup;
	}
	if (cc != CURLE_OK) {
		snprintf(why, whylen, "%s", lc.easy_strerror(cc));
		goto cleanup;
	}
	lc.easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	rc = 0;
cleanup:
	lc.slist_free_all(hl);  /* may hold an authorization token: */
	if (c)                    /* libcurl keeps no copy after cleanup */
		lc.easy_cleanup(c);
	return rc;
}

/* ------------------------------------------------------------- sources */

/* Each fetch returns 1 with *v filled, 0 when the source is not configured,
 * or -1 when it failed; in both latter cases why says why. */

static int fetch_static(const struct cred_value *src, const char *what,
                        struct cred_value *v, char *why, size_t whylen)
{
	if (!src->ak) {
		snprintf(why, whylen, "%s not set", what);
		return 0;
	}
	if (!src->sk) {
		snprintf(why, whylen, "%s set but the secret access key is missing", what);
		return -1;
	}
	v->ak = xstrdup(src->ak);
	v->sk = xstrdup(src->sk);
	v->tok = dup_nonempty(src->tok);
	v->expiration = 0;
	return 1;
}

/* Reads the ECS authorization token file (first line). Returns a malloc'd
 * string (secret) or NULL with a reason. */
static char *read_token_file(const char *path, char *why, size_t whylen)
{
	FILE *f = fopen(path, "r");
	char line[4100];
	char *tok = NULL;

	if (!f) {
		snprintf(why, whylen, "cannot open AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %s",
		         strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		tok = dup_nonempty(line);
	}
	OPENSSL_cleanse(line, sizeof line);
	fclose(f);
	if (!tok)
		snprintf(why, whylen, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is empty");
	return tok;
}

static int fetch_ecs(struct cred_provider *p, struct cred_value *v, char *why, size_t whylen)
{
	struct buf body = { 0 };
	char *token = NULL, *hdr = NULL;
	const char *headers[1];
	size_t nh = 0;
	long status;
	int rc = -1;

	if (p->ecs_refused) {
		snprintf(why, whylen, "%s", p->ecs_refused);
		return -1;
	}
	if (!p->ecs_url) {
		snprintf(why, whylen, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set");
		return 0;
	}
	body_init(&body);
	if (p->ecs_token_file) {
		token = read_token_file(p->ecs_token_file, why, whylen);
		if (!token)
			goto cleanup;
	} else if (p->ecs_token) {
		token = xstrdup(p->ecs_token);
	}
	if (token) {
		if (!header_value_ok(token)) {
			snprintf(why, whylen, "the container authorization token is not a valid header value");
			goto cleanup;
		}
		size_t n = strlen("Authorization: ") + strlen(token) + 1;
		hdr = xmalloc(n);
		snprintf(hdr, n, "Authorization: %s", token);
		headers[nh++] = hdr;
	}
	if (http_call("GET", p->ecs_url, headers, nh, &body, &status, why, whylen) != 0)
		goto cleanup;
	if (status != 200) {
		snprintf(why, whylen, "container credentials endpoint answered HTTP %ld", status);
		goto cleanup;
	}
	if (parse_cred_json(body.data, 0, v, why, whylen) != 0)
		goto cleanup;
	v->source = CRED_SRC_ECS;
	rc = 1;
cleanup:
	secret_free(token);
	secret_free(hdr);
	body_free(&body);
	return rc;
}

/* Makes sure p->imds_token holds a valid IMDSv2 session token. */
static int imds_session(struct cred_provider *p, time_t now, struct buf *body,
                        char *why, size_t whylen)
{
	char url[600], ttl[80];
	const char *headers[1] = { ttl };
	long status;

	if (p->imds_token && now < p->imds_token_expires)
		return 0;
	secret_free(p->imds_token);
	p->imds_token = NULL;
	snprintf(url, sizeof url, "%s/latest/api/token", p->imds_endpoint);
	snprintf(ttl, sizeof ttl, "X-aws-ec2-metadata-token-ttl-seconds: %d", IMDS_TOKEN_TTL);
	if (http_call("PUT", url, headers, 1, body, &status, why, whylen) != 0)
		return -1;
	if (status != 200) {
		snprintf(why, whylen, "IMDSv2 token request answered HTTP %ld", status);
		return -1;
	}
	body->data[strcspn(body->data, "\r\n")] = '\0';
	if (!header_value_ok(body->data)) {
		snprintf(why, whylen, "IMDSv2 token is not a valid header value");
		return -1;
	}
	p->imds_token = xstrdup(body->data);
	/* a minute early, so the token never expires between two calls */
	p->imds_token_expires = now + IMDS_TOKEN_TTL - 60;
	return 0;
}

/* GET an IMDS path with the session token. Returns 0 (see *status) or -1. */
static int imds_get(struct cred_provider *p, const char *path, struct buf *body,
                    long *status, char *why, size_t whylen)
{
	char url[700];
	char *hdr;
	const char *headers[1];
	size_t n;
	int rc;

	snprintf(url, sizeof url, "%s%s", p->imds_endpoint, path);
	n = strlen("X-aws-ec2-metadata-token: ") + strlen(p->imds_token) + 1;
	hdr = xmalloc(n);
	snprintf(hdr, n, "X-aws-ec2-metadata-token: %s", p->imds_token);
	headers[0] = hdr;
	rc = http_call("GET", url, headers, 1, body, status, why, whylen);
	secret_free(hdr);
	if (rc != 0) {
		char tmp[WHY_MAX];
		snprintf(tmp, sizeof tmp, "IMDS request to %s failed: %s", p->imds_endpoint, why);
		snprintf(why, whylen, "%s", tmp);
	}
	return rc;
}

static int fetch_imds(struct cred_provider *p, time_t now, struct cred_value *v,
                      char *why, size_t whylen)
{
	static const char creds_path[] = "/latest/meta-data/iam/security-credentials/";
	struct buf body = { 0 };
	char role[129], path[sizeof creds_path + sizeof role];
	long status = 0;
	int rc = -1;

	if (p->imds_disabled) {
		snprintf(why, whylen, "disabled by AWS_EC2_METADATA_DISABLED");
		return 0;
	}
	body_init(&body);
	/* Two rounds: a 401 means our session token expired early; get a new one. */
	for (int round = 0; round < 2; round++) {
		why[0] = '\0';
		if (imds_session(p, now, &body, why, whylen) != 0) {
			if (strncmp(why, "IMDS", 4) != 0) {
				char tmp[WHY_MAX];
				snprintf(tmp, sizeof tmp, "IMDSv2 token request to %s failed: %s",
				         p->imds_endpoint, why);
				snprintf(why, whylen, "%s", tmp);
			}
			goto cleanup;
		}
		if (imds_get(p, creds_path, &body, &status, why, whylen) != 0)
			goto cleanup;
		if (status == 401 && round == 0) {
			secret_free(p->imds_token);
			p->imds_token = NULL;
			continue;
		}
		if (status == 404) {
			snprintf(why, whylen, "no IAM role is attached to this instance (HTTP 404)");
			goto cleanup;
		}
		if (status != 200) {
			snprintf(why, whylen, "IMDS role listing answered HTTP %ld", status);
			goto cleanup;
		}
		body.data[strcspn(body.data, "\r\n")] = '\0';
		if (!role_name_ok(body.data)) {
			snprintf(why, whylen, "IMDS listed no usable role name");
			goto cleanup;
		}
		snprintf(role, sizeof role, "%s", body.data);
		snprintf(path, sizeof path, "%s%s", creds_path, role);
		if (imds_get(p, path, &body, &status, why, whylen) != 0)
			goto cleanup;
		if (status == 401 && round == 0) {
			secret_free(p->imds_token);
			p->imds_token = NULL;
			continue;
		}
		if (status != 200) {
			snprintf(why, whylen, "IMDS credentials of role %s answered HTTP %ld",
			         role, status);
			goto cleanup;
		}
		if (parse_cred_json(body.data, 1, v, why, whylen) != 0)
			goto cleanup;
		v->source = CRED_SRC_IMDS;
		rc = 1;
		goto cleanup;
	}
	snprintf(why, whylen, "IMDS refused a fresh session token (HTTP 401)");
cleanup:
	body_free(&body);
	return rc;
}

static int fetch(struct cred_provider *p, enum cred_source s, time_t now,
                 struct cred_value *v, char *why, size_t whylen)
{
	switch (s) {
	case CRED_SRC_CONFIG:
		v->source = s;
		return fetch_static(&p->cfg, "s3_access_key_id", v, why, whylen);
	case CRED_SRC_ENV:
		v->source = s;
		return fetch_static(&p->env, "AWS_ACCESS_KEY_ID", v, why, whylen);
	case CRED_SRC_ECS:
		return fetch_ecs(p, v, why, whylen);
	case CRED_SRC_IMDS:
		return fetch_imds(p, now, v, why, whylen);
	default:
		return 0;
	}
}

/* ------------------------------------------------------------- provider */

static int parse_sources(struct cred_provider *p, const char *s, char *err, size_t errlen)
{
	int special = 0, ntok = 0;

	p->n_order = 0;
	if (!s || !*s)
		s = "auto";
	for (const char *t = s; *t;) {
		size_t len = strcspn(t, ", \t");
		int found = -1;
		if (len == 0) {
			t++;
			continue;
		}
		ntok++;
		if (len == 4 && strncmp(t, "auto", 4) == 0) {
			for (int i = 0; i < CRED_N_SOURCES; i++)
				p->order[i] = (enum cred_source)i;
			p->n_order = CRED_N_SOURCES;
			special++;
		} else if (len == 4 && strncmp(t, "none", 4) == 0) {
			p->n_order = 0;
			special++;
		} else {
			for (int i = 0; i < CRED_N_SOURCES; i++)
				if (strlen(source_names[i]) == len && strncmp(t, source_names[i], len) == 0)
					found = i;
			if (found < 0) {
				snprintf(err, errlen, "s3_credentials: unknown source \"%.*s\"",
				         (int)(len > 32 ? 32 : len), t);
				return -1;
			}
			int dup = 0;
			for (size_t k = 0; k < p->n_order; k++)
				dup |= p->order[k] == (enum cred_source)found;
			if (!dup)
				p->order[p->n_order++] = (enum cred_source)found;
		}
		t += len;
	}
	if (special && ntok > 1) {
		snprintf(err, errlen, "s3_credentials: \"auto\" and \"none\" stand alone");
		return -1;
	}
	return 0;
}

struct cred_provider *cred_provider_new(const struct cred_options *opt,
                                        char *err, size_t errlen)
{
	struct cred_provider *p = xcalloc(1, sizeof *p);
	const char *rel, *full, *v;
	char why[WHY_MAX];

	if (parse_sources(p, opt->sources, err, errlen) != 0) {
		free(p);
		return NULL;
	}
	p->cfg.ak = dup_nonempty(opt->access_key_id);
	p->cfg.sk = dup_nonempty(opt->secret_access_key);
	p->cfg.tok = dup_nonempty(opt->session_token);
	p->env.ak = dup_nonempty(getenv("AWS_ACCESS_KEY_ID"));
	p->env.sk = dup_nonempty(getenv("AWS_SECRET_ACCESS_KEY"));
	p->env.tok = dup_nonempty(getenv("AWS_SESSION_TOKEN"));

	rel = env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	full = env_nonempty("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	if (rel) {
		const char *base = opt->ecs_endpoint && *opt->ecs_endpoint
		                   ? opt->ecs_endpoint : "http://169.254.170.2";
		size_t bl = strlen(base);
		while (bl > 0 && base[bl - 1] == '/')
			bl--;
		size_t n = bl + 1 + strlen(rel) + 1;
		p->ecs_url = xmalloc(n);
		snprintf(p->ecs_url, n, "%.*s%s%s", (int)bl, base, rel[0] == '/' ? "" : "/", rel);
	} else if (full) {
		if (ecs_full_uri_allowed(full, why, sizeof why))
			p->ecs_url = xstrdup(full);
		else
			p->ecs_refused = xstrdup(why);
	}
	p->ecs_token = dup_nonempty(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
	p->ecs_token_file = dup_nonempty(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));

	p->imds_endpoint = xstrdup(opt->imds_endpoint && *opt->imds_endpoint
	                           ? opt->imds_endpoint : "http://169.254.169.254");
	for (size_t n = strlen(p->imds_endpoint); n > 0 && p->imds_endpoint[n - 1] == '/'; n--)
		p->imds_endpoint[n - 1] = '\0';
	v = getenv("AWS_EC2_METADATA_DISABLED");
	p->imds_disabled = v && strcasecmp(v, "true") == 0;
	return p;
}

void cred_provider_free(struct cred_provider *p)
{
	if (!p)
		return;
	value_clear(&p->cfg);
	value_clear(&p->env);
	value_clear(&p->cur);
	free(p->ecs_url);
	free(p->ecs_refused);
	secret_free(p->ecs_token);
	free(p->ecs_token_file);
	free(p->imds_endpoint);
	secret_free(p->imds_token);
	free(p->logged);
	free(p);
}

static int usable(const struct cred_value *v, time_t now)
{
	return v->ak && (v->expiration == 0 || v->expiration > now);
}

/* Takes over *v as the current credentials. */
static void install(struct cred_provider *p, struct cred_value *v, time_t now,
                    const char *rid)
{
	int was_failing = p->logged != NULL, first = !p->have;

	value_clear(&p->cur);
	p->cur = *v;
	memset(v, 0, sizeof *v);
	p->have = 1;
	p->retry_at = 0;
	if (p->cur.expiration) {
		p->refresh_at = p->cur.expiration - CRED_REFRESH_MARGIN;
		/* Already inside the margin (IMDS hands out the old credentials
		 * until it has rotated them): ask again a little later. */
		if (p->refresh_at <= now)
			p->refresh_at = now + CRED_MIN_REFETCH;
	} else if (p->cur.source == CRED_SRC_ECS || p->cur.source == CRED_SRC_IMDS) {
		p->refresh_at = now + NOEXP_REFRESH;
	} else {
		p->refresh_at = TIME_FOREVER;
	}
	if (first || was_failing) {
		char exp[32] = "never";
		if (p->cur.expiration) {
			struct tm tm;
			gmtime_r(&p->cur.expiration, &tm);
			strftime(exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		log_info(rid, "S3 credentials %sfrom %s (%s, expire %s)",
		         was_failing ? "available again " : "",
		         cred_source_name(p->cur.source),
		         p->cur.tok ? "temporary" : "long-term", exp);
	} else {
		log_debug(rid, "S3 credentials refreshed from %s",
		          cred_source_name(p->cur.source));
	}
	free(p->logged);
	p->logged = NULL;
}

/* Walks the chain once; installs the first credentials found. */
static void refresh(struct cred_provider *p, time_t now, const char *rid)
{
	struct buf reasons = { 0 };

	for (size_t i = 0; i < p->n_order; i++) {
		struct cred_value v = { 0 };
		char why[WHY_MAX] = "";
		int rc = fetch(p, p->order[i], now, &v, why, sizeof why);
		if (rc == 1) {
			install(p, &v, now, rid);
			buf_free(&reasons);
			return;
		}
		value_clear(&v);
		buf_printf(&reasons, "%s%s: %s", reasons.len ? "; " : "",
		           cred_source_name(p->order[i]), why);
	}
	if (p->n_order == 0)
		buf_puts(&reasons, "disabled (s3_credentials = none)");
	p->retry_at = now + CRED_RETRY_INTERVAL;
	/* Log once per distinct reason, not per request. */
	if (!p->logged || strcmp(p->logged, reasons.data) != 0) {
		if (p->have && usable(&p->cur, now))
			log_warn(rid, "cannot refresh the S3 credentials from %s, using them "
			         "until they expire: %s", cred_source_name(p->cur.source),
			         reasons.data);
		else
			log_error(rid, "no S3 credentials for presigning: %s", reasons.data);
		free(p->logged);
		p->logged = xstrdup(reasons.data);
	}
	buf_free(&reasons);
}

int cred_get(struct cred_provider *p, time_t now, const char *rid,
             struct credentials *out)
{
	if (!p)
		return -1;
	if (!(p->have && now < p->refresh_at && usable(&p->cur, now)) &&
	    !(p->retry_at && now < p->retry_at))
		refresh(p, now, rid);
	if (!p->have || !usable(&p->cur, now))
		return -1;
	out->access_key_id = p->cur.ak;
	out->secret_access_key = p->cur.sk;
	out->session_token = p->cur.tok;
	out->expiration = p->cur.expiration;
	out->source = p->cur.source;
	return 0;
}
