#!/bin/bash
# profile.sh - where a docapi request spends its time.
#
#   tests/bench/profile.sh
#
# Same stack and data as run.sh (10,000 documents by default), then:
#  1. callgrind: a third lighttpd ("prof") spawns ONE docapi.fcgi worker under
#     valgrind --tool=callgrind. After warm-up the counters are zeroed and
#     dumped around PROF_REQUESTS sequential GETs, then PATCHes (random
#     documents, one metadata key), so each dump is the cost of N requests
#     without start-up. callgrind_annotate --inclusive=yes of each dump.
#  2. perf (if usable): perf record -g (cpu-clock) of our lighttpd, workers
#     and PostgreSQL processes during a wrk PATCH and a wrk GET run at 16
#     connections against the normal stack ($PROF_WORKERS workers); the report
#     by process/library and by symbol for docapi.fcgi, postgres, lighttpd.
# Results stay in $PROF_OUT (default /tmp/docapi-profile).
#
# With BENCH_BASELINE=/path/to/old/docapi.fcgi the callgrind phases also
# run for that build (same stack and data) and summary.md compares the two.
# Callgrind phases: get, patch (random document), patch_hot (the hot
# document from one client: no races), get10, get_url10, and patch_hot16:
# $PROF_HOT_WORKERS workers, all under callgrind, wrk with 16 connections on
# the hot document (races happen: not noise-free), instructions of all
# workers / requests, with pg_stat_statements' statements per request.
# Knobs: BENCH_DOCS (10000), PROF_REQUESTS (300), PROF_SECONDS (8),
# PROF_HOT_WORKERS (4), PROF_PERF (1; 0 skips perf), PROF_OUT,
# BENCH_BASELINE, BENCH_BUILD / BUILD_DIR as for run.sh. Results:
# $PROF_OUT/summary.md, $PROF_OUT/{current,baseline}/*.txt, $PROF_OUT/perf.*
set -uo pipefail
BENCH_DOCS=${BENCH_DOCS:-10000}
BENCH_DOCS10=${BENCH_DOCS10:-200}
. "$(dirname "$0")/lib.sh"
PROF_REQUESTS=${PROF_REQUESTS:-300}
PROF_SECONDS=${PROF_SECONDS:-8}
PROF_OUT=${PROF_OUT:-/tmp/docapi-profile}
command -v valgrind >/dev/null || bdie "valgrind is not installed (apt-get install -y valgrind)"
rm -rf "$PROF_OUT"
mkdir -p "$PROF_OUT"

BENCH_PROCS=${PROF_WORKERS:-${BENCH_PROCS:-4}}
bench_setup

# ------------------------------------------------------------- callgrind
req() { # URL METHOD DOC [BODY] [QUERY] [COLLECTION]
    local args=(-s -o /dev/null -w '%{http_code}\n' -X "$2" -H "Authorization: Bearer $KEY" -H "X-Namespace: bench")
    [ -z "${4:-}" ] || args+=(-H 'Content-Type: application/merge-patch+json' --data-binary "$4")
    curl "${args[@]}" "$1/v1/collections/${6:-bench}/documents/doc_$3${5:-}"
}
# cg_wrapper LABEL FCGI: a wrapper script that runs FCGI under callgrind.
cg_wrapper() {
    printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s/%s/callgrind.out.%%p --dump-instr=no --collect-jumps=no "%s"\n' \
        "$PROF_OUT" "$1" "$2" >"$STACK_TMP/cg-wrapper-$1"
    chmod +x "$STACK_TMP/cg-wrapper-$1"
}
# cg_total FILE...: the summed instruction count of callgrind dumps.
cg_total() {
    local f t=0 n
    for f in "$@"; do
        n=$(awk '/^(summary|totals):/{print $2; exit}' "$f")
        t=$(( t + ${n:-0} ))
    done
    echo "$t"
}
declare -A CG=()
PROF_HOT_WORKERS=${PROF_HOT_WORKERS:-4}

# cg_phase LABEL URL PID NAME METHOD [BODY] [QUERY] [COLLECTION] [NDOCS] [FIXED_DOC]:
# zero the counters, PROF_REQUESTS sequential requests, dump as NAME.
cg_phase() {
    local label=$1 url=$2 pid=$3 name=$4 m=$5 body=${6:-} q=${7:-} col=${8:-bench} nd=${9:-$BENCH_DOCS} fixed=${10:-} i codes
    callgrind_control --zero "$pid" >/dev/null
    codes=$(for i in $(seq 1 "$PROF_REQUESTS"); do
        req "$url" "$m" "${fixed:-$(( (RANDOM * 32768 + RANDOM) % nd + 1 ))}" "${body:+${body/N/$i}}" "$q" "$col"
    done | sort | uniq -c | tr -s ' \n' ' ')
    callgrind_control --dump="$name" "$pid" >/dev/null
    blog "callgrind $label $name: $PROF_REQUESTS requests, status counts: $codes"
}

