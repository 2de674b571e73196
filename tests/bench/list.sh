#!/bin/bash
# list.sh - what POST /v1/collections/{c}/documents/list (issue 14) costs,
# in ONE run on ONE stack:
#
#   git worktree add --detach /tmp/docapi-list HEAD && (cd /tmp/docapi-list &&
#       ./autogen.sh && ./configure -q && make -j2)
#   BUILD_DIR=/tmp/docapi-list tests/bench/list.sh      # ~9 min
#
# A benchmark, never a timed test: not part of tests/test.sh or CI.
# $BENCH_LIST_DOCS (100,000) documents are imported into collection "list"
# (gen_docs.py's documents with 3 s3:// blobs each, metadata.category =
# i % $BENCH_LIST_CATS (1000, a number: 100 documents per value) and
# created_at = 2025-01-01 + i seconds, so the default order, created_at
# then document_id, is doc_1 .. doc_N). S3 presigning is configured as
# in lib.sh (static example keys, region us-east-1): URLs are only
# signed, nothing fetches them. Through the same lighttpd + docapi
# (list.lua, $BENCH_PROCS workers), every kind below measured for
# $BENCH_SECONDS at 1 connection (p50 latency) and at 16 connections
# (throughput, CPU per request), interleaved over $BENCH_ROUNDS rounds
# (the order of the kinds reversed every other round):
#   get     GET of one document by id (doc_<random>), the reference of 1.
#   filter  1. an indexed equality filter, page 1 of limit 10:
#           {"filters": {"field": "metadata.category", "operator": "eq",
#           "value": <random 0..999>}, "limit": 10} (containment, GIN).
#   page1   page 1 of limit 10, no filter: {"limit": 10}, the reference
#           of 2 and 3.
#   cursor  2. pages 9,991 .. 10,000 of limit 10 (the last ten), cycled:
#           {"limit": 10, "cursor": <next_cursor after position 99,900,
#           99,910, .., 99,990>}, the cursors got by walking the collection
#           once beforehand (pages of 1000, then of 10; the contract lets
#           limit change between pages).
#   cursor_mid  page 1,001 of limit 10 by cursor (the next_cursor after
#           position 10,000, from the same walk): the same 10 documents as
#           offset, and a cursor with 90 % of the collection after it.
#   offset  2. {"limit": 10, "offset": 10000} (page 1,001; the contract's
#           maximum offset).
#   cursor_url  3. the cursor kind with ?return_url=true: 30 presigned
#           URLs per page, against cursor (a list that costs little
#           itself, so that the presigning shows).
# 4. RSS: a lighttpd of its own with ONE fresh worker serves pages of 10
#    and pages of 1000, both by the cursor after position N - 1000 (the
#    last 1000 documents: a page the statement finds cheaply, so that the
#    worker serves many), {"limit": 10 | 1000, "cursor": ...}, interleaved
#    over the rounds at 1 and 16 connections; /proc/<worker>/status
#    VmRSS, VmHWM and RssAnon sampled before the first request and after
#    every measurement (once the requests in flight are served).
# Between 1-3 and 4: pg_stat_statements (track = top, track_planning =
# on) over 2 s of each kind at 1 connection: statements, planning and
# execution time per request.
# Then, on another lighttpd with one worker whose PostgreSQL sessions load
# auto_explain (options in its database_url: log_analyze, log_buffers,
# log_min_duration 0), one request of each list kind after two of warm-up:
# the plans of the statements docapi sends, from the server log; and, by
# hand, the filtered page's core as planned and with a MATERIALIZED step
# that takes the GIN index (not docapi's statement).
# CPU per request from /proc/PID/stat (utime+stime) of the lighttpd's tree
# (server+workers) and of the PostgreSQL cluster, from before a
# measurement to when the requests wrk left in flight have been served
# (settle), over wrk's count + the connections.
# The responses are checked first (count, order, category, presigned
# URLs, has_more); a failed check stops the run.
#
# Knobs (environment): BENCH_SECONDS (8), BENCH_CONNS ("1 16"),
# BENCH_ROUNDS (2), BENCH_WARMUP (2 s per kind), BENCH_LIST_DOCS (100000),
# BENCH_LIST_CATS (1000), and those of lib.sh: BENCH_PROCS (4),
# BENCH_BUILD, BUILD_DIR (the tree measured), BENCH_LABEL, BENCH_RESULTS
# (also write the report there), BENCH_DATA_DIR. lib.sh's own collections
# get BENCH_DOCS (1000 here) and BENCH_DOCS10 (10) documents; nothing
# here reads them.
# Everything started is private to this run (loopback, sockets under
# $STACK_TMP) and stopped by PID on exit (scripts/stack.sh's trap).
set -uo pipefail
BENCH_DOCS=${BENCH_DOCS:-1000}
BENCH_DOCS10=${BENCH_DOCS10:-10}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BENCH_SECONDS=${BENCH_SECONDS:-8}
BENCH_CONNS=${BENCH_CONNS:-"1 16"}
BENCH_ROUNDS=${BENCH_ROUNDS:-2}
BENCH_WARMUP=${BENCH_WARMUP:-2}
LIST_DOCS=${BENCH_LIST_DOCS:-100000}
LIST_CATS=${BENCH_LIST_CATS:-1000}
START=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$LIST_DOCS" -ge 100000 ] || blog "note: $LIST_DOCS documents: the cursor pages are not pages 9,991 .. 10,000"
(( LIST_DOCS >= 11010 && LIST_DOCS >= 10 * LIST_CATS )) ||
    bdie "BENCH_LIST_DOCS must be at least 11010 and 10 x BENCH_LIST_CATS (the offset and filter pages)"

