#!/bin/bash
# scaleout.sh - what the scale-out pieces buy, measured in ONE run on ONE
# machine (a private PostgreSQL primary + a streaming replica, PgBouncer,
# several lighttpd "hosts"):
#
#   tests/bench/scaleout.sh
#
# A. Reads on a replica. GET of a random document from
#      main     lighttpd + $BENCH_PROCS docapi.fcgi workers reading the primary
#      replica  the same, with database_read_url = a streaming replica
#               (pg_basebackup -R next to the stack's PostgreSQL, own socket
#               dir and port, hot_standby)
#    CPU per GET of lighttpd+workers, of the PRIMARY's postgres processes
#    (its postmaster tree) and of the REPLICA's (the replica's postmaster,
#    from its postmaster.pid, + its children): with the replica, the
#    primary's CPU per GET falls to near zero at the same rate.
# B. Two web hosts through one PgBouncer (pool_mode = transaction,
#    default_pool_size = $BENCH_PGB_POOL_B): lighttpd "hosta" and "hostb",
#    $BENCH_HOST_PROCS workers each, database_url = PgBouncer. PATCH (random
#    document) and GET: one host alone at $BENCH_CONNS connections, then both
#    at once (two wrk, $BENCH_CONNS connections each, same duration, summed).
#    req/s, both/one, CPU per request of the web tier (both lighttpd + their
#    workers + pgbouncer) and of PostgreSQL (primary; the replica's WAL
#    replay shown apart). On one small machine the hosts share the CPUs with
#    the database, so both/one is near 1; the MODEL line puts each host on
#    its own 2-core machine and the database on its own:
#      throughput(N) = min(N * 2000 / web_ms_per_req, 2000 / pg_ms_per_req)
#    (2 cores = 2000 ms of CPU per second; CPU per request of the one-host
#    run), the modelled ratio for 2 hosts, and N at which the database
#    saturates (N = web_ms / pg_ms).
# C. Direct vs PgBouncer (transaction, default_pool_size $BENCH_PGB_POOL_C)
#    for the same $BENCH_PROCS workers: lighttpd "main" (direct, unix
#    socket) vs lighttpd "pool" (database_url = PgBouncer): PATCH and GET
#    req/s ratio, target >= 90%.
# Every measurement is $BENCH_SECONDS of wrk (tests/bench/docapi.lua) at
# $BENCH_CONNS connections per host; $BENCH_ROUNDS rounds, interleaved (A, B,
# C in every round, the order inside each part reversed every other round;
# req/s = mean of the rounds, CPU per request = CPU ticks / requests over
# all rounds). Before each measurement the script waits until no autovacuum
# worker runs and the replica has replayed the primary's WAL, so the work of
# one measurement does not spill into the next. CPU from /proc/PID/stat
# (utime+stime, + cutime+cstime of the tree roots: respawned workers and
# exited backends count). Prints a markdown table per part.
#
# Knobs (environment): BENCH_SECONDS (10) per measurement, BENCH_CONNS (16)
# per host, BENCH_ROUNDS (2), BENCH_WARMUP (3 s of GET per host before round
# 1), BENCH_DOCS (20000), BENCH_PROCS (4: workers of main, replica, pool),
# BENCH_HOST_PROCS (4: workers of hosta, hostb), BENCH_PGB_POOL_B (4),
# BENCH_PGB_POOL_C (2), BENCH_PGB_TCP (0: docapi reaches PgBouncer on its
# unix socket, as it reaches PostgreSQL; 1 = TCP on 127.0.0.1),
# BENCH_MODEL_CORES (2: cores per machine in the MODEL), BENCH_RESULTS (also
# write the report there), and those of lib.sh: BENCH_BUILD (1; 0 = use the
# binaries as they are), BUILD_DIR, BENCH_LABEL, BENCH_DATA_DIR,
# BENCH_PG_SHARED_BUFFERS.
# Everything started (PostgreSQL, the replica, two PgBouncer, the lighttpd)
# is private to this run and stopped by PID on exit: the replica with
# pg_ctl -m fast in an EXIT trap that runs before the stack's, the rest by
# scripts/stack.sh's trap.
set -uo pipefail
: "${BENCH_DOCS:=20000}"
export BENCH_DOCS
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_CONNS=${BENCH_CONNS:-16}
BENCH_ROUNDS=${BENCH_ROUNDS:-2}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_HOST_PROCS=${BENCH_HOST_PROCS:-4}
BENCH_PGB_POOL_B=${BENCH_PGB_POOL_B:-4}
BENCH_PGB_POOL_C=${BENCH_PGB_POOL_C:-2}
BENCH_PGB_TCP=${BENCH_PGB_TCP:-0}
BENCH_MODEL_CORES=${BENCH_MODEL_CORES:-2}
START=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

