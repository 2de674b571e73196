/*
 * batch.h - the one statement of a many-document write (contract section
 * 11): POST .../documents/batch (update), DELETE .../documents/batch and,
 * on top of the same statement, PATCH .../documents/bulk.
 *
 * Pure: builds SQL text and parameters (on top of filter.h); parameters
 * $1..$5 are the scope's. The documents are named by id (items) or by a
 * filter; the statement locks them (in id order, so two batches cannot
 * deadlock on each other), decides per document whether it can take the
 * write - found, read-only fields kept, the result valid - and writes the
 * ones that can, or none when atomic and one cannot, or when more than
 * max_affected could. It is one statement and one round trip for up to
 * 1,000 items or any number of matches.
 *
 * Its one row has the columns of public.docapi_found: the scope, then
 * `found` = {"ok": n, "failed": n, "results": [{document_id, success,
 * error?}, ...]}, and last_seq = the documents written. results holds
 * every item in request order, or (filter mode) the failed documents
 * only, at most BATCH_MAX_REPORTED.
 */
#ifndef DOCAPI_BATCH_H
#define DOCAPI_BATCH_H

#include <json-c/json.h>

#include "filter.h"

#define BATCH_MAX_ITEMS 1000
#define BATCH_MAX_REPORTED 1000

enum batch_op { BATCH_UPDATE, BATCH_DELETE };

struct batch_query {
	enum batch_op op;
	/* Item mode: a JSON array text of {"i": document id, then (update)
	 * update_data_item()'s members, or "err": why the item fails before
	 * any document is read}. NULL: filter mode. */
	const char *items;
	struct json_object *filters;    /* filter mode; NULL: every document */
	const char *update;             /* filter mode update: one update_data_item() text */
	int atomic;                     /* all or nothing */
	long long max_affected;         /* -1: no guard */
	const char *ts_config;
	int max_depth;                  /* a body's nesting limit */
};

/* Builds the statement into f (filter_init'ed by the call); filter
 * problems go to v at ["body", "filters"]. Returns the number added. */
int batch_build(struct filter_sql *f, const struct batch_query *q, struct verrs *v);

#endif