# cg_profile LABEL FCGI: the callgrind phases for one build.
cg_profile() {
    local label=$1 fcgi=$2 lt="prof$1" url cgpid dir=$PROF_OUT/$1 name f i
    mkdir -p "$dir"
    cg_wrapper "$label" "$fcgi"
    DOCAPI_PROCS=1 DOCAPI_FCGI=$STACK_TMP/cg-wrapper-$label lighttpd_start "$lt" || bdie "lighttpd $lt"
    url=$(lighttpd_url "$lt")
    # valgrind shows up as the child of lighttpd under the name of the tool
    cgpid=$(lighttpd_worker_pids "$lt" | head -n 1)
    blog "callgrind $label: warm-up"
    for i in $(seq 1 20); do
        req "$url" GET "$i" >/dev/null
        req "$url" PATCH "$i" '{"metadata":{"counter":0}}' >/dev/null
    done
    cg_phase "$label" "$url" "$cgpid" get GET
    cg_phase "$label" "$url" "$cgpid" patch PATCH '{"metadata":{"counter":N}}'
    # one client: the hot document never loses a race (see patch_hot16)
    cg_phase "$label" "$url" "$cgpid" patch_hot PATCH '{"metadata":{"counter":N}}' "" bench "" "$BENCH_HOT"
    cg_phase "$label" "$url" "$cgpid" get10 GET "" "" bench10 "$BENCH_DOCS10"
    cg_phase "$label" "$url" "$cgpid" get_url10 GET "" "?return_url=true" bench10 "$BENCH_DOCS10"
    sleep 1
    lighttpd_stop "$lt"
    for name in get patch patch_hot get10 get_url10; do
        f=$(grep -l "^desc: Trigger: dump $name$" "$dir"/callgrind.out.* 2>/dev/null | head -n 1)
        [ -n "$f" ] || { blog "no callgrind dump for $label $name"; continue; }
        mv "$f" "$dir/callgrind.$name"
        callgrind_annotate --inclusive=yes "$dir/callgrind.$name" 2>/dev/null | head -n 60 >"$dir/$name.inclusive.txt"
        callgrind_annotate "$dir/callgrind.$name" 2>/dev/null | head -n 45 >"$dir/$name.self.txt"
        CG[$label,$name]=$(( $(cg_total "$dir/callgrind.$name") / PROF_REQUESTS ))
        blog "callgrind $label $name: ${CG[$label,$name]} instructions per request"
    done
    rm -f "$dir"/callgrind.out.*

    # The hot document under contention: $PROF_HOT_WORKERS workers, all
    # under callgrind (so equally slowed down), wrk with 16 connections on
    # one document for PROF_SECONDS; instructions of all workers / requests.
    # Not noise-free: how often a PATCH loses a race depends on timing
    # (statements per request from pg_stat_statements in the same window).
    lt="hot$label"
    DOCAPI_PROCS=$PROF_HOT_WORKERS DOCAPI_FCGI=$STACK_TMP/cg-wrapper-$label lighttpd_start "$lt" || bdie "lighttpd $lt"
    url=$(lighttpd_url "$lt")
    local pids p n files
    pids=$(lighttpd_worker_pids "$lt")
    BENCH_MODE=patch_hot BENCH_KEY="$KEY" BENCH_NS=bench BENCH_COL=bench BENCH_NDOCS="$BENCH_DOCS" BENCH_HOT=$BENCH_HOT \
        wrk -t 2 -c 16 -d 3s --timeout 10s -s "$BENCH_DIR/docapi.lua" "$url/" >/dev/null 2>&1
    for p in $pids; do callgrind_control --zero "$p" >/dev/null; done
    pg_psql -c "ALTER SYSTEM SET pg_stat_statements.track = 'top'" -c "SELECT pg_reload_conf()" >/dev/null
    pg_psql -At -c "SELECT pg_stat_statements_reset()" >/dev/null
    BENCH_MODE=patch_hot BENCH_KEY="$KEY" BENCH_NS=bench BENCH_COL=bench BENCH_NDOCS="$BENCH_DOCS" BENCH_HOT=$BENCH_HOT \
        wrk -t 2 -c 16 -d "${PROF_SECONDS}s" --timeout 10s -s "$BENCH_DIR/docapi.lua" "$url/" >"$dir/patch_hot16.wrk" 2>&1
    for p in $pids; do callgrind_control --dump=patch_hot16 "$p" >/dev/null; done
    n=$(awk '/^RESULT/{for (i = 2; i <= NF; i++) if ($i ~ /^requests=/) {sub("requests=", "", $i); print $i}}' "$dir/patch_hot16.wrk")
    pg_psql -At -F ' | ' -c "SELECT round(calls::numeric / ${n:-1}, 3), left(regexp_replace(query, '\s+', ' ', 'g'), 90) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' AND calls > 0 ORDER BY calls DESC" >"$dir/patch_hot16.statements.txt"
    pg_psql -c "ALTER SYSTEM SET pg_stat_statements.track = 'none'" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1
    lighttpd_stop "$lt"
    files=$(grep -l "^desc: Trigger: dump patch_hot16$" "$dir"/callgrind.out.* 2>/dev/null)
    if [ -n "$files" ] && [ "${n:-0}" -gt 0 ]; then
        # shellcheck disable=SC2086
        CG[$label,patch_hot16]=$(( $(cg_total $files) / n ))
        blog "callgrind $label patch_hot16: $n requests ($(grep -o 'non2xx=[0-9]*' "$dir/patch_hot16.wrk")), ${CG[$label,patch_hot16]} instructions per request; statements per request:"
        sed 's/^/    /' "$dir/patch_hot16.statements.txt" >&2
    else
        blog "callgrind $label patch_hot16: no dump or no requests"
    fi
    rm -f "$dir"/callgrind.out.*
}
cg_profile current "$BUILD_DIR/cgi/docapi.fcgi"
[ -z "${BENCH_BASELINE:-}" ] || cg_profile baseline "$BENCH_BASELINE"
{
    echo "Instructions per request (callgrind, everything in the worker):"
    echo
    if [ -n "${BENCH_BASELINE:-}" ]; then
        echo "| request | baseline | current | current/baseline |"
        echo "|---|---:|---:|---:|"
    else
        echo "| request | current |"
        echo "|---|---:|"
    fi
    for name in get get10 get_url10 patch patch_hot patch_hot16; do
        if [ -n "${BENCH_BASELINE:-}" ]; then
            printf '| %s | %s | %s | %s |\n' "$name" "${CG[baseline,$name]:--}" "${CG[current,$name]:--}" \
                "$(awk -v a="${CG[current,$name]:-0}" -v b="${CG[baseline,$name]:-0}" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "-" }')"
        else
            printf '| %s | %s |\n' "$name" "${CG[current,$name]:--}"
        fi
    done
} >"$PROF_OUT/summary.md"
cat "$PROF_OUT/summary.md" >&2

