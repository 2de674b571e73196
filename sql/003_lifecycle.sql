-- 003_lifecycle.sql: what create, delete, the change feed and lineage
-- need of the schema. Adds columns, tables, indexes and triggers; every
-- existing row is kept and given what the new columns say about it.
--
-- * documents.seq: the document's place in its collection's change feed
--   (contract section 14), from one sequence for the whole server.
-- * document_tombstones: what a DELETE leaves for the feed. A live
--   document and its tombstone never exist at once.
-- * root_object_id, source_document_id, source_collection_id: copies of
--   the lineage members of `sys`, as columns so that lineage and object
--   lookups are index probes (an expression index on the json column would
--   parse it on every update of the row).
-- * vectors / vector_names: every stored vector by name (section 8), and
--   their sorted names as the text GET serves in `_vectors`. `vector`
--   stays the document's first dense vector.
-- * idempotency_keys: the first answer of a create sent with an
--   Idempotency-Key, for its retries.

CREATE SEQUENCE public.docapi_change_seq AS bigint;

ALTER TABLE public.documents
    ADD COLUMN seq bigint,
    ADD COLUMN root_object_id text,
    ADD COLUMN source_document_id text,
    ADD COLUMN source_collection_id text,
    ADD COLUMN vectors jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(vectors) = 'object'),
    ADD COLUMN vector_names json;

-- Today's rows, numbered in the order they were stored; a stored `vector`
-- becomes the dense vector named "default".
UPDATE public.documents d
   SET seq = o.n,
       root_object_id = d.sys ->> 'root_object_id',
       source_document_id = d.sys ->> 'source_document_id',
       source_collection_id = d.sys ->> 'source_collection_id',
       vectors = CASE WHEN d.vector IS NULL THEN '{}'::jsonb
                      ELSE jsonb_build_object('default', jsonb_build_object(
                               'type', 'dense', 'vector', d.vector)) END,
       vector_names = CASE WHEN d.vector IS NULL THEN NULL
                           ELSE '["default"]'::json END
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM public.documents) o
 WHERE o.id = d.id;
SELECT setval('public.docapi_change_seq',
              coalesce((SELECT max(seq) FROM public.documents), 0) + 1, false);

-- No default: the trigger below numbers every insert and update (a
-- default would draw a second number, leaving a gap, on every insert).
ALTER TABLE public.documents ALTER COLUMN seq SET NOT NULL;
ALTER SEQUENCE public.docapi_change_seq OWNED BY public.documents.seq;

-- The change feed reads (col_pk, seq) in order; a poll with nothing new
-- is one probe.
CREATE INDEX documents_col_seq ON public.documents (col_pk, seq);
CREATE INDEX documents_root_object ON public.documents (root_object_id, col_pk)
    WHERE root_object_id IS NOT NULL;
CREATE INDEX documents_source_document ON public.documents
    (source_document_id, source_collection_id) WHERE source_document_id IS NOT NULL;

CREATE TABLE public.document_tombstones (
    col_pk      bigint NOT NULL REFERENCES public.collections(id) ON DELETE CASCADE,
    document_id text NOT NULL,
    seq         bigint NOT NULL,
    version     bigint NOT NULL,   -- the deleted document's version + 1
    deleted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (col_pk, document_id)
);
CREATE INDEX document_tombstones_col_seq ON public.document_tombstones (col_pk, seq);

