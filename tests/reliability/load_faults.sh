#!/usr/bin/env bash
# Load with faults: 64 keep-alive connections of mixed GET/PATCH through
# lighttpd (DOCAPI_PROCS=4 workers) for LOAD_SECONDS (default 60), while
# PostgreSQL is stopped for 5 s and started again, and later one worker is
# killed with SIGKILL.
#
#   tests/reliability/load_faults.sh
#
# Starts a private PostgreSQL and one lighttpd on 127.0.0.1
# (scripts/stack.sh), seeds LOAD_DOCS documents (doc_lf1..doc_lfN) through
# docapi-admin, then runs tests/reliability/load_faults.py, which drives
# the load, injects the faults (scripts/stack.sh STACK_TMP pg_stop /
# pg_start, kill -KILL of one worker PID) and checks:
#   * only 503 ServiceUnavailableError with Retry-After while PostgreSQL is
#     down; no 500, no other status, no corrupt response at any time;
#   * the first 200 within RECOVERY_MAX (1 s) of pg_start returning, overall
#     and per worker (from the app log), and the same worker PIDs after the
#     outage;
#   * lighttpd respawns the killed worker; connection-level failures and
#     lighttpd's own 5xx only for requests around the kill (counted);
#   * every acknowledged (2xx) PATCH's metadata key is in the database, no
#     key of a PATCH that got a definite error response is.
# Everything stops by itself: the run is bounded, and every server is
# stopped by PID on exit (also on failure or Ctrl-C).
#
# Environment: LOAD_SECONDS, LOAD_CONNS, LOAD_DOCS, OUTAGE_AT,
# OUTAGE_SECONDS, KILL_AT, RECOVERY_MAX (see load_faults.py), DOCAPI_PROCS
# (default 4), BUILD_DIR, DOCAPI_FCGI, DOCAPI_ADMIN, STACK_KEEP_TMP, PYTHON.
# Prints the figures and, last, "N passed, M failed".
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR
DOCAPI_FCGI=${DOCAPI_FCGI:-$BUILD_DIR/cgi/docapi.fcgi}
DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
export DOCAPI_PROCS=${DOCAPI_PROCS:-4}
export LOAD_DOCS=${LOAD_DOCS:-50}
PYTHON=${PYTHON:-/usr/bin/python3}
unset DOCAPI_DATABASE_URL DOCAPI_MOUNT_PREFIX DOCAPI_BODY_LIMIT DOCAPI_LOG_LEVEL DOCAPI_CONF DOCAPI_CONF_EXTRA
fail() { echo "load_faults: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

for b in "$DOCAPI_FCGI" "$DOCAPI_ADMIN"; do
    [ -x "$b" ] || fail "$b not found (build first: scripts/build.sh, or set BUILD_DIR)"
done
command -v lighttpd >/dev/null || fail "lighttpd is not installed"

. "$SRC_DIR/scripts/stack.sh"
stack_init ""
# a snapshot of the binaries: a rebuild during the run cannot swap them
mkdir -p "$STACK_TMP/bin"
if ! cp "$DOCAPI_FCGI" "$STACK_TMP/bin/docapi.fcgi" || ! cp "$DOCAPI_ADMIN" "$STACK_TMP/bin/docapi-admin"; then
    fail "cannot copy the binaries"
fi
export DOCAPI_FCGI=$STACK_TMP/bin/docapi.fcgi DOCAPI_ADMIN=$STACK_TMP/bin/docapi-admin

pg_start || fail "PostgreSQL did not start"
export DOCAPI_CONF=$STACK_TMP/docapi.conf
DOCAPI_LOG_LEVEL=warn docapi_write_conf "$DOCAPI_CONF" ""
adm() { "$DOCAPI_ADMIN" "$@" 2>>"$STACK_TMP/admin.log"; }
adm migrate >/dev/null || fail "migrate"
ORG=$(adm create-org loadfaults) || fail "create-org"
NS=$(adm create-namespace --org "$ORG" production) || fail "create-namespace"
COL=$(adm create-collection --namespace "$NS" articles) || fail "create-collection"
KEY_W=$(adm create-key --org "$ORG" --role write) || fail "create-key"
for i in $(seq 1 "$LOAD_DOCS"); do
    printf '{"document_id":"doc_lf%d","document_schema_version":"v1","root_object_id":"obj_%d","root_bucket_id":"bkt","source_type":"bucket","source_object_id":"obj_%d","lineage_path":"bkt/col","lineage":{"root_object_id":"obj_%d","root_bucket_id":"bkt","source_type":"bucket","lineage_chain":[]},"source_blobs":[],"internal_metadata":{},"metadata":{"title":"t%d"},"vector":[0.1,0.2],"document_blobs":[{"field":"v","url":"s3://b/k%d.mp4","role":"source","type":"video"}]}\n' \
        "$i" "$i" "$i" "$i" "$i" "$i"
done >"$STACK_TMP/docs.ndjson"
[ "$(adm import --collection "$COL" "$STACK_TMP/docs.ndjson")" = "$LOAD_DOCS" ] || fail "import"
# log level info: each worker logs "database connected" with the request id
# of the request that reconnected it (the per-worker recovery figure)
DOCAPI_LOG_LEVEL=info lighttpd_start main || fail "lighttpd did not start"
[ "$(lighttpd_worker_pids main | wc -l)" -ge "$DOCAPI_PROCS" ] || fail "lighttpd has no $DOCAPI_PROCS workers"

# In the background, so that a TERM/INT to this script runs the trap at once.
set +e
"$PYTHON" "$SRC_DIR/tests/reliability/load_faults.py" "$(lighttpd_port main)" "$COL" "$KEY_W" \
    "$SRC_DIR/scripts/stack.sh" "$STACK_TMP" "$STACK_TMP/lighttpd-main/app.log" &
PY_PID=$!
stack_track_pid "$PY_PID"
wait "$PY_PID"
rc=$?
stack_untrack_pid "$PY_PID"
set -e
# the closing line stays last: stop the stack without progress messages
STACK_QUIET=1
exit "$rc"
