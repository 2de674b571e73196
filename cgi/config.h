/*
 * config.h - the settings of docapi.fcgi and docapi-admin.
 *
 * Read once at start-up from the file named by DOCAPI_CONF (default
 * SYSCONFDIR/docapi.conf; a missing default file is not an error), then from
 * environment variables DOCAPI_<KEY> (upper case), which win. Lines are
 * "key = value"; '#' starts a comment. An unknown key or a bad value is an
 * error naming the file and line.
 */
#ifndef DOCAPI_CONFIG_H
#define DOCAPI_CONFIG_H

#include <stddef.h>

/*
 * One bucket's presigning overrides, from "s3_bucket.NAME.region = ...",
 * "s3_bucket.NAME.endpoint = ..." and "s3_bucket.NAME.addressing = ...".
 * NULL means "use the global s3_* value"; endpoint "aws" means AWS itself
 * even when s3_endpoint names an S3-compatible store. Owned by the config.
 */
struct config_s3_bucket {
	char *name;
	char *region;
	char *endpoint;
	char *addressing;        /* auto | virtual | path */
};

struct config {
	char *database_url;      /* libpq conninfo or URI: every write */
	char *database_read_url; /* where reads go (a replica); NULL: database_url */
	char *mount_prefix;      /* e.g. "/api"; "" when mounted at "/" */
	long body_limit;         /* bytes; larger bodies get 413 */
	long max_depth;          /* JSON nesting limit */
	int log_level;           /* enum log_level */
	char *sql_dir;           /* migrations, for docapi-admin */
	long retry_after;        /* seconds, sent with 503 */
	long method_override;    /* 1: POST + X-HTTP-Method-Override: PATCH|PUT|DELETE */
	long idempotency_ttl;    /* seconds an Idempotency-Key is remembered (create) */
	char *default_schema_version;  /* "v1" | "v2": a create's default */
	char *text_search_config; /* PostgreSQL text search configuration of `text` and `search` */
	char *require_filters;   /* "true" | "false": a bulk update without filters is a 422 */
	char *cursor_secret;     /* HMAC key of cursors; NULL: the database's (docapi_settings) */
	/* Presigning (contract section 5). */
	char *s3_region;
	char *s3_endpoint;
	char *s3_access_key_id;
	char *s3_secret_access_key;
	char *s3_session_token;
	long presign_expires;
	char *s3_addressing;     /* auto | virtual | path */
	/* --- presigning: credential sources and per-bucket overrides --- */
	char *s3_credentials;    /* "auto" or a list of config env ecs imds */
	char *s3_imds_endpoint;  /* EC2 instance metadata service base URL */
	char *s3_ecs_endpoint;   /* base of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI */
	struct config_s3_bucket *s3_buckets;  /* s3_bucket.NAME.ATTR lines */
	size_t n_s3_buckets;
	/* --- end presigning --- */
};

/*
 * Loads defaults, then the file at `path` (NULL: DOCAPI_CONF or the default
 * path), then the environment. Returns 0, or -1 with a message naming the
 * file and line in err. The struct owns its strings: config_free().
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Parses config text (for tests): `name` is used in messages. */
int config_parse_text(struct config *cfg, const char *name, const char *text,
                      char *err, size_t errlen);

/* Sets every field to its default; frees nothing. */
void config_defaults(struct config *cfg);

/* Releases the strings; the struct can be reloaded afterwards. */
void config_free(struct config *cfg);

#endif
