/*
 * doc_import.h - one line of an NDJSON import (docapi-admin import): a
 * whole document, as export writes it, turned into the stored columns.
 *
 * Pure: no I/O. The caller inserts the texts.
 */
#ifndef DOCAPI_DOC_IMPORT_H
#define DOCAPI_DOC_IMPORT_H

#include <stddef.h>
#include <json-c/json.h>

#include "problems.h"

struct doc_import {
	char document_id[128];   /* "" when the line has none: caller makes one */
	/* The INSERT's parameters, JSON texts owned by the values below (NULL:
	 * vector absent, timestamp absent). */
	const char *sys, *metadata, *blobs, *fields, *vector;
	const char *created_at, *updated_at;
	/* owned; doc_import_clear() */
	struct json_object *doc, *sys_obj, *fields_obj, *canon_blobs;
	struct verrs problems;
};

/*
 * Parses line (len bytes, trailing "\n" / "\r\n" already stripped) into imp
 * (zeroed by the call). Returns 0, or -1 with *err set to why (a static
 * string or one owned by imp). Clear imp in both cases.
 */
int doc_import_line(struct doc_import *imp, const char *line, size_t len,
                    const char **err);
void doc_import_clear(struct doc_import *imp);

/*
 * The document_id member of an imported document o: copied into docid
 * (idlen bytes) and 0 when it is a string of the form doc_[A-Za-z0-9_]+
 * that fits, or "" and 0 when o has none; else -1 with *err set to a
 * static reason.
 */
int doc_id_of(struct json_object *o, char *docid, size_t idlen, const char **err);

#endif
