/* test_credentials.c: credential sources, caching and refresh timing, the
 * s3_* configuration keys, and the presign glue (bucket overrides, lifetime
 * capped by the credentials' expiration). Includes the .c files to reach
 * their static functions. Network: only 127.0.0.1:1 (connection refused). */
#include "check.h"
#include "../../cgi/credentials.c"
#include "../../cgi/presigner.c"
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLOSED "http://127.0.0.1:1"

static void test_parse_time(void)
{
	time_t t = 0;

	CHECK(cred_parse_time("2013-05-24T00:00:00Z", &t) == 0 && t == 1369353600, "plain Z");
	CHECK(cred_parse_time("2013-05-24T00:00:00.123Z", &t) == 0 && t == 1369353600, "fraction");
	CHECK(cred_parse_time("2013-05-24T00:00:00+00:00", &t) == 0 && t == 1369353600, "+00:00");
	CHECK(cred_parse_time("2013-05-24T00:00:00", &t) == -1, "no zone");
	CHECK(cred_parse_time("2013-05-24T00:00:00+02:00", &t) == -1, "other zone");
	CHECK(cred_parse_time("2013-13-24T00:00:00Z", &t) == -1, "month 13");
	CHECK(cred_parse_time("2013-05-24 00:00:00Z", &t) == -1, "space");
	CHECK(cred_parse_time("", &t) == -1, "empty");
	CHECK(cred_parse_time(NULL, &t) == -1, "NULL");
}

static void test_parse_json(void)
{
	struct cred_value v;
	char why[256];

	CHECK(parse_cred_json("{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIA1\","
	                      "\"SecretAccessKey\":\"s/e+c\",\"Token\":\"tok\","
	                      "\"Expiration\":\"2030-01-01T00:00:00Z\"}", 1, &v, why, sizeof why) == 0,
	      "imds ok");
	CHECK_STR(v.ak, "ASIA1", "imds ak");
	CHECK_STR(v.sk, "s/e+c", "imds sk");
	CHECK_STR(v.tok, "tok", "imds token");
	CHECK(v.expiration == 1893456000, "imds expiration");
	value_clear(&v);

	CHECK(parse_cred_json("{\"AccessKeyId\":\"ASIA2\",\"SecretAccessKey\":\"x\","
	                      "\"Token\":\"t\",\"Expiration\":\"2030-01-01T00:00:00Z\","
	                      "\"RoleArn\":\"arn:aws:iam::1:role/r\"}", 0, &v, why, sizeof why) == 0,
	      "ecs ok");
	CHECK_STR(v.ak, "ASIA2", "ecs ak");
	value_clear(&v);

	CHECK(parse_cred_json("{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"AccessKeyId\":\"A\","
	                      "\"SecretAccessKey\":\"SECRET\"}", 1, &v, why, sizeof why) == -1,
	      "imds failure code");
	CHECK(strstr(why, "AssumeRoleUnauthorizedAccess") != NULL, "code in reason");
	CHECK(v.ak == NULL && v.sk == NULL, "nothing kept on failure");
	CHECK(parse_cred_json("{\"AccessKeyId\":\"A\"}", 0, &v, why, sizeof why) == -1, "no secret");
	CHECK(parse_cred_json("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRET\","
	                      "\"Expiration\":\"soon\"}", 0, &v, why, sizeof why) == -1, "bad expiration");
	CHECK(strstr(why, "SECRET") == NULL, "no secret in the reason");
	CHECK(parse_cred_json("[1]", 0, &v, why, sizeof why) == -1, "not an object");
	CHECK(parse_cred_json("{", 0, &v, why, sizeof why) == -1, "not JSON");
	CHECK(parse_cred_json("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}", 0, &v, why,
	                      sizeof why) == 0 && v.expiration == 0 && v.tok == NULL,
	      "no token, no expiration");
	value_clear(&v);
}

