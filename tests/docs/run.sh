#!/usr/bin/env bash
# /docs suite: the OpenAPI document checked (OpenAPI 3.1 validator, the
# route table both ways), the live server's answers checked against it,
# then the page in a real browser: a private PostgreSQL and lighttpd running
# docapi (scripts/stack.sh), /docs served by lighttpd from the static files
# that "make docs-ui && make install" installs, headless Debian chromium
# driven by playwright-core (tests/docs/browser.mjs).
#
#   tests/docs/run.sh
#
# Environment:
#   BUILD_DIR       build tree (cgi/docapi.fcgi, docs/ui/dist; default: the
#                   source tree)
#   CHROMIUM        the browser (default /usr/bin/chromium)
#   NPM, NODE       (default npm, node)
#   DOCS_SCREENSHOT where the screenshot is kept (default
#                   /tmp/docapi-docs-screenshot.png)
#   STACK_KEEP_TMP  1 = keep the temp folder (logs, database) afterwards
#
# Installs tests/docs/node_modules with "npm ci" (pinned in
# tests/docs/package-lock.json) when missing. Prints "ok - ..." lines and,
# last, exactly one line "N passed, M failed"; exit status 0 only when
# every check passed. Everything started is stopped by PID, also on failure.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR
DOCAPI_FCGI=${DOCAPI_FCGI:-$BUILD_DIR/cgi/docapi.fcgi}
DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
DOCAPI_SQL_DIR=${DOCAPI_SQL_DIR:-$SRC_DIR/sql}
DOCAPI_PROCS=${DOCAPI_PROCS:-2}
export DOCAPI_FCGI DOCAPI_ADMIN DOCAPI_SQL_DIR DOCAPI_PROCS
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NPM=${NPM:-npm}
NODE=${NODE:-node}
SHOT=${DOCS_SCREENSHOT:-/tmp/docapi-docs-screenshot.png}
# The caller's overrides must not leak into the app or the admin CLI.
# No presigning: a return_url=true request must get its 503 without asking
# EC2 or ECS metadata endpoints for credentials (nothing leaves loopback).
export DOCAPI_CONF_EXTRA="s3_credentials = none"
unset DOCAPI_DATABASE_URL DOCAPI_MOUNT_PREFIX DOCAPI_BODY_LIMIT DOCAPI_LOG_LEVEL DOCAPI_CONF
started=$(date +%s)

SUITE_NAME=docs
# shellcheck source=scripts/stack.sh
. "$SRC_DIR/scripts/stack.sh"
# shellcheck source=tests/integration/suite_lib.sh
. "$SRC_DIR/tests/integration/suite_lib.sh"
suite_check_tools
command -v "$NODE" >/dev/null || setup_failed "node is not installed (scripts/install-deps.sh)"
[ -x "$CHROMIUM" ] || setup_failed "$CHROMIUM not found (scripts/install-deps.sh installs Debian's chromium)"

# ---- the suite's own npm packages, pinned in tests/docs/package-lock.json
if [ ! -d "$SRC_DIR/tests/docs/node_modules/playwright-core" ] ||
    [ ! -d "$SRC_DIR/tests/docs/node_modules/@seriousme/openapi-schema-validator" ] ||
    [ ! -d "$SRC_DIR/tests/docs/node_modules/ajv" ]; then
    command -v "$NPM" >/dev/null || setup_failed "npm is not installed (scripts/install-deps.sh)"
    echo "installing tests/docs/node_modules (npm ci)" >&2
    "$NPM" ci --prefix "$SRC_DIR/tests/docs" --ignore-scripts --no-audit --no-fund --loglevel=error >&2 ||
        setup_failed "npm ci --prefix tests/docs"
fi

# ---- the static files (docs/ui/package-lock.json), built if not yet
make -s -C "$BUILD_DIR" docs-ui >&2 || setup_failed "make docs-ui"

stack_init ""
on_fail_logs() { suite_fail_logs; }
results=$STACK_TMP/results.txt
: >"$results"
# run_check WHAT CMD...: CMD prints "ok" / "not ok" lines; a CMD that
# fails without saying why counts as one failure. Tracked by PID, so the
# stack's trap stops it (and playwright its chromium) on an interruption.
run_check() {
    local what=$1 rc=0 pid
    shift
    "$@" >"$STACK_TMP/check.out" 2>"$STACK_TMP/check.err" &
    pid=$!
    stack_track_pid "$pid"
    wait "$pid" || rc=$?
    stack_untrack_pid "$pid"
    tee -a "$results" <"$STACK_TMP/check.out"
    [ -z "${DUMP:-}" ] || cat "$STACK_TMP/check.err" >&2
    if [ "$rc" != 0 ] && ! grep -q '^not ok' "$STACK_TMP/check.out"; then
        echo "not ok - $what exited with status $rc" | tee -a "$results"
        tail -n 20 "$STACK_TMP/check.err" >&2
    fi
}

run_check "check_openapi.mjs" "$NODE" "$SRC_DIR/tests/docs/check_openapi.mjs" "$SRC_DIR"

