-- functions.sql: the statements of the request path as
-- functions, so that each request is one call and one round trip, and no
-- state lives in the session (nothing is prepared on a connection, no
-- search_path is set): a pooler in transaction mode may hand every call
-- to another server connection. PL/pgSQL caches the plans of the
-- statements inside a function per server process, whichever client
-- reaches it, so the calls are planned once per backend, not per request.
--
-- Every name is schema-qualified (public.), and nothing here depends on
-- the caller's search_path. Touches no row.
--
-- docapi-admin migrate runs this file after the numbered migrations
-- whenever its text has changed, in the same transaction: it first drops
-- every docapi_ function and type it defines (the docapi_t_ functions
-- belong to the numbered migrations and their triggers), then creates
-- them as they are now.

DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' AND p.proname LIKE 'docapi\_%'
              AND p.proname NOT LIKE 'docapi\_t\_%' LOOP
    EXECUTE 'DROP FUNCTION ' || f;
  END LOOP;
END
$$;
DROP TYPE IF EXISTS public.docapi_row;
DROP TYPE IF EXISTS public.docapi_found;

-- RFC 7396 JSON Merge Patch of target by patch: objects merge key by key,
-- null removes a key, anything else replaces. PL/pgSQL, so that its plan
-- is cached like the others'.
CREATE FUNCTION public.docapi_merge(p_target jsonb, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  k text;
  v jsonb;
  r jsonb;
BEGIN
  IF jsonb_typeof(p_patch) IS DISTINCT FROM 'object' THEN
    RETURN p_patch;
  END IF;
  r := CASE WHEN jsonb_typeof(p_target) = 'object' THEN p_target ELSE '{}'::jsonb END;
  FOR k, v IN SELECT e.key, e.value FROM jsonb_each(p_patch) e LOOP
    IF jsonb_typeof(v) = 'null' THEN
      r := r - k;
    ELSE
      r := r || jsonb_build_object(k, public.docapi_merge(r -> k, v));
    END IF;
  END LOOP;
  RETURN r;
END
$$;

-- A writable column after a merge patch: unchanged when patch is NULL;
-- `||` when the patch is flat (no nested object, no null: then it is the
-- same as the merge, and much cheaper); the full merge otherwise.
CREATE FUNCTION public.docapi_patched(p_col jsonb, p_patch jsonb, p_deep boolean)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_patch IS NULL THEN p_col
              WHEN p_deep THEN public.docapi_merge(p_col, p_patch)
              ELSE p_col || p_patch END
$$;

-- The row every request-path function returns: who the key is, what the
-- path names, and the document (NULL columns where nothing was found).
-- outcome: 'W' written, 'U' the patch changes nothing (no write), 'M' /
-- 'F' not written because metadata / a flat field would nest deeper than
-- the limit, '-' nothing written for a reason the caller reads from the
-- other columns (key, namespace, role, collection, document, If-Match
-- version). A create adds 'R' (replayed: the first answer of its
-- Idempotency-Key), 'C' (the document id is taken), 'K' (the key was
-- used for another request) and 'X' (the body's collection_id names
-- another collection).
CREATE TYPE public.docapi_row AS (
  outcome     "char",
  role        text,
  key_valid   boolean,
  ns_id       text,
  ns_allowed  boolean,
  col_id      text,
  id          bigint,
  version     bigint,
  sys         json,
  metadata    jsonb,
  document_blobs json,
  fields      jsonb,
  vector      jsonb,
  vector_names json,
  created_at  text,
  updated_at  text,
  document_id text,
  sort_key    text        -- a listed document's keyset position
);

-- The scope of a request: the key's role and validity, the namespace (by
-- id or name) and whether the key may use it, the collection (by id or
-- name; NULL, NULL: none asked), with the primary keys the writers need.
-- One row per key hash (none: no such key). SQL, so that the functions
-- below that read it get it inlined.
CREATE FUNCTION public.docapi_key_scope(p_key bytea, p_ns_id text, p_ns_name text,
    p_col_id text, p_col_name text)
RETURNS TABLE (role text, key_valid boolean, ns_id text, ns_allowed boolean,
               col_id text, org_pk bigint, ns_pk bigint, col_pk bigint, col_name text)
LANGUAGE sql STABLE AS $$
  SELECT k.role,
         (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())),
         n.ns_id, (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)),
         c.col_id, k.org_pk, n.id, c.id, c.name
    FROM public.api_keys k
    LEFT JOIN public.namespaces n ON n.org_pk = k.org_pk
         AND (n.ns_id = p_ns_id OR n.name = p_ns_name)
    LEFT JOIN public.collections c ON c.ns_pk = n.id
         AND (c.col_id = p_col_id OR c.name = p_col_name)
   WHERE k.key_hash = p_key
$$;

-- Authenticates key_hash and resolves namespace (by id or name), collection
-- (by id or name) and document: GET's one statement, and the scope of
-- every other route (col and doc NULL when the route names none).
CREATE FUNCTION public.docapi_scope(p_key bytea, p_ns_id text,
    p_ns_name text, p_col_id text, p_col_name text, p_doc_id text)
