# shellcheck shell=bash
# lib.sh - shared by tests/bench/run.sh and tests/bench/profile.sh.
#
# bench_setup builds docapi and the trivial responder, starts the stack of
# scripts/stack.sh (private PostgreSQL, lighttpd "main" spawning docapi.fcgi
# and lighttpd "trivial" spawning tests/bench/trivial, both with
# $BENCH_PROCS workers, same configuration), loads the documents and leaves
# the variables run.sh needs (KEY, KEYHASH, URL_MAIN, URL_TRIVIAL, ...).
# Everything it starts is stopped by PID by the stack's EXIT trap.
# shellcheck disable=SC2034  # variables set here are read by run.sh

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${BUILD_DIR:-$(cd "$BENCH_DIR/../.." && pwd)}
export BUILD_DIR

BENCH_DOCS=${BENCH_DOCS:-100000}      # documents with 5 blobs (collection bench)
BENCH_DOCS10=${BENCH_DOCS10:-1000}    # documents with 10 s3 blobs (collection bench10)
BENCH_PROCS=${BENCH_PROCS:-4}         # FastCGI workers (docapi and trivial)
BENCH_HOT=${BENCH_HOT:-42}            # index of the hot document
BENCH_DATA_DIR=${BENCH_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/docapi-bench}
BENCH_PG_SHARED_BUFFERS=${BENCH_PG_SHARED_BUFFERS:-512MB}
CLK_TCK=$(getconf CLK_TCK)

blog() { printf 'bench: %s\n' "$*" >&2; }
bdie() { printf 'bench: ERROR: %s\n' "$*" >&2; exit 1; }

adm() { DOCAPI_CONF=$STACK_TMP/docapi.conf "$BUILD_DIR/cgi/docapi-admin" "$@"; }

# bench_data FILE COUNT BLOBS: generates (once, cached) the NDJSON file.
bench_data() {
    local f=$1 n=$2 blobs=$3
    if [ ! -s "$f" ] || [ "$BENCH_DIR/gen_docs.py" -nt "$f" ]; then
        blog "generating $n documents with $blobs blobs -> $f"
        python3 "$BENCH_DIR/gen_docs.py" "$n" "$blobs" >"$f.tmp" && mv "$f.tmp" "$f"
    fi
}

bench_setup() {
    local t0 t1
    for c in wrk lighttpd gcc python3 curl; do
        command -v "$c" >/dev/null || bdie "$c is not installed (apt-get install -y wrk lighttpd gcc python3 curl)"
    done
    if [ "${BENCH_BUILD:-1}" = 1 ]; then
        blog "building docapi in $BUILD_DIR"
        "$BUILD_DIR/scripts/build.sh" || bdie "build failed"
    fi
    [ -x "$BUILD_DIR/cgi/docapi.fcgi" ] || bdie "no $BUILD_DIR/cgi/docapi.fcgi"
    # shellcheck source=../../scripts/stack.sh
    . "$BUILD_DIR/scripts/stack.sh"
    PGBENCH=$(stack_pg_bin)/pgbench
    [ -x "$PGBENCH" ] || bdie "no pgbench in $(stack_pg_bin) (apt-get install -y postgresql-contrib)"
    STACK_QUIET=${STACK_QUIET:-1}
    stack_init ""
    gcc -O2 -Wall -o "$STACK_TMP/trivial" "$BENCH_DIR/trivial.c" -lfcgi || bdie "cannot build trivial.c"

    pg_start || bdie "PostgreSQL did not start"
    # The working set (~400 MB) in shared buffers; statistics only while
    # run.sh checks which statements docapi issues (track = none after).
    pg_psql -c "ALTER SYSTEM SET shared_buffers = '$BENCH_PG_SHARED_BUFFERS'" \
        -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" \
        -c "ALTER SYSTEM SET max_wal_size = '4GB'" || bdie "ALTER SYSTEM failed"
    pg_restart || bdie "PostgreSQL did not restart"
    pg_psql -c "CREATE EXTENSION pg_stat_statements" \
        -c "ALTER SYSTEM SET pg_stat_statements.track = 'none'" \
        -c "SELECT pg_reload_conf()" >/dev/null || bdie "no pg_stat_statements"

    export DOCAPI_CONF_EXTRA=${DOCAPI_CONF_EXTRA:-"s3_access_key_id = AKIDEXAMPLE
s3_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
s3_region = us-east-1"}
    docapi_write_conf "$STACK_TMP/docapi.conf"
    adm migrate >/dev/null || bdie "migrate failed"
    ORG=$(adm create-org bench) || bdie "create-org"
    NS=$(adm create-namespace --org "$ORG" bench) || bdie "create-namespace"
    COL=$(adm create-collection --namespace "$NS" bench) || bdie "create-collection"
    COL10=$(adm create-collection --namespace "$NS" bench10) || bdie "create-collection"
    KEY=$(adm create-key --org "$ORG" --role write) || bdie "create-key"
    KEYHASH='\x'$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)

    mkdir -p "$BENCH_DATA_DIR"
    DATA=$BENCH_DATA_DIR/docs-$BENCH_DOCS-5.ndjson
    DATA10=$BENCH_DATA_DIR/docs-$BENCH_DOCS10-10.ndjson
    bench_data "$DATA" "$BENCH_DOCS" 5
    bench_data "$DATA10" "$BENCH_DOCS10" 10
    blog "importing $BENCH_DOCS documents with docapi-admin import"
    t0=$(date +%s.%N)
    adm import --collection "$COL" "$DATA" >/dev/null || bdie "import failed"
    t1=$(date +%s.%N)
    IMPORT_SECONDS=$(echo "$t1 - $t0" | bc -l 2>/dev/null || awk "BEGIN{print $t1-$t0}")
    adm import --collection "$COL10" "$DATA10" >/dev/null || bdie "import failed"
    pg_psql -c "VACUUM ANALYZE" -c "CHECKPOINT" || bdie "vacuum failed"
    DB_SIZE=$(pg_psql -At -c "SELECT pg_size_pretty(pg_total_relation_size('documents'))")
    AVG_ROW=$(pg_psql -At -c "SELECT round(avg(pg_column_size(d.*))) FROM documents d")
    # Warm the buffer cache with the whole table.
    pg_psql -At -c "SELECT count(*) FROM documents WHERE length(metadata::text) > 0" >/dev/null

    DOCAPI_PROCS=$BENCH_PROCS lighttpd_start main || bdie "lighttpd main"
    DOCAPI_PROCS=$BENCH_PROCS DOCAPI_FCGI=$STACK_TMP/trivial lighttpd_start trivial || bdie "lighttpd trivial"
    URL_MAIN=$(lighttpd_url main)
    URL_TRIVIAL=$(lighttpd_url trivial)
}

