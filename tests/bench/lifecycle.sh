#!/bin/bash
# lifecycle.sh - what the lifecycle routes (issue 13) cost, in ONE run on
# ONE PostgreSQL cluster:
#
#   git worktree add /tmp/docapi-base 9f32c38 && (cd /tmp/docapi-base &&
#       ./autogen.sh && ./configure -q && make -j2)
#   BENCH_BASE_DIR=/tmp/docapi-base tests/bench/lifecycle.sh     # ~6 min
#
# A benchmark, never a timed test: not part of tests/test.sh or CI.
# Four comparisons, each interleaved over $BENCH_ROUNDS rounds (the order
# of the systems reversed every other round), $BENCH_SECONDS per
# measurement, req/s = mean of the rounds. They run as phases in the order
# 4 (on the freshly imported tables of both databases), 1, 2, 3, with a
# VACUUM ANALYZE of every database and a CHECKPOINT between phases, so
# that neither autovacuum nor a timed checkpoint lands in one phase
# because of the one before:
#   1. create   POST /v1/collections/new/documents with a small body
#               ({"collection_id":"new","metadata":{"counter":N}}; docapi
#               picks the id) at $BENCH_CONNS connections, against
#               ceiling = 1/(1/pgbench + 1/floor): pgbench -M prepared of
#               peers/pgbench-create.sql (the bare INSERT ... RETURNING a
#               hand-written peer needs, on the peers' schema,
#               peers/peer-schema.sql, database "peers") and the web floor
#               (trivial.c behind the same lighttpd configuration, the same
#               wrk script), as peers.sh measures them.
#   2. delete   DELETE of a different existing document every request
#               (docapi.lua mode delete: a per-thread counter over documents
#               loaded first into collection "del"), against the ceiling of
#               pgbench of peers/pgbench-delete.sql (the bare DELETE, every
#               transaction a different existing row) and the floor. The
#               rows deleted are counted: a request or transaction that
#               found nothing to delete would be flagged.
#   3. feed     10,000 changes read in 10 pages of limit=1000: pgbench -M
#               extended of changes.sql (10 calls of public.docapi_changes,
#               docapi's statement) vs list_keyset.sql (the plain SELECT
#               document_id, version ... ORDER BY document_id LIMIT 1000,
#               10 keyset pages), at each of $BENCH_FEED_CONNS connections,
#               and the same pages through HTTP (wrk, docapi.lua mode
#               changes); plus EXPLAIN (ANALYZE, BUFFERS) of a poll with
#               nothing new (since = the collection's last seq): the
#               statement by hand and, through auto_explain, the plans the
#               function itself runs; and of a first page (since = 0),
#               inside the function, by hand, and by hand as a rewrite that
#               is not docapi's (each UNION ALL branch limited by itself).
#   4. A/B      PATCH (patch_random) and GET of one document, this build
#               against the build in $BENCH_BASE_DIR (e.g. a worktree of
#               9f32c38, before migration 003): the baseline gets a database
#               of its own ("docapi_base", migrated by its own docapi-admin
#               from its own sql/, the same NDJSON imported) and a lighttpd
#               of its own, in the same cluster; measured back to back.
#               HOT updates of the PATCHes from pg_stat_user_tables.
# Before measuring, pg_stat_statements (track = all: the statements inside
# the functions and triggers too) over a 2 s wrk run of create, delete and
# PATCH (both builds) says what PostgreSQL runs per request.
# CPU per request from /proc/PID/stat (utime+stime) before/after each
# measurement: server+workers (the lighttpd's tree), PostgreSQL (the
# postmaster, its live and reaped children).
#
# Knobs (environment): BENCH_SECONDS (8), BENCH_CONNS (16), BENCH_ROUNDS
# (2), BENCH_WARMUP (3), BENCH_FEED_CONNS ("1 4"), BENCH_BASE_DIR (a built
# tree of the baseline; empty = no A/B), BENCH_DEL_STRIDE (30000: documents
# per wrk thread and round), BENCH_PGB_DEL_STRIDE (25000: rows per pgbench
# client and round), and those of lib.sh: BENCH_DOCS (20000 here), BENCH_PROCS
# (4), BENCH_BUILD, BUILD_DIR (the tree measured), BENCH_LABEL,
# BENCH_RESULTS (also write the report there), BENCH_DATA_DIR.
# Everything started is private to this run (loopback, sockets under
# $STACK_TMP) and stopped by PID on exit (scripts/stack.sh's trap).
set -uo pipefail
BENCH_DOCS=${BENCH_DOCS:-20000}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
PEERS_DIR=$BENCH_DIR/peers

BENCH_SECONDS=${BENCH_SECONDS:-8}
BENCH_CONNS=${BENCH_CONNS:-16}
BENCH_ROUNDS=${BENCH_ROUNDS:-2}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_FEED_CONNS=${BENCH_FEED_CONNS:-"1 4"}
BENCH_BASE_DIR=${BENCH_BASE_DIR:-}
BENCH_DEL_STRIDE=${BENCH_DEL_STRIDE:-30000}
BENCH_PGB_DEL_STRIDE=${BENCH_PGB_DEL_STRIDE:-25000}
PEERS_DB=peers
BASE_DB=docapi_base
START=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

threads_for() { [ "$1" -ge 2 ] && echo 2 || echo 1; }
THREADS=$(threads_for "$BENCH_CONNS")

