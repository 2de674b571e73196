/*
 * list_query.h - the one statement of a list (contract section 10): the
 * scope, the filter, full-text search, the order with its keyset
 * position, the page, and the totals when asked.
 *
 * Pure: builds SQL text and its parameters (on top of filter.h); the
 * caller runs it. Parameters $1..$5 are the scope's (key hash, namespace
 * id, namespace name, collection id, collection name); the rest follow.
 *
 * Rows: a head row (outcome '-', the scope's columns; with count, version
 * = the total and sys = the stats JSON), then one row per document
 * (outcome 'D', the stored columns, document_id, and sort_key: the JSON
 * array of its keyset position, for the next cursor), then the ordinal
 * and, with with_vectors, the vectors (jsonb name -> vector).
 */
#ifndef DOCAPI_LIST_QUERY_H
#define DOCAPI_LIST_QUERY_H

#include <json-c/json.h>

#include "filter.h"
#include "problems.h"

#define LIST_FIRST_PARAM 6

/* "WITH s AS (...)": the scope of a collection's statement, as
 * public.docapi_scope has it (role, key_valid, ns_id, ns_allowed, col_id,
 * col_pk) from $1..$5; every dynamic statement of a collection starts so. */
extern const char list_scope_cte[];

struct list_query {
	struct json_object *filters;    /* borrowed; NULL: every document */
	const char *sort_field;         /* NULL: created_at */
	int desc;
	const char *search;             /* NULL: none */
	const char *group_by;           /* a field path; NULL: no groups */
	int with_vectors;               /* the documents' vectors too (return_vector_names: [...]) */
	const char *ts_config;
	struct json_object *after;      /* a cursor's position (array), or NULL */
	long long limit, offset;
	int count;                      /* the total and the stats */
	/* The namespace-wide list (POST /v1/documents/list): $4 and $5 are
	 * unused, the collections are all the namespace's or those of cols
	 * (a text[] literal of ids or names; NULL: all). The head row's
	 * col_id is then the first name in cols that is no collection. */
	int ns_wide;
	const char *cols;
	/* Build instead the EXPLAIN (FORMAT JSON) of the matching documents:
	 * its top "Plan Rows" is PostgreSQL's estimate of how many match
	 * (Prefer: count=planned). No head row; nothing is read. */
	int estimate;
};

/*
 * Builds the statement into f (filter_init'ed by the call, parameters from
 * LIST_FIRST_PARAM). Problems (filters, sort field, a position that does
 * not fit the order) go to v under loc0 (usually "body"). Returns the
 * number added; the statement is complete only when 0.
 */
int list_query_build(struct filter_sql *f, const struct list_query *q,
                     struct verrs *v, const char *loc0);

#endif
