/*
 * update_data.h - the `update_data` of batch and bulk writes (contract
 * section 11) split into what PostgreSQL applies to each row: merge
 * patches of metadata and of the flat fields, dotted paths into either,
 * and new document_blobs.
 *
 * Pure: no I/O.
 */
#ifndef DOCAPI_UPDATE_DATA_H
#define DOCAPI_UPDATE_DATA_H

#include <json-c/json.h>

#include "problems.h"

struct update_data {
	/* JSON texts (owned by the objects below), NULL when not touched */
	const char *meta_patch;     /* merge patch of metadata */
	const char *fields_patch;   /* merge patch of the flat fields */
	const char *meta_paths;     /* [{"p": [keys], "v": value} | {"p": [...], "rm": true}] */
	const char *field_paths;    /* the same for dotted flat-field keys */
	const char *blobs;          /* the new document_blobs */
	const char *read_only;      /* the first read-only field named, or NULL */
	const char *ro_paths;       /* every one named, as meta_paths: checked per document */
	int meta_deep, fields_deep; /* the patch nests objects or holds null */
	/* owned; update_data_clear() */
	struct json_object *meta, *fields, *mpaths, *fpaths, *ropaths, *canon_blobs;
};

/*
 * Splits update_data (the body's member) into u (zeroed by the call).
 * Problems of its shape go to v at ["body", "update_data", ...]. Returns
 * the number added. Clear u in every case.
 */
int update_data_split(struct update_data *u, struct json_object *update_data,
                      struct verrs *v);

/*
 * The split as one JSON object, the form a batch statement reads per
 * item: "mp"/"md" the metadata patch and whether it is deep, "fp"/"fd"
 * the same for the flat fields, "mx"/"fx" the paths, "b" the blobs, "ro"
 * the read-only paths; absent members are not touched. Caller owns.
 */
struct json_object *update_data_item(const struct update_data *u);
void update_data_clear(struct update_data *u);

#endif
