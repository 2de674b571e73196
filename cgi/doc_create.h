/*
 * doc_create.h - the body of a create (contract section 8, Mixpeek's
 * DocumentCreateRequest) checked and turned into the stored columns:
 * read-only fields into `sys` (contract order; v1 also as the `lineage`
 * object), feature payloads and extra keys into the flat fields, the
 * features' vectors into one name -> vector map.
 *
 * Pure: no I/O.
 */
#ifndef DOCAPI_DOC_CREATE_H
#define DOCAPI_DOC_CREATE_H

#include <json-c/json.h>

#include "problems.h"

struct doc_create {
	char document_id[128];        /* the body's; "" when it has none */
	const char *collection_id;    /* the body's (borrowed from it) */
	/* The INSERT's JSON texts, owned by the objects below (vector by
	 * the body's value: keep the body); vector,
	 * vectors and vector_names are NULL when the body has no vectors. */
	const char *sys, *metadata, *blobs, *fields;
	const char *vector, *vectors, *vector_names;
	/* owned; doc_create_clear() */
	struct json_object *sys_obj, *fields_obj, *blobs_obj, *vectors_obj;
	struct json_object *names_obj;
};

/*
 * Checks body (the parsed request body) and, when it is valid, fills dc
 * (zeroed by the call). Every problem found goes to v, with its loc under
 * "body"; dc's texts are set only when none was. default_version is
 * "v1" or "v2". Clear dc in every case.
 */
void doc_create_build(struct doc_create *dc, struct json_object *body,
                      const char *default_version, struct verrs *v);
void doc_create_clear(struct doc_create *dc);

/* 1 when s is a vector name or a valid Idempotency-Key (contract section 8). */
int doc_create_vector_name_ok(const char *s);
int doc_create_idempotency_key_ok(const char *s);

#endif
