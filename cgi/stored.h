/*
 * stored.h - a document as PostgreSQL stores it: the texts of its columns.
 *
 * Shared by the database layer, which fills it, and the document code,
 * which reads it; neither owns the strings (see the filler's contract).
 */
#ifndef DOCAPI_STORED_H
#define DOCAPI_STORED_H

struct stored_doc {
	long long pk;                /* 0: no such document */
	long long version;
	const char *sys, *metadata, *blobs, *fields;
	const char *vector;          /* NULL when the document has none */
	const char *vector_names;    /* JSON array of the vectors' sorted names; NULL: none */
	const char *created_at, *updated_at;  /* RFC 3339 UTC */
};

#endif
