#!/bin/bash
# run.sh - the docapi benchmark (issue 6), one command:
#
#   tests/bench/run.sh
#
# Builds, starts a private PostgreSQL and two lighttpd (docapi.fcgi and the
# trivial FastCGI responder, same configuration, $BENCH_PROCS workers each)
# on loopback, loads 100,000 documents with docapi-admin import, then for
# each connection count measures with wrk:
#   patch_random  PATCH one metadata key of a random document (merge patch)
#   patch_hot     PATCH one metadata key of one hot document
#   get           GET of a random document (5 blobs)
#   get10         GET of a random document with 10 s3 blobs
#   get_url10     the same with ?return_url=true (10 presigned URLs)
# and, interleaved, the two limits at the same concurrency:
#   L_web  wrk, same script, against the trivial responder
#   L_db   pgbench -M extended running docapi's SQL (lookup.sql, patch.sql)
#          over the same unix socket
# ceiling = 1/(1/L_db + 1/L_web); ratio = docapi / ceiling. CPU seconds per
# request of each process group are read from /proc before and after each
# run (wrk and pgbench from their rusage). Prints a markdown table.
#
# Knobs (environment): BENCH_SECONDS (10) per measurement, BENCH_CONNS
# ("1 16 64"), BENCH_SCENARIOS ("patch_random patch_hot get get10 get_url10"),
# BENCH_PROCS (4), BENCH_DOCS (100000), BENCH_DOCS10 (1000), BENCH_WARMUP (5),
# BENCH_BUILD (1; 0 = use the binaries as they are), BUILD_DIR (source tree
# with cgi/docapi.fcgi, default this one; e.g. a `git archive` snapshot to
# compare two commits), BENCH_LABEL (build name in the report; default the
# git commit of BUILD_DIR), BENCH_RESULTS (also write the
# report to this file), BENCH_DATA_DIR (cache of the generated NDJSON),
# BENCH_BASELINE (another docapi.fcgi, e.g. the build before an
# optimization: it gets its own lighttpd on the same database and is measured
# right after docapi in every scenario, so the before/after ratio comes from
# one run under the same machine noise).
# Everything started is stopped by PID on exit (scripts/stack.sh trap).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_CONNS=${BENCH_CONNS:-"1 16 64"}
BENCH_SCENARIOS=${BENCH_SCENARIOS:-"patch_random patch_hot get get10 get_url10"}
BENCH_WARMUP=${BENCH_WARMUP:-5}
TIMEFORMAT='%3U %3S'
START=$(date +%s)

bench_setup
if [ -n "${BENCH_BASELINE:-}" ]; then
    [ -x "$BENCH_BASELINE" ] || bdie "BENCH_BASELINE is not an executable: $BENCH_BASELINE"
    DOCAPI_PROCS=$BENCH_PROCS DOCAPI_FCGI=$BENCH_BASELINE lighttpd_start base || bdie "lighttpd base"
fi
REPORT=$STACK_TMP/report.md
OUT=$STACK_TMP/out
mkdir -p "$OUT"

threads_for() { [ "$1" -ge 2 ] && echo 2 || echo 1; }

# scenario -> wrk mode, collection, document count, pgbench script, lo, hi
sc_mode() { case $1 in patch_random) echo patch_random ;; patch_hot) echo patch_hot ;;
    get | get10) echo get ;; get_url10) echo get_url ;; esac; }
sc_col() { case $1 in get10 | get_url10) echo bench10 ;; *) echo bench ;; esac; }
sc_ndocs() { case $1 in get10 | get_url10) echo "$BENCH_DOCS10" ;; *) echo "$BENCH_DOCS" ;; esac; }
sc_sql() { case $1 in patch_*) echo patch.sql ;; *) echo lookup.sql ;; esac; }
sc_range() { case $1 in patch_hot) echo "$BENCH_HOT $BENCH_HOT" ;; *) echo "1 $(sc_ndocs "$1")" ;; esac; }
# The L_web run a scenario shares: the trivial responder answers the same
# for every GET and every PATCH.
sc_web() { case $1 in patch_*) echo patch_random ;; *) echo get ;; esac; }

declare -A R

