/*
 * db_scope.h - the round trip that authenticates a request and resolves
 * what its path names: key -> role and organization, X-Namespace ->
 * namespace, and, when the route names them, collection and document.
 */
#ifndef DOCAPI_DB_SCOPE_H
#define DOCAPI_DB_SCOPE_H

#include "db.h"
#include "stored.h"

/* Strings borrowed from res, valid until db_scope_clear(). */
struct db_scope {
	struct pg_result *res;    /* owned */
	char outcome;             /* of a write: 'W' written, 'U' nothing to change, '-' not written */
	int key_found;            /* a key with this hash exists */
	int key_valid;            /* not revoked, not expired */
	const char *role;
	const char *ns_id;        /* NULL: namespace not found in the key's org */
	int ns_allowed;           /* the key may use this namespace */
	const char *col_id;       /* NULL: collection not found (or not asked) */
	struct stored_doc doc;    /* doc.pk 0: not found (or not asked) */
};

/*
 * Authenticates key_hash (32 bytes) and resolves namespace, collection and
 * document in one statement. ns and col are ids when they carry the id
 * prefix, names otherwise; col and doc may be NULL. Retried once on a
 * fresh connection if the old one had died. Clear out in every case.
 */
enum db_status db_resolve_scope(struct db *db, const char *rid,
                                const unsigned char *key_hash, const char *ns,
                                const char *col, const char *doc,
                                struct db_scope *out);
void db_scope_clear(struct db_scope *s);

#endif
