/*
 * router.h - the route table and the dispatcher.
 *
 * A route is one row: {methods, pattern, handler, flags, body check}. The
 * dispatcher answers 404 and 405 (+ Allow) from the table, then performs
 * what the flags ask for in the contract's order (section 4): credentials
 * -> namespace -> role -> media type -> size -> syntax (body and query)
 * -> collection -> document -> presigning available; only then does the
 * handler run. Literal segments beat variable ones: a path that matches
 * ".../documents/list" never reaches ".../documents/{}".
 */
#ifndef DOCAPI_ROUTER_H
#define DOCAPI_ROUTER_H

#include "app.h"
#include "handlers.h"

/* Route flags: what the dispatcher checks before calling the handler. */
enum {
	R_AUTH = 1 << 0,        /* a valid bearer key (401) */
	R_NAMESPACE = 1 << 1,   /* one X-Namespace naming a namespace the key may use (400, 404, 403) */
	R_WRITE = 1 << 2,       /* a key whose role may write (403) */
	R_BODY_JSON = 1 << 3,   /* an application/json body (415, 400, 413, 422) */
	R_BODY_PATCH = 1 << 4,  /* a body of any of section 4's patch types (415, 400, 413, 422) */
	R_COLLECTION = 1 << 5,  /* params[0] names a collection of the namespace (404) */
	R_DOCUMENT = 1 << 6,    /* params[1] names a document of that collection (404) */
	R_DOC_QUERY = 1 << 7,   /* return_url / return_vectors (422); presigning ready (503) */
	/* The handler may resolve the scope in the statement that does its
	 * work (one round trip): when every check needing no database passes,
	 * it is called with the scope unresolved and answers the scope's
	 * refusals itself (handlers.h: call_refuse_scope, call_refuse_missing,
	 * or call_resolve when it takes the general path). */
	R_FUSED = 1 << 8,
	/* With R_BODY_JSON: no body at all (no Content-Type either) is the
	 * empty object (the list route). */
	R_BODY_OPTIONAL = 1 << 9,
};

typedef enum h_result (*route_handler)(struct call *c);
/* Checks of a parsed body that need nothing stored (422 problems to v). */
typedef void (*route_body_check)(enum body_kind kind, struct json_object *body,
                                 struct verrs *v);

struct route {
	int methods;              /* HTTP_GET | ... */
	const char *pattern;      /* "/v1/collections/{}/documents/{}" */
	route_handler handler;
	int flags;
	route_body_check check;   /* NULL: none */
};

/*
 * Finds the route for method + segments among the most specific patterns
 * that match the path (the most literal segments, counted from the left).
 * Returns it and fills params (up to HTTP_MAX_SEGS); NULL when nothing
 * matches, with *allow set to the methods that pattern supports (0:
 * unknown path -> 404, else 405).
 */
const struct route *router_match(const struct route *table, enum http_method m,
                                 char *const *segs, int nsegs,
                                 const char **params, int *allow);

/* Handles the request in a->req: the whole dispatch pipeline. */
void router_dispatch(struct app *a);

#endif
