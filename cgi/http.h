/*
 * http.h - one request in, one response out.
 *
 * The CGI/FastCGI environment is read once into a `struct request` (zeroed
 * per request, its buffers reused across requests), and every response goes
 * through http_send(), which writes the Status line and all headers exactly
 * once, in a single write. Error bodies (contract section 2) are built here
 * and nowhere else.
 */
#ifndef DOCAPI_HTTP_H
#define DOCAPI_HTTP_H

#include <stddef.h>
#include <json-c/json.h>

#include "problems.h"
#include "util.h"

/* How a request reaches us: FastCGI streams, or plain CGI stdio. */
struct http_io {
	/* Reads up to n bytes; 0 at end of body, -1 on error. */
	int (*read)(void *ctx, char *buf, int n);
	/* Writes n bytes; -1 on error (client went away). */
	int (*write)(void *ctx, const char *buf, int n);
	char **envp;   /* the request's variables, NAME=value */
	void *ctx;
};

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_PATCH = 1 << 1,
	HTTP_PUT = 1 << 2,
	HTTP_POST = 1 << 3,
	HTTP_DELETE = 1 << 4,
	HTTP_HEAD = 1 << 5,
	HTTP_OTHER = 1 << 6,
};

#define HTTP_MAX_SEGS 8

struct request {
	const struct http_io *io;
	enum http_method method;
	/* Route path split into percent-decoded segments (owned, reused). */
	char *segs[HTTP_MAX_SEGS];
	int nsegs;
	int path_ok;              /* 0: path unusable (bad encoding, too deep) */
	const char *query;        /* raw QUERY_STRING, borrowed from envp */
	/* Headers, borrowed from envp (NULL when absent or empty). */
	const char *authorization;
	const char *x_namespace;
	int x_namespace_count;    /* >1: sent twice (lighttpd folds X_Namespace) */
	const char *content_type;
	const char *if_match;
	const char *if_none_match;
	const char *prefer;
	const char *idempotency_key;
	char request_id[65];
	/* Body, read to end of stream and capped at the configured limit. */
	struct buf body;
	int has_body;             /* a body was sent (even an empty one with a type) */
	int body_too_large;
	int body_truncated;       /* fewer bytes than CONTENT_LENGTH announced */
};

/* What a handler sets; http_send() writes the headers from the fields. */
struct response {
	int status;
	long long etag;           /* > 0: ETag: "<etag>" (a document version) */
	int allow;                /* methods for Allow (405), 0: none */
	const char *preference_applied; /* static text for Preference-Applied, or NULL */
	char preference_text[48]; /* a computed one (preference_applied points here) */
	struct buf location;      /* Location's URL; empty: none (owned, reused) */
	int replayed;             /* Idempotent-Replayed: true */
	struct buf body;
};

/*
 * Fills req from io: method, route (REQUEST_URI minus mount_prefix), headers,
 * request id, and the body (read to EOF, at most body_limit bytes; beyond
 * that body_too_large is set and reading stops). With method_override, a
 * POST carrying "X-HTTP-Method-Override: PATCH" (or PUT, DELETE) is taken as
 * that method: an opt-in for hosts whose firewall only lets GET and POST by. Never fails: problems are
 * recorded in the struct for the dispatcher to answer in contract order.
 */
void http_read_request(struct request *req, const struct http_io *io,
                       const char *mount_prefix, long body_limit,
                       int method_override);

/* Resets per-request state; keeps buffers for reuse. */
void http_request_reset(struct request *req);
void http_request_free(struct request *req);
void http_response_reset(struct response *resp);
void http_response_free(struct response *resp);

/* Drops the header fields a success set (ETag, Allow): an error
 * response carries none of them. */
void http_error_reset(struct response *resp);

/* Writes "GET, PATCH" for a method mask into out. */
void http_allow_list(int methods, char *out, size_t outlen);

/* Sets a body that is already JSON text (copied). */
void http_set_body(struct response *resp, int status, const char *json, size_t len);

/* Sets a JSON body (serialized compactly); borrows obj. */
void http_set_json(struct response *resp, int status, struct json_object *obj);

/*
 * Sets an error response of contract section 2, dropping any ETag/Allow
 * set before. details (may be NULL) is taken over (its reference is
 * consumed). http_send() adds WWW-Authenticate for 401 and Retry-After for
 * 503 (retry_after seconds).
 */
void http_error(struct response *resp, int status, const char *message,
                struct json_object *details);

/* {"resource": r, "id": id} for NotFoundError details; caller owns. */
struct json_object *http_not_found_details(const char *resource, const char *id);

/* Writes the response: Status, Content-Type, X-Request-Id, headers, body. */
int http_send(const struct request *req, const struct response *resp);

/* Reason phrase and error.type for a status code. */
const char *http_reason(int status);
const char *http_error_type(int status);

/* Retry-After seconds sent with every 503 (set once from the config). */
void http_set_retry_after(long seconds);

/* Moves the validation problems of v (problems.h) into a 422 response. */
void verr_respond(struct verrs *v, struct response *resp);

/* Parses a query boolean: true/false/1/0 in any case; -1 if invalid. */
int http_parse_bool(const char *s);
/*
 * Finds query parameter `name` in the raw query string and percent-decodes
 * its value into out (outlen bytes). Returns 1 when found, 0 when absent.
 */
int http_query_param(const char *query, const char *name, char *out, size_t outlen);
/* Each occurrence of a repeated parameter in turn: *pos starts at the
 * query; returns 1 with the next value of `name` in out (as
 * http_query_param decodes it), 0 when there is none left. */
int http_query_next(const char **pos, const char *name, char *out, size_t outlen);

/* Query parameter `name` as a plain decimal integer in [min, max]: 1 and
 * *out set, 0 when absent, -1 when it is not one. */
int http_query_int(const char *query, const char *name, long long min,
                   long long max, long long *out);

/* Percent-decodes s (n bytes) into out (n + 1 bytes); -1 on a bad escape,
 * %00, or invalid UTF-8 in the result. plus_is_space for query strings. */
int http_pct_decode(const char *s, size_t n, char *out, int plus_is_space);


#endif