bench_setup
PGB=$(stack_pg_bin)
OUT=$STACK_TMP/out
mkdir -p "$OUT"
ppsql() { PG_DATABASE=$PEERS_DB pg_psql "$@"; }
bpsql() { PG_DATABASE=$BASE_DB pg_psql "$@"; }
q1() { pg_psql -At -c "$1"; }

# ---------------------------------------------------------------- baseline

declare -A URL ROOT KEYS
URL[docapi]=$URL_MAIN; ROOT[docapi]=$(lighttpd_pid main); KEYS[docapi]=$KEY
URL[floor]=$URL_TRIVIAL; ROOT[floor]=$(lighttpd_pid trivial); KEYS[floor]=$KEY
if [ -n "$BENCH_BASE_DIR" ]; then
    for f in cgi/docapi.fcgi cgi/docapi-admin; do
        [ -x "$BENCH_BASE_DIR/$f" ] || bdie "no $BENCH_BASE_DIR/$f (build the baseline tree first)"
    done
    BASE_LABEL=$(git -C "$BENCH_BASE_DIR" rev-parse --short HEAD 2>/dev/null || echo "$BENCH_BASE_DIR")
    blog "baseline $BASE_LABEL: database $BASE_DB, its own migrations ($BENCH_BASE_DIR/sql), the same $BENCH_DOCS documents"
    "$PGB/createdb" -h "$(pg_socket_dir)" -p "$(pg_port)" -U postgres "$BASE_DB" || bdie "createdb $BASE_DB"
    DOCAPI_SQL_DIR=$BENCH_BASE_DIR/sql docapi_write_conf "$STACK_TMP/base.conf" "" \
        "host=$(pg_socket_dir) port=$(pg_port) dbname=$BASE_DB user=postgres"
    badm() { DOCAPI_CONF=$STACK_TMP/base.conf "$BENCH_BASE_DIR/cgi/docapi-admin" "$@"; }
    badm migrate >/dev/null || bdie "baseline migrate failed"
    BORG=$(badm create-org bench) || bdie "baseline create-org"
    BNS=$(badm create-namespace --org "$BORG" bench) || bdie "baseline create-namespace"
    BCOL=$(badm create-collection --namespace "$BNS" bench) || bdie "baseline create-collection"
    BCOL10=$(badm create-collection --namespace "$BNS" bench10) || bdie "baseline create-collection"
    BKEY=$(badm create-key --org "$BORG" --role write) || bdie "baseline create-key"
    badm import --collection "$BCOL" "$DATA" >/dev/null || bdie "baseline import failed"
    badm import --collection "$BCOL10" "$DATA10" >/dev/null || bdie "baseline import failed"
    bpsql -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null || bdie "vacuum failed"
    bpsql -At -c "SELECT count(*) FROM documents WHERE length(metadata::text) > 0" >/dev/null
    DOCAPI_CONF_FILE=$STACK_TMP/base.conf DOCAPI_FCGI=$BENCH_BASE_DIR/cgi/docapi.fcgi \
        DOCAPI_PROCS=$BENCH_PROCS lighttpd_start base || bdie "lighttpd base"
    URL[base]=$(lighttpd_url base); ROOT[base]=$(lighttpd_pid base); KEYS[base]=$BKEY
fi

# tsize DB: "size avg_row_bytes" of documents (collection bench + bench10).
tsize() {
    PG_DATABASE=$1 pg_psql -At -F ' ' -c "SELECT pg_size_pretty(pg_total_relation_size('documents')),
        (SELECT round(avg(pg_column_size(d.*))) FROM documents d)"
}
SIZE_A=$(tsize docapi)
[ -z "$BENCH_BASE_DIR" ] || SIZE_B=$(tsize "$BASE_DB")

# ---------------------------------------------------------------- data

# docapi: collection "new" receives the creates, "del" holds the documents
# the DELETEs remove: doc_1 .. doc_N, N = (rounds + 1) * threads * stride
# (round 0: the checks and the statement count), small rows like the
# creates' ({"counter": n}).
adm create-collection --namespace "$NS" new >/dev/null || bdie "create-collection new"
COL_DEL=$(adm create-collection --namespace "$NS" del) || bdie "create-collection del"
DEL_ROWS=$(( (BENCH_ROUNDS + 1) * THREADS * BENCH_DEL_STRIDE ))
PGB_DEL_ROWS=$(( BENCH_ROUNDS * BENCH_CONNS * BENCH_PGB_DEL_STRIDE ))
COLPK_BENCH=$(q1 "SELECT id FROM collections WHERE col_id = '$COL'")
COLPK_DEL=$(q1 "SELECT id FROM collections WHERE col_id = '$COL_DEL'")

blog "peers' schema in database $PEERS_DB, $PGB_DEL_ROWS rows to delete"
"$PGB/createdb" -h "$(pg_socket_dir)" -p "$(pg_port)" -U postgres "$PEERS_DB" || bdie "createdb $PEERS_DB"
ppsql -f "$PEERS_DIR/peer-schema.sql" || bdie "peer-schema.sql"
ppsql -c "INSERT INTO docs (collection_id, document_id, metadata)
          SELECT 'col_del', 'doc_' || g, jsonb_build_object('counter', g)
            FROM generate_series(1, $PGB_DEL_ROWS) g" -c "VACUUM ANALYZE" >/dev/null || bdie "peers' rows"

# ---------------------------------------------------------------- helpers

