-- lookup.sql - pgbench script (L_db of GET): the statement docapi issues for
-- one GET (cgi/db_scope.c): one call of public.docapi_scope, which
-- authenticates the key and resolves namespace, collection and document.
-- Run with -M extended, like docapi's unnamed PQexecParams (nothing is
-- prepared on the connection). Differences from docapi, none of them
-- changes the plan: the document id is 'doc_' || :i (pgbench cannot build
-- strings), the key hash is its \x text (docapi binds the 32 bytes), and
-- the NULL id parameters are 'none' (pgbench variables cannot be NULL;
-- 'none' matches no id either).
-- Variables (-D): keyhash (\x + hex SHA-256), nsid, nsname, colid, colname,
-- lo, hi (document index range).
\set i random(:lo, :hi)
SELECT * FROM public.docapi_scope(:keyhash, :nsid, :nsname, :colid, :colname, 'doc_' || :i);
