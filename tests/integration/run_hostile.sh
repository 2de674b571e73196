#!/usr/bin/env bash
# Hostile input battery: a private PostgreSQL and lighttpd (app at "/" and
# under "/api", as tests/integration/run.sh sets them up), seeded through
# docapi-admin, then test_hostile.py.
#
#   tests/integration/run_hostile.sh [-k SUBSTRING]... [-v] [-x] [-l]
#
# Environment: as run.sh (BUILD_DIR, DOCAPI_FCGI, DOCAPI_ADMIN,
# DOCAPI_SQL_DIR, DOCAPI_PROCS, STACK_KEEP_TMP, PYTHON).
#
# Prints one line per case and, last, exactly one line "N passed, M failed".
# Exit status 0 only when every case passed.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR
DOCAPI_FCGI=${DOCAPI_FCGI:-$BUILD_DIR/cgi/docapi.fcgi}
DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
DOCAPI_SQL_DIR=${DOCAPI_SQL_DIR:-$SRC_DIR/sql}
DOCAPI_PROCS=${DOCAPI_PROCS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
export DOCAPI_FCGI DOCAPI_ADMIN DOCAPI_SQL_DIR DOCAPI_PROCS
# The caller's overrides must not leak into the app or the admin CLI; the
# battery relies on the defaults (body limit 1 MiB, depth 64, no presigning).
unset DOCAPI_DATABASE_URL DOCAPI_MOUNT_PREFIX DOCAPI_BODY_LIMIT DOCAPI_LOG_LEVEL DOCAPI_CONF \
    DOCAPI_MAX_DEPTH DOCAPI_CONF_EXTRA AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

SUITE_NAME=hostile
# shellcheck source=scripts/stack.sh
. "$SRC_DIR/scripts/stack.sh"
# shellcheck source=tests/integration/suite_lib.sh
. "$SRC_DIR/tests/integration/suite_lib.sh"
suite_check_tools
stack_init ""
on_fail_logs() { suite_fail_logs; }
suite_database
need ORG_A create-org acme
need ORG_B create-org globex
need NS_PROD create-namespace --org "$ORG_A" production
need NS_STAGING create-namespace --org "$ORG_A" staging
need NS_B create-namespace --org "$ORG_B" beta
need COL_ARTICLES create-collection --namespace "$NS_PROD" articles
need COL_STAGING create-collection --namespace "$NS_STAGING" articles
need COL_B create-collection --namespace "$NS_B" things
need KEY_READ create-key --org "$ORG_A" --role read
need KEY_WRITE create-key --org "$ORG_A" --role write
need KEY_STAGING create-key --org "$ORG_A" --role write --namespaces "$NS_STAGING"
need KEY_B create-key --org "$ORG_B" --role admin

cat >"$STACK_TMP/seed.ndjson" <<'JSON'
{"document_id":"doc_seed1","document_schema_version":"v1","root_object_id":"obj_root1","root_bucket_id":"bkt_marketing","source_type":"bucket","source_object_id":"obj_root1","lineage_path":"bkt_marketing/col_articles","lineage":{"root_object_id":"obj_root1","root_bucket_id":"bkt_marketing","source_type":"bucket","source_object_id":"obj_root1","lineage_chain":[]},"source_blobs":[],"internal_metadata":{"ingestion_status":"completed"},"metadata":{"title":"Seed one","tags":["a","b"]},"cluster_id":"cl_7","vector":[0.5,0.25,-1.0],"document_blobs":[{"field":"video","url":"s3://media-bucket/videos/one.mp4","role":"source","type":"video"}],"created_at":"2025-10-18T10:30:00Z","updated_at":"2025-10-18T10:30:00Z"}
JSON
cat >"$STACK_TMP/seed-b.ndjson" <<'JSON'
{"document_id":"doc_bee1","document_schema_version":"v1","root_object_id":"obj_b1","root_bucket_id":"bkt_b","source_type":"bucket","source_object_id":"obj_b1","lineage_path":"bkt_b/col_things","lineage":{"root_object_id":"obj_b1","root_bucket_id":"bkt_b","source_type":"bucket","source_object_id":"obj_b1","lineage_chain":[]},"source_blobs":[],"internal_metadata":{},"metadata":{"title":"Globex one"},"document_blobs":[],"created_at":"2025-10-18T10:30:00Z","updated_at":"2025-10-18T10:30:00Z"}
JSON
need N1 import --collection "$COL_ARTICLES" "$STACK_TMP/seed.ndjson"
need N2 import --collection "$COL_B" "$STACK_TMP/seed-b.ndjson"

lighttpd_start main || { on_fail_logs; setup_failed "lighttpd (mount /) did not start"; }
lighttpd_start api "" /api || { on_fail_logs; setup_failed "lighttpd (mount /api) did not start"; }

"$PYTHON" - "$STACK_TMP/seed.json" <<EOF
import json, sys
json.dump({
    "org_a": "$ORG_A", "org_b": "$ORG_B",
    "ns_prod": "$NS_PROD", "ns_staging": "$NS_STAGING", "ns_b": "$NS_B",
    "col_articles": "$COL_ARTICLES", "col_staging": "$COL_STAGING", "col_b": "$COL_B",
    "key_read": "$KEY_READ", "key_write": "$KEY_WRITE", "key_staging": "$KEY_STAGING",
    "key_b": "$KEY_B",
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

# In the background, so that a TERM/INT to this script runs the trap at once.
set +e
"$PYTHON" "$SRC_DIR/tests/integration/test_hostile.py" "$@" &
TEST_PID=$!
stack_track_pid "$TEST_PID"
wait "$TEST_PID"
rc=$?
stack_untrack_pid "$TEST_PID"
set -e
if [ "$rc" != 0 ]; then
    on_fail_logs
    # the closing line must stay last: repeat it
    if [ -f "$STACK_TMP/summary" ]; then cat "$STACK_TMP/summary"; else echo "0 passed, 1 failed"; fi
    rc=1
fi
STACK_QUIET=1
exit "$rc"
