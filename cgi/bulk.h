/*
 * bulk.h - PATCH .../documents/bulk (contract section 11): one statement
 * that applies update_data to every document the filter matches, in one
 * transaction, or to none.
 *
 * Pure: builds SQL text and parameters (on top of filter.h); parameters
 * $1..$5 are the scope's. The statement's one row has the columns of
 * public.docapi_found: the scope, `found` = {"bad": [up to 100 ids of
 * documents that cannot take the update], "matched": n}, last_seq = the
 * documents updated. Nothing is written when any document is bad or more
 * than max_affected match.
 */
#ifndef DOCAPI_BULK_H
#define DOCAPI_BULK_H

#include <json-c/json.h>

#include "filter.h"
#include "update_data.h"

struct bulk_query {
	struct json_object *filters;    /* NULL: every document */
	const struct update_data *u;
	const char *ts_config;
	long long max_affected;         /* -1: no guard */
	int max_depth;                  /* a body's nesting limit */
};

/* Builds the statement into f (filter_init'ed by the call); filter
 * problems go to v. Returns the number added. */
int bulk_build(struct filter_sql *f, const struct bulk_query *q, struct verrs *v);

#endif
