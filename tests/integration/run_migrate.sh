#!/usr/bin/env bash
# Upgrade suite: migration 003 (sql/003_lifecycle.sql) and the re-runnable
# sql/functions.sql, applied by today's `docapi-admin migrate` to a database
# that the PREVIOUS schema (commit 9f32c38: 001_schema.sql and the
# 002_request_functions.sql that still held the functions) created and
# filled, on a private PostgreSQL (unix socket + 127.0.0.1, stopped by PID).
#
# (tests/integration/schema_9f32c38 holds a copy of that schema for a
# release tarball, which has no git history.)
#
# The old migrate is reproduced with psql, as it did it: one transaction,
# schema_migrations (version, applied_at) and one row per file. The
# database then gets an organization, a namespace, two collections, a key
# and a few thousand documents of the shapes docapi stored (v1 with a
# `lineage` object, v2 with source_collection_id/source_document_id, the
# bare default sys, with and without a vector, id gaps from deletes).
#
# Checks that the upgrade loses nothing (every old column of every row of
# every old table hashes the same), fills the new columns from the old
# ones (seq in id order, lineage columns = sys, vectors/vector_names from
# vector), that a second migrate applies nothing, that the triggers give
# an UPDATE a new seq, a DELETE a tombstone and a re-create the next
# version, that lineage lookups are index scans, and that the upgraded
# schema is the one a fresh database migrated from scratch gets.
#
#   tests/integration/run_migrate.sh
#
# Environment: BUILD_DIR, DOCAPI_ADMIN, DOCAPI_SQL_DIR, STACK_KEEP_TMP (as
# for run.sh); MIGRATE_OLD_REV (default 9f32c38), MIGRATE_DOCS (documents
# to create, default 3000).
#
# Prints "ok NAME" / "FAIL NAME: why" per check and, last, exactly one line
# "N passed, M failed". Exit status 0 only when every check passed.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR
DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
DOCAPI_SQL_DIR=${DOCAPI_SQL_DIR:-$SRC_DIR/sql}
MIGRATE_OLD_REV=${MIGRATE_OLD_REV:-9f32c38}
MIGRATE_DOCS=${MIGRATE_DOCS:-3000}
export DOCAPI_ADMIN DOCAPI_SQL_DIR
# The caller's settings must not leak into the admin CLI or psql.
unset DOCAPI_DATABASE_URL DOCAPI_DATABASE_READ_URL DOCAPI_CONF DOCAPI_CONF_EXTRA \
    PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS PG_DATABASE
export PGCONNECT_TIMEOUT=10

export SUITE_NAME=migrate
# shellcheck source=scripts/stack.sh
. "$SRC_DIR/scripts/stack.sh"
# shellcheck source=tests/integration/suite_lib.sh
. "$SRC_DIR/tests/integration/suite_lib.sh"

[ -x "$DOCAPI_ADMIN" ] || setup_failed "$DOCAPI_ADMIN not found (build first: scripts/build.sh, or set BUILD_DIR)"
[ -f "$DOCAPI_SQL_DIR/003_lifecycle.sql" ] || setup_failed "no $DOCAPI_SQL_DIR/003_lifecycle.sql"
stack_init ""
PG_BIN=$(stack_pg_bin) || setup_failed "no PostgreSQL binaries"