RETURNS SETOF public.docapi_row LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
  SELECT '-'::"char", k.role,
         (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())),
         n.ns_id, (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)),
         c.col_id, d.id, d.version, d.sys, d.metadata, d.document_blobs,
         d.fields, d.vector, d.vector_names,
         to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), d.document_id, NULL::text
    FROM public.api_keys k
    LEFT JOIN public.namespaces n ON n.org_pk = k.org_pk
         AND (n.ns_id = p_ns_id OR n.name = p_ns_name)
    LEFT JOIN public.collections c ON c.ns_pk = n.id
         AND (c.col_id = p_col_id OR c.name = p_col_name)
    LEFT JOIN public.documents d ON d.col_pk = c.id
         AND d.document_id = p_doc_id
   WHERE k.key_hash = p_key;
END
$$;

-- Whether the scope row r lets its key write the document it found, at
-- the version If-Match names (NULL: any). The one check the single-document
-- writers share before they write.
CREATE FUNCTION public.docapi_may_write(r public.docapi_row, p_if_version bigint)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(r.id IS NOT NULL AND r.key_valid AND r.ns_allowed
                  AND r.role IN ('write', 'admin')
                  AND (p_if_version IS NULL OR r.version = p_if_version), false)
$$;

-- PATCH with a merge patch that names only writable members, in one call:
-- authenticates (write role), resolves the path, applies the patch inside
-- the UPDATE (so concurrent patches of one document serialize on its row
-- lock and none is lost), and writes only when something changes.
-- if_version: the version If-Match names, NULL for none. meta / fields:
-- the merge patch of metadata / of the flat fields (NULL: not touched),
-- *_deep when it nests objects or holds null (see docapi_patched). blobs:
-- the new document_blobs (NULL: kept).
-- Without a write, the scope row tells the caller why: not allowed, not
-- found, If-Match not matching ('-'), or nothing to change ('U').
CREATE FUNCTION public.docapi_patch(p_key bytea, p_ns_id text,
    p_ns_name text, p_col_id text, p_col_name text, p_doc_id text,
    p_if_version bigint, p_meta jsonb, p_meta_deep boolean, p_blobs json,
    p_fields jsonb, p_fields_deep boolean, p_max_depth integer)
RETURNS SETOF public.docapi_row LANGUAGE plpgsql AS $$
DECLARE
  r public.docapi_row;
  -- A member of the document (metadata, a flat field) may nest at most
  -- p_max_depth - 1 levels, as a request body may nest p_max_depth: a
  -- container at that level of metadata (one more within fields) is one
  -- too many. A stored document can be deeper (written by SQL); only
  -- a patch whose result is no deeper is written.
  too_deep_m jsonpath := ('strict $.**{' || (p_max_depth - 1) ||
                          '} ? (@.type() == "object" || @.type() == "array")')::jsonpath;
  too_deep_f jsonpath := ('strict $.**{' || p_max_depth ||
                          '} ? (@.type() == "object" || @.type() == "array")')::jsonpath;
BEGIN
  -- A concurrent writer between the UPDATE finding nothing to change and
  -- the re-read below makes the re-read disagree: then try again.
  FOR attempt IN 1..8 LOOP
    UPDATE public.documents d
       SET metadata = public.docapi_patched(d.metadata, p_meta, p_meta_deep),
           fields = public.docapi_patched(d.fields, p_fields, p_fields_deep),
           document_blobs = coalesce(p_blobs, d.document_blobs),
           version = d.version + 1, updated_at = now()
      FROM public.api_keys k
      JOIN public.namespaces n ON n.org_pk = k.org_pk
       AND (n.ns_id = p_ns_id OR n.name = p_ns_name)
      JOIN public.collections c ON c.ns_pk = n.id
       AND (c.col_id = p_col_id OR c.name = p_col_name)
     WHERE k.key_hash = p_key
       AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
       AND (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces))
       AND k.role IN ('write', 'admin')
       AND d.col_pk = c.id AND d.document_id = p_doc_id
       AND (p_if_version IS NULL OR d.version = p_if_version)
       AND (public.docapi_patched(d.metadata, p_meta, p_meta_deep) IS DISTINCT FROM d.metadata
            OR public.docapi_patched(d.fields, p_fields, p_fields_deep) IS DISTINCT FROM d.fields
            OR (p_blobs IS NOT NULL AND p_blobs::jsonb IS DISTINCT FROM d.document_blobs::jsonb))
       AND (p_meta IS NULL OR NOT jsonb_path_exists(
              public.docapi_patched(d.metadata, p_meta, p_meta_deep), too_deep_m))
       AND (p_fields IS NULL OR NOT jsonb_path_exists(
              public.docapi_patched(d.fields, p_fields, p_fields_deep), too_deep_f))
    RETURNING 'W'::"char", k.role, true, n.ns_id, true, c.col_id, d.id, d.version,
              d.sys, d.metadata, d.document_blobs, d.fields, d.vector, d.vector_names,
              to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
              to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), d.document_id, NULL::text
      INTO r;
    IF FOUND THEN
      RETURN NEXT r;
      RETURN;
    END IF;
    SELECT * INTO r FROM public.docapi_scope(p_key, p_ns_id, p_ns_name, p_col_id,
                                             p_col_name, p_doc_id);
    IF NOT FOUND THEN
      RETURN;  -- no such key
    END IF;
    IF NOT public.docapi_may_write(r, p_if_version) THEN
      RETURN NEXT r;
      RETURN;
    END IF;
    IF p_meta IS NOT NULL AND jsonb_path_exists(
         public.docapi_patched(r.metadata, p_meta, p_meta_deep), too_deep_m) THEN
      r.outcome := 'M';
      RETURN NEXT r;
      RETURN;
    END IF;
    IF p_fields IS NOT NULL AND jsonb_path_exists(
         public.docapi_patched(r.fields, p_fields, p_fields_deep), too_deep_f) THEN
      r.outcome := 'F';
      RETURN NEXT r;
      RETURN;
    END IF;
    IF public.docapi_patched(r.metadata, p_meta, p_meta_deep) IS NOT DISTINCT FROM r.metadata
       AND public.docapi_patched(r.fields, p_fields, p_fields_deep) IS NOT DISTINCT FROM r.fields
       AND (p_blobs IS NULL OR p_blobs::jsonb IS NOT DISTINCT FROM r.document_blobs::jsonb) THEN
      r.outcome := 'U';
      RETURN NEXT r;
      RETURN;
    END IF;
  END LOOP;
  RETURN NEXT r;  -- outcome '-' with everything found: the caller says busy