# bench_curl METHOD PATH [BODY]: prints the HTTP status of one request.
bench_curl() {
    local m=$1 p=$2 body=${3:-}
    local args=(-s -o "$STACK_TMP/curl.out" -w '%{http_code}' -X "$m"
        -H "Authorization: Bearer $KEY" -H "X-Namespace: bench")
    [ -z "$body" ] || args+=(-H 'Content-Type: application/merge-patch+json' --data-binary "$body")
    curl "${args[@]}" "$URL_MAIN$p"
}

# ---------------------------------------------------------------- /proc

# proc_cpu PID: utime+stime in ticks; proc_cpu_reaped PID: + cutime+cstime.
proc_cpu() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    s=${s##*) }
    # shellcheck disable=SC2086
    set -- $s
    echo $(( ${12} + ${13} ))
}
proc_cpu_reaped() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    s=${s##*) }
    # shellcheck disable=SC2086
    set -- $s
    echo $(( ${12} + ${13} + ${14} + ${15} ))
}

# tree_cpu PID...: utime+stime ticks of each PID and all its descendants,
# + what the roots reaped (a worker that died and was respawned counts).
tree_cpu() {
    local t=0 p
    for p in "$@"; do
        [ -n "$p" ] || continue
        t=$(( t + $(proc_cpu_reaped "$p") ))
        # shellcheck disable=SC2046
        [ -z "$(pgrep -P "$p")" ] || t=$(( t + $(tree_cpu $(pgrep -P "$p")) ))
    done
    echo "$t"
}

# postmaster_cpu PID: a PostgreSQL cluster's ticks: the postmaster with its
# reaped children (backends that ended during a run) + its live children.
postmaster_cpu() {
    local pp=$1 p c
    [ -n "$pp" ] || { echo 0; return; }
    p=$(proc_cpu_reaped "$pp")
    for c in $(pgrep -P "$pp"); do p=$(( p + $(proc_cpu "$c") )); done
    echo "$p"
}

# ratio A B: A/B with two decimals, "-" when B is 0.
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

# cpu_snapshot NAME: prints "lighttpd workers postgres machine_busy" ticks
# for lighttpd NAME (main or trivial). PostgreSQL = the postmaster with its
# reaped children (pgbench's backends end during a run) + live children.
cpu_snapshot() {
    local name=$1 lp w m
    lp=$(lighttpd_pid "$name")
    local l=0 ws=0 p=0
    l=$(proc_cpu "$lp")
    for w in $(pgrep -P "$lp"); do ws=$(( ws + $(proc_cpu "$w") )); done
    p=$(postmaster_cpu "$(pg_pid)")
    # shellcheck disable=SC2046
    set -- $(head -n 1 /proc/stat)
    m=$(( $2 + $3 + $4 + $7 + $8 + $9 ))
    echo "$l $ws $p $m"
}

# worker_rss NAME: "max_rss_kib max_hwm_kib max_anon_kib" over the workers
# of NAME (RssAnon: the private heap/stack part of RSS, without the shared
# libraries' pages).
worker_rss() {
    local lp w r h a mr=0 mh=0 ma=0
    lp=$(lighttpd_pid "$1")
    for w in $(pgrep -P "$lp"); do
        read -r r h a < <(awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} /^RssAnon/{a=$2} END{print r+0, h+0, a+0}' "/proc/$w/status" 2>/dev/null)
        [ "${r:-0}" -gt "$mr" ] && mr=$r
        [ "${h:-0}" -gt "$mh" ] && mh=$h
        [ "${a:-0}" -gt "$ma" ] && ma=$a
    done
    echo "$mr $mh $ma"
}
