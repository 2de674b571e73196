-- 004_list_indexes.sql: the indexes a list (contract sections 9 and 10)
-- needs so that the common cases do not scan the collection. Adds
-- indexes only; no row changes.
--
-- * Equality on metadata and on the flat fields is compiled to jsonb
--   containment (@>), which these GIN indexes answer; jsonb_path_ops
--   keeps them small (it serves @> only, which is all the compiler asks).
-- * The default order, created_at then document_id, within a collection:
--   a page and its keyset position are one range of this index, so page
--   10,000 costs what page 1 does.
CREATE INDEX documents_metadata_gin ON public.documents USING gin (metadata jsonb_path_ops);
CREATE INDEX documents_fields_gin ON public.documents USING gin (fields jsonb_path_ops);
CREATE INDEX documents_col_created ON public.documents (col_pk, created_at, document_id);