static void test_sources(void)
{
	static const struct {
		const char *in;
		int ok;
		const char *want;  /* source letters: c e s i */
	} cases[] = {
		{ "auto", 1, "cesi" }, { "", 1, "cesi" }, { "none", 1, "" },
		{ "env,imds", 1, "ei" }, { "imds env", 1, "ie" }, { "env, env ,config", 1, "ec" },
		{ "auto,env", 0, "" }, { "none imds", 0, "" }, { "s3", 0, "" }, { "envv", 0, "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct cred_provider p;
		char err[128], got[8] = "";
		memset(&p, 0, sizeof p);
		int rc = parse_sources(&p, cases[i].in, err, sizeof err);
		CHECK((rc == 0) == cases[i].ok, cases[i].in);
		if (rc == 0) {
			for (size_t k = 0; k < p.n_order; k++)
				got[k] = "cesi"[p.order[k]];
			CHECK_STR(got, cases[i].want, cases[i].in);
		}
	}
}

static void test_full_uri(void)
{
	static const struct {
		const char *uri;
		int ok;
	} cases[] = {
		{ "http://127.0.0.1:8080/creds", 1 }, { "http://127.1.2.3/x", 1 },
		{ "http://localhost/x", 1 }, { "http://[::1]:9/x", 1 },
		{ "http://169.254.170.2/v2/credentials/x", 1 }, { "http://169.254.170.23/v1/credentials", 1 },
		{ "https://creds.example.com/x", 1 }, { "http://creds.example.com/x", 0 },
		{ "http://127.0.0.1.evil.example/x", 0 }, { "ftp://127.0.0.1/x", 0 }, { "not a url", 0 },
		/* the small parser that replaced curl_url(): hosts read as libcurl would */
		{ "HTTP://LocalHost:80/x", 1 }, { "http://[fd00:ec2::23]/creds", 1 },
		{ "http://127.0.0.1", 1 }, { "http://127.0.0.1?x=1", 1 }, { "http://127.0.0.1#f", 1 },
		{ "http://127.0.0.1@evil.example/x", 0 }, { "http://user@127.0.0.1/x", 0 },
		{ "http://evil.example#@127.0.0.1/", 0 }, { "http://127.0.0.1\\@evil.example/", 0 },
		{ "http://127.0.0.1%2f@evil.example/", 0 }, { "http://127.0.0.1:80x/", 0 },
		{ "http:///x", 0 }, { "http://[::1/x", 0 }, { "http:127.0.0.1/x", 0 }, { "", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char why[256];
		CHECK(ecs_full_uri_allowed(cases[i].uri, why, sizeof why) == cases[i].ok, cases[i].uri);
	}
}

static void clear_aws_env(void)
{
	static const char *const names[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_EC2_METADATA_DISABLED",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unsetenv(names[i]);
}

static void test_static_chain(void)
{
	struct cred_options o = { "auto", "AKCFG", "cfgsecret", NULL, CLOSED, CLOSED };
	struct cred_provider *p;
	struct credentials c;
	char err[128];

	clear_aws_env();
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);

	p = cred_provider_new(&o, err, sizeof err);
	CHECK(p && cred_get(p, 1000, NULL, &c) == 0, "config wins in auto");
	CHECK_STR(c.access_key_id, "AKCFG", "config key");
	CHECK(c.session_token == NULL && c.expiration == 0 && c.source == CRED_SRC_CONFIG,
	      "config is long-term");
	cred_provider_free(p);

	o.access_key_id = NULL;
	p = cred_provider_new(&o, err, sizeof err);
	CHECK(p && cred_get(p, 1000, NULL, &c) == 0, "env next");
	CHECK_STR(c.access_key_id, "AKENV", "env key");
	CHECK_STR(c.session_token, "envtoken", "env token");
	CHECK(c.source == CRED_SRC_ENV, "env source");
	cred_provider_free(p);

	o.sources = "env";
	o.access_key_id = "AKCFG";
	p = cred_provider_new(&o, err, sizeof err);
	CHECK(p && cred_get(p, 1000, NULL, &c) == 0 && c.source == CRED_SRC_ENV,
	      "explicit order skips config");
	cred_provider_free(p);

	unsetenv("AWS_SECRET_ACCESS_KEY");
	o.sources = "env";
	p = cred_provider_new(&o, err, sizeof err);
	CHECK(p && cred_get(p, 1000, NULL, &c) == -1, "env key without secret fails");
	CHECK(p && p->logged && strstr(p->logged, "secret access key is missing"), "reason kept");
	cred_provider_free(p);

	o.sources = "none";
	p = cred_provider_new(&o, err, sizeof err);
	CHECK(p && cred_get(p, 1000, NULL, &c) == -1, "none: no credentials");
	cred_provider_free(p);

	o.sources = "bogus";
	CHECK(cred_provider_new(&o, err, sizeof err) == NULL, "bad source list refused");
	clear_aws_env();
}

static void test_ecs_setup(void)
{
	struct cred_options o = { "ecs", NULL, NULL, NULL, CLOSED, "http://10.0.0.1:81/" };
	struct cred_provider *p;
	struct credentials c;
	char err[128];

	clear_aws_env();
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
	p = cred_provider_new(&o, err, sizeof err);
	CHECK_STR(p->ecs_url, "http://10.0.0.1:81/v2/credentials/abc", "relative URI joined");
	cred_provider_free(p);

	clear_aws_env();
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://evil.example/creds", 1);
	p = cred_provider_new(&o, err, sizeof err);
	CHECK(p->ecs_url == NULL && p->ecs_refused != NULL, "remote http full URI refused");
	CHECK(cred_get(p, 1000, NULL, &c) == -1, "refused full URI: no credentials");
	cred_provider_free(p);

	clear_aws_env();
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", CLOSED "/creds", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "bad\r\nX-Injected: 1", 1);
	p = cred_provider_new(&o, err, sizeof err);
	CHECK(cred_get(p, 1000, NULL, &c) == -1, "token with CRLF refused");
	CHECK(p->logged && strstr(p->logged, "not a valid header value"), "CRLF reason");
	CHECK(p->logged && !strstr(p->logged, "X-Injected"), "token not in reason");
	cred_provider_free(p);
	clear_aws_env();
}

/* libcurl is not linked: it is loaded on the first ecs/imds fetch only, and
 * a library that cannot be loaded is the logged reason. Runs before any
 * test that reaches the network. */
static void test_curl_lazy(void)
{
	struct cred_options o = { "imds", NULL, NULL, NULL, CLOSED, CLOSED };
	struct cred_provider *p;
	struct credentials c;
	char err[128];
	void *h;

	clear_aws_env();
	h = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_NOLOAD);
	CHECK(h == NULL && lc_state == 0, "libcurl not mapped before an ecs/imds fetch");
	if (h)
		dlclose(h);

	lc_soname = "libdocapi-test-no-such-curl.so.0";
	p = cred_provider_new(&o, err, sizeof err);
	CHECK(cred_get(p, 1000, NULL, &c) == -1 && lc_state == -1, "unloadable libcurl: none");
	CHECK(p->logged && strstr(p->logged, "imds: IMDSv2 token request to " CLOSED " failed: "
	                          "cannot load libdocapi-test-no-such-curl.so.0"),
	      "reason names the library");
	CHECK(cred_get(p, 1000 + CRED_RETRY_INTERVAL, NULL, &c) == -1 && lc_state == -1,
	      "one load attempt per process");
	cred_provider_free(p);

	lc_soname = LIBCURL_SONAME;
	lc_state = 0;
	p = cred_provider_new(&o, err, sizeof err);
	CHECK(cred_get(p, 1000, NULL, &c) == -1 && lc_state == 1, "loaded on first fetch");
	CHECK(p->logged && !strstr(p->logged, "cannot load"), "then a network reason");
	h = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_NOLOAD);
	CHECK(h != NULL, "libcurl mapped after an imds fetch");
	if (h)
		dlclose(h);
	cred_provider_free(p);
}

