/* config.c - see config.h. One declarative table drives file, env and defaults. */
#include "config.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/docapi"
#endif

enum opt_type { OPT_STRING, OPT_LONG, OPT_LEVEL, OPT_CHOICE };

struct option {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *def;      /* default, as text; NULL = unset */
	long min, max;        /* OPT_LONG bounds */
	const char *choices;  /* OPT_CHOICE: "a|b|c" */
};

/* --- presigning (credentials.c, presign_glue.c): value checks --- */
/* An endpoint: http(s)://... (the signer checks the rest when it signs). */
static int check_url(const char *v, const char **why)
{
	if (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0)
		return 0;
	*why = "an http:// or https:// URL";
	return -1;
}

/* s3_endpoint may also be empty (= AWS). */
static int check_endpoint(const char *v, const char **why)
{
	return *v ? check_url(v, why) : 0;
}

/* "auto", "none", or a list of config|env|ecs|imds (commas or spaces). */
static int check_cred_sources(const char *v, const char **why)
{
	static const char *const names[] = { "config", "env", "ecs", "imds" };
	size_t ntok = 0;
	int special = 0;

	*why = "auto, none, or a list of config env ecs imds";
	for (const char *p = v; *p;) {
		size_t len = strcspn(p, ", \t");
		if (len == 0) {
			p++;
			continue;
		}
		int ok = 0;
		if ((len == 4 && strncmp(p, "auto", 4) == 0) ||
		    (len == 4 && strncmp(p, "none", 4) == 0)) {
			special = 1;
			ok = 1;
		}
		for (size_t i = 0; !ok && i < sizeof names / sizeof names[0]; i++)
			ok = strlen(names[i]) == len && strncmp(p, names[i], len) == 0;
		if (!ok)
			return -1;
		ntok++;
		p += len;
	}
	return ntok == 0 || (special && ntok > 1) ? -1 : 0;
}

static int check_secret(const char *v, const char **why)
{
	*why = "at least 32 bytes";
	return strlen(v) >= 32 ? 0 : -1;
}

/* Extra checks of string values, by option name: 0 = ok, -1 with *why. */
static const struct {
	const char *name;
	int (*check)(const char *value, const char **why);
} value_checks[] = {
	{ "s3_endpoint", check_endpoint },
	{ "cursor_secret", check_secret },
	{ "s3_credentials", check_cred_sources },
	{ "s3_imds_endpoint", check_url },
	{ "s3_ecs_endpoint", check_url },
};

static int check_value(const char *name, const char *value, const char **why)
{
	for (size_t i = 0; i < sizeof value_checks / sizeof value_checks[0]; i++)
		if (strcmp(value_checks[i].name, name) == 0)
			return value_checks[i].check(value, why);
	return 0;
}
/* --- end presigning --- */

#define OFF(f) offsetof(struct config, f)
static const struct option options[] = {
	{ "database_url", OPT_STRING, OFF(database_url), "dbname=docapi", 0, 0, NULL },
	{ "database_read_url", OPT_STRING, OFF(database_read_url), NULL, 0, 0, NULL },
	{ "mount_prefix", OPT_STRING, OFF(mount_prefix), "", 0, 0, NULL },
	{ "body_limit", OPT_LONG, OFF(body_limit), "1048576", 2, 64L << 20, NULL },
	{ "max_depth", OPT_LONG, OFF(max_depth), "64", 2, 1000, NULL },
	{ "log_level", OPT_LEVEL, OFF(log_level), "info", 0, 0, NULL },
	{ "sql_dir", OPT_STRING, OFF(sql_dir), PKGDATADIR "/sql", 0, 0, NULL },
	{ "retry_after", OPT_LONG, OFF(retry_after), "1", 1, 3600, NULL },
	{ "method_override", OPT_LONG, OFF(method_override), "0", 0, 1, NULL },
	{ "idempotency_ttl", OPT_LONG, OFF(idempotency_ttl), "86400", 1, 30L * 86400, NULL },
	{ "cursor_secret", OPT_STRING, OFF(cursor_secret), NULL, 0, 0, NULL },
	{ "require_filters", OPT_CHOICE, OFF(require_filters), "true", 0, 0, "true|false" },
	{ "text_search_config", OPT_STRING, OFF(text_search_config), "english", 0, 0, NULL },
	{ "default_schema_version", OPT_CHOICE, OFF(default_schema_version), "v2", 0, 0, "v1|v2" },
	{ "s3_region", OPT_STRING, OFF(s3_region), "us-east-1", 0, 0, NULL },
	{ "s3_endpoint", OPT_STRING, OFF(s3_endpoint), NULL, 0, 0, NULL },
	{ "s3_access_key_id", OPT_STRING, OFF(s3_access_key_id), NULL, 0, 0, NULL },
	{ "s3_secret_access_key", OPT_STRING, OFF(s3_secret_access_key), NULL, 0, 0, NULL },
	{ "s3_session_token", OPT_STRING, OFF(s3_session_token), NULL, 0, 0, NULL },
	{ "presign_expires", OPT_LONG, OFF(presign_expires), "3600", 1, 604800, NULL },
	{ "s3_addressing", OPT_CHOICE, OFF(s3_addressing), "auto", 0, 0, "auto|virtual|path" },
	{ "s3_credentials", OPT_STRING, OFF(s3_credentials), "auto", 0, 0, NULL },
	{ "s3_imds_endpoint", OPT_STRING, OFF(s3_imds_endpoint), "http://169.254.169.254", 0, 0, NULL },
	{ "s3_ecs_endpoint", OPT_STRING, OFF(s3_ecs_endpoint), "http://169.254.170.2", 0, 0, NULL },
};
#define N_OPTIONS (sizeof options / sizeof options[0])

