-- lookup.sql - pgbench script (L_db of GET): the statement docapi issues for
-- one GET, "lookup" of cgi/db.c: key authentication + namespace, collection
-- and document in one round trip. Run with -M prepared, like docapi's
-- PQexecPrepared. Differences from db.c, none of them changes the plan:
-- the format literal is spelled E'..\x3a..' (pgbench would take ':MI' for a
-- variable), the document id is 'doc_' || :i (pgbench cannot build strings),
-- and the NULL id parameters are 'none' (pgbench variables cannot be
-- NULL; 'none' matches no id either, same plan shape).
-- Variables (-D): keyhash (\x + hex SHA-256), nsid, nsname, colid, colname,
-- lo, hi (document index range).
\set i random(:lo, :hi)
SELECT k.role, (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())), n.ns_id, (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)), c.col_id, d.id, d.version, d.sys, d.metadata, d.document_blobs, d.fields, d.vector, to_char(d.created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), to_char(d.updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"') FROM api_keys k LEFT JOIN namespaces n ON n.org_pk = k.org_pk AND (n.ns_id = :nsid OR n.name = :nsname) LEFT JOIN collections c ON c.ns_pk = n.id AND (c.col_id = :colid OR c.name = :colname) LEFT JOIN documents d ON d.col_pk = c.id AND d.document_id = 'doc_' || :i WHERE k.key_hash = :keyhash;