threads_for() { [ "$1" -ge 2 ] && echo 2 || echo 1; }

bench_setup
PGB=$(stack_pg_bin)
OUT=$STACK_TMP/out
mkdir -p "$OUT"
q1() { pg_psql -At -c "$1"; }

# ---------------------------------------------------------------- data

LIST_DATA=$BENCH_DATA_DIR/docs-list-v1-$LIST_DOCS-$LIST_CATS-3.ndjson
if [ ! -s "$LIST_DATA" ] || [ "$BENCH_DIR/gen_docs.py" -nt "$LIST_DATA" ]; then
    blog "generating $LIST_DOCS documents with 3 blobs -> $LIST_DATA"
    python3 - "$BENCH_DIR" "$LIST_DOCS" "$LIST_CATS" >"$LIST_DATA.tmp" <<'PY' || bdie "generating failed"
import datetime, json, random, sys
sys.path.insert(0, sys.argv[1])
import gen_docs
n, cats = int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(14)
t0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
out = sys.stdout
for i in range(1, n + 1):
    d = gen_docs.document(rng, i, 3)
    d["metadata"]["category"] = i % cats
    d["created_at"] = d["updated_at"] = (t0 + datetime.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out.write(json.dumps(d, separators=(",", ":")))
    out.write("\n")
PY
    mv "$LIST_DATA.tmp" "$LIST_DATA"
fi
COL_LIST=$(adm create-collection --namespace "$NS" list) || bdie "create-collection list"
blog "importing $LIST_DOCS documents into collection list"
t0=$(date +%s.%N)
n=$(adm import --collection "$COL_LIST" "$LIST_DATA") || bdie "import failed"
LIST_IMPORT_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b - a}')
[ "$n" = "$LIST_DOCS" ] || bdie "imported $n documents, not $LIST_DOCS"
pg_psql -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null || bdie "vacuum failed"
LIST_SIZE=$(q1 "SELECT pg_size_pretty(pg_total_relation_size('documents'))")
LIST_ROW=$(q1 "SELECT round(avg(pg_column_size(d.*))) FROM documents d JOIN collections c ON c.id = d.col_pk WHERE c.col_id = '$COL_LIST'")
# the table and its indexes in the buffer cache
q1 "SELECT count(*) FROM documents WHERE length(metadata::text) > 0" >/dev/null
q1 "CREATE EXTENSION IF NOT EXISTS pg_prewarm" >/dev/null 2>&1 &&
    q1 "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c WHERE c.relname IN ('documents_metadata_gin', 'documents_col_created', 'documents_pkey')
        OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'documents'::regclass)" >/dev/null 2>&1

# ---------------------------------------------------------------- checks and the walk