declare -A R
# pg_ticks: the cluster's CPU ticks once the backends of ended connections
# (pgbench's) are reaped: an exited, unreaped backend's CPU is neither in
# its /proc/PID/stat nor yet in the postmaster's cutime.
PG_CHILDREN=""
pg_mark() { PG_CHILDREN=" $(pgrep -P "$(pg_pid)" | tr '\n' ' ') "; }
pg_ticks_settled() {
    local _i c left
    for _i in $(seq 1 100); do
        left=0
        for c in $(pgrep -P "$(pg_pid)" -f '^postgres: postgres '); do
            [[ $PG_CHILDREN == *" $c "* ]] || left=1
        done
        [ "$left" = 0 ] && break
        sleep 0.05
    done
    postmaster_cpu "$(pg_pid)"
}

# run_wrk TAG SYSTEM MODE COL CONNS [VAR=VALUE...]: one wrk measurement of
# docapi.lua; results in R[TAG,*] (rps requests non2xx errors p50_us p99_us
# server pg).
run_wrk() {
    local tag=$1 s=$2 mode=$3 col=$4 c=$5 f=$OUT/$1 s0 p0 s1 p1 line kv
    shift 5
    s0=$(tree_cpu "${ROOT[$s]}"); p0=$(postmaster_cpu "$(pg_pid)")
    env "$@" BENCH_MODE="$mode" BENCH_KEY="${KEYS[$s]}" BENCH_NS=bench BENCH_COL="$col" \
        BENCH_NDOCS="$BENCH_DOCS" \
        wrk -t "$(threads_for "$c")" -c "$c" -d "${BENCH_SECONDS}s" --timeout 5s \
        -s "$BENCH_DIR/docapi.lua" "${URL[$s]}/" >"$f.wrk" 2>"$f.err"
    s1=$(tree_cpu "${ROOT[$s]}"); p1=$(postmaster_cpu "$(pg_pid)")
    line=$(grep '^RESULT' "$f.wrk" || true)
    [ -n "$line" ] || { blog "wrk failed for $tag: $(head -c 300 "$f.err")"; line="RESULT requests=0 duration_us=1 rps=0 p50_us=0 p99_us=0 errors=-1 non2xx=-1"; }
    for kv in ${line#RESULT }; do R[$tag,${kv%%=*}]=${kv#*=}; done
    R[$tag,server]=$(( s1 - s0 )); R[$tag,pg]=$(( p1 - p0 ))
}

# run_pgbench TAG DB SCRIPT MODE CONNS [-D ...]: results in R[TAG,*].
run_pgbench() {
    local tag=$1 db=$2 script=$3 qmode=$4 c=$5 f=$OUT/$1 p0 p1
    shift 5
    pg_mark; p0=$(postmaster_cpu "$(pg_pid)")
    "$PGB/pgbench" -n -M "$qmode" -f "$script" -c "$c" -j "$(threads_for "$c")" \
        -T "$BENCH_SECONDS" "$@" -h "$(pg_socket_dir)" -p "$(pg_port)" -U postgres "$db" \
        >"$f.pgb" 2>"$f.err"
    p1=$(pg_ticks_settled)
    R[$tag,rps]=$(awk '/^tps = /{print $3; exit}' "$f.pgb")
    R[$tag,requests]=$(awk '/number of transactions actually processed/{print $6; exit}' "$f.pgb" | cut -d/ -f1)
    R[$tag,failed]=$(awk '/number of failed transactions/{print $5; exit}' "$f.pgb")
    if [ -z "${R[$tag,rps]}" ] || grep -q aborted "$f.err" "$f.pgb"; then
        blog "pgbench $tag: $(head -c 400 "$f.err")"
        R[$tag,failed]="${R[$tag,failed]:-?} (clients aborted)"
    fi
    R[$tag,rps]=${R[$tag,rps]:-0}; R[$tag,requests]=${R[$tag,requests]:-0}
    R[$tag,server]=0; R[$tag,pg]=$(( p1 - p0 )); R[$tag,non2xx]=0; R[$tag,errors]=0
}

per_req() { awk -v t="${1:-0}" -v n="${2:-0}" -v k="$CLK_TCK" 'BEGIN{ if (n > 0) printf "%.3f", t / k * 1000 / n; else printf "-" }'; }
# agg KEY: R[KEY,*] over the rounds R[r,KEY,*]: rps = mean, the rest sums.
agg() {
    local k=$1 r rs=0 n=0 sv=0 pg=0 nx=0 er=0 per=""
    for r in $(seq 1 "$BENCH_ROUNDS"); do
        rs=$(awk -v a="$rs" -v b="${R[$r,$k,rps]:-0}" 'BEGIN{print a + b}')
        per="$per $(printf '%.0f' "${R[$r,$k,rps]:-0}")"
        n=$(( n + ${R[$r,$k,requests]:-0} )); sv=$(( sv + ${R[$r,$k,server]:-0} ))
        pg=$(( pg + ${R[$r,$k,pg]:-0} ))
        [ "${R[$r,$k,non2xx]:-0}" -lt 0 ] && nx=-1 || nx=$(( nx + ${R[$r,$k,non2xx]:-0} ))
        [ "${R[$r,$k,errors]:-0}" -lt 0 ] && er=-1 || er=$(( er + ${R[$r,$k,errors]:-0} ))
    done
    R[$k,rps]=$(awk -v a="$rs" -v n="$BENCH_ROUNDS" 'BEGIN{printf "%.0f", a / n}')
    R[$k,requests]=$n; R[$k,server]=$sv; R[$k,pg]=$pg; R[$k,non2xx]=$nx; R[$k,errors]=$er
    R[$k,rounds]=${per# }
}
ceiling() { awk -v a="${R[$1,rps]:-0}" -v b="${R[$2,rps]:-0}" 'BEGIN{ if (a > 0 && b > 0) printf "%.0f", 1/(1/a + 1/b); else print 0 }'; }
pct() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN{ if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'; }
# order ROUND A B C...: the systems, reversed in even rounds.
order() { local r=$1; shift; if [ $(( r % 2 )) = 0 ]; then echo "$@" | tr ' ' '\n' | tac | tr '\n' ' '; else echo "$@"; fi; }

# ---------------------------------------------------------------- checks

curl_h=(-s -m 10 -H "Authorization: Bearer $KEY" -H "X-Namespace: bench")
blog "checks"
c_create=$(curl "${curl_h[@]}" -o "$OUT/check.create" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary '{"collection_id":"new","metadata":{"counter":1}}' "$URL_MAIN/v1/collections/new/documents")
c_feed=$(curl "${curl_h[@]}" -o "$OUT/check.feed" -w '%{http_code}' "$URL_MAIN/v1/collections/bench/documents/changes?since=0&limit=2")
c_floor=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST --data-binary '{}' "$URL_TRIVIAL/")
CHECKS="create $c_create ($(head -c 100 "$OUT/check.create")...), feed $c_feed ($(head -c 100 "$OUT/check.feed")...), floor $c_floor"
if [ -n "$BENCH_BASE_DIR" ]; then
    c_bget=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $BKEY" -H "X-Namespace: bench" "${URL[base]}/v1/collections/bench/documents/doc_1")
    c_bpatch=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X PATCH -H "Authorization: Bearer $BKEY" -H "X-Namespace: bench" \
        -H 'Content-Type: application/merge-patch+json' --data-binary '{"metadata":{"counter":1}}' "${URL[base]}/v1/collections/bench/documents/doc_1")
    CHECKS="$CHECKS; baseline GET $c_bget, PATCH $c_bpatch"
    { [ "$c_bget" = 200 ] && [ "$c_bpatch" = 200 ]; } || bdie "the baseline does not answer 200: $CHECKS (see $STACK_TMP/lighttpd-base/app.log)"
fi
blog "$CHECKS"
{ [[ $c_create == 20[01] ]] && [ "$c_feed" = 200 ] && [ "$c_floor" = 200 ]; } ||
    bdie "docapi does not answer as expected: $CHECKS (see $STACK_TMP/lighttpd-main/app.log)"

# What PostgreSQL runs per request: pg_stat_statements, track = all (the
# statements inside functions and triggers too), over 2 s of each kind at
# $BENCH_CONNS connections.
SQLCHECK=$OUT/sqlcheck.txt
: >"$SQLCHECK"
stmts() {  # stmts WHAT REQUESTS NON2XX
    {
        printf '%s: %s requests (2 s, %s conns, non-2xx %s); per request: calls | mean exec | total exec | statement\n' \
            "$1" "$2" "$BENCH_CONNS" "$3"
        pg_psql -At -F ' | ' -c "SELECT round(s.calls::numeric / $2, 2), round(s.mean_exec_time::numeric * 1000, 1) || ' us',
                round((s.total_exec_time / $2)::numeric * 1000, 1) || ' us',
                CASE WHEN s.toplevel THEN '' ELSE '(nested) ' END || left(regexp_replace(s.query, '\s+', ' ', 'g'), 110)
           FROM pg_stat_statements s WHERE s.query NOT LIKE '%pg_stat_statements%' AND s.calls >= $2 / 4
          ORDER BY s.toplevel DESC, s.total_exec_time DESC LIMIT 14"
        echo
    } >>"$SQLCHECK"
}
sqlcheck_wrk() {  # TAG SYSTEM MODE COL [VAR=VALUE...]
    local tag=$1; shift
    pg_psql -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
    pg_psql -At -c "SELECT pg_stat_statements_reset()" >/dev/null
    BENCH_SECONDS=2 run_wrk "check,$tag" "$1" "$2" "$3" "$BENCH_CONNS" "${@:4}"
    pg_psql -c "ALTER SYSTEM SET pg_stat_statements.track = 'none'" -c "SELECT pg_reload_conf()" >/dev/null
    stmts "$tag" "${R[check,$tag,requests]}" "${R[check,$tag,non2xx]}"
}
sqlcheck_wrk "docapi PATCH" docapi patch_random bench
[ -z "$BENCH_BASE_DIR" ] || sqlcheck_wrk "baseline PATCH" base patch_random bench

blog "warm-up ${BENCH_WARMUP}s of GET per system"
for s in docapi ${BENCH_BASE_DIR:+base} floor; do
    BENCH_SECONDS=$BENCH_WARMUP run_wrk "warm,$s" "$s" get bench "$BENCH_CONNS"
done

# between_phases: every database vacuumed and a checkpoint, so that
# neither autovacuum nor a timed checkpoint (5 min) lands in the next
# phase because of the last one.
between_phases() {
    local db
    for db in docapi $PEERS_DB ${BENCH_BASE_DIR:+$BASE_DB}; do
        PG_DATABASE=$db pg_psql -c "VACUUM ANALYZE" >/dev/null || bdie "VACUUM $db"
    done
    pg_psql -c "CHECKPOINT" >/dev/null
}

# ---------------------------------------------------------------- 4. A/B

hot() {  # hot DB: "updates hot_updates" of documents
    PG_DATABASE=$1 pg_psql -At -F ' ' -c "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'documents'"
}
if [ -n "$BENCH_BASE_DIR" ]; then
    between_phases
    sleep 2  # the backends' last statistics reports
    read -r HA0 HHA0 <<<"$(hot docapi)"; read -r HB0 HHB0 <<<"$(hot "$BASE_DB")"
    for r in $(seq 1 "$BENCH_ROUNDS"); do
        for mode in patch_random get; do
            for s in $(order "$r" docapi base); do
                blog "round $r/$BENCH_ROUNDS A/B $mode: $s"
                run_wrk "$r,ab,$s,$mode" "$s" "$mode" bench "$BENCH_CONNS"
            done
        done
    done
    sleep 2
    read -r HA1 HHA1 <<<"$(hot docapi)"; read -r HB1 HHB1 <<<"$(hot "$BASE_DB")"
    for s in docapi base; do for mode in patch_random get; do agg "ab,$s,$mode"; done; done
fi

# The documents the DELETEs remove, loaded after the A/B (which then ran
# on tables of the same size in both databases); round 0's for the check
# and the statement count.
blog "loading $DEL_ROWS documents to delete into collection del"
q1 "INSERT INTO documents (col_pk, document_id, metadata)
    SELECT $COLPK_DEL, 'doc_' || g, jsonb_build_object('counter', g) FROM generate_series(1, $DEL_ROWS) g" >/dev/null ||
    bdie "loading the documents to delete failed"
pg_psql -c "VACUUM ANALYZE documents" >/dev/null
c_delete=$(curl "${curl_h[@]}" -o "$OUT/check.delete" -w '%{http_code}' -X DELETE "$URL_MAIN/v1/collections/del/documents/doc_$BENCH_DEL_STRIDE")
c_gone=$(curl "${curl_h[@]}" -o /dev/null -w '%{http_code}' "$URL_MAIN/v1/collections/del/documents/doc_$BENCH_DEL_STRIDE")
CHECKS="$CHECKS; delete $c_delete ($(head -c 100 "$OUT/check.delete")), then GET $c_gone"
{ [ "$c_delete" = 200 ] && [ "$c_gone" = 404 ]; } || bdie "docapi DELETE: $CHECKS"
sqlcheck_wrk "docapi create" docapi create new
sqlcheck_wrk "docapi delete" docapi delete del BENCH_DEL_BASE=0 BENCH_DEL_STRIDE="$BENCH_DEL_STRIDE"
cat "$SQLCHECK" >&2

# ---------------------------------------------------------------- 1. create

between_phases
for r in $(seq 1 "$BENCH_ROUNDS"); do
    for s in $(order "$r" docapi floor pgbench); do
        blog "round $r/$BENCH_ROUNDS create: $s"
        case $s in
        pgbench) run_pgbench "$r,create,$s" "$PEERS_DB" "$PEERS_DIR/pgbench-create.sql" prepared "$BENCH_CONNS" -D col=col_new ;;
        *) run_wrk "$r,create,$s" "$s" create new "$BENCH_CONNS" ;;
        esac
    done
