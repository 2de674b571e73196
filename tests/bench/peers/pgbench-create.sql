-- pgbench (-M prepared, -D col=COLLECTION_ID): the INSERT ... RETURNING of one create
-- ({"metadata":{"counter":n}}, the id picked at random by the client, as docapi picks
-- doc_ + 96 random bits) on the peer schema (what a hand-written peer runs after the
-- key lookup), the database alone. 'doc_' || :r is built by the server: pgbench
-- cannot build strings; the ids go to random places of the primary key, as docapi's do.
\set r random(1, 9000000000000000000)
\set n random(1, 1000000000)
INSERT INTO docs (collection_id, document_id, metadata) VALUES (:col, 'doc_' || :r, jsonb_build_object('counter', :n::bigint)) RETURNING document_id, collection_id, sys, metadata, fields, document_blobs, version, to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"');
