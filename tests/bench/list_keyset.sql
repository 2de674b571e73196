-- list_keyset.sql - pgbench script (tests/bench/lifecycle.sh): the plain
-- equivalent of changes.sql, 10,000 documents of a collection listed by
-- id in 10 keyset pages of 1000 (-D colpk=<collections.id> -D k0=doc_
-- -D k1=<last document_id of page 1> ...), every row sent to the client.
-- -M extended, like changes.sql.
SELECT document_id, version FROM documents WHERE col_pk = :colpk AND document_id > :k0 ORDER BY document_id LIMIT 1000;
SELECT document_id, version FROM documents WHERE col_pk = :colpk AND document_id > :k1 ORDER BY document_id LIMIT 1000;
SELECT document_id, version FROM documents WHERE col_pk = :colpk AND document_id > :k2 ORDER BY document_id LIMIT 1000;
SELECT document_id, version FROM documents WHERE col_pk = :colpk AND document_id > :k3 ORDER BY document_id LIMIT 1000;
SELECT document_id, version FROM documents WHERE col_pk = :colpk AND document_id > :k4 ORDER BY document_id LIMIT 1000;
SELECT document_id, version FROM documents WHERE col_pk = :colpk AND document_id > :k5 ORDER BY document_id LIMIT 1000;
SELECT document_id, version FROM documents WHERE col_pk = :colpk AND document_id > :k6 ORDER BY document_id LIMIT 1000;
SELECT document_id, version FROM documents WHERE col_pk = :colpk AND document_id > :k7 ORDER BY document_id LIMIT 1000;
SELECT document_id, version FROM documents WHERE col_pk = :colpk AND document_id > :k8 ORDER BY document_id LIMIT 1000;
SELECT document_id, version FROM documents WHERE col_pk = :colpk AND document_id > :k9 ORDER BY document_id LIMIT 1000;
