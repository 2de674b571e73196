-- 002_request_functions.sql: the statements of the request path as
-- functions, so that each request is one call and one round trip, and no
-- state lives in the session (nothing is prepared on a connection, no
-- search_path is set): a pooler in transaction mode may hand every call
-- to another server connection. PL/pgSQL caches the plans of the
-- statements inside a function per server process, whichever client
-- reaches it, so the calls are planned once per backend, not per request.
--
-- Every name is schema-qualified (public.), and nothing here depends on
-- the caller's search_path. Adds functions only: no row is touched.

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
-- version).
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
  created_at  text,
  updated_at  text
);

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
         d.fields, d.vector,
         to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
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
              d.sys, d.metadata, d.document_blobs, d.fields, d.vector,
              to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
              to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
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
    IF r.id IS NULL OR NOT r.key_valid OR NOT r.ns_allowed
       OR r.role NOT IN ('write', 'admin')
       OR (p_if_version IS NOT NULL AND r.version <> p_if_version) THEN
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
            d.fields, d.vector,
            to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
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
         d.fields, d.vector,
         to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
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
