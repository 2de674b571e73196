/*
 * credentials.h - AWS credentials for presigning, from a chain of sources:
 *
 *   config  s3_access_key_id / s3_secret_access_key / s3_session_token
 *   env     AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *   ecs     the ECS (or EKS pod identity) container credentials endpoint:
 *           AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (appended to the
 *           configured ECS endpoint, default http://169.254.170.2), or
 *           AWS_CONTAINER_CREDENTIALS_FULL_URI (plain http only to a
 *           loopback or the ECS/EKS link-local hosts, as the AWS SDKs do),
 *           with the Authorization header from
 *           AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN
 *   imds    EC2 instance metadata service, IMDSv2 only: PUT a session token,
 *           GET the role name, GET the role's credentials JSON.
 *           Skipped when AWS_EC2_METADATA_DISABLED=true.
 *
 * "auto" tries config, env, ecs, imds in that order and uses the first that
 * yields credentials; config and env count only when their access key is
 * set, ecs only when one of its URI variables is set. The environment is
 * read once, when the provider is created.
 *
 * Caching: static credentials (config, env) are used as they are. Temporary
 * ones (ecs, imds, with an Expiration) are kept until CRED_REFRESH_MARGIN
 * seconds before they expire, then fetched again; while a refresh fails, the
 * old ones are used as long as they have not expired. After a failure the
 * chain is not tried again for CRED_RETRY_INTERVAL seconds. A failure is
 * logged once with its reason (again only when the reason changes); no
 * secret is ever logged. HTTP calls use libcurl with short timeouts, no
 * proxy and no redirects. libcurl is not linked: it is loaded (dlopen) on
 * the first ecs or imds fetch, so workers that get their credentials from
 * config or env never map it; when it cannot be loaded, that is the logged
 * reason of the failure.
 *
 * A provider belongs to one worker and is not thread-safe.
 */
#ifndef DOCAPI_CREDENTIALS_H
#define DOCAPI_CREDENTIALS_H

#include <stddef.h>
#include <time.h>

#define CRED_REFRESH_MARGIN 300    /* seconds before Expiration */
#define CRED_RETRY_INTERVAL 30     /* seconds between attempts after a failure */
#define CRED_MIN_REFETCH 30        /* seconds: credentials that arrive with less
                                    * than the margin left are asked for again
                                    * after this long (until they expire) */
#define CRED_CONNECT_TIMEOUT_MS 1000
#define CRED_TOTAL_TIMEOUT_MS 2000

enum cred_source {
	CRED_SRC_CONFIG = 0,
	CRED_SRC_ENV,
	CRED_SRC_ECS,
	CRED_SRC_IMDS,
	CRED_N_SOURCES
};

/* What the provider is built from. All strings are borrowed for the call. */
struct cred_options {
	const char *sources;          /* "auto", "none", or e.g. "env,imds" */
	const char *access_key_id;    /* config source; NULL = not configured */
	const char *secret_access_key;
	const char *session_token;
	const char *imds_endpoint;    /* e.g. "http://169.254.169.254" */
	const char *ecs_endpoint;     /* e.g. "http://169.254.170.2" */
};

/*
 * A view of the current credentials. The strings are owned by the provider
 * and stay valid until the next cred_get() or cred_provider_free().
 */
struct credentials {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;    /* NULL for long-term credentials */
	time_t expiration;            /* 0 = does not expire */
	enum cred_source source;
};

struct cred_provider;

/* Returns a new provider owned by the caller (free with
 * cred_provider_free()), or NULL with a reason in err when the source list
 * is invalid. Reads the environment; does no I/O otherwise. */
struct cred_provider *cred_provider_new(const struct cred_options *opt,
                                        char *err, size_t errlen);

/* Wipes the secrets it holds and frees the provider. NULL is a no-op. */
void cred_provider_free(struct cred_provider *p);

/*
 * Fills *out with credentials valid at `now` (expiration == 0 or later than
 * now), fetching or refreshing them when due (see above). rid is the request
 * id for log records (may be NULL). Returns 0, or -1 when no credentials are
 * available (the reason has been logged once).
 */
int cred_get(struct cred_provider *p, time_t now, const char *rid,
             struct credentials *out);

/* "config", "env", "ecs" or "imds". */
const char *cred_source_name(enum cred_source s);

/* Parses an RFC 3339 UTC instant as the credential endpoints send it
 * ("2024-05-01T12:34:56Z", optional fraction, "Z" or "+00:00").
 * Returns 0 and sets *out, or -1. */
int cred_parse_time(const char *s, time_t *out);

#endif
