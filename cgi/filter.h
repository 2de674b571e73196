/*
 * filter.h - Mixpeek's filter language (contract section 9) compiled to a
 * parameterized SQL condition.
 *
 * The filter JSON is read into conditions on fields; each field becomes a
 * fixed SQL expression chosen from a table (system fields) or a path into
 * a jsonb column whose keys are bound as a text[] parameter; every value
 * is a parameter. No text of the request ever enters the SQL. The
 * condition refers to the documents table as `d` and collections as `c`.
 *
 * Pure: no I/O.
 */
#ifndef DOCAPI_FILTER_H
#define DOCAPI_FILTER_H

#include <json-c/json.h>

#include "problems.h"
#include "util.h"

#define FILTER_MAX_DEPTH 16
#define FILTER_MAX_CONDITIONS 256
#define FILTER_MAX_IN 1000
#define FILTER_MAX_REGEX 1000

/* The compiled condition and its parameters. */
struct filter_sql {
	struct buf sql;          /* a boolean SQL expression ("TRUE": no condition) */
	char **params;           /* owned: parameter texts, numbered from `first` */
	int nparams;
	int first;               /* $first is params[0] */
	int conditions;          /* conditions compiled (shorthand included) */
};

/* Starts f with parameters numbered from first (the caller's own
 * parameters come before). */
void filter_init(struct filter_sql *f, int first);

/*
 * Compiles filters (any JSON value; NULL: no filter) into f. ts_config is
 * the text search configuration name for `text` (bound, not spliced).
 * Problems go to v with loc [loc0, loc1, <path>, <key>]; f is complete
 * only when none was added. Returns the number of problems added.
 */
int filter_compile(struct filter_sql *f, struct json_object *filters,
                   const char *ts_config, struct verrs *v, const char *loc0,
                   const char *loc1);

/* Appends a parameter (copied; NULL: SQL NULL); returns its $ number. */
int filter_param(struct filter_sql *f, const char *text);

/* The SQL expression (jsonb, or timestamptz for created_at/updated_at:
 * *is_time set) of a field path of section 9, appending any parameter it
 * needs to f; NULL with *why set when the field cannot be filtered or
 * sorted on. For sort and group_by. */
const char *filter_field_expr(struct filter_sql *f, const char *field,
                              struct buf *out, int *is_time, const char **why);

void filter_free(struct filter_sql *f);

#endif