done
for s in docapi floor pgbench; do agg "create,$s"; done

# ---------------------------------------------------------------- 2. delete

del_left() { q1 "SELECT count(*) FROM documents WHERE col_pk = $COLPK_DEL"; }
pdel_left() { ppsql -At -c "SELECT count(*) FROM docs WHERE collection_id = 'col_del'"; }
between_phases
for r in $(seq 1 "$BENCH_ROUNDS"); do
    for s in $(order "$r" docapi floor pgbench); do
        blog "round $r/$BENCH_ROUNDS delete: $s"
        case $s in
        pgbench)
            n0=$(pdel_left)
            run_pgbench "$r,delete,$s" "$PEERS_DB" "$PEERS_DIR/pgbench-delete.sql" prepared "$BENCH_CONNS" \
                -D col=col_del -D "base=$(( (r - 1) * BENCH_CONNS * BENCH_PGB_DEL_STRIDE ))" \
                -D "stride=$BENCH_PGB_DEL_STRIDE" -D i=0
            R[$r,delete,$s,gone]=$(( n0 - $(pdel_left) )) ;;
        docapi)
            n0=$(del_left)
            run_wrk "$r,delete,$s" "$s" delete del "$BENCH_CONNS" \
                BENCH_DEL_BASE=$(( r * THREADS * BENCH_DEL_STRIDE )) BENCH_DEL_STRIDE="$BENCH_DEL_STRIDE"
            R[$r,delete,$s,gone]=$(( n0 - $(del_left) )) ;;
        floor) run_wrk "$r,delete,$s" "$s" delete del "$BENCH_CONNS" ;;
        esac
    done
