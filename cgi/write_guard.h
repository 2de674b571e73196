/*
 * write_guard.h - the guard rails of the many-document writes (contract
 * section 11), read from the Prefer header: max-affected=N refuses a
 * write that would change more than N documents, tx=rollback makes the
 * request a dry run.
 *
 * Pure: no I/O.
 */
#ifndef DOCAPI_WRITE_GUARD_H
#define DOCAPI_WRITE_GUARD_H

#include "problems.h"

struct write_guard {
	long long max_affected;     /* -1: no limit */
	int rollback;               /* tx=rollback: evaluate, then roll back */
	char applied[48];           /* the Preference-Applied value ("" for none) */
};

/* Reads g from a Prefer value (NULL: none). A malformed value is a
 * problem at ["header", "Prefer"] in v. Returns the number added. */
int write_guard_parse(struct write_guard *g, const char *prefer, struct verrs *v);

/* Adds the 422 of a request that would affect `would` documents when
 * that is more than max-affected allows. Returns 1 when it refused. */
int write_guard_refuse(const struct write_guard *g, long long would, struct verrs *v);

#endif
