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
# Knobs: BENCH_DOCS (10000), PROF_REQUESTS (300), PROF_SECONDS (8),
# PROF_OUT, BENCH_BUILD / BUILD_DIR as for run.sh.
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
cat >"$STACK_TMP/cg-wrapper" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$PROF_OUT/callgrind.out.%p \\
    --dump-instr=no --collect-jumps=no "$BUILD_DIR/cgi/docapi.fcgi"
EOF
chmod +x "$STACK_TMP/cg-wrapper"
DOCAPI_PROCS=1 DOCAPI_FCGI=$STACK_TMP/cg-wrapper lighttpd_start prof || bdie "lighttpd prof"
URL_PROF=$(lighttpd_url prof)
# valgrind shows up as the child of lighttpd under the name of the tool
CGPID=$(lighttpd_worker_pids prof | head -n 1)

req() { # METHOD DOC [BODY] [QUERY]
    local args=(-s -o /dev/null -w '%{http_code}\n' -X "$1" -H "Authorization: Bearer $KEY" -H "X-Namespace: bench")
    [ -z "${3:-}" ] || args+=(-H 'Content-Type: application/merge-patch+json' --data-binary "$3")
    curl "${args[@]}" "$URL_PROF/v1/collections/${5:-bench}/documents/doc_$2${4:-}"
}
blog "callgrind: warm-up"
for i in $(seq 1 20); do req GET "$i" >/dev/null; req PATCH "$i" '{"metadata":{"counter":0}}' >/dev/null; done
phase() { # NAME METHOD [BODY] [QUERY] [COLLECTION] [NDOCS]
    local name=$1 m=$2 body=${3:-} q=${4:-} col=${5:-bench} nd=${6:-$BENCH_DOCS} i codes
    callgrind_control --zero "$CGPID" >/dev/null
    codes=$(for i in $(seq 1 "$PROF_REQUESTS"); do
        req "$m" $(( (RANDOM * 32768 + RANDOM) % nd + 1 )) "${body:+${body/N/$i}}" "$q" "$col"
    done | sort | uniq -c | tr -s ' \n' ' ')
    callgrind_control --dump="$name" "$CGPID" >/dev/null
    blog "callgrind $name: $PROF_REQUESTS requests, status counts: $codes"
}
phase get GET
phase patch PATCH '{"metadata":{"counter":N}}'
phase get10 GET "" "" bench10 "$BENCH_DOCS10"
phase get_url10 GET "" "?return_url=true" bench10 "$BENCH_DOCS10"
sleep 1
lighttpd_stop prof
for name in get patch get10 get_url10; do
    f=$(grep -l "^desc: Trigger: dump $name$" "$PROF_OUT"/callgrind.out.* 2>/dev/null | head -n 1)
    [ -n "$f" ] || { blog "no callgrind dump for $name"; continue; }
    mv "$f" "$PROF_OUT/callgrind.$name"
    callgrind_annotate --inclusive=yes "$PROF_OUT/callgrind.$name" 2>/dev/null | head -n 60 >"$PROF_OUT/$name.inclusive.txt"
    callgrind_annotate "$PROF_OUT/callgrind.$name" 2>/dev/null | head -n 45 >"$PROF_OUT/$name.self.txt"
    total=$(awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1; exit}' "$PROF_OUT/$name.self.txt")
    blog "callgrind $name: $(awk -v t="$total" -v n="$PROF_REQUESTS" 'BEGIN{printf "%.0f", t/n}') instructions per request"
done

# ------------------------------------------------------------- perf
if command -v perf >/dev/null && perf record -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
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
