#!/usr/bin/env bash
# presign_bench.sh - how fast docapi presigns (return_url=true).
#
#   tests/bench/presign_bench.sh [--stack] [--baseline DIR] [--callgrind] [SECONDS]
#
# 1. In process (always): compiles tests/bench/presign_bench.c with gcc -O2
#    against cgi/s3presign.c (and cgi/doc*.c, jsonpatch.c, util.c, http.c,
#    log.c for the render figure), `pkg-config --cflags --libs libcrypto`
#    (+ json-c, libpq headers), and runs it on one core (taskset, CPU
#    $BENCH_CPU, default 0): presigned URLs per second with a cached signing
#    key and a 40-byte key (target >= 500,000/s), and the CPU time of
#    doc_render() + serialisation for a document with 100 s3:// blobs with
#    and without return_url=true. SECONDS (default 1) per measurement, best
#    of 3.
#    --baseline DIR: also builds the same figures from another source tree
#    (e.g. `mkdir DIR && git archive COMMIT | tar -x -C DIR`) and runs the
#    two one after the other, baseline first, so a before/after comes from
#    one run on the same (possibly busy) machine.
#    --callgrind: instead of timing, counts instructions per presign_url()
#    with valgrind --tool=callgrind: (Ir of 11000 URLs - Ir of 1000) / 10000,
#    for this tree and the baseline. Note: valgrind hides SHA-NI, so OpenSSL
#    runs its SSSE3/AVX SHA-256 (~2k instructions per 64-byte block instead
#    of ~300 with SHA-NI): the count overstates the native one by that much
#    per block.
# 2. --stack: also through the real stack (scripts/stack.sh): a private
#    PostgreSQL, one lighttpd with ONE docapi.fcgi worker, static credentials
#    in docapi.conf, the same 100-blob document imported; curl -w
#    '%{time_total}' over $BENCH_REQUESTS (200) GETs on one keep-alive
#    connection, with and without return_url=true (after 20 warm-up GETs
#    each); prints mean and median. Needs a build (scripts/build.sh) or
#    DOCAPI_FCGI/DOCAPI_ADMIN; everything started is stopped by PID.
#
# Environment: CC (gcc), BENCH_CPU (0), BENCH_REQUESTS (200), BUILD_DIR,
# DOCAPI_FCGI, DOCAPI_ADMIN.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK=0
SECONDS_PER=1
BASELINE=
CALLGRIND=0
while [ $# -gt 0 ]; do
    case $1 in
    --stack) STACK=1 ;;
    --baseline) BASELINE=$(cd "$2" && pwd); shift ;;
    --callgrind) CALLGRIND=1 ;;
    -h | --help) sed -n '2,34p' "$0"; exit 0 ;;
    *) SECONDS_PER=$1 ;;
    esac
    shift
done
CC=${CC:-gcc}
BENCH_CPU=${BENCH_CPU:-0}
BENCH_REQUESTS=${BENCH_REQUESTS:-200}