END
$$;

-- The general write (a JSON Patch, or a merge patch naming read-only
-- fields, computed by docapi against the version it read): writes the new
-- columns (NULL keeps one) if the document still has that version.
CREATE FUNCTION public.docapi_write(p_pk bigint, p_version bigint,
    p_meta jsonb, p_blobs json, p_fields jsonb)
RETURNS SETOF public.docapi_row LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  UPDATE public.documents d
     SET metadata = coalesce(p_meta, d.metadata),
         document_blobs = coalesce(p_blobs, d.document_blobs),
         fields = coalesce(p_fields, d.fields),
         version = d.version + 1, updated_at = now()
   WHERE d.id = p_pk AND d.version = p_version
  RETURNING 'W'::"char", NULL::text, NULL::boolean, NULL::text, NULL::boolean,
            NULL::text, d.id, d.version, d.sys, d.metadata, d.document_blobs,
            d.fields, d.vector, d.vector_names,
            to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), d.document_id, NULL::text;
END
$$;

-- A document by primary key, for the general write's retry after a lost
-- race; with lock, FOR UPDATE (inside the caller's transaction).
CREATE FUNCTION public.docapi_reload(p_pk bigint, p_lock boolean)
RETURNS SETOF public.docapi_row LANGUAGE plpgsql AS $$
BEGIN
  IF p_lock THEN
    PERFORM 1 FROM public.documents d WHERE d.id = p_pk FOR UPDATE;
  END IF;
  RETURN QUERY
  SELECT '-'::"char", NULL::text, NULL::boolean, NULL::text, NULL::boolean,
         NULL::text, d.id, d.version, d.sys, d.metadata, d.document_blobs,
         d.fields, d.vector, d.vector_names,
         to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), d.document_id, NULL::text
    FROM public.documents d WHERE d.id = p_pk;
END
$$;

