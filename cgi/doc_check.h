/*
 * doc_check.h - validation of what a client writes into a document's
 * writable view (contract section 3): blobs.
 *
 * Pure: no I/O. Problems are added to a struct verrs (problems.h).
 */
#ifndef DOCAPI_DOC_CHECK_H
#define DOCAPI_DOC_CHECK_H

#include <json-c/json.h>

#include "problems.h"

/*
 * Checks the document_blobs value at loc ["body", "document_blobs", ...]:
 * an array of valid blobs. Normalises in place: drops response-only
 * presigned_url and fills defaults (role "source", type "other").
 */
void doc_check_blobs(struct json_object *blobs, struct verrs *v);

#endif
