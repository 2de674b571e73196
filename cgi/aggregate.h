/*
 * aggregate.h - POST .../documents/aggregate (contract section 12): the
 * request body checked and compiled into one parameterized statement
 * that PostgreSQL answers with the whole response.
 *
 * Pure: builds SQL text and parameters (on top of filter.h). Parameters
 * $1..$5 are the scope's, as for a list. The statement's one row has the
 * columns of public.docapi_found: the scope, then `found` = {"results":
 * [{group, metrics}], "total_groups"}, last_seq = the documents matched,
 * has_more = whether groups were cut at 10,000 (no limit asked).
 *
 * Aliases are bound as parameters; field paths resolve as filters do.
 */
#ifndef DOCAPI_AGGREGATE_H
#define DOCAPI_AGGREGATE_H

#include <json-c/json.h>

#include "filter.h"
#include "problems.h"

#define AGGREGATE_MAX_GROUPS 10000

/* Compiles body into f (filter_init'ed by the call). Problems go to v
 * under "body"; returns the number added (the statement is complete only
 * when 0). */
int aggregate_build(struct filter_sql *f, struct json_object *body,
                    const char *ts_config, struct verrs *v);

#endif