# ------------------------------------------------------------- perf
if [ "${PROF_PERF:-1}" = 1 ] && command -v perf >/dev/null && perf record -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
    # Only our processes: lighttpd "main", its workers, the postmaster and
    # its backends (other people's programs on the machine stay out).
    lp=$(lighttpd_pid main); pp=$(pg_pid)
    pids=$(echo "$lp" $(pgrep -P "$lp") "$pp" $(pgrep -P "$pp") | tr ' ' ,)
    for sc in patch_random get; do
        blog "perf: $sc, 16 connections, ${PROF_SECONDS}s"
        BENCH_MODE=$sc BENCH_KEY="$KEY" BENCH_NS=bench BENCH_COL=bench BENCH_NDOCS="$BENCH_DOCS" \
            wrk -t 2 -c 16 -d "$(( PROF_SECONDS + 2 ))s" -s "$BENCH_DIR/docapi.lua" "$URL_MAIN/" \
            >"$PROF_OUT/perf.$sc.wrk" 2>&1 &
        wpid=$!
        stack_track_pid "$wpid"
        sleep 1
        perf record -e cpu-clock -F 2000 -g -p "$pids" -o "$PROF_OUT/perf.$sc.data" -- \
            sleep "$PROF_SECONDS" >/dev/null 2>"$PROF_OUT/perf.$sc.err"
        wait "$wpid"
        stack_untrack_pid "$wpid"
        perf report -i "$PROF_OUT/perf.$sc.data" --no-children --sort comm,dso --stdio -g none \
            2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 20 >"$PROF_OUT/perf.$sc.comm-dso.txt"
        for comm in docapi.fcgi postgres lighttpd; do
            perf report -i "$PROF_OUT/perf.$sc.data" --no-children --comm "$comm" --sort dso,sym \
                --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' |
                head -n 40 >"$PROF_OUT/perf.$sc.$comm.txt"
        done
    done
else
    blog "perf not usable here; skipped"
fi
blog "results in $PROF_OUT"
ls "$PROF_OUT" >&2