/* A temporary value as a fetch would produce it. */
static struct cred_value temp_value(const char *ak, time_t expiration)
{
	struct cred_value v;
	memset(&v, 0, sizeof v);
	v.ak = xstrdup(ak);
	v.sk = xstrdup("tempsecret");
	v.tok = xstrdup("temptoken");
	v.expiration = expiration;
	v.source = CRED_SRC_IMDS;
	return v;
}

static void test_refresh_timing(void)
{
	struct cred_options o = { "imds", NULL, NULL, NULL, CLOSED, CLOSED };
	struct cred_provider *p;
	struct credentials c;
	struct cred_value v;
	char err[128];
	const time_t t0 = 1700000000;

	clear_aws_env();
	p = cred_provider_new(&o, err, sizeof err);

	/* IMDS unreachable: one attempt, then none for CRED_RETRY_INTERVAL. */
	CHECK(cred_get(p, t0, NULL, &c) == -1, "unreachable IMDS: none");
	CHECK(p->retry_at == t0 + CRED_RETRY_INTERVAL, "retry after the interval");
	CHECK(p->logged && strstr(p->logged, "imds: IMDSv2 token request to " CLOSED " failed"),
	      "reason names the endpoint");
	char *first = xstrdup(p->logged);
	CHECK(cred_get(p, t0 + 10, NULL, &c) == -1, "still none");
	CHECK(p->retry_at == t0 + CRED_RETRY_INTERVAL, "no new attempt within the interval");
	CHECK(cred_get(p, t0 + CRED_RETRY_INTERVAL, NULL, &c) == -1, "tried again");
	CHECK(p->retry_at == t0 + 2 * CRED_RETRY_INTERVAL, "next attempt scheduled");
	CHECK_STR(p->logged, first, "same reason: logged once");
	free(first);

	/* Credentials valid for 6 minutes: refreshed after 1 minute. */
	v = temp_value("ASIA1", t0 + 360);
	install(p, &v, t0, NULL);
	CHECK(p->refresh_at == t0 + 60, "refresh 5 minutes before expiry");
	CHECK(p->logged == NULL && p->retry_at == 0, "failure state cleared");
	CHECK(cred_get(p, t0 + 59, NULL, &c) == 0, "cached");
	CHECK_STR(c.access_key_id, "ASIA1", "cached key");
	CHECK(c.expiration == t0 + 360, "expiration handed out");
	CHECK(p->retry_at == 0, "no fetch before refresh time");
	/* Refresh due, IMDS down: the old ones until they expire. */
	CHECK(cred_get(p, t0 + 60, NULL, &c) == 0, "old credentials kept on failed refresh");
	CHECK_STR(c.access_key_id, "ASIA1", "old key");
	CHECK(p->retry_at == t0 + 60 + CRED_RETRY_INTERVAL, "refresh retried later");
	CHECK(cred_get(p, t0 + 359, NULL, &c) == 0, "valid until the last second");
	CHECK(cred_get(p, t0 + 360, NULL, &c) == -1, "expired: none");

	/* Credentials shorter than the margin: kept CRED_MIN_REFETCH seconds. */
	v = temp_value("ASIA2", t0 + 1000 + 100);
	install(p, &v, t0 + 1000, NULL);
	CHECK(p->refresh_at == t0 + 1000 + CRED_MIN_REFETCH, "short-lived: minimum refetch");

	/* Static credentials are never refreshed. */
	v = temp_value("AKSTATIC", 0);
	v.source = CRED_SRC_CONFIG;
	install(p, &v, t0, NULL);
	CHECK(p->refresh_at == TIME_FOREVER, "static: never refreshed");
	cred_provider_free(p);

	/* AWS_EC2_METADATA_DISABLED. */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	p = cred_provider_new(&o, err, sizeof err);
	CHECK(cred_get(p, t0, NULL, &c) == -1 && p->logged &&
	      strstr(p->logged, "AWS_EC2_METADATA_DISABLED"), "IMDS disabled by env");
	cred_provider_free(p);
	clear_aws_env();
}