done
for s in docapi floor pgbench; do agg "delete,$s"; done

# ---------------------------------------------------------------- 3. feed

# Page boundaries of the feed of collection bench (the seq after which
# each page of 1000 starts) and of its listing by id.
SINCE=$(q1 "SELECT string_agg(s::text, ',' ORDER BY n) FROM (
    SELECT 0 AS s, 0 AS n UNION ALL
    SELECT seq, n FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM (
        SELECT seq FROM documents WHERE col_pk = $COLPK_BENCH
        UNION ALL SELECT seq FROM document_tombstones WHERE col_pk = $COLPK_BENCH) u) x
    WHERE n % 1000 = 0 AND n <= 9000) b")
KEYS_AFTER=$(q1 "SELECT string_agg(k, ',' ORDER BY n) FROM (
    SELECT 'doc_' AS k, 0 AS n UNION ALL
    SELECT document_id, n FROM (SELECT document_id, row_number() OVER (ORDER BY document_id) AS n
        FROM documents WHERE col_pk = $COLPK_BENCH) x WHERE n % 1000 = 0 AND n <= 9000) b")
IFS=, read -r -a SA <<<"$SINCE"; IFS=, read -r -a KA <<<"$KEYS_AFTER"
[ "${#SA[@]}" = 10 ] && [ "${#KA[@]}" = 10 ] || bdie "fewer than 10,000 documents in collection bench"
FEED_D=(); LIST_D=()
for i in $(seq 0 9); do FEED_D+=(-D "s$i=${SA[$i]}"); LIST_D+=(-D "k$i=${KA[$i]}"); done
# Each script reads 10,000: check it on one run of each.
FEED_ROWS=$(q1 "SELECT sum(json_array_length(found)) FROM unnest(ARRAY[$SINCE]::bigint[]) s,
    LATERAL public.docapi_changes('$KEYHASH'::bytea, NULL, 'bench', NULL, 'bench', s, 1000)")
LIST_ROWS=$(PG_DATABASE=docapi pg_psql -At -c "SELECT count(*) FROM unnest(string_to_array('$KEYS_AFTER', ',')) k,
    LATERAL (SELECT 1 FROM documents WHERE col_pk = $COLPK_BENCH AND document_id > k ORDER BY document_id LIMIT 1000) x")
blog "feed pages since ${SINCE} read $FEED_ROWS changes; keyset pages read $LIST_ROWS documents"

between_phases
for r in $(seq 1 "$BENCH_ROUNDS"); do
    for c in $BENCH_FEED_CONNS; do
        for s in $(order "$r" feed list http); do
            blog "round $r/$BENCH_ROUNDS 10,000 changes at $c conns: $s"
            case $s in
            feed) run_pgbench "$r,feed,$s,$c" docapi "$BENCH_DIR/changes.sql" extended "$c" \
                    -D "keyhash=$KEYHASH" -D nsid=none -D nsname=bench -D colid=none -D colname=bench "${FEED_D[@]}" ;;
            list) run_pgbench "$r,feed,$s,$c" docapi "$BENCH_DIR/list_keyset.sql" extended "$c" \
                    -D "colpk=$COLPK_BENCH" "${LIST_D[@]}" ;;
            http) run_wrk "$r,feed,$s,$c" docapi changes bench "$c" BENCH_SINCE="$SINCE" BENCH_LIMIT=1000 ;;
            esac
        done
    done