# run_wrk TAG LIGHTTPD SCENARIO CONNS: one wrk measurement; results in R[TAG,*].
run_wrk() {
    local tag=$1 lt=$2 sc=$3 c=$4 url before after t f
    url=$(lighttpd_url "$lt")
    f=$OUT/$tag
    before=$(cpu_snapshot "$lt")
    { time BENCH_MODE=$(sc_mode "$sc") BENCH_KEY=$KEY BENCH_NS=bench BENCH_COL=$(sc_col "$sc") \
        BENCH_NDOCS=$(sc_ndocs "$sc") BENCH_HOT=$BENCH_HOT \
        wrk -t "$(threads_for "$c")" -c "$c" -d "${BENCH_SECONDS}s" --timeout 5s \
        -s "$BENCH_DIR/docapi.lua" "$url/" >"$f.wrk" 2>"$f.err"; } 2>"$f.time"
    after=$(cpu_snapshot "$lt")
    read -r t <"$f.time" || true
    local line
    line=$(grep '^RESULT' "$f.wrk" || true)
    [ -n "$line" ] || { blog "wrk failed for $tag: $(cat "$f.err")"; line="RESULT requests=0 duration_us=1 rps=0 p50_us=0 p99_us=0 p999_us=0 errors=-1 non2xx=-1"; }
    local kv
    for kv in ${line#RESULT }; do R[$tag,${kv%%=*}]=${kv#*=}; done
    # shellcheck disable=SC2086
    set -- $before $after $t
    R[$tag,lighttpd]=$(( $5 - $1 )); R[$tag,workers]=$(( $6 - $2 ))
    R[$tag,postgres]=$(( $7 - $3 )); R[$tag,machine]=$(( $8 - $4 ))
    R[$tag,client]=$(awk -v u="$9" -v s="${10}" -v k="$CLK_TCK" 'BEGIN{printf "%d", (u+s)*k + 0.5}')
    read -r "R[$tag,rss]" "R[$tag,hwm]" "R[$tag,anon]" <<<"$(worker_rss "$lt")"
}

# run_pgbench TAG SCENARIO CONNS: L_db; results in R[TAG,*].
run_pgbench() {
    local tag=$1 sc=$2 c=$3 f=$OUT/$1 before after t lo hi
    read -r lo hi <<<"$(sc_range "$sc")"
    before=$(cpu_snapshot main)
    { time "$PGBENCH" -n -M extended -f "$BENCH_DIR/$(sc_sql "$sc")" \
        -c "$c" -j "$(threads_for "$c")" -T "$BENCH_SECONDS" \
        -D "keyhash=$KEYHASH" -D nsid=none -D nsname=bench -D colid=none \
        -D "colname=$(sc_col "$sc")" -D "lo=$lo" -D "hi=$hi" \
        -h "$(pg_socket_dir)" -p "$(stack_state_get pg_port)" -U postgres \
        "${PG_DATABASE:-docapi}" >"$f.pgb" 2>"$f.err"; } 2>"$f.time"
    after=$(cpu_snapshot main)
    read -r t <"$f.time" || true
    R[$tag,rps]=$(awk '/^tps = /{print $3; exit}' "$f.pgb")
    R[$tag,requests]=$(awk '/number of transactions actually processed/{print $6; exit}' "$f.pgb" | cut -d/ -f1)
    R[$tag,lat]=$(awk '/^latency average/{print $4; exit}' "$f.pgb")
    R[$tag,failed]=$(awk '/number of failed transactions/{print $5; exit}' "$f.pgb")
    # A client that hits an SQL error is aborted: its transactions are missing.
    if grep -q 'aborted' "$f.err" "$f.pgb" 2>/dev/null; then
        blog "pgbench $tag: clients aborted: $(grep -h 'aborted' "$f.err" "$f.pgb" | head -n 3)"
        R[$tag,aborted]=1
    fi
    [ -n "${R[$tag,rps]}" ] || { blog "pgbench failed for $tag: $(head -c 600 "$f.err")"; R[$tag,rps]=0; R[$tag,requests]=0; }
    # shellcheck disable=SC2086
    set -- $before $after $t
    R[$tag,postgres]=$(( $7 - $3 )); R[$tag,machine]=$(( $8 - $4 ))
    R[$tag,client]=$(awk -v u="$9" -v s="${10}" -v k="$CLK_TCK" 'BEGIN{printf "%d", (u+s)*k + 0.5}')
}

# ms of CPU per request: ticks / requests
per_req() { awk -v t="${1:-0}" -v n="${2:-0}" -v k="$CLK_TCK" 'BEGIN{ if (n > 0) printf "%.3f", t / k * 1000 / n; else printf "-" }'; }
ms() { awk -v u="${1:-0}" 'BEGIN{printf "%.2f", u / 1000}'; }

# ---------------------------------------------------------------- checks
blog "sanity checks"
s_get=$(bench_curl GET /v1/collections/bench/documents/doc_1)
s_patch=$(bench_curl PATCH /v1/collections/bench/documents/doc_1 '{"metadata":{"counter":1}}')
s_url=$(bench_curl GET '/v1/collections/bench10/documents/doc_1?return_url=true')
GET_BYTES=$(curl -s -H "Authorization: Bearer $KEY" -H "X-Namespace: bench" "$URL_MAIN/v1/collections/bench/documents/doc_1" | wc -c)
URL_BYTES=$(curl -s -H "Authorization: Bearer $KEY" -H "X-Namespace: bench" "$URL_MAIN/v1/collections/bench10/documents/doc_1?return_url=true" | wc -c)
blog "GET $s_get ($GET_BYTES bytes), PATCH $s_patch, GET return_url=true $s_url ($URL_BYTES bytes)"
{ [ "$s_get" = 200 ] && [ "$s_patch" = 200 ]; } || bdie "docapi does not answer 200 (GET $s_get, PATCH $s_patch): see $STACK_TMP/lighttpd-main/app.log"

# Which statements does docapi issue per request? pg_stat_statements over
# a short wrk run of each kind, compared with the pgbench scripts.
SQLCHECK=$STACK_TMP/sqlcheck.txt
: >"$SQLCHECK"
pg_psql -c "ALTER SYSTEM SET pg_stat_statements.track = 'top'" -c "SELECT pg_reload_conf()" >/dev/null
# With BENCH_BASELINE, the same for the baseline build (its own lighttpd).
for lt in main ${BENCH_BASELINE:+base}; do
  for sc in get patch_random patch_hot; do
    pg_psql -At -c "SELECT pg_stat_statements_reset()" >/dev/null
    BENCH_SECONDS=2 run_wrk "check_${lt}_$sc" "$lt" "$sc" 16
    n=${R[check_${lt}_$sc,requests]}
    {
        printf '%s%s: %s requests (16 conns, 2 s, non-2xx %s); statements per request:\n' \
            "$([ "$lt" = base ] && echo 'baseline ')" "$sc" "$n" "${R[check_${lt}_$sc,non2xx]}"
        pg_psql -At -F ' | ' -c "SELECT round(calls::numeric / $n, 3), round(mean_exec_time::numeric * 1000, 1) || ' us', left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' AND calls > 0 ORDER BY calls DESC"
    } >>"$SQLCHECK"
  done
done
pg_psql -c "ALTER SYSTEM SET pg_stat_statements.track = 'none'" -c "SELECT pg_reload_conf()" >/dev/null
cat "$SQLCHECK" >&2

# Warm-up: docapi, trivial and PostgreSQL.
blog "warm-up ${BENCH_WARMUP}s"
BENCH_SECONDS=$BENCH_WARMUP run_wrk warm main get 16
BENCH_SECONDS=$BENCH_WARMUP run_wrk warmt trivial get 16

# ---------------------------------------------------------------- runs
for c in $BENCH_CONNS; do
    declare -A done_web=() done_db=()
    for sc in $BENCH_SCENARIOS; do
        blog "c=$c $sc: docapi"
        run_wrk "d,$sc,$c" main "$sc" "$c"
        if [ -n "${BENCH_BASELINE:-}" ]; then
            blog "c=$c $sc: baseline docapi"
            run_wrk "b,$sc,$c" base "$sc" "$c"
        fi
        w=$(sc_web "$sc")
        if [ -z "${done_web[$w]:-}" ]; then
            blog "c=$c $sc: L_web (trivial responder)"
            run_wrk "w,$w,$c" trivial "$w" "$c"
            done_web[$w]=1
        fi
        dbk=$sc; [ "$sc" = get_url10 ] && dbk=get10
        if [ -z "${done_db[$dbk]:-}" ]; then
            blog "c=$c $sc: L_db (pgbench $(sc_sql "$dbk"))"
            run_pgbench "p,$dbk,$c" "$dbk" "$c"
            done_db[$dbk]=1
        fi
    done
done

# ---------------------------------------------------------------- report
{
    echo "## docapi benchmark $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $(nproc) CPU ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)."
    echo "docapi ${BENCH_LABEL:-$(git -C "$BUILD_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$BUILD_DIR" diff --quiet HEAD -- cgi 2>/dev/null || echo '+local changes')}, $BENCH_PROCS FastCGI workers; $(lighttpd -v 2>/dev/null | head -n 1 | cut -d' ' -f1); PostgreSQL $("$(stack_pg_bin)/postgres" --version | awk '{print $3}') (fsync off, shared_buffers $BENCH_PG_SHARED_BUFFERS); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}'); ${BENCH_SECONDS}s per measurement."
    echo "Data: $BENCH_DOCS documents (5 blobs) + $BENCH_DOCS10 (10 s3 blobs); documents table $DB_SIZE, avg row $AVG_ROW bytes; import of $BENCH_DOCS documents by docapi-admin: ${IMPORT_SECONDS}s. GET response $GET_BYTES bytes; GET return_url=true (10 blobs) answered $s_url, $URL_BYTES bytes."
    echo
    echo "| scenario | conns | docapi req/s | p50 ms | p99 ms | p99.9 ms | errors/non-2xx | L_web req/s | L_db tx/s | ceiling | **ratio** | CPU ms/req wrk | lighttpd | workers | postgres | machine total | worker RSS / HWM / anon KiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for c in $BENCH_CONNS; do
        for sc in $BENCH_SCENARIOS; do
            d="d,$sc,$c"; w="w,$(sc_web "$sc"),$c"; dbk=$sc; [ "$sc" = get_url10 ] && dbk=get10; p="p,$dbk,$c"
            n=${R[$d,requests]:-0}
            ceil=$(awk -v a="${R[$w,rps]:-0}" -v b="${R[$p,rps]:-0}" 'BEGIN{ if (a > 0 && b > 0) printf "%.0f", 1/(1/a + 1/b); else print 0 }')
            ratio=$(awk -v d="${R[$d,rps]:-0}" -v c="$ceil" 'BEGIN{ if (c > 0) printf "%.0f%%", 100*d/c; else print "-" }')
            R[$d,ceiling]=$ceil; R[$d,ratio]=$ratio
            printf '| %s | %s | %.0f | %s | %s | %s | %s/%s | %.0f | %.0f | %s | **%s** | %s | %s | %s | %s | %s | %s / %s / %s |\n' \
                "$sc" "$c" "${R[$d,rps]}" "$(ms "${R[$d,p50_us]}")" "$(ms "${R[$d,p99_us]}")" "$(ms "${R[$d,p999_us]}")" \
                "${R[$d,errors]}" "${R[$d,non2xx]}" "${R[$w,rps]:-0}" "${R[$p,rps]:-0}" "$ceil" "$ratio" \
                "$(per_req "${R[$d,client]}" "$n")" "$(per_req "${R[$d,lighttpd]}" "$n")" \
                "$(per_req "${R[$d,workers]}" "$n")" "$(per_req "${R[$d,postgres]}" "$n")" \
                "$(per_req "${R[$d,machine]}" "$n")" "${R[$d,rss]}" "${R[$d,hwm]}" "${R[$d,anon]}"
        done
    done
    echo
    echo "Limits (same run; CPU ms per request/transaction):"
    echo
    echo "| limit | conns | req/s | p50 ms | p99 ms | p99.9 ms | CPU ms/req client (wrk/pgbench) | lighttpd | trivial workers | postgres | machine total |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for c in $BENCH_CONNS; do
        for w in patch_random get; do
            k="w,$w,$c"; [ -n "${R[$k,rps]:-}" ] || continue; n=${R[$k,requests]}
            printf '| L_web %s | %s | %.0f | %s | %s | %s | %s | %s | %s | - | %s |\n' "$w" "$c" "${R[$k,rps]}" \
                "$(ms "${R[$k,p50_us]}")" "$(ms "${R[$k,p99_us]}")" "$(ms "${R[$k,p999_us]}")" \
                "$(per_req "${R[$k,client]}" "$n")" "$(per_req "${R[$k,lighttpd]}" "$n")" \
                "$(per_req "${R[$k,workers]}" "$n")" "$(per_req "${R[$k,machine]}" "$n")"
        done
        for s in patch_random patch_hot get get10; do
            k="p,$s,$c"; [ -n "${R[$k,rps]:-}" ] || continue; n=${R[$k,requests]}
            printf '| L_db %s (%s%s) | %s | %.0f | avg %s | - | - | %s | - | - | %s | %s |\n' "$s" "$(sc_sql "$s")" "${R[$k,aborted]:+, CLIENTS ABORTED}" "$c" "${R[$k,rps]}" \
                "${R[$k,lat]}" "$(per_req "${R[$k,client]}" "$n")" "$(per_req "${R[$k,postgres]}" "$n")" \
                "$(per_req "${R[$k,machine]}" "$n")"
        done
    done
    echo
    if [ -n "${BENCH_BASELINE:-}" ]; then
        echo "A/B in this run: docapi (${BENCH_LABEL:-this build}) vs baseline $BENCH_BASELINE, measured back to back:"
        echo
        echo "| scenario | conns | baseline req/s | docapi req/s | **after/before** | baseline ratio | docapi ratio | worker CPU ms/req before | after | postgres before | after | p99 ms before | after |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for c in $BENCH_CONNS; do
            for sc in $BENCH_SCENARIOS; do
                d="d,$sc,$c"; b="b,$sc,$c"
                printf '| %s | %s | %.0f | %.0f | **%s** | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$sc" "$c" \
                    "${R[$b,rps]}" "${R[$d,rps]}" \
                    "$(awk -v a="${R[$d,rps]}" -v b="${R[$b,rps]}" 'BEGIN{ if (b > 0) printf "%.2fx", a/b; else print "-" }')" \
                    "$(awk -v a="${R[$b,rps]}" -v c="${R[$d,ceiling]}" 'BEGIN{ if (c > 0) printf "%.0f%%", 100*a/c; else print "-" }')" \
                    "${R[$d,ratio]}" \
                    "$(per_req "${R[$b,workers]}" "${R[$b,requests]}")" "$(per_req "${R[$d,workers]}" "${R[$d,requests]}")" \
                    "$(per_req "${R[$b,postgres]}" "${R[$b,requests]}")" "$(per_req "${R[$d,postgres]}" "${R[$d,requests]}")" \
                    "$(ms "${R[$b,p99_us]}")" "$(ms "${R[$d,p99_us]}")"
            done
        done
        echo
    fi
    echo "Statements per request seen by pg_stat_statements (docapi, 16 conns):"
    echo
    echo '```'
    cat "$SQLCHECK"
    echo '```'
    echo
    echo "Targets (16 connections):"
    echo
    chk() { printf -- '- %s: %s -> **%s**\n' "$1" "$2" "$3"; }
    pass() { awk "BEGIN{exit !($1)}" && echo PASS || echo FAIL; }
    if [[ " $BENCH_CONNS " == *" 16 "* ]]; then
        for sc in patch_random get; do
            d="d,$sc,16"; [ -n "${R[$d,rps]:-}" ] || continue
            r=${R[$d,ratio]%\%}; [ "$r" = - ] && r=0
            chk "$sc >= 70% of ceiling" "${R[$d,ratio]}" "$(pass "$r >= 70")"
            chk "$sc p99 < 5 ms" "$(ms "${R[$d,p99_us]}") ms" "$(pass "${R[$d,p99_us]} < 5000")"
        done
        d="d,patch_random,16"
        if [ -n "${R[$d,rps]:-}" ]; then
            wk=$(per_req "${R[$d,workers]}" "${R[$d,requests]}"); pgc=$(per_req "${R[$d,postgres]}" "${R[$d,requests]}")
            chk "worker CPU per PATCH <= 1/2 PostgreSQL CPU per PATCH" "$wk ms vs $pgc ms" "$(pass "$wk <= $pgc / 2")"
        fi
        if [ -n "${R[d,get_url10,16,rps]:-}" ] && [ -n "${R[d,get10,16,rps]:-}" ]; then
            chk "GET return_url=true (10 blobs) within 10% of plain GET (same documents)" \
                "$(awk -v a="${R[d,get_url10,16,rps]}" -v b="${R[d,get10,16,rps]}" 'BEGIN{printf "%.0f vs %.0f req/s (%.0f%%)", a, b, 100*a/b}'), non-2xx ${R[d,get_url10,16,non2xx]}" \
                "$(pass "${R[d,get_url10,16,rps]} >= 0.9 * ${R[d,get10,16,rps]} && ${R[d,get_url10,16,non2xx]} == 0")"
        fi
    fi
    maxrss=0
    for k in "${!R[@]}"; do [[ $k == d,*,rss ]] && [ "${R[$k]}" -gt "$maxrss" ] && maxrss=${R[$k]}; done
    chk "worker RSS < 10 MiB" "max $maxrss KiB" "$(pass "$maxrss < 10240")"
    echo
    echo "Whole run: $(( $(date +%s) - START )) s."
} >"$REPORT"
cat "$REPORT"
[ -z "${BENCH_RESULTS:-}" ] || cp "$REPORT" "$BENCH_RESULTS"