static void test_config_keys(void)
{
	struct config cfg;
	char err[256];

	config_defaults(&cfg);
	CHECK_STR(cfg.s3_credentials, "auto", "default sources");
	CHECK_STR(cfg.s3_imds_endpoint, "http://169.254.169.254", "default IMDS");
	CHECK_STR(cfg.s3_ecs_endpoint, "http://169.254.170.2", "default ECS");
	CHECK(config_parse_text(&cfg, "t.conf",
	                        "s3_credentials = env, imds\n"
	                        "s3_imds_endpoint = http://127.0.0.1:9\n"
	                        "s3_bucket.my.dotted.bucket.region = eu-west-3\n"
	                        "s3_bucket.my.dotted.bucket.addressing = path\n"
	                        "s3_bucket.r2-bucket.endpoint = https://acct.r2.cloudflarestorage.com\n"
	                        "s3_bucket.r2-bucket.region = auto\n"
	                        "s3_bucket.aws-one.endpoint = aws\n",
	                        err, sizeof err) == 0, "overrides parse");
	CHECK(cfg.n_s3_buckets == 3, "three buckets");
	if (cfg.n_s3_buckets == 3) {
		CHECK_STR(cfg.s3_buckets[0].name, "my.dotted.bucket", "dotted name");
		CHECK_STR(cfg.s3_buckets[0].region, "eu-west-3", "dotted region");
		CHECK_STR(cfg.s3_buckets[0].addressing, "path", "dotted addressing");
		CHECK(cfg.s3_buckets[0].endpoint == NULL, "dotted endpoint inherited");
		CHECK_STR(cfg.s3_buckets[1].region, "auto", "r2 region");
		CHECK_STR(cfg.s3_buckets[2].endpoint, "aws", "aws endpoint");
	}
	config_free(&cfg);

	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "s3_credentials = auto env\n", "t.conf:1: bad value for s3_credentials (auto, none, or a list of config env ecs imds)" },
		{ "s3_credentials = s3\n", "t.conf:1: bad value for s3_credentials (auto, none, or a list of config env ecs imds)" },
		{ "s3_imds_endpoint = 169.254.169.254\n", "t.conf:1: bad value for s3_imds_endpoint (an http:// or https:// URL)" },
		{ "s3_endpoint = minio:9000\n", "t.conf:1: bad value for s3_endpoint (an http:// or https:// URL)" },
		{ "\ns3_bucket.b.addressing = sideways\n", "t.conf:2: bad value for s3_bucket.b.addressing (auto|virtual|path)" },
		{ "s3_bucket.b.endpoint = ftp://x\n", "t.conf:1: bad value for s3_bucket.b.endpoint (aws, or an http:// or https:// URL)" },
		{ "s3_bucket.b.colour = red\n", "t.conf:1: bad value for s3_bucket.b.colour (expected s3_bucket.NAME.region|endpoint|addressing)" },
		{ "s3_bucket.region = x\n", "t.conf:1: bad value for s3_bucket.region (expected s3_bucket.NAME.region|endpoint|addressing)" },
		{ "s3_bucket.b.region =\n", "t.conf:1: bad value for s3_bucket.b.region (empty value)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		config_defaults(&cfg);
		err[0] = '\0';
		CHECK(config_parse_text(&cfg, "t.conf", bad[i].text, err, sizeof err) == -1, bad[i].text);
		CHECK_STR(err, bad[i].want, bad[i].text);
		config_free(&cfg);
	}
}

