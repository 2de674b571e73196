-- pgbench (-M prepared, -D col=COLLECTION_ID -D base=B -D stride=S -D i=0): the DELETE
-- of one document on the peer schema (what a hand-written peer runs after the key
-- lookup), the database alone. Every transaction deletes a different, existing
-- document: client c's k-th deletes doc_(B + c*S + k) (pgbench keeps a client's
-- variables from one transaction to the next), so the caller loads
-- doc_(B+1) .. doc_(B + clients*S) first (tests/bench/lifecycle.sh checks that as
-- many rows went as transactions ran).
\set i :i + 1
\set id :base + :client_id * :stride + :i
DELETE FROM docs WHERE collection_id = :col AND document_id = 'doc_' || :id;
