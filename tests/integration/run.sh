#!/usr/bin/env bash
# Integration suite: a private PostgreSQL and two lighttpd instances (the app
# at "/" and under "/api"), seeded through docapi-admin, then test_api.py.
#
#   tests/integration/run.sh [-k SUBSTRING] [-v]
#
# Environment:
#   BUILD_DIR       build tree holding cgi/docapi.fcgi and cgi/docapi-admin
#                   (default: the source tree)
#   DOCAPI_FCGI, DOCAPI_ADMIN, DOCAPI_SQL_DIR   override single paths
#   DOCAPI_PROCS    FastCGI workers per lighttpd (default 4)
#   STACK_KEEP_TMP  1 = keep the temp folder (logs, database) afterwards
#   PYTHON          interpreter (default /usr/bin/python3)
#
# Prints the test results and, last, exactly one line "N passed, M failed".
# Exit status 0 only when every test passed.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR
DOCAPI_FCGI=${DOCAPI_FCGI:-$BUILD_DIR/cgi/docapi.fcgi}
DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
DOCAPI_SQL_DIR=${DOCAPI_SQL_DIR:-$SRC_DIR/sql}
DOCAPI_PROCS=${DOCAPI_PROCS:-4}
PYTHON=${PYTHON:-/usr/bin/python3}
export DOCAPI_FCGI DOCAPI_ADMIN DOCAPI_SQL_DIR DOCAPI_PROCS
# The caller's overrides must not leak into the app or the admin CLI.
unset DOCAPI_DATABASE_URL DOCAPI_MOUNT_PREFIX DOCAPI_BODY_LIMIT DOCAPI_LOG_LEVEL DOCAPI_CONF

SUITE_NAME=integration
# shellcheck source=scripts/stack.sh
. "$SRC_DIR/scripts/stack.sh"
# shellcheck source=tests/integration/suite_lib.sh
. "$SRC_DIR/tests/integration/suite_lib.sh"
suite_check_tools
stack_init ""
on_fail_logs() { suite_fail_logs; }

# Test a snapshot of the binaries, so that a rebuild during the run cannot
# swap them underneath the suite.
mkdir -p "$STACK_TMP/bin"
if ! cp "$DOCAPI_FCGI" "$STACK_TMP/bin/docapi.fcgi" || ! cp "$DOCAPI_ADMIN" "$STACK_TMP/bin/docapi-admin"; then
    setup_failed "cannot copy the binaries"
fi
DOCAPI_FCGI=$STACK_TMP/bin/docapi.fcgi
DOCAPI_ADMIN=$STACK_TMP/bin/docapi-admin

suite_database
# A wrapper may put something between the app and the database (e.g.
# run_pgbouncer.sh); docapi-admin keeps talking to PostgreSQL directly.
if [ -n "${SUITE_AFTER_DATABASE:-}" ]; then
    # shellcheck source=/dev/null
    . "$SUITE_AFTER_DATABASE"
fi

# ---- seed: two organizations ----
need ORG_A create-org acme
need ORG_B create-org globex
need NS_PROD create-namespace --org "$ORG_A" production
need NS_STAGING create-namespace --org "$ORG_A" staging
need NS_B create-namespace --org "$ORG_B" beta
need COL_ARTICLES create-collection --namespace "$NS_PROD" articles
need COL_FRAMES create-collection --namespace "$NS_PROD" frames
need COL_STAGING create-collection --namespace "$NS_STAGING" articles
need COL_B create-collection --namespace "$NS_B" things

need KEY_READ create-key --org "$ORG_A" --role read
need KEY_WRITE create-key --org "$ORG_A" --role write
need KEY_ADMIN create-key --org "$ORG_A" --role admin
need KEY_STAGING create-key --org "$ORG_A" --role write --namespaces "$NS_STAGING"
need KEY_TEST create-key --org "$ORG_A" --role write --test
need KEY_EXPIRED create-key --org "$ORG_A" --role write --expires-in 1
need KEY_REVOKED create-key --org "$ORG_A" --role write
need KEY_B create-key --org "$ORG_B" --role admin
need KEY_LIST list-keys --org "$ORG_A"
# find the revoked key's id: the line whose prefix starts the plaintext key
REVOKE_ID=""
while IFS=$'\t' read -r kid kprefix _rest; do
    if [ -n "$kprefix" ] && [ "${KEY_REVOKED#"$kprefix"}" != "$KEY_REVOKED" ]; then
        REVOKE_ID=$kid
    fi
done <<<"$KEY_LIST"
[ -n "$REVOKE_ID" ] || setup_failed "list-keys shows no key with a prefix of the key to revoke"
admin revoke-key "$REVOKE_ID" >/dev/null || setup_failed "docapi-admin revoke-key $REVOKE_ID"