static const char *query_value(const char *url, const char *name, char *out, size_t n)
{
	char pat[64];
	snprintf(pat, sizeof pat, "%s=", name);
	const char *p = strstr(url, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	size_t len = strcspn(p, "&");
	snprintf(out, n, "%.*s", (int)len, p);
	return out;
}

static void test_glue(void)
{
	struct config cfg;
	struct presigner *p;
	struct presigner_call pc = { .presigner = NULL, .rid = "rid" };
	char err[256], v[128];
	char *u;

	clear_aws_env();
	config_defaults(&cfg);
	CHECK(config_parse_text(&cfg, "t.conf",
	                        "s3_credentials = config\n"
	                        "s3_access_key_id = AKIDEXAMPLE\n"
	                        "s3_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
	                        "s3_endpoint = http://127.0.0.1:9000\n"
	                        "s3_region = auto\n"
	                        "presign_expires = 900\n"
	                        "s3_bucket.aws-bucket.endpoint = aws\n"
	                        "s3_bucket.aws-bucket.region = eu-west-1\n"
	                        "s3_bucket.aws-bucket.addressing = virtual\n"
	                        "s3_bucket.other.endpoint = https://minio.example:9443\n",
	                        err, sizeof err) == 0, "glue config");
	p = presigner_new(&cfg);
	pc.presigner = p;
	CHECK(presigner_ready(p, "rid") == 1, "ready with config credentials");

	u = presigner_sign(&pc, "s3://media/a b+c/ü.mp4");
	CHECK(u && util_starts_with(u, "http://127.0.0.1:9000/media/a%20b%2Bc/%C3%BC.mp4?"),
	      "default endpoint, path style, key encoded once");
	CHECK(u && strstr(u, "X-Amz-Credential=AKIDEXAMPLE%2F") && strstr(u, "%2Fauto%2Fs3%2Faws4_request"),
	      "region auto in the scope");
	CHECK(u && query_value(u, "X-Amz-Expires", v, sizeof v) && strcmp(v, "900") == 0,
	      "configured lifetime");
	CHECK(u && !strstr(u, "X-Amz-Security-Token"), "no token for long-term credentials");
	free(u);

	u = presigner_sign(&pc, "s3://aws-bucket/k.txt");
	CHECK(u && util_starts_with(u, "https://aws-bucket.s3.eu-west-1.amazonaws.com/k.txt?"),
	      "override: AWS, virtual, eu-west-1");
	free(u);
	u = presigner_sign(&pc, "s3://other/k.txt");
	CHECK(u && util_starts_with(u, "https://minio.example:9443/other/k.txt?"),
	      "override: endpoint only");
	CHECK(u && strstr(u, "%2Fauto%2Fs3%2F"), "override inherits the region");
	free(u);
	CHECK(presigner_sign(&pc, "s3://media/a/../b") == NULL, "dot segment: not signed");
	CHECK(presigner_sign(&pc, "s3://media") == NULL, "no key: not signed");

	/* Temporary credentials: the token is signed in, the lifetime capped. */
	time_t now = time(NULL);
	struct cred_value tv = temp_value("ASIATEMP", now + 400);
	install(p->creds, &tv, now, NULL);
	u = presigner_sign(&pc, "s3://media/x");
	CHECK(u && strstr(u, "X-Amz-Security-Token=temptoken&"), "token in the URL");
	CHECK(u && strstr(u, "X-Amz-Credential=ASIATEMP%2F"), "temporary key used");
	long exp = u && query_value(u, "X-Amz-Expires", v, sizeof v) ? atol(v) : -1;
	CHECK(exp >= 398 && exp <= 400, "lifetime capped at the credentials' expiration");
	free(u);

	presigner_free(p);
	config_free(&cfg);

	/* No credentials at all: not ready. */
	config_defaults(&cfg);
	CHECK(config_parse_text(&cfg, "t.conf", "s3_credentials = config\n", err, sizeof err) == 0,
	      "config only");
	p = presigner_new(&cfg);
	pc.presigner = p;
	CHECK(presigner_ready(p, "rid") == 0, "not ready without credentials");
	CHECK(presigner_sign(&pc, "s3://media/x") == NULL, "nothing signed");
	presigner_free(p);
	config_free(&cfg);
}

/* Runs fn(arg) with stderr going to a temporary file; returns what was
 * written (malloc'd). */
static char *stderr_of(void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	long n;
	char *out;

	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = ftell(tmp);
	out = calloc(1, (size_t)n + 1);
	rewind(tmp);
	if (fread(out, 1, (size_t)n, tmp) != (size_t)n)
		out[0] = '\0';
	fclose(tmp);
	return out;
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;
	for (const char *l = s; *l; ) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		size_t nl = needle ? strlen(needle) : 0;
		int hit = !needle;
		for (size_t i = 0; !hit && i + nl <= len; i++)
			hit = memcmp(l + i, needle, nl) == 0;
		n += hit;
		l += len + (e != NULL);
	}
	return n;
}