-- DELETE of one document (the version If-Match matched, or any: NULL).
-- Returns the deleted version, or NULL when nothing was deleted.
CREATE FUNCTION public.docapi_delete(p_pk bigint, p_version bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v bigint;
BEGIN
  DELETE FROM public.documents d
   WHERE d.id = p_pk AND (p_version IS NULL OR d.version = p_version)
  RETURNING d.version INTO v;
  RETURN v;
END
$$;

-- DELETE of one document in one call: authenticates (write role),
-- resolves the path and deletes the document if it has version
-- p_if_version (NULL: any). Outcome 'W' deleted (version: the version
-- deleted); otherwise the scope row says why not (no such document, or
-- the version it has).
CREATE FUNCTION public.docapi_delete_doc(p_key bytea, p_ns_id text,
    p_ns_name text, p_col_id text, p_col_name text, p_doc_id text,
    p_if_version bigint)
RETURNS SETOF public.docapi_row LANGUAGE plpgsql AS $$
DECLARE
  r public.docapi_row;
  v bigint;
BEGIN
  SELECT * INTO r FROM public.docapi_scope(p_key, p_ns_id, p_ns_name, p_col_id,
                                           p_col_name, p_doc_id);
  IF NOT FOUND THEN
    RETURN;  -- no such key
  END IF;
  IF NOT public.docapi_may_write(r, p_if_version) THEN
    RETURN NEXT r;
    RETURN;
  END IF;
  DELETE FROM public.documents d
   WHERE d.id = r.id AND (p_if_version IS NULL OR d.version = p_if_version)
  RETURNING d.version INTO v;
  IF FOUND THEN  -- else deleted or changed since the read: outcome '-'
    r.outcome := 'W';
    r.version := v;
  END IF;
  RETURN NEXT r;
END
$$;

-- Create (contract section 8), in one call and one transaction:
-- authenticates (write role), resolves the collection, checks that the
-- body's collection_id names it, claims the Idempotency-Key (NULL: none),
-- inserts the document. A request with a key another one is creating
-- waits on the key's unique index for that one to end, then replays its
-- answer, or creates if it failed (only successes are remembered).
-- Outcomes: 'W' created, 'R' replayed, 'C' id taken, 'K' key used for
-- another request, 'X' collection_id names another collection, '-' the
-- scope says why not.
CREATE FUNCTION public.docapi_create(p_key bytea, p_ns_id text,
    p_ns_name text, p_col_id text, p_col_name text, p_doc_id text,
    p_body_col text, p_idem_key text, p_body_sha bytea, p_ttl integer,
    p_sys json, p_meta jsonb, p_blobs json, p_fields jsonb, p_vector jsonb,
    p_vectors jsonb, p_vector_names json)
RETURNS SETOF public.docapi_row LANGUAGE plpgsql AS $$
DECLARE
  r public.docapi_row;
  w public.docapi_row;
  v_org bigint;
  v_col bigint;
  v_col_name text;
  ik record;
BEGIN
  SELECT '-'::"char", s.role, s.key_valid, s.ns_id, s.ns_allowed, s.col_id, s.org_pk, s.col_pk,
         s.col_name
    INTO r.outcome, r.role, r.key_valid, r.ns_id, r.ns_allowed, r.col_id,
         v_org, v_col, v_col_name
    FROM public.docapi_key_scope(p_key, p_ns_id, p_ns_name, p_col_id, p_col_name) s;
  IF NOT FOUND THEN
    RETURN;  -- no such key
  END IF;
  IF v_col IS NULL OR NOT r.key_valid OR NOT r.ns_allowed
     OR r.role NOT IN ('write', 'admin') THEN
    RETURN NEXT r;
    RETURN;
  END IF;
  IF p_body_col IS DISTINCT FROM r.col_id AND p_body_col IS DISTINCT FROM v_col_name THEN
    r.outcome := 'X';
    RETURN NEXT r;
    RETURN;
  END IF;
  IF p_idem_key IS NOT NULL THEN
    -- Forget a few keys past their time (any organization's), oldest
    -- first, skipping rows another create is busy with: the table stays
    -- as large as idempotency_ttl of keyed creates.
    DELETE FROM public.idempotency_keys i
     WHERE i.ctid = ANY (ARRAY(
           SELECT x.ctid FROM public.idempotency_keys x
            WHERE x.created_at < now() - make_interval(secs => p_ttl)
            ORDER BY x.created_at LIMIT 8 FOR UPDATE SKIP LOCKED));
    INSERT INTO public.idempotency_keys (org_pk, key, col_pk, body_sha256)
    VALUES (v_org, p_idem_key, v_col, p_body_sha)
    ON CONFLICT (org_pk, key) DO NOTHING;
    IF NOT FOUND THEN
      SELECT * INTO ik FROM public.idempotency_keys i
       WHERE i.org_pk = v_org AND i.key = p_idem_key FOR UPDATE;
      IF ik.snapshot IS NOT NULL
         AND ik.created_at > now() - make_interval(secs => p_ttl) THEN
        IF ik.col_pk <> v_col OR ik.body_sha256 <> p_body_sha THEN
          r.outcome := 'K';
          RETURN NEXT r;
          RETURN;
        END IF;
        r := json_populate_record(r, ik.snapshot);
        r.outcome := 'R';
        RETURN NEXT r;
        RETURN;
      END IF;
      -- Expired: this request takes the key over.
      UPDATE public.idempotency_keys i
         SET col_pk = v_col, body_sha256 = p_body_sha, created_at = now(),
             snapshot = NULL
       WHERE i.org_pk = v_org AND i.key = p_idem_key;
    END IF;
  END IF;
  INSERT INTO public.documents AS d (col_pk, document_id, sys, metadata,
         document_blobs, fields, vector, vectors, vector_names)
  VALUES (v_col, p_doc_id, p_sys, p_meta, p_blobs, p_fields, p_vector,
          coalesce(p_vectors, '{}'::jsonb), p_vector_names)
  ON CONFLICT (col_pk, document_id) DO NOTHING
  RETURNING 'W'::"char", r.role, true, r.ns_id, true, r.col_id, d.id, d.version,
            d.sys, d.metadata, d.document_blobs, d.fields, d.vector, d.vector_names,
            to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), d.document_id, NULL::text
    INTO w;
  IF NOT FOUND THEN  -- (w is all NULL: r keeps the scope)
    IF p_idem_key IS NOT NULL THEN
      DELETE FROM public.idempotency_keys i
       WHERE i.org_pk = v_org AND i.key = p_idem_key;
    END IF;
    r.outcome := 'C';
    RETURN NEXT r;
    RETURN;
  END IF;
  IF p_idem_key IS NOT NULL THEN
    UPDATE public.idempotency_keys i SET snapshot = row_to_json(w)
     WHERE i.org_pk = v_org AND i.key = p_idem_key;
  END IF;
  RETURN NEXT w;
END
$$;

-- The scope of a route that names a collection but no document, and
-- what the route found: the columns every caller reads first.
CREATE TYPE public.docapi_found AS (
  outcome     "char",
  role        text,
  key_valid   boolean,
  ns_id       text,
  ns_allowed  boolean,
  col_id      text,
  found       json,       -- the route's answer, as JSON
  last_seq    bigint,     -- the change feed's
  has_more    boolean
);

-- The change feed of a collection (contract section 14): the documents
-- and tombstones with seq > since, in seq order, at most p_limit. Takes
-- the collection's feed lock exclusively first (see docapi_t_feed_key),
-- so every seq it can miss is larger than the last one it returns.
CREATE FUNCTION public.docapi_changes(p_key bytea, p_ns_id text,
    p_ns_name text, p_col_id text, p_col_name text, p_since bigint,
    p_limit integer)
RETURNS SETOF public.docapi_found LANGUAGE plpgsql AS $$
DECLARE
  r public.docapi_found;
  v_col bigint;
BEGIN
  SELECT '-'::"char", s.role, s.key_valid, s.ns_id, s.ns_allowed, s.col_id, s.col_pk
    INTO r.outcome, r.role, r.key_valid, r.ns_id, r.ns_allowed, r.col_id, v_col
    FROM public.docapi_key_scope(p_key, p_ns_id, p_ns_name, p_col_id, p_col_name) s;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF v_col IS NULL OR NOT r.key_valid OR NOT r.ns_allowed THEN
    RETURN NEXT r;
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(1685021539, public.docapi_t_feed_key(v_col));
  -- A new statement: its snapshot holds every writer that ended before
  -- the lock was granted.
  SELECT json_agg(json_build_object('seq', x.seq, 'document_id', x.document_id,
                                    'deleted', x.deleted, 'version', x.version)
                  ORDER BY x.seq) FILTER (WHERE x.n <= p_limit),
         max(x.seq) FILTER (WHERE x.n <= p_limit),
         count(*) > p_limit
    INTO r.found, r.last_seq, r.has_more
    FROM (SELECT u.*, row_number() OVER (ORDER BY u.seq) AS n
            FROM ((SELECT d.seq, d.document_id, false AS deleted, d.version
                     FROM public.documents d
                    WHERE d.col_pk = v_col AND d.seq > p_since
                    ORDER BY d.seq LIMIT p_limit + 1)
                  UNION ALL
                  -- each side limited by itself: the index reads stop at
                  -- the page, instead of sorting every later change
                  (SELECT t.seq, t.document_id, true, t.version
                     FROM public.document_tombstones t
                    WHERE t.col_pk = v_col AND t.seq > p_since
                    ORDER BY t.seq LIMIT p_limit + 1)
                   ORDER BY 1
                   LIMIT p_limit + 1) u) x;
  r.outcome := 'W';
  r.found := coalesce(r.found, '[]'::json);
  r.last_seq := coalesce(r.last_seq, p_since);
  RETURN NEXT r;
END
$$;

-- /v1/documents/{d} (contract section 7): the sorted col_ ids of the
-- namespace's collections that hold document p_doc_id, in `found`.
CREATE FUNCTION public.docapi_find(p_key bytea, p_ns_id text,
    p_ns_name text, p_doc_id text)
RETURNS SETOF public.docapi_found LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
  SELECT '-'::"char", k.role,
         (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())),
         n.ns_id, (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)),
         NULL::text,
         (SELECT json_agg(c.col_id ORDER BY c.col_id)
            FROM public.collections c
            JOIN public.documents d ON d.col_pk = c.id AND d.document_id = p_doc_id
           WHERE c.ns_pk = n.id),
         NULL::bigint, NULL::boolean
    FROM public.api_keys k
    LEFT JOIN public.namespaces n ON n.org_pk = k.org_pk
         AND (n.ns_id = p_ns_id OR n.name = p_ns_name)
   WHERE k.key_hash = p_key;