OUT=$(mktemp -d "${TMPDIR:-/tmp}/presign-bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

build() { # TREE OUTPUT: the bench of source tree TREE
    local extra=()  # jsontext.c: trees from 1256a46 on
    [ -f "$1/cgi/jsontext.c" ] && extra=("$1/cgi/jsontext.c")
    [ -f "$1/cgi/hmac.c" ] && extra+=("$1/cgi/hmac.c")  # split from s3presign.c
    # the document code: one docview.c before the split, doc*.c after it
    if [ -f "$1/cgi/docview.c" ]; then
        extra+=("$1/cgi/docview.c")
    else
        extra+=("$1/cgi/doc.c" "$1/cgi/doc_json.c" "$1/cgi/problems.c")
    fi
    # shellcheck disable=SC2046 # pkg-config output is meant to be split
    "$CC" -O2 -Wall -Wextra -I"$1/cgi" -o "$2" \
        "$1/tests/bench/presign_bench.c" "$1/cgi/s3presign.c" "${extra[@]}" \
        "$1/cgi/jsonpatch.c" "$1/cgi/util.c" \
        "$1/cgi/http.c" "$1/cgi/log.c" \
        $(pkg-config --cflags json-c libpq) $(pkg-config --cflags --libs libcrypto) \
        $(pkg-config --libs json-c)
}
build "$SRC_DIR" "$OUT/presign_bench"
RUNS=("$SRC_DIR=$OUT/presign_bench")
if [ -n "$BASELINE" ]; then
    build "$BASELINE" "$OUT/presign_bench_baseline"
    RUNS=("$BASELINE (baseline)=$OUT/presign_bench_baseline" "${RUNS[@]}")
fi

ir() { # BIN N: instructions of N URLs under callgrind
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" --profile-urls "$2" 2>&1 |
        sed -n 's/.*refs: *//p' | tr -d ,
}

PIN=()
command -v taskset >/dev/null && PIN=(taskset -c "$BENCH_CPU")
for run in "${RUNS[@]}"; do
    if [ "$CALLGRIND" = 1 ]; then
        a=$(ir "${run#*=}" 1000) b=$(ir "${run#*=}" 11000)
        echo "== ${run%%=*}: callgrind $(( (b - a) / 10000 )) instructions per presign_url()"
        continue
    fi
    echo "== ${run%%=*}: in process, one core (${PIN[*]:-not pinned}), $(openssl version 2>/dev/null || echo OpenSSL)"
    "${PIN[@]}" "${run#*=}" "$SECONDS_PER"
done

[ "$STACK" = 1 ] || exit 0

# ------------------------------------------------------ through the stack
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR
DOCAPI_FCGI=${DOCAPI_FCGI:-$BUILD_DIR/cgi/docapi.fcgi}
DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
export DOCAPI_FCGI DOCAPI_ADMIN
unset DOCAPI_DATABASE_URL DOCAPI_MOUNT_PREFIX DOCAPI_CONF DOCAPI_CONF_EXTRA DOCAPI_CONF_FILE \
    DOCAPI_PROCS STACK_COPY_ENV HTTP_PORT
for v in $(env | grep -E '^(AWS_|DOCAPI_S3|DOCAPI_PRESIGN)' | cut -d= -f1); do unset "$v"; done
for b in "$DOCAPI_FCGI" "$DOCAPI_ADMIN"; do
    [ -x "$b" ] || { echo "$b not found (build first: scripts/build.sh)" >&2; exit 1; }
done

# shellcheck source=scripts/stack.sh
. "$SRC_DIR/scripts/stack.sh"
export STACK_QUIET=1
stack_init ""          # its EXIT trap stops everything; remove our folder too
# shellcheck disable=SC2154 # rc is set inside the trap
trap 'rc=$?; rm -rf "$OUT"; (exit $rc); stack__on_exit' EXIT
pg_start
export DOCAPI_CONF=$STACK_TMP/docapi.conf
DOCAPI_LOG_LEVEL=warn docapi_write_conf "$DOCAPI_CONF" ""
adm() { "$DOCAPI_ADMIN" "$@" 2>>"$STACK_TMP/admin.log"; }
adm migrate >/dev/null
ORG=$(adm create-org bench-org)
NS=$(adm create-namespace --org "$ORG" media)
COL=$(adm create-collection --namespace "$NS" assets)
KEY=$(adm create-key --org "$ORG" --role read)
python3 - "$OUT/docs.ndjson" <<'EOF'
import json, sys
blobs = [{"field": "blob_%d" % i, "role": "source" if i == 0 else "processed", "type": "video",
          "url": "s3://docapi-media/media/2025/10/18/asset-%04d/rendition-%02d.mp4" % (i, i % 7),
          "object_key": "media/2025/10/18/asset-%04d/rendition-%02d.mp4" % (i, i % 7),
          "content_type": "video/mp4", "size_bytes": 1048576 + i} for i in range(100)]
doc = {"document_id": "doc_bench", "document_schema_version": "v1", "root_object_id": "obj_1",
       "root_bucket_id": "bkt_media", "source_type": "bucket", "source_object_id": "obj_1",
       "lineage_path": "bkt_media/col_assets",
       "lineage": {"root_object_id": "obj_1", "root_bucket_id": "bkt_media", "source_type": "bucket",
                   "source_object_id": "obj_1", "lineage_chain": []},
       "source_blobs": [], "internal_metadata": {}, "metadata": {"title": "bench"},
       "document_blobs": blobs,
       "created_at": "2025-10-18T10:30:00Z", "updated_at": "2025-10-18T10:30:00Z"}
open(sys.argv[1], "w").write(json.dumps(doc) + "\n")
EOF
adm import --collection "$COL" "$OUT/docs.ndjson" >/dev/null
DOCAPI_PROCS=1 DOCAPI_LOG_LEVEL=warn DOCAPI_CONF_EXTRA="s3_credentials = config
s3_access_key_id = AKIAIOSFODNN7EXAMPLE
s3_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
s3_endpoint = http://127.0.0.1:9000
s3_addressing = path" lighttpd_start bench
BASE=$(lighttpd_url bench)
URL="$BASE/v1/collections/$COL/documents/doc_bench"

timed() { # QUERY N: one curl, N GETs on one connection, time_total per line
    local q=$1 n=$2 args=() i
    for ((i = 0; i < n; i++)); do args+=(-o /dev/null "$URL$q"); done
    curl -s -H "Authorization: Bearer $KEY" -H "X-Namespace: $NS" \
        -w '%{http_code} %{time_total} %{size_download}\n' "${args[@]}"
}
summary() { # LABEL < lines
    python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin if l.strip()]
codes = sorted(set(r[0] for r in rows))
t = [float(r[1]) * 1e6 for r in rows]
print("%-34s %d GETs, HTTP %s, mean %.0f us, median %.0f us, %s-byte body"
      % (sys.argv[1], len(t), ",".join(codes), statistics.mean(t), statistics.median(t), rows[0][2]))
' "$1"
}
echo "== through lighttpd + docapi.fcgi (1 worker) + PostgreSQL, curl time_total, 100 s3 blobs"
timed "" 20 >/dev/null
timed "?return_url=true" 20 >/dev/null
timed "" "$BENCH_REQUESTS" | summary "GET without return_url"
timed "?return_url=true" "$BENCH_REQUESTS" | summary "GET return_url=true"
timed "" "$BENCH_REQUESTS" | summary "GET without return_url (again)"
timed "?return_url=true" "$BENCH_REQUESTS" | summary "GET return_url=true (again)"