# The cursors of pages 9,991 .. 10,000 (of limit 10): walk once with
# pages of 1000 to position N - 1000, then 900, then pages of 10. Every
# check of the responses is here too. Prints: CURSORS=a,b,.. then
# key=value lines (bytes of the responses).
blog "checks and the cursor walk"
WALK=$(python3 - "$URL_MAIN" "$KEY" "$LIST_DOCS" "$LIST_CATS" <<'PY'
import json, sys, urllib.request
url, key, n, cats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
H = {"Authorization": "Bearer " + key, "X-Namespace": "bench", "Content-Type": "application/json"}
def post(body, query=""):
    r = urllib.request.Request(url + "/v1/collections/list/documents/list" + query,
                               data=json.dumps(body).encode(), headers=H, method="POST")
    with urllib.request.urlopen(r, timeout=60) as f:
        raw = f.read()
    return json.loads(raw), len(raw)
def fail(msg):
    print("CHECK FAILED: " + msg, file=sys.stderr)
    sys.exit(1)
def ids(page):
    return [d["document_id"] for d in page["results"]]
want = lambda a, b: ["doc_%d" % i for i in range(a, b + 1)]
# page 1, limit 10 and 1000; offset 10000; return_url
p, b10 = post({"limit": 10})
if ids(p) != want(1, 10) or not p["pagination"].get("has_more"):
    fail("page 1: %s" % ids(p)[:3])
p, b1000 = post({"limit": 1000})
if ids(p) != want(1, 1000):
    fail("page 1 of 1000")
p, _ = post({"limit": 10, "offset": 10000})
if ids(p) != want(10001, 10010):
    fail("offset 10000: %s" % ids(p)[:3])
p, burl = post({"limit": 10}, "?return_url=true")
urls = [b.get("presigned_url", "") for d in p["results"] for b in d.get("document_blobs", [])]
if len(urls) != 30 or not all("X-Amz-Signature=" in u for u in urls):
    fail("return_url: %d blobs, %d signed" % (len(urls), sum("X-Amz-Signature=" in u for u in urls)))
# the filter: 100 documents per category, page 1 in created_at order
p, bf = post({"filters": {"field": "metadata.category", "operator": "eq", "value": 7}, "limit": 10})
got = ids(p)
if got != ["doc_%d" % (7 + k * cats) for k in range(10)] or \
        any(d["metadata"]["category"] != 7 for d in p["results"]):
    fail("filter: %s" % got[:3])
# the walk
cur, pos, cursors, pages = None, 0, [], 0
def step(limit):
    global cur, pos, pages
    body = {"limit": limit}
    if cur:
        body["cursor"] = cur
    p, _ = post(body)
    if ids(p) != want(pos + 1, pos + limit):
        fail("walk at %d: %s" % (pos, ids(p)[:2]))
    pos += limit
    pages += 1
    cur = p["pagination"].get("next_cursor")
while pos < n - 1000:
    step(min(1000, n - 1000 - pos))
    if pos == 10000:
        mid = cur
deep = cur
step(900)
while pos < n:
    cursors.append(cur)
    step(10)
if cur is not None:
    fail("a next_cursor after the last page")
p, _ = post({"limit": 10, "cursor": cursors[-1]})
if ids(p) != want(n - 9, n) or p["pagination"]["has_more"]:
    fail("the last page")
p, _ = post({"limit": 10, "cursor": mid})
if ids(p) != want(10001, 10010) or not p["pagination"]["has_more"]:
    fail("the page after position 10,000")
p, _ = post({"limit": 10, "cursor": cursors[0]}, "?return_url=true")
if sum("X-Amz-Signature=" in b.get("presigned_url", "") for d in p["results"] for b in d["document_blobs"]) != 30:
    fail("return_url on a cursor page")
print("MID=" + mid)
p, _ = post({"limit": 1000, "cursor": deep})
if ids(p) != want(n - 999, n):
    fail("the last 1000 by cursor")
print("DEEP=" + deep)
print("CURSORS=" + ",".join(cursors))
print("WALK_PAGES=%d" % pages)
print("BYTES_PAGE10=%d BYTES_PAGE1000=%d BYTES_URL=%d BYTES_FILTER=%d CURSOR_LEN=%d" % (b10, b1000, burl, bf, len(cursors[0])))
PY
) || bdie "checks failed (see $STACK_TMP/lighttpd-main/app.log)"
CURSORS=$(sed -n 's/^CURSORS=//p' <<<"$WALK")
MID=$(sed -n 's/^MID=//p' <<<"$WALK")
DEEP=$(sed -n 's/^DEEP=//p' <<<"$WALK")
WALK_PAGES=$(sed -n 's/^WALK_PAGES=//p' <<<"$WALK")
eval "$(grep '^BYTES_' <<<"$WALK")"
c_get=$(curl -s -m 10 -o "$OUT/check.get" -w '%{http_code}:%{size_download}' -H "Authorization: Bearer $KEY" \
    -H "X-Namespace: bench" "$URL_MAIN/v1/collections/list/documents/doc_42")
