-- 001_schema.sql: organizations, namespaces, collections, API keys, documents.
--
-- Public ids (org_, ns_, col_, key_, doc_) are what clients see; the bigint
-- primary keys are what rows reference. Names never start with an id prefix,
-- so a value in X-Namespace or a path segment is either an id or a name.

CREATE TABLE organizations (
    id          bigserial PRIMARY KEY,
    org_id      text NOT NULL UNIQUE CHECK (org_id ~ '^org_[A-Za-z0-9]+$'),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE namespaces (
    id          bigserial PRIMARY KEY,
    ns_id       text NOT NULL UNIQUE CHECK (ns_id ~ '^ns_[A-Za-z0-9]+$'),
    org_pk      bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' AND name NOT LIKE 'ns\_%'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_pk, name)
);

CREATE TABLE collections (
    id          bigserial PRIMARY KEY,
    col_id      text NOT NULL UNIQUE CHECK (col_id ~ '^col_[A-Za-z0-9_]+$'),
    ns_pk       bigint NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' AND name NOT LIKE 'col\_%'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ns_pk, name)
);

-- Only the SHA-256 of a key is stored; `prefix` (the first characters) is
-- kept to let people tell keys apart in listings.
CREATE TABLE api_keys (
    id          bigserial PRIMARY KEY,
    key_id      text NOT NULL UNIQUE CHECK (key_id ~ '^key_[A-Za-z0-9]+$'),
    org_pk      bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    key_hash    bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    prefix      text NOT NULL,
    role        text NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    namespaces  text[],              -- ns_ ids the key is limited to; NULL = all
    expires_at  timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A document. Read-only fields of the contract (schema version, lineage,
-- source_blobs, internal_metadata, ...) live in `sys`; the writable view is
-- metadata + document_blobs + the flat user fields in `fields`.
-- `sys` and `document_blobs` are json, not jsonb: they keep the text docapi
-- wrote, members in the contract's order, so a GET copies them out as they
-- are instead of parsing and re-serializing them. metadata and fields stay
-- jsonb so they can be filtered and indexed.
CREATE TABLE documents (
    id              bigserial PRIMARY KEY,
    col_pk          bigint NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    document_id     text NOT NULL CHECK (document_id ~ '^doc_[A-Za-z0-9_]+$'),
    version         bigint NOT NULL DEFAULT 1,
    sys             json NOT NULL DEFAULT '{"source_blobs":[]}' CHECK (json_typeof(sys) = 'object'),
    metadata        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    document_blobs  json NOT NULL DEFAULT '[]' CHECK (json_typeof(document_blobs) = 'array'),
    fields          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(fields) = 'object'),
    vector          jsonb CHECK (vector IS NULL OR jsonb_typeof(vector) = 'array'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- The lookup by (collection, document id) is one probe of this index.
    UNIQUE (col_pk, document_id)
);