# Test a snapshot of the binary and of the migrations, so that a rebuild
# or an edit during the run cannot swap them underneath the suite.
mkdir -p "$STACK_TMP/bin" "$STACK_TMP/oldsql" "$STACK_TMP/sql"
cp "$DOCAPI_ADMIN" "$STACK_TMP/bin/docapi-admin" || setup_failed "cannot copy $DOCAPI_ADMIN"
DOCAPI_ADMIN=$STACK_TMP/bin/docapi-admin
cp "$DOCAPI_SQL_DIR"/*.sql "$STACK_TMP/sql/" || setup_failed "cannot copy $DOCAPI_SQL_DIR"
DOCAPI_SQL_DIR=$STACK_TMP/sql

# ---- the previous schema: from git, or (a release tarball has no
# history) the copy in tests/integration/schema_9f32c38 ----
OLD_FROM=git
if git -C "$SRC_DIR" rev-parse -q --verify "$MIGRATE_OLD_REV^{commit}" >/dev/null 2>&1; then
    for f in 001_schema.sql 002_request_functions.sql; do
        git -C "$SRC_DIR" show "$MIGRATE_OLD_REV:sql/$f" >"$STACK_TMP/oldsql/$f" 2>>"$STACK_TMP/git.log" ||
            setup_failed "git show $MIGRATE_OLD_REV:sql/$f: $(tail -n 1 "$STACK_TMP/git.log")"
    done
elif [ -d "$SRC_DIR/tests/integration/schema_$MIGRATE_OLD_REV" ]; then
    OLD_FROM=copy
    cp "$SRC_DIR/tests/integration/schema_$MIGRATE_OLD_REV"/00[12]_*.sql "$STACK_TMP/oldsql/" ||
        setup_failed "cannot copy tests/integration/schema_$MIGRATE_OLD_REV"
else
    setup_failed "no commit $MIGRATE_OLD_REV here and no tests/integration/schema_$MIGRATE_OLD_REV"
fi
grep -q 'CREATE FUNCTION public.docapi_scope' "$STACK_TMP/oldsql/002_request_functions.sql" ||
    setup_failed "$MIGRATE_OLD_REV:sql/002_request_functions.sql does not create the functions"

pg_start >"$STACK_TMP/pg_start.log" 2>&1 || { cat "$STACK_TMP/pg_start.log" >&2; setup_failed "PostgreSQL did not start"; }
OLD_DB=docapi
FRESH_DB=docapi_fresh
"$PG_BIN/createdb" -h "$(pg_socket_dir)" -p "$(pg_port)" -U postgres "$FRESH_DB" ||
    setup_failed "createdb $FRESH_DB"

# psql DB ARGS...: unaligned, tuples only, columns separated by one space,
# stops at the first error.
psql_db() {
    local db=$1
    shift
    "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$(pg_socket_dir)" -p "$(pg_port)" \
        -U postgres -d "$db" -F ' ' "$@" </dev/null
}
# q SQL [DB]: one query's output (default: the upgraded database); its
# errors go to $STACK_TMP/psql.err.
q() {
    psql_db "${2:-$OLD_DB}" -c "$1" 2>"$STACK_TMP/psql.err"
}

# The old migrate: one transaction that creates schema_migrations as it
# did, applies 001 and 002 and records them.
psql_db "$OLD_DB" -1 \
    -c "SET LOCAL client_min_messages = warning" \
    -c "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY,
          applied_at timestamptz NOT NULL DEFAULT now())" \
    -f "$STACK_TMP/oldsql/001_schema.sql" \
    -c "INSERT INTO schema_migrations (version) VALUES ('001_schema.sql')" \
    -f "$STACK_TMP/oldsql/002_request_functions.sql" \
    -c "INSERT INTO schema_migrations (version) VALUES ('002_request_functions.sql')" \
    >"$STACK_TMP/old_migrate.log" 2>&1 || {
    cat "$STACK_TMP/old_migrate.log" >&2
    setup_failed "applying the $MIGRATE_OLD_REV schema"
}

# ---- fill it as the previous docapi did ----
# Inserted in random order, so that id order is not document id order;
# some deleted, so that ids have gaps; then a few more.
cat >"$STACK_TMP/fill.sql" <<'SQL'
INSERT INTO organizations (org_id, name) VALUES ('org_migrate1', 'acme');
INSERT INTO namespaces (ns_id, org_pk, name)
  SELECT 'ns_migrate1', id, 'production' FROM organizations WHERE org_id = 'org_migrate1';
INSERT INTO collections (col_id, ns_pk, name)
  SELECT 'col_articles1', id, 'articles' FROM namespaces WHERE ns_id = 'ns_migrate1';
INSERT INTO collections (col_id, ns_pk, name)
  SELECT 'col_frames1', id, 'frames' FROM namespaces WHERE ns_id = 'ns_migrate1';
INSERT INTO api_keys (key_id, org_pk, key_hash, prefix, role)
  SELECT 'key_migrate1', id, sha256('migrate-suite-key'), 'migrate', 'write'
    FROM organizations WHERE org_id = 'org_migrate1';

CREATE TEMP TABLE gen AS
SELECT i, (i % 5) AS kind,
       CASE WHEN i % 3 = 0 THEN 'col_frames1' ELSE 'col_articles1' END AS col
  FROM generate_series(1, :ndocs) i;

CREATE TEMP TABLE shaped AS
SELECT g.i, g.col, 'doc_m' || g.i AS document_id, 1 + g.i % 4 AS version,
  (CASE g.kind
   -- v1, as doc_template of test_api.py: lineage object, a vector
   WHEN 0 THEN '{"document_schema_version":"v1","root_object_id":"obj_r' || g.i
     || '","root_bucket_id":"bkt_tests","source_type":"bucket","source_object_id":"obj_r' || g.i
     || '","lineage_path":"bkt_tests/col_articles","lineage":{"root_object_id":"obj_r' || g.i
     || '","root_bucket_id":"bkt_tests","source_type":"bucket","source_object_id":"obj_r' || g.i
     || '","lineage_chain":[{"collection_id":"col_articles","feature_extractor_id":"text_v1",'
     || '"timestamp":"2025-10-18T10:30:00Z"}]},"source_blobs":[{"blob_id":"blob_a",'
     || '"blob_property":"video","blob_type":"video"}],"internal_metadata":'
     || '{"ingestion_status":"completed","feature_extractor_config_hash":"h1"}}'
   -- v2, derived from a document of another collection; no vector
   WHEN 1 THEN '{"document_schema_version":"v2","root_object_id":"obj_r' || (g.i / 10)
     || '","root_bucket_id":"bkt_tests","source_type":"collection","source_collection_id":'
     || '"col_frames1","source_document_id":"doc_frame' || g.i
     || '","lineage_path":"bkt_tests/col_frames/col_articles","lineage_chain":[{"collection_id":'
     || '"col_frames1","feature_extractor_id":"frames_v1","document_id":"doc_frame' || g.i
     || '","timestamp":"2025-10-18T10:31:00Z"}],"source_blobs":[],"internal_metadata":'
     || '{"ingestion_status":"completed"}}'
   -- the column default: no lineage at all, no vector
   WHEN 2 THEN '{"source_blobs":[]}'
   -- json keeps its text: spaces, and an escaped character in the id
   WHEN 3 THEN '{ "document_schema_version" : "v1", "root_object_id" : "obj_\u00e9' || g.i
     || '", "source_blobs" : [ ] }'
   -- v2 with a source document but no source collection, root null
   ELSE '{"document_schema_version":"v2","root_object_id":null,"source_type":"collection",'
     || '"source_document_id":"doc_src' || g.i || '","source_blobs":[]}'
   END)::json AS sys,
  jsonb_build_object('title', 'Doc ' || g.i || ' – é ✓', 'tags', jsonb_build_array('a', 'b'),
                     'draft', g.i % 2 = 0, 'n', g.i) AS metadata,
  (CASE WHEN g.kind IN (0, 3) THEN
     '[{"field":"video","url":"s3://media-bucket/videos/' || g.i || '.mp4","role":"source",'
     || '"type":"video","size_bytes":2048,"content_type":"video/mp4"}]'
   ELSE '[]' END)::json AS document_blobs,
  jsonb_build_object('taxonomy_products_label', 'shoes', 'cluster_id', 'cl_' || (g.i % 10)) AS fields,
  CASE WHEN g.kind = 0 THEN jsonb_build_array(g.i * 0.5, 0.25, -1.0)
       WHEN g.kind = 3 THEN (SELECT jsonb_agg(round((g.i * k) % 7 / 7.0, 4)) FROM generate_series(1, 8) k)
       WHEN g.kind = 4 AND g.i % 2 = 0 THEN '[1e-3, -0, 12345.678]'::jsonb
  END AS vector,
  timestamptz '2025-10-18 10:30:00+00' + g.i * interval '1 second' AS created_at,
  timestamptz '2025-10-19 08:00:00+00' + g.i * interval '1 second' AS updated_at
  FROM gen g;

INSERT INTO documents (col_pk, document_id, version, sys, metadata, document_blobs, fields,
                       vector, created_at, updated_at)
SELECT c.id, s.document_id, s.version, s.sys, s.metadata, s.document_blobs, s.fields,
       s.vector, s.created_at, s.updated_at
  FROM shaped s JOIN collections c ON c.col_id = s.col
 WHERE s.i <= :ndocs - 50
 ORDER BY md5(s.document_id);
DELETE FROM documents WHERE id % 97 = 0;
INSERT INTO documents (col_pk, document_id, version, sys, metadata, document_blobs, fields,
                       vector, created_at, updated_at)
SELECT c.id, s.document_id, s.version, s.sys, s.metadata, s.document_blobs, s.fields,
       s.vector, s.created_at, s.updated_at
  FROM shaped s JOIN collections c ON c.col_id = s.col
 WHERE s.i > :ndocs - 50
 ORDER BY s.i DESC;
-- one document with the column defaults only
INSERT INTO documents (col_pk, document_id)
  SELECT id, 'doc_defaults' FROM collections WHERE col_id = 'col_articles1';
SQL
psql_db "$OLD_DB" -1 -v ndocs="$MIGRATE_DOCS" -f "$STACK_TMP/fill.sql" >"$STACK_TMP/fill.log" 2>&1 || {
    cat "$STACK_TMP/fill.log" >&2
    setup_failed "filling the $MIGRATE_OLD_REV database"
}

# ---- checks ----
PASSED=0
FAILED=0
ok() { echo "ok $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }
# abort_checks WHY: a check cannot go on; one more failure, then the end.
abort_checks() {
    fail setup "$1"
    suite_fail_logs "$STACK_TMP/admin.log"
    export STACK_QUIET=1
    echo "$PASSED passed, $FAILED failed"
    exit 1
}
# check_eq NAME EXPECTED SQL [DB]: the query prints EXPECTED.
check_eq() {
    local name=$1 want=$2 sql=$3 db=${4:-$OLD_DB} got
    if ! got=$(q "$sql" "$db"); then
        fail "$name" "query failed: $(tr '\n' ' ' <"$STACK_TMP/psql.err")"
    elif [ "$got" != "$want" ]; then
        fail "$name" "got '$got', expected '$want'"
    else
        ok "$name"
    fi
}
# migrate DB: runs today's docapi-admin migrate against DB; sets MIG_RC,
# MIG_OUT (stdout) and MIG_ERR (stderr).
migrate() {
    local conf=$STACK_TMP/docapi-$1.conf
    PG_DATABASE=$1 docapi_write_conf "$conf" ""
    MIG_RC=0
    DOCAPI_CONF=$conf "$DOCAPI_ADMIN" migrate </dev/null >"$STACK_TMP/migrate.out" \
        2>"$STACK_TMP/migrate.err" || MIG_RC=$?
    MIG_OUT=$(cat "$STACK_TMP/migrate.out")
    MIG_ERR=$(cat "$STACK_TMP/migrate.err")
    cat "$STACK_TMP/migrate.err" >>"$STACK_TMP/admin.log"
}
# check_migrate NAME WANT_OUT: the last migrate exited 0 and printed WANT_OUT.
check_migrate() {
    if [ "$MIG_RC" != 0 ]; then
        fail "$1" "exit status $MIG_RC: $(printf '%s' "$MIG_ERR" | tail -n 5 | tr '\n' ' ')"
    elif [ "$MIG_OUT" != "$2" ]; then
        fail "$1" "printed '$MIG_OUT', expected '$2' (stderr: $(printf '%s' "$MIG_ERR" | tr '\n' ' '))"
    else
        ok "$1"
    fi
}

OLD_TABLES="organizations namespaces collections api_keys documents"
# table_sum TABLE COLUMNS: row count and md5 of every row's COLUMNS, in id order.
table_sum() {
    q "SELECT count(*) || ' ' || coalesce(md5(string_agg(row($2)::text, E'\n' ORDER BY id)), '-')
         FROM public.$1"
}
declare -A OLD_COLS OLD_SUM
for t in $OLD_TABLES; do
    OLD_COLS[$t]=$(q "SELECT string_agg(quote_ident(column_name), ',' ORDER BY ordinal_position)
                        FROM information_schema.columns
                       WHERE table_schema = 'public' AND table_name = '$t'") ||
        setup_failed "columns of $t: $(cat "$STACK_TMP/psql.err")"
    OLD_SUM[$t]=$(table_sum "$t" "${OLD_COLS[$t]}") ||
        setup_failed "checksum of $t: $(cat "$STACK_TMP/psql.err")"
done
OLD_MIGRATIONS=$(q "SELECT string_agg(version || '@' || applied_at, ' ' ORDER BY version)
                      FROM schema_migrations") || setup_failed "schema_migrations"
OLD_NDOCS=${OLD_SUM[documents]%% *}
OLD_WITH_VECTOR=$(q "SELECT count(*) FROM documents WHERE vector IS NOT NULL") || setup_failed "counting the old documents"
OLD_WITH_ROOT=$(q "SELECT count(*) FROM documents WHERE sys->>'root_object_id' IS NOT NULL") || setup_failed "counting the old documents"
OLD_WITH_SRC=$(q "SELECT count(*) FROM documents WHERE sys->>'source_document_id' IS NOT NULL") || setup_failed "counting the old documents"
OLD_WITH_SRCCOL=$(q "SELECT count(*) FROM documents WHERE sys->>'source_collection_id' IS NOT NULL") || setup_failed "counting the old documents"
if [ "$OLD_NDOCS" -lt 1000 ] || [ "$OLD_WITH_VECTOR" = 0 ] || [ "$OLD_WITH_VECTOR" = "$OLD_NDOCS" ] ||
    [ "$OLD_WITH_ROOT" = 0 ] || [ "$OLD_WITH_SRC" = 0 ] || [ "$OLD_WITH_SRCCOL" = 0 ]; then
    setup_failed "the old database is not varied enough: $OLD_NDOCS documents, $OLD_WITH_VECTOR with a vector, $OLD_WITH_ROOT/$OLD_WITH_SRC/$OLD_WITH_SRCCOL with lineage"
fi
echo "# $MIGRATE_OLD_REV database: $OLD_NDOCS documents, $OLD_WITH_VECTOR with a vector," \
    "$OLD_WITH_ROOT with root_object_id, $OLD_WITH_SRC with source_document_id"

# the stored copy is what git holds (when there is git to ask)
if [ "$OLD_FROM" = copy ]; then
    echo "# no git history: the $MIGRATE_OLD_REV schema from tests/integration/schema_$MIGRATE_OLD_REV"
elif [ -d "$SRC_DIR/tests/integration/schema_$MIGRATE_OLD_REV" ]; then
    if diff -r -q "$STACK_TMP/oldsql" "$SRC_DIR/tests/integration/schema_$MIGRATE_OLD_REV" >"$STACK_TMP/copy.diff" 2>&1; then
        ok stored_old_schema_matches_git
    else
        fail stored_old_schema_matches_git "$(tr '\n' ' ' <"$STACK_TMP/copy.diff")"
    fi
fi

# ---- the upgrade ----
# NEW_FILES: what the upgrade must apply, in name order: every file of
# sql/ but the two the old migrate recorded (today: 003_lifecycle.sql and
# functions.sql, so migrate prints 2).
NEW_FILES=$(cd "$DOCAPI_SQL_DIR" && printf '%s\n' *.sql | grep -v -x -e 001_schema.sql \
    -e 002_request_functions.sql | LC_ALL=C sort)
NEW_COUNT=$(printf '%s\n' "$NEW_FILES" | grep -c .)
migrate "$OLD_DB"
check_migrate "upgrade_applies_003_and_functions ($NEW_COUNT)" "$NEW_COUNT"
if printf '%s\n' "$NEW_FILES" | grep -qx 003_lifecycle.sql &&
    printf '%s\n' "$NEW_FILES" | grep -qx functions.sql &&
    [ "$(printf '%s\n' "$MIG_ERR" | sed -n 's/^docapi-admin: applied //p')" = "$NEW_FILES" ]; then
    ok upgrade_names_what_it_applied
else
    fail upgrade_names_what_it_applied "stderr: $(printf '%s' "$MIG_ERR" | tr '\n' ' ')"
fi

for t in $OLD_TABLES; do
    if ! got=$(table_sum "$t" "${OLD_COLS[$t]}"); then
        fail "old_columns_unchanged_$t" "query failed: $(cat "$STACK_TMP/psql.err")"
    elif [ "$got" != "${OLD_SUM[$t]}" ]; then
        fail "old_columns_unchanged_$t" "rows/md5 '$got', before '${OLD_SUM[$t]}'"
    else
        ok "old_columns_unchanged_$t"
    fi
done
check_eq document_count_unchanged "$OLD_NDOCS" "SELECT count(*) FROM documents"
check_eq new_tables_start_empty "0 0" \
    "SELECT (SELECT count(*) FROM document_tombstones), (SELECT count(*) FROM idempotency_keys)"
NEW_SUMS=$(cd "$DOCAPI_SQL_DIR" && for f in $NEW_FILES; do
    printf '%s:%s\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"; done | paste -sd' ')
check_eq schema_migrations_recorded "$OLD_MIGRATIONS $NEW_SUMS" \
    "SELECT (SELECT string_agg(version || '@' || applied_at, ' ' ORDER BY version)
               FROM schema_migrations WHERE version < '003')
            || ' ' || (SELECT string_agg(version || ':' || checksum, ' ' ORDER BY version)
                         FROM schema_migrations WHERE version >= '003')"

# seq: distinct, not null, 1..N in id order
check_eq seq_distinct_not_null "$OLD_NDOCS $OLD_NDOCS 0" \
    "SELECT count(DISTINCT seq), count(seq), count(*) - count(seq) FROM documents" 
check_eq seq_numbered_in_id_order "0 1 $OLD_NDOCS" \
    "SELECT count(*) FILTER (WHERE seq <> n), min(seq), max(seq)
       FROM (SELECT seq, row_number() OVER (ORDER BY id) AS n FROM documents) x"
# (one number the writes below skip: harmless)
check_eq seq_sequence_continues "$((OLD_NDOCS + 1))" "SELECT nextval('docapi_change_seq')"


# lineage columns = sys
check_eq lineage_columns_equal_sys 0 \
    "SELECT count(*) FROM documents
      WHERE root_object_id IS DISTINCT FROM sys->>'root_object_id'
         OR source_document_id IS DISTINCT FROM sys->>'source_document_id'
         OR source_collection_id IS DISTINCT FROM sys->>'source_collection_id'"
check_eq lineage_columns_filled "$OLD_WITH_ROOT $OLD_WITH_SRC $OLD_WITH_SRCCOL" \
    "SELECT count(root_object_id), count(source_document_id), count(source_collection_id)
       FROM documents"
check_eq lineage_escaped_text_decoded "t t" \
    "SELECT count(*) > 0, count(*) = count(*) FILTER
              (WHERE root_object_id = 'obj_é' || substr(document_id, 6))
       FROM documents WHERE strpos(sys::text, '\\u00e9') > 0"

# vectors / vector_names from vector
check_eq vectors_from_vector "$OLD_WITH_VECTOR 0" \
    "SELECT count(*), count(*) FILTER (WHERE
              vectors IS DISTINCT FROM ('{\"default\":{\"type\":\"dense\",\"vector\":'
                                        || vector::text || '}}')::jsonb
           OR vector_names::text IS DISTINCT FROM '[\"default\"]')
       FROM documents WHERE vector IS NOT NULL"
check_eq no_vector_no_vectors "$((OLD_NDOCS - OLD_WITH_VECTOR)) 0" \
    "SELECT count(*), count(*) FILTER (WHERE vectors <> '{}'::jsonb OR vector_names IS NOT NULL)
       FROM documents WHERE vector IS NULL"

# ---- the second migrate applies nothing ----
migrate "$OLD_DB"
check_migrate second_migrate_applies_nothing 0
check_eq second_migrate_changes_nothing "${OLD_SUM[documents]}" \
    "SELECT count(*) || ' ' || md5(string_agg(row(${OLD_COLS[documents]})::text, E'\n' ORDER BY id))
       FROM documents"

# ---- today's functions on the upgraded rows ----
# D1, D2, D3: three documents of col_articles1 from before the upgrade,
# the first two with a vector; with their versions.
read -r D1 V1 D2 _ <<<"$(q "SELECT string_agg(document_id || ' ' || version, ' ' ORDER BY id)
    FROM (SELECT d.id, d.document_id, d.version FROM documents d
           WHERE d.vector IS NOT NULL
             AND d.col_pk = (SELECT id FROM collections WHERE col_id = 'col_articles1')
           ORDER BY d.id LIMIT 2) x")" || true
read -r D3 V3 <<<"$(q "SELECT document_id || ' ' || version FROM documents d
    WHERE d.vector IS NULL AND d.sys->>'root_object_id' IS NOT NULL
      AND d.col_pk = (SELECT id FROM collections WHERE col_id = 'col_articles1')
    ORDER BY d.id DESC LIMIT 1")" || true
if [ -z "${D2:-}" ] || [ -z "${V3:-}" ]; then
    abort_checks "no documents to change ('${D1:-}' '${D2:-}' '${D3:-}')"
fi
V1_VECTOR=$(q "SELECT vector::text FROM documents WHERE document_id = '$D1'") ||
    abort_checks "the vector of $D1: $(cat "$STACK_TMP/psql.err")"
check_eq scope_reads_upgraded_row "t [\"default\"] $V1_VECTOR" \
    "SELECT key_valid, vector_names::text, vector::text
       FROM docapi_scope(sha256('migrate-suite-key'), 'ns_migrate1', NULL, 'col_articles1',
                         NULL, '$D1')"
check_eq changes_feed_in_id_order "W t" \
    "SELECT c.outcome, (SELECT string_agg(e->>'document_id' || ':' || (e->>'version'), ','
                                          ORDER BY ord)
                          FROM json_array_elements(c.found) WITH ORDINALITY a(e, ord))
                       = (SELECT string_agg(d.document_id || ':' || d.version, ',' ORDER BY d.id)
                            FROM documents d JOIN collections k ON k.id = d.col_pk
                           WHERE k.col_id = 'col_frames1')
       FROM docapi_changes(sha256('migrate-suite-key'), 'ns_migrate1', NULL, 'col_frames1',
                           NULL, 0, 100000) c"

# ---- the triggers, after the upgrade ----
MAXSEQ=$(q "SELECT max(seq) FROM documents") || abort_checks "max(seq): $(cat "$STACK_TMP/psql.err")"
check_eq update_takes_larger_seq "t $((V1 + 1))" \
    "UPDATE documents SET metadata = metadata || '{\"touched\":true}', version = version + 1
      WHERE document_id = '$D1'
     RETURNING seq > $MAXSEQ, version"
check_eq update_of_sys_moves_lineage "obj_moved" \
    "UPDATE documents SET sys = '{\"root_object_id\":\"obj_moved\",\"source_blobs\":[]}'
      WHERE document_id = '$D2' RETURNING root_object_id"
MAXSEQ=$(q "SELECT greatest((SELECT max(seq) FROM documents),
                            (SELECT coalesce(max(seq), 0) FROM document_tombstones))") ||
    abort_checks "max(seq): $(cat "$STACK_TMP/psql.err")"
check_eq delete_document "$V3" "DELETE FROM documents WHERE document_id = '$D3' RETURNING version"
check_eq delete_leaves_tombstone "$((V3 + 1)) t 0" \
    "SELECT version, seq > $MAXSEQ,
            (SELECT count(*) FROM documents WHERE document_id = '$D3')
       FROM document_tombstones WHERE document_id = '$D3'"
check_eq recreate_continues_version "$((V3 + 2)) t" \
    "INSERT INTO documents (col_pk, document_id)
       SELECT col_pk, '$D3' FROM document_tombstones WHERE document_id = '$D3'
     RETURNING version, seq > $MAXSEQ"
check_eq recreate_removes_tombstone "0 1" \
    "SELECT (SELECT count(*) FROM document_tombstones WHERE document_id = '$D3'),
            (SELECT count(*) FROM documents WHERE document_id = '$D3')"
check_eq insert_sets_lineage "obj_new doc_newsrc col_frames1" \
    "INSERT INTO documents (col_pk, document_id, sys)
       SELECT id, 'doc_newone', '{\"root_object_id\":\"obj_new\",\"source_document_id\":\"doc_newsrc\",
                                  \"source_collection_id\":\"col_frames1\",\"source_blobs\":[]}'
         FROM collections WHERE col_id = 'col_articles1'
     RETURNING root_object_id || ' ' || source_document_id || ' ' || source_collection_id"

# ---- lineage lookups are index probes ----
q "ANALYZE documents" >/dev/null || true
# explain_uses NAME INDEX MAX_PAGES SQL: the plan of SQL reads INDEX and
# no Seq Scan, and its top node touches at most MAX_PAGES buffers (a
# probe, not a scan of a whole index; empty: no limit).
explain_uses() {
    local plan pages n
    if ! plan=$(q "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) $4"); then
        fail "$1" "EXPLAIN failed: $(cat "$STACK_TMP/psql.err")"
        return
    fi
    # the first Buffers line is the top node's (planning's come last)
    pages=0
    for n in $(printf '%s\n' "$plan" | grep -m 1 'Buffers:' | grep -oE '(hit|read)=[0-9]+' | cut -d= -f2); do
        pages=$((pages + n))
    done
    if printf '%s\n' "$plan" | grep -q 'Seq Scan' || ! printf '%s\n' "$plan" | grep -q "$2"; then
        fail "$1" "plan: $(printf '%s' "$plan" | tr '\n' ' ' | tr -s ' ')"
    elif [ -n "$3" ] && [ "$pages" -gt "$3" ]; then
        fail "$1" "$pages pages read, more than a probe: $(printf '%s' "$plan" | tr '\n' ' ' | tr -s ' ')"
    else
        ok "$1"
    fi
}
explain_uses root_object_lookup_is_index_probe documents_root_object 6 \
    "SELECT id, col_pk FROM documents WHERE root_object_id = 'x'"
explain_uses source_document_lookup_is_index_probe documents_source_document 6 \
    "SELECT id FROM documents WHERE source_document_id = 'doc_frame1' AND source_collection_id = 'col_frames1'"
explain_uses feed_reads_col_seq_index documents_col_seq "" \
    "SELECT seq FROM documents WHERE col_pk = 1 AND seq > $((OLD_NDOCS - 5)) ORDER BY seq LIMIT 10"

# ---- a collection delete takes its documents without tombstones ----
check_eq collection_delete_cascades 1 \
    "WITH c AS (DELETE FROM collections WHERE col_id = 'col_frames1' RETURNING id)
     SELECT count(*) FROM c"
check_eq collection_delete_leaves_nothing "0 0" \
    "SELECT (SELECT count(*) FROM documents d WHERE NOT EXISTS
               (SELECT 1 FROM collections c WHERE c.id = d.col_pk)),
            (SELECT count(*) FROM document_tombstones t WHERE NOT EXISTS
               (SELECT 1 FROM collections c WHERE c.id = t.col_pk))"

# ---- the upgraded schema is a fresh one ----
migrate "$FRESH_DB"
check_migrate fresh_migrate_applies_all "$(find "$DOCAPI_SQL_DIR" -maxdepth 1 -name '*.sql' | wc -l)"
FUNCS_SQL="SELECT p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' ORDER BY 1"
if a=$(q "$FUNCS_SQL" "$OLD_DB") && b=$(q "$FUNCS_SQL" "$FRESH_DB"); then
    if [ "$a" = "$b" ] && [ -n "$a" ]; then
        ok "same_functions ($(printf '%s\n' "$a" | wc -l))"
    else
        fail same_functions "differ: $(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | grep '^[<>]' | head -n 6 | tr '\n' ' ')"
    fi
else
    fail same_functions "query failed: $(cat "$STACK_TMP/psql.err")"
fi
TABLES_SQL="SELECT c.relkind::text || ' ' || c.relname FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' ORDER BY 1"
if a=$(q "$TABLES_SQL" "$OLD_DB") && b=$(q "$TABLES_SQL" "$FRESH_DB"); then
    if [ "$a" = "$b" ]; then ok same_relations; else
        fail same_relations "differ: $(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | grep '^[<>]' | head -n 6 | tr '\n' ' ')"; fi
else
    fail same_relations "query failed: $(cat "$STACK_TMP/psql.err")"
fi
# pg_dump --schema-only of both, without comments, blank lines and the
# random key of \restrict (pg_dump 15.14 and later)
dump_schema() {
    "$PG_BIN/pg_dump" --schema-only --no-owner --no-privileges -h "$(pg_socket_dir)" \
        -p "$(pg_port)" -U postgres -d "$1" </dev/null 2>"$STACK_TMP/pg_dump.err" |
        grep -v -e '^--' -e '^$' -e '^\\restrict ' -e '^\\unrestrict '
}
if dump_schema "$OLD_DB" >"$STACK_TMP/schema-upgraded.sql" &&
    dump_schema "$FRESH_DB" >"$STACK_TMP/schema-fresh.sql"; then
    if diff -u "$STACK_TMP/schema-upgraded.sql" "$STACK_TMP/schema-fresh.sql" >"$STACK_TMP/schema.diff"; then
        ok "same_schema_dump ($(wc -l <"$STACK_TMP/schema-fresh.sql") lines)"
    else
        fail same_schema_dump "pg_dump --schema-only differs: $(grep '^[-+][^-+]' "$STACK_TMP/schema.diff" | head -n 8 | tr '\n' ' ')"
    fi
else
    fail same_schema_dump "pg_dump failed: $(cat "$STACK_TMP/pg_dump.err")"
fi

if [ "$FAILED" != 0 ]; then
    suite_fail_logs "$STACK_TMP/admin.log"
fi
# the closing line stays last: stop the stack without progress messages
export STACK_QUIET=1
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