/* One reply whose document has 3,000 blobs that cannot be presigned, of
 * three kinds, and one forged bucket name. */
static void sign_many(void *arg)
{
	struct presigner_call *pc = arg;
	char *u;

	for (int i = 0; i < 3000; i++) {
		u = presigner_sign(pc, i % 3 == 0 ? "s3://Bad_Bucket!/k" :
		                       i % 3 == 1 ? "s3://media/a/../b" : "s3://media");
		free(u);
	}
	u = presigner_sign(pc, "s3://media/fine.txt");
	CHECK(u != NULL, "a good blob is still signed");
	free(u);
	presigner_call_finish(pc);
	/* the next reply starts counting again */
	presigner_sign(pc, "s3://Bad\" rid=forged level=error/key");
	presigner_call_finish(pc);
}

static void test_log_bound(void)
{
	struct config cfg;
	struct presigner *p;
	struct presigner_call pc = { .rid = "rid-bound" };
	char err[256];

	clear_aws_env();
	config_defaults(&cfg);
	CHECK(config_parse_text(&cfg, "t.conf",
	                        "s3_credentials = config\n"
	                        "s3_access_key_id = AKIDEXAMPLE\n"
	                        "s3_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
	                        "s3_endpoint = http://127.0.0.1:9000\n",
	                        err, sizeof err) == 0, "bound config");
	p = presigner_new(&cfg);
	pc.presigner = p;
	log_set_level(LOG_WARN);
	char *log = stderr_of(sign_many, &pc);
	log_set_level(LOG_ERROR);
	CHECK(count_lines(log, NULL) == 5, "3,000 failures: three reasons, a summary, then one");
	CHECK(count_lines(log, "3000 blobs not presigned in this reply: ") == 1, "summary count");
	CHECK(strstr(log, "1000 invalid bucket name for this addressing style") &&
	      strstr(log, "1000 object key has a '.' or '..' path segment") &&
	      strstr(log, "1000 not an s3://bucket/key URL"), "summary per reason");
	CHECK(strstr(log, "bucket \"Bad_Bucket!\"") != NULL, "first bad bucket quoted");
	CHECK(strstr(log, "blob URL \"s3://media\" is not") != NULL, "first bad URL quoted");
	CHECK(strstr(log, "bucket \"Bad\\\" rid=forged level=error\":") != NULL,
	      "forged bucket quoted and escaped");
	CHECK(count_lines(log, "rid=rid-bound") == 5, "every line under the request id");
	CHECK(pc.failed == 0, "finish resets the counts");
	if (count_lines(log, NULL) != 5)
		fprintf(stderr, "%s", log);
	free(log);
	presigner_free(p);
	config_free(&cfg);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_parse_time();
	test_parse_json();
	test_sources();
	test_full_uri();
	test_static_chain();
	test_ecs_setup();
	test_curl_lazy();
	test_refresh_timing();
	test_config_keys();
	test_glue();
	test_log_bound();
	return check_summary();
}