static int choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

/* Stores value into the field of opt; returns 0 or -1 with a reason. */
static int set_option(struct config *cfg, const struct option *opt,
                      const char *value, const char **why)
{
	char *field = (char *)cfg + opt->offset;

	switch (opt->type) {
	case OPT_STRING:
	case OPT_CHOICE: {
		if (opt->type == OPT_CHOICE && !choice_ok(opt->choices, value)) {
			*why = opt->choices;
			return -1;
		}
		if (check_value(opt->name, value, why) != 0)
			return -1;
		char **s = (char **)field;
		free(*s);
		*s = xstrdup(value);
		return 0;
	}
	case OPT_LONG: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || end == value || *end || !isdigit((unsigned char)value[0])) {
			*why = "not a whole number";
			return -1;
		}
		if (v < opt->min || v > opt->max) {
			*why = "out of range";
			return -1;
		}
		*(long *)field = v;
		return 0;
	}
	case OPT_LEVEL: {
		int lv = log_parse_level(value);
		if (lv < 0) {
			*why = "error|warn|info|debug";
			return -1;
		}
		*(int *)field = lv;
		return 0;
	}
	}
	return -1;
}

/* --- presigning: "s3_bucket.NAME.ATTR = value" (per-bucket overrides) --- */
#define BUCKET_PREFIX "s3_bucket."

/* Returns 1 when key is an s3_bucket.* line (then 0 = stored, or -1 with a
 * reason in *why), 0 when it is some other key. */
static int set_bucket_option(struct config *cfg, const char *key,
                             const char *value, const char **why, int *rc)
{
	size_t plen = strlen(BUCKET_PREFIX);
	const char *name, *dot, *attr;
	struct config_s3_bucket *b = NULL;
	char **field;

	if (strncmp(key, BUCKET_PREFIX, plen) != 0)
		return 0;
	*rc = -1;
	name = key + plen;
	dot = strrchr(name, '.');   /* bucket names may contain dots */
	if (!dot || dot == name) {
		*why = "expected s3_bucket.NAME.region|endpoint|addressing";
		return 1;
	}
	attr = dot + 1;
	if (!*value) {
		*why = "empty value";
		return 1;
	}
	if (strcmp(attr, "addressing") == 0) {
		if (!choice_ok("auto|virtual|path", value)) {
			*why = "auto|virtual|path";
			return 1;
		}
	} else if (strcmp(attr, "endpoint") == 0) {
		if (strcmp(value, "aws") != 0 && check_url(value, why) != 0) {
			*why = "aws, or an http:// or https:// URL";
			return 1;
		}
	} else if (strcmp(attr, "region") != 0) {
		*why = "expected s3_bucket.NAME.region|endpoint|addressing";
		return 1;
	}
	for (size_t i = 0; i < cfg->n_s3_buckets; i++) {
		const char *n = cfg->s3_buckets[i].name;
		if (strlen(n) == (size_t)(dot - name) && strncmp(n, name, (size_t)(dot - name)) == 0)
			b = &cfg->s3_buckets[i];
	}
	if (!b) {
		cfg->s3_buckets = xrealloc(cfg->s3_buckets,
		                           (cfg->n_s3_buckets + 1) * sizeof *cfg->s3_buckets);
		b = &cfg->s3_buckets[cfg->n_s3_buckets++];
		memset(b, 0, sizeof *b);
		b->name = xstrndup(name, (size_t)(dot - name));
	}
	field = strcmp(attr, "region") == 0 ? &b->region
	      : strcmp(attr, "endpoint") == 0 ? &b->endpoint : &b->addressing;
	free(*field);
	*field = xstrdup(value);
	*rc = 0;
	return 1;
}
/* --- end presigning --- */