done
for c in $BENCH_FEED_CONNS; do for s in feed list http; do agg "feed,$s,$c"; done; done

# EXPLAIN of a poll with nothing new: since = the collection's last seq.
LAST=$(q1 "SELECT greatest((SELECT max(seq) FROM documents WHERE col_pk = $COLPK_BENCH),
                           (SELECT max(seq) FROM document_tombstones WHERE col_pk = $COLPK_BENCH))")
# feed_sql SINCE [bounded]: docapi_changes' statement with the
# collection and since written in; bounded = a rewrite that is not what
# docapi runs: each branch of the UNION ALL ordered and limited by itself,
# so that it can stop after 1001 index entries.
feed_sql() {
    local d="SELECT d.seq, d.document_id, false AS deleted, d.version
                      FROM public.documents d WHERE d.col_pk = $COLPK_BENCH AND d.seq > $1"
    local t="SELECT t.seq, t.document_id, true, t.version
                      FROM public.document_tombstones t WHERE t.col_pk = $COLPK_BENCH AND t.seq > $1"
    [ "${2:-}" != bounded ] || { d="($d ORDER BY d.seq LIMIT 1001)"; t="($t ORDER BY t.seq LIMIT 1001)"; }
    echo "SELECT json_agg(json_build_object('seq', x.seq, 'document_id', x.document_id,
                                      'deleted', x.deleted, 'version', x.version)
                    ORDER BY x.seq) FILTER (WHERE x.n <= 1000),
           max(x.seq) FILTER (WHERE x.n <= 1000), count(*) > 1000
      FROM (SELECT u.*, row_number() OVER (ORDER BY u.seq) AS n
              FROM ($d
                    UNION ALL
                    $t
                     ORDER BY 1 LIMIT 1001) u) x"
}
EXPLAIN_HAND=$(q1 "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $(feed_sql "$LAST")")
# A first page (since = 0) by hand, as docapi's statement and as the
# bounded rewrite: each run 3 times, the last plan kept.
for i in 1 2; do q1 "EXPLAIN (ANALYZE) $(feed_sql 0)" >/dev/null; q1 "EXPLAIN (ANALYZE) $(feed_sql 0 bounded)" >/dev/null; done
EXPLAIN_PAGE_HAND=$(q1 "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $(feed_sql 0)")
EXPLAIN_PAGE_BOUNDED=$(q1 "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $(feed_sql 0 bounded)")
# The plans the function runs (the 7th call of a session: after five
# custom plans PL/pgSQL may switch to a generic one), via auto_explain.
EXPLAIN_FN=$(pg_psql -At 2>&1 <<SQL
LOAD 'auto_explain';
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_min_duration = 0;
SET client_min_messages = warning;
SELECT count(*) FROM generate_series(1, 6) g, LATERAL public.docapi_changes('$KEYHASH'::bytea, NULL, 'bench', NULL, 'bench', $LAST, 1000) c;
SET client_min_messages = log;
SELECT outcome, found, last_seq, has_more FROM public.docapi_changes('$KEYHASH'::bytea, NULL, 'bench', NULL, 'bench', $LAST, 1000);
SQL
)
# And of a page with 1000 to read (the first: since = 0): the feed's own
# statement only.
EXPLAIN_PAGE=$(pg_psql -At 2>&1 <<SQL | awk '/^(psql:[^ ]* )?LOG:/{keep = 0} /Query Text: SELECT json_agg/{keep = 1} keep'
LOAD 'auto_explain';
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_min_duration = 0;
SET client_min_messages = warning;
SELECT count(*) FROM generate_series(1, 6) g, LATERAL public.docapi_changes('$KEYHASH'::bytea, NULL, 'bench', NULL, 'bench', 0, 1000) c;
SET client_min_messages = log;
SELECT last_seq, has_more FROM public.docapi_changes('$KEYHASH'::bytea, NULL, 'bench', NULL, 'bench', 0, 1000);
SQL
)

