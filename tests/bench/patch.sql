-- patch.sql - pgbench script (L_db of PATCH): the statement docapi issues
-- for one PATCH of one metadata key (cgi/db_documents.c): one call of
-- public.docapi_patch, which authenticates, resolves the path and applies
-- the merge inside the UPDATE. Run with -M extended, as docapi sends it.
-- Notes as in lookup.sql; the merge patch is {"counter": n} with n random,
-- so every call writes (as the benchmark's PATCHes do). For the hot
-- document, lo = hi: calls queue on its row lock, none is lost.
\set i random(:lo, :hi)
\set n random(1, 1000000000)
SELECT * FROM public.docapi_patch(:keyhash, :nsid, :nsname, :colid, :colname, 'doc_' || :i, NULL, ('{"counter":' || :n::text || '}')::jsonb, false, NULL, NULL, false, 64);