# ---- "make install" into a staging folder: /docs is served from there
make -s -C "$BUILD_DIR" install DESTDIR="$STACK_TMP/inst" >"$STACK_TMP/install.log" 2>&1 || {
    tail -n 20 "$STACK_TMP/install.log" >&2
    setup_failed "make install DESTDIR=..."
}
DOCS_DIR=$(find "$STACK_TMP/inst" -type d -path '*/share/docapi/docs' | head -n 1)
if [ -z "$DOCS_DIR" ] || [ ! -f "$DOCS_DIR/index.html" ] || [ ! -f "$DOCS_DIR/swagger-ui-bundle.js" ]; then
    setup_failed "make install put no /docs files in \$(pkgdatadir)/docs"
fi
echo "ok - make install put /docs in ${DOCS_DIR#"$STACK_TMP/inst"} ($(du -sh "$DOCS_DIR" | cut -f1))" |
    tee -a "$results"

# ---- database and seed: an organization, namespace production, collection
# articles, three documents (check_live.mjs deletes two), a write key
suite_database
need ORG create-org docs-org
need NS create-namespace --org "$ORG" production
need COL create-collection --namespace "$NS" articles
need KEY create-key --org "$ORG" --role write
need KEY_READ create-key --org "$ORG" --role read
export DOCS_READ_KEY=$KEY_READ
cat >"$STACK_TMP/seed.ndjson" <<'JSON'
{"document_id":"doc_docs1","document_schema_version":"v1","root_object_id":"obj_root1","root_bucket_id":"bkt_marketing","source_type":"bucket","source_object_id":"obj_root1","lineage_path":"bkt_marketing/col_articles","lineage":{"root_object_id":"obj_root1","root_bucket_id":"bkt_marketing","source_type":"bucket","source_object_id":"obj_root1","lineage_chain":[{"collection_id":"col_articles","feature_extractor_id":"text_extractor_v1","timestamp":"2025-10-18T10:30:00Z"}]},"source_blobs":[{"blob_id":"blob_1","blob_property":"video","blob_type":"video"}],"internal_metadata":{"ingestion_status":"completed"},"metadata":{"title":"Seed one","tags":["a","b"],"draft":true},"document_blobs":[{"field":"video","url":"s3://media-bucket/videos/one.mp4","role":"source","type":"video","content_type":"video/mp4"}],"created_at":"2025-10-18T10:30:00Z","updated_at":"2025-10-18T10:30:00Z"}
{"document_id":"doc_docs2","document_schema_version":"v2","root_object_id":"obj_root2","root_bucket_id":"bkt_marketing","source_type":"collection","source_collection_id":"col_frames","source_document_id":"doc_frame9","lineage_path":"bkt_marketing/col_frames/col_articles","lineage_chain":[{"collection_id":"col_frames","feature_extractor_id":"frames_v1","document_id":"doc_frame9","timestamp":"2025-10-18T10:31:00Z"}],"source_blobs":[],"internal_metadata":{},"metadata":{"title":"Seed two"},"document_blobs":[],"created_at":"2025-10-18T10:31:00Z","updated_at":"2025-10-18T10:31:00Z"}
{"document_id":"doc_docs3","document_schema_version":"v2","root_object_id":"obj_root3","root_bucket_id":"bkt_marketing","source_type":"bucket","source_object_id":"obj_root3","lineage_path":"bkt_marketing/col_articles","lineage_chain":[],"source_blobs":[],"internal_metadata":{},"metadata":{"title":"Seed three"},"document_blobs":[],"created_at":"2025-10-18T10:32:00Z","updated_at":"2025-10-18T10:32:00Z"}
JSON
need N import --collection "$COL" "$STACK_TMP/seed.ndjson"
[ "$N" = 3 ] || setup_failed "import printed '$N', expected 3"

# ---- lighttpd: the app at /, /docs from the installed files as
# conf/lighttpd/docapi.conf serves them
STACK_LIGHTTPD_EXTRA=$(lighttpd_docs_conf "$DOCS_DIR")
export STACK_LIGHTTPD_EXTRA
lighttpd_start main || { on_fail_logs; setup_failed "lighttpd did not start"; }
BASE=$(lighttpd_url main)

run_check "check_live.mjs" "$NODE" "$SRC_DIR/tests/docs/check_live.mjs" \
    "$SRC_DIR" "$BASE" "$KEY" production articles doc_docs2 doc_docs3

rm -f "$SHOT"
run_check "browser.mjs" env CHROMIUM="$CHROMIUM" "$NODE" "$SRC_DIR/tests/docs/browser.mjs" \
    "$BASE" "$KEY" production articles doc_docs1 "$SHOT"

# the PATCH made in the browser was stored: read it back without a browser
stored=$(curl -s "$BASE/v1/collections/articles/documents/doc_docs1" \
    -H "Authorization: Bearer $KEY" -H "X-Namespace: production" || true)
if [[ $stored == *'"Set from /docs '* ]]; then
    echo "ok - the PATCH made in the browser is stored (GET with curl)"
else
    echo "not ok - the PATCH made in the browser is not stored: ${stored:0:300}"
fi | tee -a "$results"

if [ -s "$SHOT" ]; then
    echo "screenshot: $SHOT"
else
    echo "not ok - no screenshot at $SHOT" | tee -a "$results"
fi
if grep -q '^not ok' "$results"; then on_fail_logs; fi
echo "docs suite: $(($(date +%s) - started)) s"
echo "$(grep -c '^ok' "$results") passed, $(grep -c '^not ok' "$results") failed"
! grep -q '^not ok' "$results"