[[ $c_get == 200:* ]] || bdie "GET doc_42: $c_get $(head -c 200 "$OUT/check.get")"
BYTES_GET=${c_get#200:}
blog "checks passed: walk of $WALK_PAGES pages; bytes: GET $BYTES_GET, page of 10 $BYTES_PAGE10, of 1000 $BYTES_PAGE1000, with URLs $BYTES_URL, filter $BYTES_FILTER"

# ---------------------------------------------------------------- helpers

declare -A R
# The kinds: list.lua mode and environment.
declare -A SPEC=(
    [get]="get"
    [filter]="filter BENCH_LIMIT=10"
    [page1]="page BENCH_LIMIT=10"
    [cursor]="cursor BENCH_LIMIT=10 BENCH_CURSORS=$CURSORS"
    [cursor_mid]="cursor BENCH_LIMIT=10 BENCH_CURSORS=$MID"
    [offset]="page BENCH_LIMIT=10 BENCH_OFFSET=10000"
    [cursor_url]="cursor BENCH_LIMIT=10 BENCH_CURSORS=$CURSORS BENCH_QUERY=return_url=true"
    [p10]="cursor BENCH_LIMIT=10 BENCH_CURSORS=$DEEP"
    [p1000]="cursor BENCH_LIMIT=1000 BENCH_CURSORS=$DEEP"
)
KINDS="get filter page1 cursor cursor_mid offset cursor_url"

# run_wrk TAG LIGHTTPD KIND CONNS: one wrk measurement; results in
# R[TAG,*] (rps requests non2xx errors p50_us p99_us server pg).
run_wrk() {
    local tag=$1 inst=$2 kind=$3 c=$4 f s0 p0 s1 p1 line kv mode
    f=$OUT/${tag//,/_}
    # shellcheck disable=SC2086
    set -- ${SPEC[$kind]}
    mode=$1; shift
    settle "$inst"
    s0=$(tree_cpu "$(lighttpd_pid "$inst")"); p0=$(postmaster_cpu "$(pg_pid)")
    env "$@" BENCH_MODE="$mode" BENCH_KEY="$KEY" BENCH_NS=bench BENCH_COL=list \
        BENCH_NDOCS="$LIST_DOCS" BENCH_NCATS="$LIST_CATS" \
        wrk -t "$(threads_for "$c")" -c "$c" -d "${BENCH_SECONDS}s" --timeout 30s \
        -s "$BENCH_DIR/list.lua" "$(lighttpd_url "$inst")/" >"$f.wrk" 2>"$f.err"
    settle "$inst"
    s1=$(tree_cpu "$(lighttpd_pid "$inst")"); p1=$(postmaster_cpu "$(pg_pid)")
    line=$(grep '^RESULT' "$f.wrk" || true)
    [ -n "$line" ] || { blog "wrk failed for $tag: $(head -c 300 "$f.err")"; line="RESULT requests=0 duration_us=1 rps=0 p50_us=0 p99_us=0 errors=-1 non2xx=-1"; }
    for kv in ${line#RESULT }; do R[$tag,${kv%%=*}]=${kv#*=}; done
    R[$tag,server]=$(( s1 - s0 )); R[$tag,pg]=$(( p1 - p0 )); R[$tag,conns]=$c
}
# settle LIGHTTPD: waits (at most 60 s) until that lighttpd's tree and
# PostgreSQL are idle (under 3 CPU ticks in 0.5 s): the requests wrk left
# in flight when it stopped are still served, and must neither land in
# the next measurement nor be missing from this one's CPU.
settle() {
    local a b _i
    a=$(( $(tree_cpu "$(lighttpd_pid "$1")") + $(postmaster_cpu "$(pg_pid)") ))
    for _i in $(seq 1 120); do
        sleep 0.5
        b=$(( $(tree_cpu "$(lighttpd_pid "$1")") + $(postmaster_cpu "$(pg_pid)") ))
        [ $(( b - a )) -lt 3 ] && return 0
        a=$b
    done
    blog "lighttpd $1 still busy after 60 s"
}
per_req() { awk -v t="${1:-0}" -v n="${2:-0}" -v k="$CLK_TCK" 'BEGIN{ if (n > 0) printf "%.3f", t / k * 1000 / n; else printf "-" }'; }
# agg KEY: R[KEY,*] over the rounds R[r,KEY,*]: rps, p50 and p99 = mean
# of the rounds, the rest sums; R[KEY,rounds_rps] / [rounds_p50] per round.
# R[KEY,requests], the divisor of CPU per request, adds to wrk's count the
# connections' requests in flight when it stopped (served during settle).
agg() {
    local k=$1 r n=0 sv=0 pg=0 nx=0 er=0 rs="" ps="" qs=""
    for r in $(seq 1 "$BENCH_ROUNDS"); do
        rs="$rs ${R[$r,$k,rps]:-0}"; ps="$ps ${R[$r,$k,p50_us]:-0}"; qs="$qs ${R[$r,$k,p99_us]:-0}"
        n=$(( n + ${R[$r,$k,requests]:-0} + ${R[$r,$k,conns]:-0} )); sv=$(( sv + ${R[$r,$k,server]:-0} ))
        pg=$(( pg + ${R[$r,$k,pg]:-0} ))
        [ "${R[$r,$k,non2xx]:-0}" -lt 0 ] && nx=-1 || nx=$(( nx + ${R[$r,$k,non2xx]:-0} ))
        [ "${R[$r,$k,errors]:-0}" -lt 0 ] && er=-1 || er=$(( er + ${R[$r,$k,errors]:-0} ))
    done
    mean() { echo "$1" | awk '{s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.0f", s / NF}'; }
    R[$k,rps]=$(mean "$rs"); R[$k,p50_us]=$(mean "$ps"); R[$k,p99_us]=$(mean "$qs")
    R[$k,rounds_rps]=$(echo "$rs" | awk '{for (i = 1; i <= NF; i++) printf "%s%.0f", (i > 1 ? " / " : ""), $i}')
    R[$k,rounds_p50]=$(echo "$ps" | awk '{for (i = 1; i <= NF; i++) printf "%s%d", (i > 1 ? " / " : ""), $i}')
    R[$k,requests]=$n; R[$k,server]=$sv; R[$k,pg]=$pg; R[$k,non2xx]=$nx; R[$k,errors]=$er
}
# order ROUND A B C...: the kinds, reversed in even rounds.
order() { local r=$1; shift; if [ $(( r % 2 )) = 0 ]; then echo "$@" | tr ' ' '\n' | tac | tr '\n' ' '; else echo "$@"; fi; }
# between_phases: vacuum and a checkpoint, so that neither autovacuum nor
# a timed checkpoint lands in a phase because of the one before.
between_phases() { pg_psql -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null || bdie "VACUUM"; }
# rss_of PID: "VmRSS VmHWM RssAnon" in KiB.
rss_of() { awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} /^RssAnon/{a=$2} END{print r+0, h+0, a+0}' "/proc/$1/status" 2>/dev/null || echo "0 0 0"; }

# ---------------------------------------------------------------- 1-3

blog "warm-up ${BENCH_WARMUP}s of each kind at 16 connections"
for k in $KINDS; do BENCH_SECONDS=$BENCH_WARMUP run_wrk "warm,$k" main "$k" 16; done
between_phases
for r in $(seq 1 "$BENCH_ROUNDS"); do
    for c in $BENCH_CONNS; do
        for k in $(order "$r" $KINDS); do
            blog "round $r/$BENCH_ROUNDS, $c conns: $k"
            run_wrk "$r,$k,$c" main "$k" "$c"
        done
    done
done
for c in $BENCH_CONNS; do for k in $KINDS; do agg "$k,$c"; done; done

# ---------------------------------------------------------------- statements

# What PostgreSQL spends per request, planning included (docapi sends
# every list unnamed: planned for every request): pg_stat_statements with
# track_planning, 2 s of each kind at 1 connection, reset before each.
pg_psql -c "ALTER SYSTEM SET pg_stat_statements.track = 'top'" -c "ALTER SYSTEM SET pg_stat_statements.track_planning = on" \
    -c "SELECT pg_reload_conf()" >/dev/null || bdie "pg_stat_statements"
declare -A PSS
for k in $KINDS; do
    q1 "SELECT pg_stat_statements_reset()" >/dev/null
    BENCH_SECONDS=2 run_wrk "pss,$k" main "$k" 1
    n=$(( ${R[pss,$k,requests]:-0} + 1 ))
    PSS[$k]=$(q1 "SELECT round(sum(calls)::numeric / $n, 2) || ' | ' || round((sum(total_plan_time) / $n)::numeric, 3)
                 || ' | ' || round((sum(total_exec_time) / $n)::numeric, 3) || ' | ' || round(sum(rows)::numeric / $n, 1)
                 FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'")
done
pg_psql -c "ALTER SYSTEM SET pg_stat_statements.track = 'none'" -c "ALTER SYSTEM SET pg_stat_statements.track_planning = off" \
    -c "SELECT pg_reload_conf()" >/dev/null

# ---------------------------------------------------------------- 4. RSS

between_phases
DOCAPI_PROCS=1 lighttpd_start rss || bdie "lighttpd rss"
RSS_PID=$(pgrep -P "$(lighttpd_pid rss)" | head -n 1)
[ -n "$RSS_PID" ] || bdie "no worker of lighttpd rss"
declare -a RSS_ROWS
RSS_ROWS+=("fresh worker, no request yet | - | $(rss_of "$RSS_PID")")
for r in $(seq 1 "$BENCH_ROUNDS"); do
    for c in $BENCH_CONNS; do
        for k in $(order "$r" p10 p1000); do
            blog "round $r/$BENCH_ROUNDS RSS, $c conns: $k"
            run_wrk "$r,$k,$c" rss "$k" "$c"
            RSS_ROWS+=("round $r, $c conns, pages of ${k#p} | ${R[$r,$k,$c,requests]} | $(rss_of "$RSS_PID")")
            R[rss,$r,$k,$c]=$(rss_of "$RSS_PID")
        done
    done
done
for c in $BENCH_CONNS; do for k in p10 p1000; do agg "$k,$c"; done; done
[ "$(pgrep -P "$(lighttpd_pid rss)" | head -n 1)" = "$RSS_PID" ] || RSS_NOTE="the worker was replaced during the phase (crash?): the samples mix two processes"
lighttpd_stop rss

# ---------------------------------------------------------------- EXPLAIN

# A worker whose sessions load auto_explain: the plans of the statements
# docapi sends (unnamed, so a custom plan for every request).
blog "EXPLAIN ANALYZE through auto_explain"
docapi_write_conf "$STACK_TMP/explain.conf" "" \
    "host=$(pg_socket_dir) port=$(pg_port) dbname=docapi user=postgres options='-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on'"
DOCAPI_CONF_FILE=$STACK_TMP/explain.conf DOCAPI_PROCS=1 lighttpd_start explain || bdie "lighttpd explain"
PGLOG=$STACK_TMP/postgresql.log
declare -A PLAN
explain_one() {  # explain_one KIND QUERY BODY
    local k=$1 q=$2 body=$3 i size
    for i in 1 2 3; do
        [ "$i" = 3 ] && { sleep 0.3; size=$(stat -c %s "$PGLOG"); }
        curl -s -m 30 -o /dev/null -X POST -H "Authorization: Bearer $KEY" -H "X-Namespace: bench" \
            -H 'Content-Type: application/json' --data-binary "$body" \
            "$(lighttpd_url explain)/v1/collections/list/documents/list$q"
    done
    sleep 0.5
    # the entry whose query text is the list's statement (WITH s AS ...)
    tail -c "+$(( size + 1 ))" "$PGLOG" | awk '
        /^[0-9][0-9][0-9][0-9]-/ { keep = 0 }
        /duration: .* plan:/     { buf = $0; pending = 1; next }
        pending && /Query Text: WITH s AS/ { keep = 1; pending = 0; sub(/^.*duration: /, "duration: ", buf); print buf; if (!done++) print > "'"$OUT/explain.query.$k"'"; next }
        pending { pending = 0 }
        keep' >"$OUT/explain.$k"
    PLAN[$k]=$(cat "$OUT/explain.$k")
    [ -n "${PLAN[$k]}" ] || PLAN[$k]="(no plan found in $PGLOG)"
}
explain_one filter "" '{"filters":{"field":"metadata.category","operator":"eq","value":7},"limit":10}'
explain_one page1 "" '{"limit":10}'
explain_one cursor "" "{\"limit\":10,\"cursor\":\"${CURSORS%%,*}\"}"
explain_one cursor_mid "" "{\"limit\":10,\"cursor\":\"$MID\"}"
explain_one offset "" '{"limit":10,"offset":10000}'
explain_one p1000 "" "{\"limit\":1000,\"cursor\":\"$DEEP\"}"
STATEMENT=$(tail -c "+1" "$PGLOG" | grep -m 1 -o 'Query Text: WITH s AS.*' | sed 's/^Query Text: //')
lighttpd_stop explain
# By hand, NOT docapi's statements: the filtered page's core (the
# collection as an InitPlan, the bare containment, as docapi sends them)
# as PostgreSQL plans it, and the same with the matches first taken in a
# MATERIALIZED CTE (the GIN index), then ordered. The 3rd run of each.
declare -A HAND
hand() {
    local i
    for i in 1 2; do q1 "EXPLAIN (ANALYZE) $2" >/dev/null || bdie "EXPLAIN $1"; done
    HAND[$1]=$(q1 "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $2")
}
HCOL="(SELECT c.id FROM public.collections c WHERE c.name = 'list')"
HCOND="(d.metadata @> '{\"category\": 7}'::jsonb OR d.metadata @> '{\"category\": [7]}'::jsonb)"
hand walk "SELECT d.* FROM public.documents d WHERE d.col_pk = $HCOL AND $HCOND ORDER BY d.created_at, d.document_id LIMIT 11"
hand gin "WITH g AS MATERIALIZED (SELECT d.* FROM public.documents d WHERE d.col_pk = $HCOL AND $HCOND) SELECT * FROM g ORDER BY g.created_at, g.document_id LIMIT 11"
hand gin_only "WITH g AS MATERIALIZED (SELECT d.* FROM public.documents d WHERE d.col_pk + 0 = $HCOL AND $HCOND) SELECT * FROM g ORDER BY g.created_at, g.document_id LIMIT 11"

# ---------------------------------------------------------------- report

nx_cell() { [ "${R[$1,non2xx]:-0}" = 0 ] && [ "${R[$1,errors]:-0}" = 0 ] && echo 0 || echo "${R[$1,non2xx]} (+${R[$1,errors]} socket errors)"; }
cpu_cell() { echo "$(per_req "${R[$1,server]}" "${R[$1,requests]}") / $(per_req "${R[$1,pg]}" "${R[$1,requests]}")"; }
# ratio2 A B: A/B, 3 decimals below 0.1, none from 100 up.
ratio2() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN{ if (b > 0 && a > 0) { r = a / b; printf (r < 0.1 ? "%.3f" : r >= 100 ? "%.0f" : "%.2f"), r } else printf "-" }'; }
pass() { awk -v x="$1" -v t="$2" 'BEGIN{ if (x == "-") print "?"; else if (x <= t) print "met"; else if (x / t >= 2) printf "**missed**, %.0fx the target", x / t; else printf "**missed** by %.0f %%", 100 * (x / t - 1) }'; }
ms() { awk -v u="${1:-0}" 'BEGIN{printf "%.2f", u / 1000}'; }
C1=$(echo "$BENCH_CONNS" | awk '{print $1}'); CN=$(echo "$BENCH_CONNS" | awk '{print $NF}')
REPORT=$STACK_TMP/report.md
{
    echo "## List (issue 14) $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $(nproc) CPU ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), load before the run $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "docapi ${BENCH_LABEL:-$(git -C "$BUILD_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$BUILD_DIR" diff --quiet HEAD -- cgi sql 2>/dev/null || echo '+local changes')} ($BUILD_DIR); $BENCH_PROCS FastCGI workers; PostgreSQL $("$PGB/postgres" --version | awk '{print $3}') (fsync off, shared_buffers $BENCH_PG_SHARED_BUFFERS); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')."
    echo "$LIST_DOCS documents with 3 s3:// blobs in collection list (imported in $LIST_IMPORT_S s; table documents $LIST_SIZE with indexes, $LIST_ROW-byte rows); ${BENCH_SECONDS}s per measurement, $BENCH_ROUNDS interleaved rounds (p50 and req/s = mean of the rounds)."
    echo "Response bytes: GET $BYTES_GET, page of 10 $BYTES_PAGE10, with URLs $BYTES_URL, filter page $BYTES_FILTER, page of 1000 $BYTES_PAGE1000; cursor $CURSOR_LEN characters. Walk to the cursors: $WALK_PAGES requests."
    echo
    echo "| measurement | reference | p50 at $C1 conn, ms (this / ref) | **p50 ratio** | target | req/s at $CN conns (this / ref) | ref / this req/s | CPU ms per request at $CN, server+workers / PostgreSQL (this; ref) |"
    echo "|---|---|---:|---:|---|---:|---:|---:|"
    row() {  # row LABEL KIND REFKIND REFLABEL TARGET
        local x y
        x=$(ratio2 "${R[$2,$C1,p50_us]}" "${R[$3,$C1,p50_us]}")
        y=$(ratio2 "${R[$3,$CN,rps]}" "${R[$2,$CN,rps]}")
        printf '| %s | %s | %s / %s | **%s** | %s | %s / %s | %s | %s; %s |\n' "$1" "$4" \
            "$(ms "${R[$2,$C1,p50_us]}")" "$(ms "${R[$3,$C1,p50_us]}")" "$x" \
            "$([ -n "$5" ] && echo "<= ${5}x: $(pass "$x" "$5")" || echo "-")" \
            "${R[$2,$CN,rps]}" "${R[$3,$CN,rps]}" "$y" "$(cpu_cell "$2,$CN")" "$(cpu_cell "$3,$CN")"
    }
    row "1. filter metadata.category eq (GIN), page 1 of 10" filter get "GET by id" 2
    row "2. cursor pages 9,991-10,000 of 10" cursor page1 "page 1 of 10" 1.2
    row "2. cursor page 1,001 of 10 (after position 10,000)" cursor_mid page1 "page 1 of 10" ""
    row "2. offset 10,000, limit 10 (page 1,001)" offset page1 "page 1 of 10" ""
    row "3. cursor pages 9,991-10,000, return_url=true (30 URLs)" cursor_url cursor "the same without" 1.5
    echo
    echo "Per kind and round (p50 ms at $C1 conn; req/s at $CN conns; p99 ms):"
    echo
    echo "| kind | p50 per round | p99 | CPU ms per request at $C1 conn, server+workers / PostgreSQL | req/s per round | p99 at $CN | non-2xx |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for k in $KINDS; do
        printf '| %s | %s | %s | %s | %s | %s | %s / %s |\n' "$k" \
            "$(echo "${R[$k,$C1,rounds_p50]}" | awk -F' / ' '{for (i = 1; i <= NF; i++) printf "%s%.2f", (i > 1 ? " / " : ""), $i / 1000}')" \
            "$(ms "${R[$k,$C1,p99_us]}")" "$(cpu_cell "$k,$C1")" "${R[$k,$CN,rounds_rps]}" "$(ms "${R[$k,$CN,p99_us]}")" \
            "$(nx_cell "$k,$C1")" "$(nx_cell "$k,$CN")"
    done
    echo
    echo "### What PostgreSQL spends per request (pg_stat_statements, track_planning on, 2 s of each at 1 connection)"
    echo
    echo "| kind | statements per request | planning ms per request | execution ms per request | rows per request |"
    echo "|---|---:|---:|---:|---:|"
    for k in $KINDS; do echo "| $k | ${PSS[$k]} |"; done
    echo
    echo "### Worker RSS (one worker of its own; pages of 10 and of 1000 after the cursor at position $(( LIST_DOCS - 1000 )))"
    echo
    echo "| after | requests | VmRSS KiB | VmHWM KiB | RssAnon KiB |"
    echo "|---|---:|---:|---:|---:|"
    for line in "${RSS_ROWS[@]}"; do
        # shellcheck disable=SC2086
        set -- ${line##*| }
        printf '| %s | %s | %s | %s | %s |\n' "${line%% |*}" "$(echo "$line" | awk -F' [|] ' '{print $2}')" "$1" "$2" "$3"
    done
    echo
    for c in $BENCH_CONNS; do
        printf -- '- %s conns: pages of 1000 %s req/s (%s docs/s), pages of 10 %s req/s; CPU ms per page of 1000 %s, of 10 %s.\n' "$c" \
            "${R[p1000,$c,rps]}" "$(( ${R[p1000,$c,rps]:-0} * 1000 ))" "${R[p10,$c,rps]}" "$(cpu_cell "p1000,$c")" "$(cpu_cell "p10,$c")"
    done
    [ -z "${RSS_NOTE:-}" ] || echo "- **$RSS_NOTE**"
    echo
    echo "### Plans of the statements docapi sends (auto_explain, log_analyze, 3rd request of each; p1000 = the RSS phase's page of 1000)"
    echo
    for k in filter page1 cursor cursor_mid offset p1000; do
        echo "$k:"
        echo
        echo '```'
        echo "${PLAN[$k]}"
        echo '```'
        echo
    done
    echo "By hand (not docapi's statements), the filtered page's core: as planned (LIMIT 11 over the ordered index); with the matches taken first in a MATERIALIZED CTE; the same with 'col_pk + 0' (no bitmap of the collection's index ANDed in); 3rd run of each:"
    echo
    for k in walk gin gin_only; do
        echo '```'
        echo "${HAND[$k]}"
        echo '```'
        echo
    done
    echo "The statement (the filter's; the others differ only in the condition, the keyset and the parameters):"
    echo
    echo '```sql'
    if [ -s "$OUT/explain.query.filter" ]; then sed 's/^[[:space:]]*Query Text: //' "$OUT/explain.query.filter"; else echo "$STATEMENT"; fi
    echo '```'
    echo
    echo "Whole run: $(( $(date +%s) - START )) s."
} >"$REPORT"
cat "$REPORT"
[ -z "${BENCH_RESULTS:-}" ] || cp "$REPORT" "$BENCH_RESULTS"