END
$$;

-- The lineage of one document (contract section 13), as the response's
-- JSON in `found`: its stored lineage members, the chain from the root
-- object through each ancestor to it, and its children. Ancestors are
-- followed through source_document_id / source_collection_id inside the
-- namespace, at most 64 steps; one that is not there ends the walk with
-- found: false, and so does a cycle. Outcome 'W', or 'N' when the
-- document is not in the collection, '-' when the scope says why not.
CREATE FUNCTION public.docapi_lineage(p_key bytea, p_ns_id text,
    p_ns_name text, p_col_id text, p_col_name text, p_doc_id text)
RETURNS SETOF public.docapi_found LANGUAGE plpgsql STABLE AS $$
DECLARE
  r public.docapi_found;
  v_ns bigint;
  v_col_name text;
  d public.documents%ROWTYPE;
  p public.documents%ROWTYPE;
  p_col text;
  cur_doc text;
  cur_col text;
  seen bigint[];
  steps json[] := '{}';
  head text := '';
  children json;
  out text;
  chain_json json;
BEGIN
  SELECT '-'::"char", s.role, s.key_valid, s.ns_id, s.ns_allowed, s.col_id, s.ns_pk,
         s.col_name
    INTO r.outcome, r.role, r.key_valid, r.ns_id, r.ns_allowed, r.col_id,
         v_ns, v_col_name
    FROM public.docapi_key_scope(p_key, p_ns_id, p_ns_name, p_col_id, p_col_name) s;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF r.col_id IS NULL OR NOT r.key_valid OR NOT r.ns_allowed THEN
    RETURN NEXT r;
    RETURN;
  END IF;
  SELECT x.* INTO d FROM public.documents x
    JOIN public.collections c ON c.id = x.col_pk
   WHERE c.col_id = r.col_id AND x.document_id = p_doc_id;
  IF NOT FOUND THEN
    r.outcome := 'N';
    RETURN NEXT r;
    RETURN;
  END IF;
  -- Ancestors, nearest first, each prepended: the chain is root first.
  seen := ARRAY[d.id];
  cur_doc := d.source_document_id;
  cur_col := d.source_collection_id;
  FOR i IN 1..64 LOOP
    EXIT WHEN cur_doc IS NULL;
    SELECT x.id, x.source_document_id, x.source_collection_id, c.col_id
      INTO p.id, p.source_document_id, p.source_collection_id, p_col
      FROM public.documents x
      JOIN public.collections c ON c.id = x.col_pk
     WHERE c.ns_pk = v_ns AND (c.col_id = cur_col OR c.name = cur_col)
       AND x.document_id = cur_doc
     LIMIT 1;
    IF NOT FOUND THEN
      steps := json_build_object('document_id', cur_doc, 'collection_id', cur_col,
                                 'found', false) || steps;
      EXIT;
    END IF;
    EXIT WHEN p.id = ANY (seen);  -- a cycle
    steps := json_build_object('document_id', cur_doc, 'collection_id', p_col,
                               'found', true) || steps;
    seen := seen || p.id;
    cur_doc := p.source_document_id;
    cur_col := p.source_collection_id;
  END LOOP;
  IF d.root_object_id IS NOT NULL THEN
    steps := CASE WHEN d.sys -> 'root_bucket_id' IS NULL
                  THEN json_build_object('object_id', d.root_object_id)
                  ELSE json_build_object('object_id', d.root_object_id,
                                         'bucket_id', d.sys -> 'root_bucket_id') END
             || steps;
  END IF;
  steps := steps || json_build_object('document_id', d.document_id,
                                      'collection_id', r.col_id);
  SELECT json_agg(json_build_object('document_id', ch.document_id,
                                    'collection_id', ch.col_id)
                  ORDER BY ch.col_id, ch.document_id)
    INTO children
    FROM (SELECT x.document_id, c.col_id FROM public.documents x
            JOIN public.collections c ON c.id = x.col_pk
           WHERE x.source_document_id = d.document_id
             AND x.source_collection_id IN (r.col_id, v_col_name)
             AND c.ns_pk = v_ns
           ORDER BY c.col_id, x.document_id
           LIMIT 1000) ch;
  out := '{"document_id":' || to_json(d.document_id)::text ||
         ',"collection_id":' || to_json(r.col_id)::text;
  IF d.sys -> 'root_object_id' IS NOT NULL THEN
    out := out || ',"root_object_id":' || (d.sys -> 'root_object_id')::text;
  END IF;
  IF d.sys -> 'root_bucket_id' IS NOT NULL THEN
    out := out || ',"root_bucket_id":' || (d.sys -> 'root_bucket_id')::text;
  END IF;
  IF d.sys -> 'lineage_path' IS NOT NULL THEN
    out := out || ',"lineage_path":' || (d.sys -> 'lineage_path')::text;
  END IF;
  chain_json := coalesce(d.sys -> 'lineage_chain', d.sys -> 'lineage' -> 'lineage_chain');
  IF chain_json IS NOT NULL THEN
    out := out || ',"lineage_chain":' || chain_json::text;
  END IF;
  out := out || ',"chain":' || array_to_json(steps)::text ||
         ',"children":' || coalesce(children, '[]'::json)::text || '}';
  r.outcome := 'W';
  r.found := out::json;
  RETURN NEXT r;