static const struct option *find_option(const char *name)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const char *why;
		if (options[i].def)
			set_option(cfg, &options[i], options[i].def, &why);
	}
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_parse_text(struct config *cfg, const char *name, const char *text,
                      char *err, size_t errlen)
{
	int lineno = 0, rc = 0;
	char *copy = xstrdup(text);
	char *save = NULL;

	/* strtok_r would skip empty lines and miscount, so walk by hand. */
	for (char *line = copy; line && rc == 0; line = save) {
		char *nl = strchr(line, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *l = trim(line);
		if (!*l)
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected \"key = value\"", name, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(l), *value = trim(eq + 1);
		const struct option *opt = find_option(key);
		const char *why = NULL;
		int brc = 0;
		if (!opt && set_bucket_option(cfg, key, value, &why, &brc)) {
			if (brc != 0) {
				snprintf(err, errlen, "%s:%d: bad value for %.64s (%s)", name,
				         lineno, key, why);
				rc = -1;
			}
		} else if (!opt) {
			snprintf(err, errlen, "%s:%d: unknown key \"%.64s\"", name, lineno, key);
			rc = -1;
		} else if (set_option(cfg, opt, value, &why) != 0) {
			snprintf(err, errlen, "%s:%d: bad value for %s (%s)", name, lineno,
			         key, why);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

static int load_env(struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		char envname[64] = "DOCAPI_";
		size_t n = strlen(envname);
		for (const char *p = options[i].name; *p && n + 1 < sizeof envname; p++)
			envname[n++] = (char)toupper((unsigned char)*p);
		envname[n] = '\0';
		const char *v = getenv(envname);
		const char *why = NULL;
		if (v && set_option(cfg, &options[i], v, &why) != 0) {
			snprintf(err, errlen, "environment %s: bad value (%s)", envname, why);
			return -1;
		}
	}
	return 0;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	int explicit_path = 1, rc = -1;
	FILE *f = NULL;
	struct buf text = { 0 };

	config_defaults(cfg);
	if (!path)
		path = getenv("DOCAPI_CONF");
	if (!path || !*path) {
		path = SYSCONFDIR "/docapi.conf";
		explicit_path = 0;
	}
	f = fopen(path, "r");
	if (!f) {
		if (explicit_path || errno != ENOENT) {
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
			goto cleanup;
		}
	} else {
		char chunk[4096];
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_append(&text, chunk, n);
		if (ferror(f)) {
			snprintf(err, errlen, "%s: read error", path);
			goto cleanup;
		}
		if (config_parse_text(cfg, path, text.data ? text.data : "", err, errlen))
			goto cleanup;
	}
	if (load_env(cfg, err, errlen))
		goto cleanup;
	/* A prefix is stored without its trailing slash: "/api/" -> "/api". */
	size_t plen = strlen(cfg->mount_prefix);
	while (plen > 0 && cfg->mount_prefix[plen - 1] == '/')
		cfg->mount_prefix[--plen] = '\0';
	if (plen > 0 && cfg->mount_prefix[0] != '/') {
		snprintf(err, errlen, "mount_prefix must start with '/'");
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (f)
		fclose(f);
	buf_free(&text);
	return rc;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (options[i].type == OPT_STRING || options[i].type == OPT_CHOICE) {
			char **s = (char **)((char *)cfg + options[i].offset);
			free(*s);
			*s = NULL;
		}
	}
	for (size_t i = 0; i < cfg->n_s3_buckets; i++) {
		free(cfg->s3_buckets[i].name);
		free(cfg->s3_buckets[i].region);
		free(cfg->s3_buckets[i].endpoint);
		free(cfg->s3_buckets[i].addressing);
	}
	free(cfg->s3_buckets);
	cfg->s3_buckets = NULL;
	cfg->n_s3_buckets = 0;
}