-- A create's first answer: the row as created (json of public.docapi_row)
-- and what the retry must repeat to be the same request.
CREATE TABLE public.idempotency_keys (
    org_pk      bigint NOT NULL REFERENCES public.organizations(id) ON DELETE CASCADE,
    key         text NOT NULL,
    col_pk      bigint NOT NULL REFERENCES public.collections(id) ON DELETE CASCADE,
    body_sha256 bytea NOT NULL CHECK (length(body_sha256) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    snapshot    json,
    PRIMARY KEY (org_pk, key)
);
-- Keys past their time are removed a few at a time by later creates.
CREATE INDEX idempotency_keys_created ON public.idempotency_keys (created_at);

-- Why the feed never misses a change: every writer of a collection holds
-- this lock in shared mode from before it takes a seq until it commits;
-- the feed takes it exclusively before it reads, so when it reads, every
-- seq taken so far is committed (or rolled back), and every later one is
-- larger. Writers never wait for each other. The lock is (1685021539 =
-- 'docf', this key); SQL, so each caller gets the expression inlined
-- instead of a nested function call per write.
CREATE FUNCTION public.docapi_t_feed_key(p_col_pk bigint)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (p_col_pk % 2147483647)::integer
$$;

-- Every write of a document takes the next seq; a create of an id that
-- was deleted continues its versions from the tombstone and removes it.
CREATE FUNCTION public.docapi_t_document_written()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v bigint;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(1685021539, public.docapi_t_feed_key(NEW.col_pk));
  NEW.seq := nextval('public.docapi_change_seq');
  IF TG_OP = 'INSERT' THEN
    DELETE FROM public.document_tombstones t
     WHERE t.col_pk = NEW.col_pk AND t.document_id = NEW.document_id
    RETURNING t.version INTO v;
    IF FOUND THEN
      NEW.version := greatest(NEW.version, v + 1);
    END IF;
  END IF;
  RETURN NEW;
END
$$;

-- The lineage columns follow `sys` (set on insert, and by an UPDATE that
-- names sys; PATCH and PUT never do).
CREATE FUNCTION public.docapi_t_document_lineage()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.root_object_id := NEW.sys ->> 'root_object_id';
  NEW.source_document_id := NEW.sys ->> 'source_document_id';
  NEW.source_collection_id := NEW.sys ->> 'source_collection_id';
  RETURN NEW;
END
$$;

-- A document written with a `vector` and no named vectors (an import, a
-- writer that knows only the older schema) has it as the dense vector
-- named "default", as the migration names today's; a create that names
-- its vectors keeps them.
CREATE FUNCTION public.docapi_t_document_vectors()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.vectors <> '{}'::jsonb THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.vector IS NOT DISTINCT FROM OLD.vector THEN
    RETURN NEW;
  END IF;
  NEW.vectors := CASE WHEN NEW.vector IS NULL THEN '{}'::jsonb
                      ELSE jsonb_build_object('default', jsonb_build_object(
                               'type', 'dense', 'vector', NEW.vector)) END;
  NEW.vector_names := CASE WHEN NEW.vector IS NULL THEN NULL ELSE '["default"]'::json END;
  RETURN NEW;
END
$$;

-- A deleted document leaves a tombstone, unless its collection is being
-- deleted with it.
CREATE FUNCTION public.docapi_t_document_deleted()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM public.collections c WHERE c.id = OLD.col_pk) THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock_shared(1685021539, public.docapi_t_feed_key(OLD.col_pk));
  INSERT INTO public.document_tombstones (col_pk, document_id, seq, version)
  VALUES (OLD.col_pk, OLD.document_id, nextval('public.docapi_change_seq'),
          OLD.version + 1)
  ON CONFLICT (col_pk, document_id) DO UPDATE
     SET seq = EXCLUDED.seq, version = EXCLUDED.version, deleted_at = now();
  RETURN NULL;
END
$$;

CREATE TRIGGER documents_written BEFORE INSERT OR UPDATE ON public.documents
    FOR EACH ROW EXECUTE FUNCTION public.docapi_t_document_written();
CREATE TRIGGER documents_lineage BEFORE INSERT OR UPDATE OF sys ON public.documents
    FOR EACH ROW EXECUTE FUNCTION public.docapi_t_document_lineage();
CREATE TRIGGER documents_vectors BEFORE INSERT OR UPDATE OF vector ON public.documents
    FOR EACH ROW EXECUTE FUNCTION public.docapi_t_document_vectors();
CREATE TRIGGER documents_deleted AFTER DELETE ON public.documents
    FOR EACH ROW EXECUTE FUNCTION public.docapi_t_document_deleted();

-- Server-wide settings kept in the database, so that every worker and
-- every instance reads the same value. cursor_secret: the HMAC-SHA256 key
-- of list and object cursors (contract section 10), 32 random bytes made
-- here once (gen_random_uuid() draws from the server's strong random
-- source); the cursor_secret configuration key overrides it.
CREATE TABLE public.docapi_settings (
    name        text PRIMARY KEY,
    value       text NOT NULL
);
INSERT INTO public.docapi_settings (name, value)
SELECT 'cursor_secret',
       encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                || gen_random_uuid()::text, 'UTF8')), 'hex');