END
$$;

-- The namespace's documents made from root object p_object (contract
-- section 13), ordered by collection_id, created_at, document_id, after
-- the keyset position (p_after_*; NULL: from the start), at most
-- p_limit + 1 (the extra one says another page exists). p_cols: the
-- collections to look in (ids or names), NULL for all. The first row is
-- the head: outcome '-' (the scope says why not), 'U' (col_id: a name in
-- p_cols that is no collection of the namespace) or 'O', whose version is
-- the total and sys the count by collection when p_count. Then one row
-- per document, outcome 'D', sort_key its position ("<created_at in
-- microseconds since the epoch>").
CREATE FUNCTION public.docapi_object_documents(p_key bytea, p_ns_id text,
    p_ns_name text, p_object text, p_cols text[], p_after_col text,
    p_after_us bigint, p_after_doc text, p_limit integer, p_count boolean)
RETURNS SETOF public.docapi_row LANGUAGE plpgsql STABLE AS $$
DECLARE
  r public.docapi_row;
  v_ns bigint;
  v_pks bigint[];
  ref text;
  pk bigint;
  after timestamptz := 'epoch'::timestamptz + p_after_us * interval '1 microsecond';
BEGIN
  SELECT '-'::"char", s.role, s.key_valid, s.ns_id, s.ns_allowed, s.ns_pk
    INTO r.outcome, r.role, r.key_valid, r.ns_id, r.ns_allowed, v_ns
    FROM public.docapi_key_scope(p_key, p_ns_id, p_ns_name, NULL, NULL) s;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF v_ns IS NULL OR NOT r.key_valid OR NOT r.ns_allowed THEN
    RETURN NEXT r;
    RETURN;
  END IF;
  IF p_cols IS NOT NULL THEN
    v_pks := '{}';
    FOREACH ref IN ARRAY p_cols LOOP
      SELECT c.id INTO pk FROM public.collections c
       WHERE c.ns_pk = v_ns AND (c.col_id = ref OR c.name = ref);
      IF NOT FOUND THEN
        r.outcome := 'U';
        r.col_id := ref;
        RETURN NEXT r;
        RETURN;
      END IF;
      v_pks := v_pks || pk;
    END LOOP;
  END IF;
  r.outcome := 'O';
  IF p_count THEN
    SELECT sum(x.n), json_object_agg(x.col_id, x.n ORDER BY x.col_id)
      INTO r.version, r.sys
      FROM (SELECT c.col_id, count(*) AS n FROM public.documents d
              JOIN public.collections c ON c.id = d.col_pk
             WHERE d.root_object_id = p_object AND c.ns_pk = v_ns
               AND (v_pks IS NULL OR c.id = ANY (v_pks))
             GROUP BY c.col_id) x;
    r.version := coalesce(r.version, 0);
    r.sys := coalesce(r.sys, '{}'::json);
  END IF;
  RETURN NEXT r;
  RETURN QUERY
  SELECT 'D'::"char", NULL::text, NULL::boolean, NULL::text, NULL::boolean,
         c.col_id, d.id, d.version, d.sys, d.metadata, d.document_blobs,
         d.fields, d.vector, d.vector_names,
         to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         d.document_id,
         ((extract(epoch FROM d.created_at) * 1000000)::bigint)::text
    FROM public.documents d
    JOIN public.collections c ON c.id = d.col_pk
   WHERE d.root_object_id = p_object AND c.ns_pk = v_ns
     AND (v_pks IS NULL OR c.id = ANY (v_pks))
     AND (p_after_col IS NULL
          OR (c.col_id, d.created_at, d.document_id) > (p_after_col, after, p_after_doc))
   ORDER BY c.col_id, d.created_at, d.document_id
   LIMIT p_limit + 1;
END
$$;

-- One level of an object's decomposition tree: the nodes of the documents
-- in p_rows (a jsonb array of {"c": col_id, "p": parent col_id or null,
-- "d": document_id}) whose parent is p_parent (NULL: the top level),
-- each with its own children below it; p_path: the collections above,
-- so that a cycle ends. Siblings sorted by collection_id.
CREATE FUNCTION public.docapi_tree_level(p_rows jsonb, p_parent text,
    p_path text[], p_with_ids boolean)
RETURNS json LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  nodes json[] := '{}';
  g record;
BEGIN
  FOR g IN SELECT e ->> 'c' AS col, count(*) AS n,
                  json_agg(e ->> 'd' ORDER BY e ->> 'd') AS ids
             FROM jsonb_array_elements(p_rows) e
            WHERE (p_parent IS NULL AND (e ->> 'p' IS NULL OR NOT EXISTS (
                     SELECT 1 FROM jsonb_array_elements(p_rows) q
                      WHERE q ->> 'c' = e ->> 'p' AND q ->> 'c' <> e ->> 'c')))
               OR (p_parent IS NOT NULL AND e ->> 'p' = p_parent
                   AND e ->> 'c' <> p_parent)
            GROUP BY e ->> 'c' ORDER BY e ->> 'c' LOOP
    CONTINUE WHEN g.col = ANY (p_path);
    nodes := nodes || CASE WHEN p_with_ids
      THEN json_build_object('collection_id', g.col, 'document_count', g.n,
             'document_ids', g.ids, 'children',
             public.docapi_tree_level(p_rows, g.col, p_path || g.col, p_with_ids))
      ELSE json_build_object('collection_id', g.col, 'document_count', g.n,
             'children',
             public.docapi_tree_level(p_rows, g.col, p_path || g.col, p_with_ids)) END;
  END LOOP;
  RETURN array_to_json(nodes);
END
$$;

-- An object's decomposition tree (contract section 13) as the response's
-- JSON in `found`: top-level nodes hold the documents made from the
-- object straight from its bucket (or whose parent collection holds none
-- of its documents); a document derived from collection P sits in its
-- collection's node under P's node.
CREATE FUNCTION public.docapi_object_tree(p_key bytea, p_ns_id text,
    p_ns_name text, p_object text, p_with_ids boolean)
RETURNS SETOF public.docapi_found LANGUAGE plpgsql STABLE AS $$
DECLARE
  r public.docapi_found;
  v_ns bigint;
  v_rows jsonb;
  v_bucket json;
BEGIN
  SELECT '-'::"char", s.role, s.key_valid, s.ns_id, s.ns_allowed, s.ns_pk
    INTO r.outcome, r.role, r.key_valid, r.ns_id, r.ns_allowed, v_ns
    FROM public.docapi_key_scope(p_key, p_ns_id, p_ns_name, NULL, NULL) s;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF v_ns IS NULL OR NOT r.key_valid OR NOT r.ns_allowed THEN
    RETURN NEXT r;
    RETURN;
  END IF;
  -- Each document with its collection and its parent collection's col_
  -- id (NULL when it comes from the bucket).
  SELECT coalesce(jsonb_agg(jsonb_build_object('c', c.col_id, 'd', d.document_id,
           'p', CASE WHEN d.sys ->> 'source_type' = 'bucket' THEN NULL
                     ELSE coalesce(pc.col_id, d.source_collection_id) END)), '[]'),
         to_json(min(d.sys ->> 'root_bucket_id'))
    INTO v_rows, v_bucket
    FROM public.documents d
    JOIN public.collections c ON c.id = d.col_pk
    LEFT JOIN public.collections pc ON pc.ns_pk = v_ns
         AND (pc.col_id = d.source_collection_id OR pc.name = d.source_collection_id)
   WHERE d.root_object_id = p_object AND c.ns_pk = v_ns;
  r.outcome := 'W';
  r.found := ('{"object_id":' || to_json(p_object)::text ||
              CASE WHEN v_bucket IS NULL THEN ''
                   ELSE ',"root_bucket_id":' || v_bucket::text END ||
              ',"tree":' || public.docapi_tree_level(v_rows, NULL, '{}', p_with_ids)::text ||
              '}')::json;
  RETURN NEXT r;
END
$$;

-- Filters (contract section 9): the elements of an array, or the value
-- itself (a field holding an array matches a scalar condition when any
-- element does). SQL, so the planner inlines it.
CREATE FUNCTION public.docapi_elems(p jsonb)
RETURNS SETOF jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT x FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p) = 'array' THEN p
                                          ELSE jsonb_build_array(p) END) x
