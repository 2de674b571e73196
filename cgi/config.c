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

#define OFF(f) offsetof(struct config, f)
static const struct option options[] = {
	{ "database_url", OPT_STRING, OFF(database_url), "dbname=docapi", 0, 0, NULL },
	{ "mount_prefix", OPT_STRING, OFF(mount_prefix), "", 0, 0, NULL },
	{ "body_limit", OPT_LONG, OFF(body_limit), "1048576", 2, 64L << 20, NULL },
	{ "max_depth", OPT_LONG, OFF(max_depth), "64", 2, 1000, NULL },
	{ "log_level", OPT_LEVEL, OFF(log_level), "info", 0, 0, NULL },
	{ "sql_dir", OPT_STRING, OFF(sql_dir), PKGDATADIR "/sql", 0, 0, NULL },
	{ "retry_after", OPT_LONG, OFF(retry_after), "1", 1, 3600, NULL },
	{ "s3_region", OPT_STRING, OFF(s3_region), "us-east-1", 0, 0, NULL },
	{ "s3_endpoint", OPT_STRING, OFF(s3_endpoint), NULL, 0, 0, NULL },
	{ "s3_access_key_id", OPT_STRING, OFF(s3_access_key_id), NULL, 0, 0, NULL },
	{ "s3_secret_access_key", OPT_STRING, OFF(s3_secret_access_key), NULL, 0, 0, NULL },
	{ "s3_session_token", OPT_STRING, OFF(s3_session_token), NULL, 0, 0, NULL },
	{ "presign_expires", OPT_LONG, OFF(presign_expires), "3600", 1, 604800, NULL },
	{ "s3_addressing", OPT_CHOICE, OFF(s3_addressing), "auto", 0, 0, "auto|virtual|path" },
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
		if (!opt) {
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
}