command -v pgbouncer >/dev/null || bdie "pgbouncer is not installed (apt-get install -y pgbouncer)"
bench_setup
PGBIN=$(stack_pg_bin)
DB=${PG_DATABASE:-docapi}
# bench_setup's trivial responder is not used here
lighttpd_stop trivial
OUT=$STACK_TMP/out
mkdir -p "$OUT"

# ---------------------------------------------------------------- replica

RDATA=$STACK_TMP/replica
RSOCK=$STACK_TMP/replica-sock
RPORT=$(stack_free_port) || bdie "no free port for the replica"
replica_stop() {
    [ -f "$RDATA/postmaster.pid" ] || return 0
    blog "stopping the replica (pg_ctl -m fast)"
    stack_as_pg "$PGBIN/pg_ctl" -D "$RDATA" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}
# the replica first, then the stack's trap (which keeps the exit status)
trap 'rc=$?; replica_stop; (exit $rc); stack__on_exit' EXIT

blog "streaming replica: pg_basebackup -R, port $RPORT"
mkdir -p "$RDATA" "$RSOCK"
touch "$STACK_TMP/replica.log"
chown "${PG_USER:-postgres}": "$RDATA" "$RSOCK" "$STACK_TMP/replica.log" 2>/dev/null || true
chmod 700 "$RDATA"
stack_as_pg "$PGBIN/pg_basebackup" -D "$RDATA" -h "$(pg_socket_dir)" -p "$(pg_port)" \
    -U postgres -R -X stream -c fast >"$STACK_TMP/basebackup.log" 2>&1 ||
    bdie "pg_basebackup failed: $(tail -n 3 "$STACK_TMP/basebackup.log")"
# same settings as the primary (postgresql.auto.conf comes with the backup)
stack_as_pg "$PGBIN/pg_ctl" -D "$RDATA" -l "$STACK_TMP/replica.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $RPORT -k $RSOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 -c hot_standby=on" \
    start >"$STACK_TMP/replica-ctl.log" 2>&1 ||
    bdie "replica did not start: $(tail -n 3 "$STACK_TMP/replica-ctl.log" "$STACK_TMP/replica.log" 2>&1)"
rpsql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RSOCK" -p "$RPORT" -U postgres -d "$DB" "$@"; }
replica_pid() { [ -f "$RDATA/postmaster.pid" ] && head -n 1 "$RDATA/postmaster.pid"; }
[ "$(rpsql -At -c 'SELECT pg_is_in_recovery()')" = t ] || bdie "the replica is not in recovery"
# warm the replica's buffer cache with the whole table, as bench_setup does the primary's
rpsql -At -c "SELECT count(*) FROM documents WHERE length(metadata::text) > 0" >/dev/null