$$;

-- Aggregate (contract section 12): the instant of an RFC 3339 string, for
-- date_trunc and date_part; NULL for anything else (no error).
CREATE FUNCTION public.docapi_instant(p jsonb)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF jsonb_typeof(p) = 'string'
     AND (p #>> '{}') ~ '^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$' THEN
    RETURN (p #>> '{}')::timestamptz;
  END IF;
  RETURN NULL;
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
  RETURN NULL;
END
$$;

-- update_data's dotted paths (contract section 11) applied to a jsonb
-- object, in order: each {"p": [keys], "v": value} sets that path,
-- creating objects on the way; {"p": [...], "rm": true} removes it.
-- p_flat (the flat fields): a path whose first key does not hold an
-- object there names a flat field literally ("a.b"). NULL when a path
-- goes through something that is not an object (the item's error).
CREATE FUNCTION public.docapi_apply_paths(p jsonb, p_paths jsonb, p_flat boolean)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  e jsonb;
  path text[];
  cur jsonb;
  n integer;
BEGIN
  IF p_paths IS NULL THEN
    RETURN p;
  END IF;
  FOR e IN SELECT x FROM jsonb_array_elements(p_paths) x LOOP
    path := ARRAY(SELECT jsonb_array_elements_text(e -> 'p'));
    n := array_length(path, 1);
    IF p_flat AND jsonb_typeof(p -> path[1]) IS DISTINCT FROM 'object' THEN
      IF e ? 'rm' THEN
        p := p - array_to_string(path, '.');
      ELSE
        p := p || jsonb_build_object(array_to_string(path, '.'), e -> 'v');
      END IF;
      CONTINUE;
    END IF;
    FOR i IN 1..n - 1 LOOP
      cur := p #> path[1:i];
      IF cur IS NULL THEN
        EXIT WHEN e ? 'rm';  -- nothing there to remove
        p := jsonb_set(p, path[1:i], '{}'::jsonb, true);
      ELSIF jsonb_typeof(cur) <> 'object' THEN
        RETURN NULL;
      END IF;
    END LOOP;
    IF e ? 'rm' THEN
      p := p #- path;
    ELSE
      p := jsonb_set(p, path, e -> 'v', true);
    END IF;
  END LOOP;
  RETURN p;
END
$$;

-- Whether a value nests more than p_levels containers deep (the limit a
-- written member keeps, as docapi_patch checks it).
CREATE FUNCTION public.docapi_nests_deeper(p jsonb, p_levels integer)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_path_exists(p, ('strict $.**{' || p_levels ||
         '} ? (@.type() == "object" || @.type() == "array")')::jsonpath)
$$;

-- Batch writes (contract section 11): the first read-only field (or path
-- into one) that update_data would change, as its dotted name; NULL when
-- every one it names keeps its current value. p_view is the document's
-- read-only view (what GET shows of those fields); p_ro lists them as
-- docapi_apply_paths does ({"p": [keys], "v": value}, "rm" for null). A
-- plain key is merged (RFC 7396) into the current value, a path replaces
-- the value there; either way the result must equal what is stored.
CREATE FUNCTION public.docapi_readonly_changed(p_view jsonb, p_ro jsonb)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  e jsonb;
  path text[];
  cur jsonb;
  val jsonb;
BEGIN
  IF p_ro IS NULL THEN
    RETURN NULL;
  END IF;
  FOR e IN SELECT x FROM jsonb_array_elements(p_ro) x LOOP
    path := ARRAY(SELECT jsonb_array_elements_text(e -> 'p'));
    cur := coalesce(p_view #> path, 'null'::jsonb);
    val := coalesce(e -> 'v', 'null'::jsonb);
    IF array_length(path, 1) = 1 THEN
      val := public.docapi_merge(p_view -> path[1], val);
    END IF;
    IF val IS DISTINCT FROM cur THEN
      RETURN array_to_string(path, '.');
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
