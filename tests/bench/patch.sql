-- patch.sql - pgbench script (L_db of PATCH): the two statements docapi
-- issues for one PATCH, "lookup" then "update_doc" of cgi/db.c, each its own
-- round trip and implicit transaction. Run with -M prepared.
-- The lookup is lookup.sql's (same notes), with column aliases so that
-- \gset can keep the row (pgbench needs names for its variables). The
-- UPDATE writes back the stored metadata/blobs/fields text: the same size
-- as docapi's patched values (jsonb text output is a few % larger).
-- For the hot document, lo = hi. A lost version race updates 0 rows here,
-- where docapi would re-read and retry (see BENCHMARKS.md).
\set i random(:lo, :hi)
SELECT k.role, (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())) AS key_valid, n.ns_id, (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)) AS ns_allowed, c.col_id, d.id, d.version, d.sys, d.metadata, d.document_blobs, d.fields, d.vector, to_char(d.created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"') AS created_at, to_char(d.updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"') AS updated_at FROM api_keys k LEFT JOIN namespaces n ON n.org_pk = k.org_pk AND (n.ns_id = :nsid OR n.name = :nsname) LEFT JOIN collections c ON c.ns_pk = n.id AND (c.col_id = :colid OR c.name = :colname) LEFT JOIN documents d ON d.col_pk = c.id AND d.document_id = 'doc_' || :i WHERE k.key_hash = :keyhash \gset
UPDATE documents SET metadata = :metadata::jsonb, document_blobs = :document_blobs::jsonb, fields = :fields::jsonb, version = version + 1, updated_at = now() WHERE id = :id AND version = :version RETURNING version, to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"');