# ---------------------------------------------------------------- report

cpu_cell() {  # "server+workers / PostgreSQL" ms per request of KEY
    local k=$1
    if [ "${R[$k,server]:-0}" = 0 ]; then echo "- / $(per_req "${R[$k,pg]}" "${R[$k,requests]}")"
    else echo "$(per_req "${R[$k,server]}" "${R[$k,requests]}") / $(per_req "${R[$k,pg]}" "${R[$k,requests]}")"; fi
}
nx_cell() { [ "${R[$1,non2xx]:-0}" = 0 ] && [ "${R[$1,errors]:-0}" = 0 ] && echo 0 || echo "${R[$1,non2xx]} (+${R[$1,errors]} socket errors)"; }
pass() { awk "BEGIN{exit !($1)}" && echo PASS || echo FAIL; }
REPORT=$STACK_TMP/report.md
{
    echo "## Lifecycle routes $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $(nproc) CPU ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), load before the run $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "docapi ${BENCH_LABEL:-$(git -C "$BUILD_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$BUILD_DIR" diff --quiet HEAD -- cgi sql 2>/dev/null || echo '+local changes')} ($BUILD_DIR)${BENCH_BASE_DIR:+, baseline $BASE_LABEL ($BENCH_BASE_DIR, database $BASE_DB)}; $BENCH_PROCS FastCGI workers; PostgreSQL $("$PGB/postgres" --version | awk '{print $3}') (fsync off, shared_buffers $BENCH_PG_SHARED_BUFFERS); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')."
    echo "$BENCH_DOCS documents (+$BENCH_DOCS10 with 10 blobs) imported into each docapi database; ${BENCH_SECONDS}s per measurement, $BENCH_ROUNDS interleaved rounds (req/s = mean of the rounds), $BENCH_CONNS connections unless said."
    echo "Checks: $CHECKS."
    echo
    echo "### Create and DELETE ($BENCH_CONNS connections)"
    echo
    echo "| route | docapi req/s | floor req/s | pgbench tx/s (bare statement) | ceiling | **docapi / ceiling** | CPU ms per request docapi (server+workers / PostgreSQL) | PostgreSQL ms per pgbench tx | PostgreSQL CPU docapi / bare | non-2xx | docapi req/s per round |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for w in create delete; do
        cl=$(ceiling "$w,pgbench" "$w,floor"); R[$w,ceiling]=$cl
        printf '| %s | %s | %s | %s | %s | **%s** | %s | %s | %s | %s | %s |\n' "$w" "${R[$w,docapi,rps]}" "${R[$w,floor,rps]}" \
            "${R[$w,pgbench,rps]}" "$cl" "$(pct "${R[$w,docapi,rps]}" "$cl")" "$(cpu_cell "$w,docapi")" \
            "$(per_req "${R[$w,pgbench,pg]}" "${R[$w,pgbench,requests]}")" \
            "$(ratio "$(per_req "${R[$w,docapi,pg]}" "${R[$w,docapi,requests]}")" "$(per_req "${R[$w,pgbench,pg]}" "${R[$w,pgbench,requests]}")")" \
            "$(nx_cell "$w,docapi")" "${R[$w,docapi,rounds]}"
    done
    echo
    echo "DELETEs that removed a row: docapi $(for r in $(seq 1 "$BENCH_ROUNDS"); do printf '%s/%s ' "${R[$r,delete,docapi,gone]}" "${R[$r,delete,docapi,requests]}"; done)(rows gone / requests, per round; wrk counts the requests still in flight at the end); pgbench $(for r in $(seq 1 "$BENCH_ROUNDS"); do printf '%s/%s ' "${R[$r,delete,pgbench,gone]}" "${R[$r,delete,pgbench,requests]}"; done)(rows gone / transactions)."
    echo
    echo "### Change feed: 10,000 changes in 10 pages of 1000"
    echo
    echo "| connections | feed (changes.sql, docapi_changes) reads of 10,000 /s | keyset listing (list_keyset.sql) reads of 10,000 /s | **feed / listing** | PostgreSQL ms per 10,000: feed / listing | HTTP feed pages/s (x1000 changes) | HTTP CPU ms per page (server+workers / PostgreSQL) |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    for c in $BENCH_FEED_CONNS; do
        printf '| %s | %s | %s | **%s** | %s / %s | %s | %s |\n' "$c" "${R[feed,feed,$c,rps]}" "${R[feed,list,$c,rps]}" \
            "$(ratio "${R[feed,feed,$c,rps]}" "${R[feed,list,$c,rps]}")" \
            "$(per_req "${R[feed,feed,$c,pg]}" "${R[feed,feed,$c,requests]}")" "$(per_req "${R[feed,list,$c,pg]}" "${R[feed,list,$c,requests]}")" \
            "${R[feed,http,$c,rps]}" "$(cpu_cell "feed,http,$c")"
    done
    echo
    echo "Rows per pass: the feed's pages returned $FEED_ROWS changes, the keyset pages $LIST_ROWS documents (HTTP non-2xx: $(for c in $BENCH_FEED_CONNS; do printf '%s ' "$(nx_cell "feed,http,$c")"; done))."
    echo
    echo "A poll with nothing new (collection bench, since = its last seq $LAST), by hand:"
    echo
    echo '```'
    echo "$EXPLAIN_HAND"
    echo '```'
    echo
    echo "The same call of public.docapi_changes, the plans it runs (auto_explain, nested statements, 7th call of the session):"
    echo
    echo '```'
    echo "$EXPLAIN_FN" | sed -E 's/^(psql:<stdin>:[0-9]+: )?LOG: +/LOG: /'
    echo '```'
    echo
    echo "A page with 1000 to read (since = 0), the feed's statement inside the function (auto_explain, 7th call):"
    echo
    echo '```'
    echo "$EXPLAIN_PAGE"
    echo '```'
    echo
    echo "The same first page by hand: docapi's statement, then a rewrite that is not docapi's (each branch of the UNION ALL with its own ORDER BY seq LIMIT 1001):"
    echo
    echo '```'
    echo "$EXPLAIN_PAGE_HAND"
    echo '```'
    echo
    echo '```'
    echo "$EXPLAIN_PAGE_BOUNDED"
    echo '```'
    echo
    if [ -n "$BENCH_BASE_DIR" ]; then
        echo "### GET and PATCH: this build vs $BASE_LABEL (A/B, same run, own databases)"
        echo
        echo "| route | $BASE_LABEL req/s | this build req/s | **after / before** | CPU ms per request before (server+workers / PostgreSQL) | after | PostgreSQL CPU after / before | non-2xx before / after | req/s per round before | after |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for mode in patch_random get; do
            printf '| %s | %s | %s | **%s** | %s | %s | %s | %s / %s | %s | %s |\n' "$mode" "${R[ab,base,$mode,rps]}" "${R[ab,docapi,$mode,rps]}" \
                "$(ratio "${R[ab,docapi,$mode,rps]}" "${R[ab,base,$mode,rps]}")" "$(cpu_cell "ab,base,$mode")" "$(cpu_cell "ab,docapi,$mode")" \
                "$(ratio "$(per_req "${R[ab,docapi,$mode,pg]}" "${R[ab,docapi,$mode,requests]}")" "$(per_req "${R[ab,base,$mode,pg]}" "${R[ab,base,$mode,requests]}")")" \
                "$(nx_cell "ab,base,$mode")" "$(nx_cell "ab,docapi,$mode")" "${R[ab,base,$mode,rounds]}" "${R[ab,docapi,$mode,rounds]}"
        done
        echo
        echo "Table documents after the import (size with indexes, average row): before ${SIZE_B:-?}, this build $SIZE_A bytes."
        echo
        echo "HOT updates of documents during the A/B: before $(( HHB1 - HHB0 )) of $(( HB1 - HB0 )), this build $(( HHA1 - HHA0 )) of $(( HA1 - HA0 )) (pg_stat_user_tables)."
        echo
    fi
    echo "### Statements per request (pg_stat_statements, track = all, 2 s of each at $BENCH_CONNS connections)"
    echo
    echo '```'
    cat "$SQLCHECK"
    echo '```'
    echo
    echo "### Targets"
    echo
    for w in create delete; do
        r=$(awk -v a="${R[$w,docapi,rps]}" -v c="${R[$w,ceiling]}" 'BEGIN{ if (c > 0) printf "%.1f", 100 * a / c; else print 0 }')
        printf -- '- %s >= 80%% of its ceiling: %s%% -> **%s**\n' "$w" "$r" "$(pass "$r >= 80")"
    done
    if [ -n "$BENCH_BASE_DIR" ]; then
        for mode in patch_random get; do
            r=$(ratio "${R[ab,docapi,$mode,rps]}" "${R[ab,base,$mode,rps]}")
            printf -- '- %s within 5%% of %s: %s -> **%s**\n' "$mode" "$BASE_LABEL" "${r}x" "$(pass "${r/-/0} >= 0.95")"
        done
    fi
    echo
    echo "Whole run: $(( $(date +%s) - START )) s."
} >"$REPORT"
cat "$REPORT"
[ -z "${BENCH_RESULTS:-}" ] || cp "$REPORT" "$BENCH_RESULTS"