# replica_catchup: until the replica has replayed the primary's WAL up to its
# insert position (synchronous_commit = off: a commit may not be written yet).
replica_catchup() {
    local lsn _i
    lsn=$(pg_psql -At -c "SELECT pg_current_wal_insert_lsn()")
    for _i in $(seq 1 600); do
        [ "$(rpsql -At -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] && return 0
        sleep 0.1
    done
    blog "note: the replica has not replayed $lsn after 60 s"
}

# settle: no autovacuum worker running (up to 30 s), replica caught up.
settle() {
    local _i
    for _i in $(seq 1 150); do
        [ "$(pg_psql -At -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ] && break
        sleep 0.2
    done
    replica_catchup
}

# ---------------------------------------------------------------- PgBouncer

# pgb_start NAME POOL: PgBouncer (transaction pooling) in front of the
# primary, as tests/integration/pgbouncer_hook.sh starts it; sets PGB_URL[NAME]
# and PGB_PID[NAME].
declare -A PGB_URL PGB_PID
pgb_start() {
    local name=$1 pool=$2 dir=$STACK_TMP/pgbouncer-$1 port _i
    port=$(stack_free_port) || bdie "no free port for PgBouncer"
    mkdir -p "$dir"
    printf '"postgres" ""\n' >"$dir/userlist.txt"
    cat >"$dir/pgbouncer.ini" <<INI
; generated by tests/bench/scaleout.sh
[databases]
$DB = host=$(pg_socket_dir) port=$(pg_port) dbname=$DB user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = $pool
max_client_conn = 500
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
    chown -R "${PG_USER:-postgres}" "$dir" 2>/dev/null || true
    stack_as_pg pgbouncer -d -q "$dir/pgbouncer.ini" ||
        bdie "pgbouncer $name did not start ($(tail -n 3 "$dir/pgbouncer.log" 2>/dev/null))"
    for _i in $(seq 1 50); do
        [ -s "$dir/pgbouncer.pid" ] && break
        sleep 0.1
    done
    [ -s "$dir/pgbouncer.pid" ] || bdie "pgbouncer $name wrote no pid file"
    PGB_PID[$name]=$(cat "$dir/pgbouncer.pid")
    stack_track_pid "${PGB_PID[$name]}"
    stack_wait_port "$port" 10 || bdie "pgbouncer $name is not listening on $port"
    if [ "$BENCH_PGB_TCP" = 1 ]; then
        PGB_URL[$name]="host=127.0.0.1 port=$port dbname=$DB user=postgres"
    else
        PGB_URL[$name]="host=$dir port=$port dbname=$DB user=postgres"
    fi
    blog "pgbouncer $name: transaction pooling, default_pool_size $pool, port $port (pid ${PGB_PID[$name]})"
}
pgb_start B "$BENCH_PGB_POOL_B"
pgb_start C "$BENCH_PGB_POOL_C"

# ---------------------------------------------------------------- hosts

DOCAPI_CONF_EXTRA="$DOCAPI_CONF_EXTRA
database_read_url = host=$RSOCK port=$RPORT dbname=$DB user=postgres" \
    DOCAPI_PROCS=$BENCH_PROCS lighttpd_start replica || bdie "lighttpd replica"
STACK_APP_DATABASE_URL=${PGB_URL[B]} DOCAPI_PROCS=$BENCH_HOST_PROCS lighttpd_start hosta || bdie "lighttpd hosta"
STACK_APP_DATABASE_URL=${PGB_URL[B]} DOCAPI_PROCS=$BENCH_HOST_PROCS lighttpd_start hostb || bdie "lighttpd hostb"
STACK_APP_DATABASE_URL=${PGB_URL[C]} DOCAPI_PROCS=$BENCH_PROCS lighttpd_start pool || bdie "lighttpd pool"
HOSTS="main replica hosta hostb pool"

# ---------------------------------------------------------------- CPU

# cpu_snap ARRAY: ticks of every group into the associative ARRAY.
# shellcheck disable=SC2004,SC2154  # _s is a nameref to an associative array
cpu_snap() {
    local -n _s=$1
    local h
    for h in $HOSTS; do _s[$h]=$(tree_cpu "$(lighttpd_pid "$h")"); done
    _s[pgbB]=$(tree_cpu "${PGB_PID[B]}")
    _s[pgbC]=$(tree_cpu "${PGB_PID[C]}")
    _s[primary]=$(postmaster_cpu "$(pg_pid)")
    _s[rpg]=$(postmaster_cpu "$(replica_pid)")
}
GROUPS_ALL="$HOSTS pgbB pgbC primary rpg"

declare -A R
threads=$([ "$BENCH_CONNS" -ge 2 ] && echo 2 || echo 1)

# run_wrk TAG MODE SECONDS HOST...: one wrk per HOST, all at once, each
# $BENCH_CONNS connections; R[TAG,*]: rps and requests summed over the
# hosts, non2xx, errors, and the CPU ticks of every group.
run_wrk() {
    local tag=$1 mode=$2 secs=$3 h line kv pids=() g
    shift 3
    local -A s0=() s1=() one=()
    settle
    cpu_snap s0
    for h in "$@"; do
        BENCH_MODE=$mode BENCH_KEY=$KEY BENCH_NS=bench BENCH_COL=bench BENCH_NDOCS=$BENCH_DOCS \
            wrk -t "$threads" -c "$BENCH_CONNS" -d "${secs}s" --timeout 5s -s "$BENCH_DIR/docapi.lua" \
            "$(lighttpd_url "$h")/" >"$OUT/$tag.$h.wrk" 2>"$OUT/$tag.$h.err" &
        pids+=($!)
    done
    wait "${pids[@]}"
    cpu_snap s1
    R[$tag,rps]=0; R[$tag,requests]=0; R[$tag,non2xx]=0; R[$tag,errors]=0; R[$tag,per_host]=""
    for h in "$@"; do
        line=$(grep '^RESULT' "$OUT/$tag.$h.wrk" || true)
        [ -n "$line" ] || { blog "wrk failed for $tag on $h: $(head -c 300 "$OUT/$tag.$h.err")"; line="RESULT requests=0 rps=0 errors=0 non2xx=0"; }
        one=()
        for kv in ${line#RESULT }; do one[${kv%%=*}]=${kv#*=}; done
        R[$tag,rps]=$(awk -v a="${R[$tag,rps]}" -v b="${one[rps]}" 'BEGIN{print a + b}')
        R[$tag,requests]=$(( ${R[$tag,requests]} + ${one[requests]:-0} ))
        R[$tag,non2xx]=$(( ${R[$tag,non2xx]} + ${one[non2xx]:-0} ))
        R[$tag,errors]=$(( ${R[$tag,errors]} + ${one[errors]:-0} ))
        R[$tag,per_host]="${R[$tag,per_host]}+$(printf '%.0f' "${one[rps]}")"
    done
    R[$tag,per_host]=${R[$tag,per_host]#+}
    for g in $GROUPS_ALL; do R[$tag,$g]=$(( ${s1[$g]:-0} - ${s0[$g]:-0} )); done
}

# ---------------------------------------------------------------- checks

# check_host HOST: GET and PATCH of doc_1 answer 200 with the document.
declare -A CHECK
check_host() {
    local h=$1 base g p n=$RANDOM f=$OUT/check-$1
    base="$(lighttpd_url "$h")/v1/collections/bench/documents/doc_1"
    local hd=(-s -m 10 -H "Authorization: Bearer $KEY" -H "X-Namespace: bench")
    p=$(curl "${hd[@]}" -o "$f.patch" -w '%{http_code}' -X PATCH -H 'Content-Type: application/merge-patch+json' \
        --data-binary "{\"metadata\":{\"counter\":$n}}" "$base")
    replica_catchup
    g=$(curl "${hd[@]}" -o "$f.get" -w '%{http_code}' "$base")
    CHECK[$h]="PATCH $p, GET $g"
    [ "$p" = 200 ] && [ "$g" = 200 ] && grep -q '"doc_1"' "$f.get" && grep -q "\"counter\": *$n\b" "$f.get"
}
blog "checks"
for h in $HOSTS; do
    check_host "$h" || bdie "$h does not answer correctly (${CHECK[$h]}): $(head -c 300 "$OUT/check-$h.get") / see $STACK_TMP/lighttpd-$h/app.log"
    blog "$h: ${CHECK[$h]} (the GET sees the PATCH)"
done

blog "warm-up: ${BENCH_WARMUP}s of GET per host"
for h in $HOSTS; do run_wrk "warm,$h" get "$BENCH_WARMUP" "$h"; done
# docapi's connections on the replica: the replica host's workers
REPLICA_BACKENDS=$(rpsql -At -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname = '$DB' AND pid <> pg_backend_pid()")

# ---------------------------------------------------------------- runs

# in_order ROUND WORD...: the words, reversed in even rounds.
in_order() {
    local r=$1
    shift
    if [ $(( r % 2 )) = 0 ]; then printf '%s\n' "$@" | tac | tr '\n' ' '; else echo "$*"; fi
}
for r in $(seq 1 "$BENCH_ROUNDS"); do
    # A
    for h in $(in_order "$r" main replica); do
        blog "round $r/$BENCH_ROUNDS A GET: $h"
        run_wrk "$r,A,$h" get "$BENCH_SECONDS" "$h"
    done
    # B
    for mode in patch_random get; do
        for w in $(in_order "$r" one both); do
            blog "round $r/$BENCH_ROUNDS B $mode: $w"
            if [ "$w" = one ]; then run_wrk "$r,B,$mode,one" "$mode" "$BENCH_SECONDS" hosta
            else run_wrk "$r,B,$mode,both" "$mode" "$BENCH_SECONDS" hosta hostb; fi
        done
    done
    # C
    for mode in patch_random get; do
        for h in $(in_order "$r" main pool); do
            blog "round $r/$BENCH_ROUNDS C $mode: $h"
            run_wrk "$r,C,$mode,$h" "$mode" "$BENCH_SECONDS" "$h"
        done
    done
done

# ---------------------------------------------------------------- report

# agg KEY: R[KEY,*] over the rounds (R[r,KEY,*]): rps = mean, rounds = the
# per-round figures, requests/non2xx/errors/ticks = sums.
agg() {
    local k=$1 r f rs=0 per=""
    for f in requests non2xx errors $GROUPS_ALL; do R[$k,$f]=0; done
    for r in $(seq 1 "$BENCH_ROUNDS"); do
        rs=$(awk -v a="$rs" -v b="${R[$r,$k,rps]:-0}" 'BEGIN{print a + b}')
        per="$per $(printf '%.0f' "${R[$r,$k,rps]:-0}")"
        [ "${R[$r,$k,per_host]:-}" = "$(printf '%.0f' "${R[$r,$k,rps]:-0}")" ] || per="$per (${R[$r,$k,per_host]:-})"
        for f in requests non2xx errors $GROUPS_ALL; do R[$k,$f]=$(( ${R[$k,$f]} + ${R[$r,$k,$f]:-0} )); done
    done
    R[$k,rps]=$(awk -v a="$rs" -v n="$BENCH_ROUNDS" 'BEGIN{printf "%.0f", a / n}')
    R[$k,rounds]=${per# }
}
for k in A,main A,replica B,patch_random,one B,patch_random,both B,get,one B,get,both \
    C,patch_random,main C,patch_random,pool C,get,main C,get,pool; do agg "$k"; done

# ms KEY GROUP...: CPU ms per request of the groups summed.
ms() {
    local k=$1 g t=0
    shift
    for g in "$@"; do t=$(( t + ${R[$k,$g]:-0} )); done
    awk -v t="$t" -v n="${R[$k,requests]:-0}" -v c="$CLK_TCK" 'BEGIN{ if (n > 0) printf "%.3f", t / c * 1000 / n; else printf "-" }'
}
pct() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN{ if (b > 0) printf "%.0f%%", 100 * a / b; else printf "-" }'; }
bad() { echo "${R[$1,non2xx]}$([ "${R[$1,errors]}" = 0 ] || echo " (+${R[$1,errors]} socket errors)")"; }
WEB_B="hosta hostb pgbB"  # the groups of the web tier of part B (split on purpose)

REPORT=$STACK_TMP/report.md
# shellcheck disable=SC2086  # $WEB_B: a list of groups
{
    echo "## docapi scale-out benchmark $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $(nproc) CPU ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), load before the run $LOAD_BEFORE."
    echo "docapi ${BENCH_LABEL:-$(git -C "$BUILD_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$BUILD_DIR" diff --quiet HEAD -- cgi sql 2>/dev/null || echo '+local changes')}; $(lighttpd -v 2>/dev/null | head -n 1 | cut -d' ' -f1); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') primary + streaming replica (fsync off, shared_buffers $BENCH_PG_SHARED_BUFFERS); PgBouncer $(pgbouncer -V | awk 'NR==1{print $2}') (transaction pooling, docapi over $([ "$BENCH_PGB_TCP" = 1 ] && echo 'TCP 127.0.0.1' || echo 'its unix socket')); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')."
    echo "$BENCH_DOCS documents, $BENCH_CONNS connections per host, ${BENCH_SECONDS}s per measurement, $BENCH_ROUNDS interleaved round(s) (req/s = mean of the rounds; CPU ms per request = CPU over all rounds / requests)."
    echo
    echo "### A. GET of a random document: reads on the primary vs on a streaming replica ($BENCH_PROCS workers)"
    echo
    echo "| docapi reads from | GET req/s | per round | CPU ms/GET lighttpd+workers | primary's postgres | replica's postgres | non-2xx |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    printf '| primary (lighttpd main) | %s | %s | %s | %s | %s | %s |\n' "${R[A,main,rps]}" "${R[A,main,rounds]}" \
        "$(ms A,main main)" "$(ms A,main primary)" "$(ms A,main rpg)" "$(bad A,main)"
    printf '| replica (lighttpd replica, database_read_url) | %s | %s | %s | %s | %s | %s |\n' "${R[A,replica,rps]}" "${R[A,replica,rounds]}" \
        "$(ms A,replica replica)" "$(ms A,replica primary)" "$(ms A,replica rpg)" "$(bad A,replica)"
    echo
    echo "With the replica: GET req/s $(pct "${R[A,replica,rps]}" "${R[A,main,rps]}") of reading the primary; the primary's CPU per GET $(ms A,replica primary) ms instead of $(ms A,main primary) ms ($(pct "$(ms A,replica primary)" "$(ms A,main primary)")); the replica's $(ms A,replica rpg) ms. docapi connections on the replica after the warm-up: $REPLICA_BACKENDS."
    echo
    echo "### B. Two web hosts (lighttpd hosta, hostb: $BENCH_HOST_PROCS workers each) through one PgBouncer (transaction, default_pool_size $BENCH_PGB_POOL_B)"
    echo
    echo "| request | hosts | req/s | per round (hosta+hostb) | **both/one** | CPU ms/req web tier (lighttpd+workers+pgbouncer) | of which pgbouncer | PostgreSQL (primary) | replica (WAL replay) | non-2xx |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for mode in patch_random get; do
        name=$([ "$mode" = get ] && echo GET || echo PATCH)
        printf '| %s | one (hosta) | %s | %s | | %s | %s | %s | %s | %s |\n' "$name" "${R[B,$mode,one,rps]}" "${R[B,$mode,one,rounds]}" \
            "$(ms "B,$mode,one" $WEB_B)" "$(ms "B,$mode,one" pgbB)" "$(ms "B,$mode,one" primary)" "$(ms "B,$mode,one" rpg)" "$(bad "B,$mode,one")"
        printf '| %s | both at once | %s | %s | **%s** | %s | %s | %s | %s | %s |\n' "$name" "${R[B,$mode,both,rps]}" "${R[B,$mode,both,rounds]}" \
            "$(ratio "${R[B,$mode,both,rps]}" "${R[B,$mode,one,rps]}")" \
            "$(ms "B,$mode,both" $WEB_B)" "$(ms "B,$mode,both" pgbB)" "$(ms "B,$mode,both" primary)" "$(ms "B,$mode,both" rpg)" "$(bad "B,$mode,both")"
    done
    echo
    for mode in patch_random get; do
        name=$([ "$mode" = get ] && echo GET || echo PATCH)
        awk -v name="$name" -v w="$(ms "B,$mode,one" $WEB_B)" -v p="$(ms "B,$mode,one" primary)" -v c="$BENCH_MODEL_CORES" 'BEGIN{
            cap = c * 1000
            if (w <= 0 || p <= 0) { printf "MODEL %s: no CPU figures\n\n", name; exit }
            t1 = (cap / w < cap / p) ? cap / w : cap / p
            t2 = (2 * cap / w < cap / p) ? 2 * cap / w : cap / p
            n = w / p; nc = (n == int(n)) ? n : int(n) + 1
            printf "MODEL %s (each host on its own %d-core machine, the database on its own; throughput(N) = min(N * %d / %.3f, %d / %.3f) from the one-host CPU per request): throughput(1) = %.0f req/s, throughput(2) = %.0f req/s, **modelled ratio for 2 hosts = %.2f**; the database saturates at N = web/pg = %.2f hosts", name, c, cap, w, cap, p, t1, t2, t2 / t1, n
            if (n <= 1) printf " (the database is the limit already with 1 host: %.0f req/s).\n\n", cap / p
            else printf " (from %d hosts on, more hosts add nothing: %.0f req/s).\n\n", nc, cap / p
        }'
    done
    echo "### C. Direct vs PgBouncer (transaction, default_pool_size $BENCH_PGB_POOL_C) for the same $BENCH_PROCS workers"
    echo
    echo "| docapi's database_url | PATCH req/s | GET req/s | PATCH per round | GET per round | CPU ms per PATCH (lighttpd+workers+pgbouncer / PostgreSQL) | CPU ms per GET | non-2xx PATCH | non-2xx GET |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '| PostgreSQL, unix socket (lighttpd main) | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s |\n' \
        "${R[C,patch_random,main,rps]}" "${R[C,get,main,rps]}" "${R[C,patch_random,main,rounds]}" "${R[C,get,main,rounds]}" \
        "$(ms C,patch_random,main main)" "$(ms C,patch_random,main primary)" "$(ms C,get,main main)" "$(ms C,get,main primary)" \
        "$(bad C,patch_random,main)" "$(bad C,get,main)"
    printf '| PgBouncer, pool %s (lighttpd pool) | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s |\n' "$BENCH_PGB_POOL_C" \
        "${R[C,patch_random,pool,rps]}" "${R[C,get,pool,rps]}" "${R[C,patch_random,pool,rounds]}" "${R[C,get,pool,rounds]}" \
        "$(ms C,patch_random,pool pool pgbC)" "$(ms C,patch_random,pool primary)" "$(ms C,get,pool pool pgbC)" "$(ms C,get,pool primary)" \
        "$(bad C,patch_random,pool)" "$(bad C,get,pool)"
    pgbshare="pgbouncer's part of the web CPU: $(ms C,patch_random,pool pgbC) ms per PATCH, $(ms C,get,pool pgbC) ms per GET"
    rp=$(pct "${R[C,patch_random,pool,rps]}" "${R[C,patch_random,main,rps]}")
    rg=$(pct "${R[C,get,pool,rps]}" "${R[C,get,main,rps]}")
    pass() { [ "$1" != - ] && [ "${1%\%}" -ge 90 ] && echo PASS || echo FAIL; }
    printf '| **PgBouncer / direct** (target >= 90%%) | **%s** %s | **%s** %s | | | | | | |\n' "$rp" "$(pass "$rp")" "$rg" "$(pass "$rg")"
    echo
    echo "Via PgBouncer, $pgbshare."
    echo
    echo "Checks (PATCH then GET of doc_1 through curl on every host; the GET sees the PATCH): $(for h in $HOSTS; do printf '%s %s; ' "$h" "${CHECK[$h]}"; done)"
    echo
    echo "Whole run: $(( $(date +%s) - START )) s."
} >"$REPORT"
cat "$REPORT"
[ -z "${BENCH_RESULTS:-}" ] || cp "$REPORT" "$BENCH_RESULTS"
