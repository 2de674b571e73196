/*
 * router.h - the route table and the dispatcher.
 *
 * Each route is {methods, pattern, handler, flags}. The dispatcher answers
 * 404 and 405 (+ Allow) from the table and performs the checks the flags ask
 * for, in contract order, before a handler runs; handlers never re-check.
 */
#ifndef DOCAPI_ROUTER_H
#define DOCAPI_ROUTER_H

#include "app.h"

/* Route flags: what the dispatcher checks before calling the handler. */
enum {
	R_AUTH = 1 << 0,       /* a Bearer credential must be present (401) */
	R_NAMESPACE = 1 << 1,  /* needs X-Namespace: handlers call auth first */
};

/* A handler reads a->req, fills a->resp; `params` are the path's variable
 * segments in order (borrowed from the request). */
typedef void (*route_handler)(struct app *a, const char *const *params);

struct route {
	int methods;              /* HTTP_GET | ... */
	const char *pattern;      /* "/v1/collections/{}/documents/{}" */
	route_handler handler;
	int flags;
};

/*
 * Finds the route for method + segments. Returns it and fills params (up to
 * HTTP_MAX_SEGS); NULL when nothing matches, with *allow set to the methods
 * the path supports (0: unknown path -> 404, else 405).
 */
const struct route *router_match(const struct route *table, enum http_method m,
                                 char *const *segs, int nsegs,
                                 const char **params, int *allow);

/* Writes "GET, PATCH" for a method mask into out. */
void router_allow_header(int methods, char *out, size_t outlen);

/* Handles the request in a->req: the whole dispatch pipeline. */
void router_dispatch(struct app *a);

#endif