# ---- seed documents ----
cat >"$STACK_TMP/seed-articles.ndjson" <<'EOF'
{"document_id":"doc_seed1","document_schema_version":"v1","root_object_id":"obj_root1","root_bucket_id":"bkt_marketing","source_type":"bucket","source_object_id":"obj_root1","lineage_path":"bkt_marketing/col_articles","lineage":{"root_object_id":"obj_root1","root_bucket_id":"bkt_marketing","source_type":"bucket","source_object_id":"obj_root1","lineage_chain":[{"collection_id":"col_articles","feature_extractor_id":"text_extractor_v1","timestamp":"2025-10-18T10:30:00Z"}]},"source_blobs":[{"blob_id":"blob_1","blob_property":"video","blob_type":"video"}],"internal_metadata":{"ingestion_status":"completed","feature_extractor_config_hash":"abc123"},"metadata":{"title":"Seed one","tags":["a","b"],"draft":true},"taxonomy_products_label":"shoes","cluster_id":"cl_7","vector":[0.5,0.25,-1.0],"document_blobs":[{"field":"video","url":"s3://media-bucket/videos/one.mp4","role":"source","type":"video","size_bytes":1024,"content_type":"video/mp4"},{"field":"thumb","url":"https://cdn.example.com/one.jpg","role":"thumbnail","type":"image"}],"created_at":"2025-10-18T10:30:00Z","updated_at":"2025-10-18T10:30:00Z"}
{"document_id":"doc_seed2","document_schema_version":"v2","root_object_id":"obj_root2","root_bucket_id":"bkt_marketing","source_type":"collection","source_collection_id":"col_frames","source_document_id":"doc_frame9","lineage_path":"bkt_marketing/col_frames/col_articles","lineage_chain":[{"collection_id":"col_frames","feature_extractor_id":"frames_v1","document_id":"doc_frame9","timestamp":"2025-10-18T10:31:00Z"}],"source_blobs":[],"internal_metadata":{"ingestion_status":"completed"},"metadata":{"title":"Seed two"},"document_blobs":[],"created_at":"2025-10-18T10:31:00Z","updated_at":"2025-10-18T10:31:00Z"}
EOF
cat >"$STACK_TMP/seed-staging.ndjson" <<'EOF'
{"document_id":"doc_stage1","document_schema_version":"v1","root_object_id":"obj_s1","root_bucket_id":"bkt_stage","source_type":"bucket","source_object_id":"obj_s1","lineage_path":"bkt_stage/col_articles","lineage":{"root_object_id":"obj_s1","root_bucket_id":"bkt_stage","source_type":"bucket","source_object_id":"obj_s1","lineage_chain":[]},"source_blobs":[],"internal_metadata":{},"metadata":{"title":"Staging one"},"document_blobs":[],"created_at":"2025-10-18T10:30:00Z","updated_at":"2025-10-18T10:30:00Z"}
EOF
cat >"$STACK_TMP/seed-b.ndjson" <<'EOF'
{"document_id":"doc_bee1","document_schema_version":"v1","root_object_id":"obj_b1","root_bucket_id":"bkt_b","source_type":"bucket","source_object_id":"obj_b1","lineage_path":"bkt_b/col_things","lineage":{"root_object_id":"obj_b1","root_bucket_id":"bkt_b","source_type":"bucket","source_object_id":"obj_b1","lineage_chain":[]},"source_blobs":[],"internal_metadata":{},"metadata":{"title":"Globex one"},"document_blobs":[],"created_at":"2025-10-18T10:30:00Z","updated_at":"2025-10-18T10:30:00Z"}
EOF
need N1 import --collection "$COL_ARTICLES" "$STACK_TMP/seed-articles.ndjson"
need N2 import --collection "$COL_STAGING" "$STACK_TMP/seed-staging.ndjson"
need N3 import --collection "$COL_B" "$STACK_TMP/seed-b.ndjson"
if [ "$N1" != 2 ] || [ "$N2" != 1 ] || [ "$N3" != 1 ]; then
    setup_failed "import printed counts '$N1' '$N2' '$N3', expected 2 1 1"
fi

# ---- web servers: the app at / and under /api ----
lighttpd_start main || { on_fail_logs; setup_failed "lighttpd (mount /) did not start"; }
lighttpd_start api "" /api || { on_fail_logs; setup_failed "lighttpd (mount /api) did not start"; }

"$PYTHON" - "$STACK_TMP/seed.json" <<EOF
import json, sys
json.dump({
    "org_a": "$ORG_A", "org_b": "$ORG_B",
    "ns_prod": "$NS_PROD", "ns_staging": "$NS_STAGING", "ns_b": "$NS_B",
    "col_articles": "$COL_ARTICLES", "col_frames": "$COL_FRAMES",
    "col_staging": "$COL_STAGING", "col_b": "$COL_B",
    "key_read": "$KEY_READ", "key_write": "$KEY_WRITE", "key_admin": "$KEY_ADMIN",
    "key_staging": "$KEY_STAGING", "key_test": "$KEY_TEST",
    "key_expired": "$KEY_EXPIRED", "key_revoked": "$KEY_REVOKED", "key_b": "$KEY_B",
    "revoked_key_id": "$REVOKE_ID",
}, open(sys.argv[1], "w"), indent=1)
EOF

DOCAPI_TEST_BASE=$(lighttpd_url main)
DOCAPI_TEST_API_BASE=$(lighttpd_url api)
DOCAPI_TEST_SEED=$STACK_TMP/seed.json
DOCAPI_TEST_STACK_SH=$SRC_DIR/scripts/stack.sh
PG_BIN=$(stack_pg_bin)
PGPORT=$(stack_state_get pg_port)
PGHOST=$(pg_socket_dir)
export DOCAPI_TEST_BASE DOCAPI_TEST_API_BASE DOCAPI_TEST_SEED DOCAPI_TEST_STACK_SH PG_BIN PGPORT PGHOST

# The suite runs in the background so that a TERM/INT to this script runs
# the trap (which stops everything) at once.
set +e
"$PYTHON" "$SRC_DIR/tests/integration/test_api.py" "$@" &
TEST_PID=$!
stack_track_pid "$TEST_PID"
wait "$TEST_PID"
rc=$?
stack_untrack_pid "$TEST_PID"
set -e
if [ "$rc" != 0 ]; then
    rc=1
    # test_api.py prints the logs and the closing line itself, unless it died
    if [ ! -f "$STACK_TMP/summary" ]; then
        on_fail_logs
        echo "0 passed, 1 failed"
    fi
fi
# the closing line stays last: stop the stack without progress messages
STACK_QUIET=1
exit "$rc"
