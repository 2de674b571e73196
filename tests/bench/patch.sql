-- patch.sql - pgbench script (L_db of PATCH): the statements docapi issues
-- for one PATCH (cgi/db.c): "lookup", then "update_doc", each its own round
-- trip and implicit transaction; and, when the UPDATE lost a version race
-- (0 rows: someone else wrote first), what docapi does then: "reload_doc"
-- and "update_doc" again (modelled once here; docapi repeats until it wins,
-- at most 64 times). Run with -M prepared. (5696dea tried a row-locked
-- retry instead; it was measured slower and reverted.)
-- The lookup is lookup.sql's (same notes), with column aliases so that
-- \gset can keep the row (pgbench needs names for its variables). The
-- UPDATE writes back the stored metadata text (the same size as docapi's
-- patched value) and, like docapi for a patch of metadata only, NULL for
-- document_blobs and fields, which COALESCE keeps as stored (a literal NULL
-- here, a NULL parameter in docapi); casts as in db.c. RETURNING's version is aliased
-- new_version (the lookup's "version" must survive); \aset assigns nothing
-- when the UPDATE returns no row, so new_version = -1 means "lost the race".
-- For the hot document, lo = hi.
\set i random(:lo, :hi)
\set new_version -1
SELECT k.role, (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())) AS key_valid, n.ns_id, (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)) AS ns_allowed, c.col_id, d.id, d.version, d.sys, d.metadata, d.document_blobs, d.fields, d.vector, to_char(d.created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"') AS created_at, to_char(d.updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"') AS updated_at FROM api_keys k LEFT JOIN namespaces n ON n.org_pk = k.org_pk AND (n.ns_id = :nsid OR n.name = :nsname) LEFT JOIN collections c ON c.ns_pk = n.id AND (c.col_id = :colid OR c.name = :colname) LEFT JOIN documents d ON d.col_pk = c.id AND d.document_id = 'doc_' || :i WHERE k.key_hash = :keyhash \gset
UPDATE documents SET metadata = COALESCE(:metadata::jsonb, metadata), document_blobs = COALESCE(NULL::json, document_blobs), fields = COALESCE(NULL::jsonb, fields), version = version + 1, updated_at = now() WHERE id = :id AND version = :version RETURNING version AS new_version, to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"') AS new_updated_at \aset
\if :new_version < 0
SELECT d.id, d.version, d.sys, d.metadata, d.document_blobs, d.fields, d.vector, to_char(d.created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"') AS created_at, to_char(d.updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"') AS updated_at FROM documents d WHERE d.id = :id \gset
UPDATE documents SET metadata = COALESCE(:metadata::jsonb, metadata), document_blobs = COALESCE(NULL::json, document_blobs), fields = COALESCE(NULL::jsonb, fields), version = version + 1, updated_at = now() WHERE id = :id AND version = :version RETURNING version AS new_version, to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"') AS new_updated_at \aset
\endif
