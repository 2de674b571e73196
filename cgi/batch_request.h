/*
 * batch_request.h - the bodies of the many-document writes (contract
 * section 11) checked and turned into a struct batch_query: batch update
 * (`updates`, or `filters` + `update_data`), batch delete (`document_ids`,
 * or `filters`) and bulk update (`filters` + `update_data`).
 *
 * Pure: no I/O. Shape problems go to a struct verrs (the request's 422);
 * what can only fail for one item (an update_data that cannot apply) goes
 * into that item as its error instead. The guards of Prefer are
 * write_guard.h's; the caller sets q.max_affected, ts_config, max_depth.
 */
#ifndef DOCAPI_BATCH_REQUEST_H
#define DOCAPI_BATCH_REQUEST_H

#include <json-c/json.h>

#include "batch.h"
#include "problems.h"
#include "update_data.h"

struct batch_request {
	struct batch_query q;       /* its texts point into the members below */
	/* owned; batch_request_clear() */
	struct json_object *items;  /* item mode: the array q.items is the text of */
	struct json_object *update; /* filter mode: q.update's object */
	struct update_data u;       /* filter mode: the split update_data */
};

/* Each fills r (zeroed by the call) from body. Return the number of
 * problems added to v; clear r in every case. bulk: filters may be absent
 * (every document) when require_filters is 0; atomic always. */
int batch_request_update(struct batch_request *r, struct json_object *body, struct verrs *v);
int batch_request_delete(struct batch_request *r, struct json_object *body, struct verrs *v);
int batch_request_bulk(struct batch_request *r, struct json_object *body, int require_filters,
                       struct verrs *v);
void batch_request_clear(struct batch_request *r);

#endif
