#!/bin/bash
# peers.sh - docapi side by side with what a user would run instead, and with
# the bare limits of the stack, in ONE run on ONE PostgreSQL cluster:
#
#   tests/bench/peers.sh
#
# Systems, all serving the same documents (docapi's imported ones, copied
# into the peers' schema with one INSERT ... SELECT) with the same wrk script
# (docapi.lua: patch_random = PATCH one metadata key of a random document,
# merge patch; get = GET of a random document):
#   docapi    lighttpd + $BENCH_PROCS docapi.fcgi workers (lib.sh bench_setup)
#   bouncer   (BENCH_PGBOUNCER=1) the same docapi build behind PgBouncer
#             (pool_mode = transaction, default_pool_size = $BENCH_PGB_POOL):
#             its own lighttpd, database_url pointing at PgBouncer
#   php       peers/patch.php on PHP-FPM ($BENCH_PHP_CHILDREN children, static,
#             opcache on) behind its own lighttpd (mod_fastcgi -> FPM socket)
#   fastapi   peers/fastapi_app.py (FastAPI + asyncpg) under Debian's
#             /usr/bin/python3 -m uvicorn, $BENCH_UVICORN_WORKERS workers
#   floor     the trivial FastCGI responder (trivial.c) behind the same
#             lighttpd configuration as docapi: the web floor
#   pgbench   pgbench -M prepared of peers/pgbench-{patch,get}.sql on the
#             peers' schema: the database's own limit for the bare statements
# docapi is addressed as run.sh does (collection name "bench" + X-Namespace),
# the peers by the collection's col_ id (their docs.collection_id); the copy
# reads docapi's documents/collections tables through dblink (contrib, like
# pgbench), so it follows docapi's schema, not its SQL.
# Each system is checked first (one GET and one PATCH through curl: 200 and a
# JSON body with document_id; the floor: 200 and JSON), then, for each of
# $BENCH_ROUNDS rounds (the order of the systems reversed every other round),
# PATCH then GET, every system is measured for $BENCH_SECONDS at
# $BENCH_CONNS connections, one after the other. CPU per request from
# /proc/PID/stat (utime+stime) before/after each measurement:
#   server+workers = web server + app processes (lighttpd and its FastCGI
#                    workers; lighttpd + php-fpm master and children; the
#                    uvicorn supervisor and workers; + pgbouncer for bouncer)
#   PostgreSQL     = the postmaster, its live children and its reaped
#                    children (all backends of the cluster, also the ones
#                    pgbench's connections leave behind)
# ceiling = 1 / (1/pgbench tps + 1/floor req/s). Prints a markdown table with
# non-2xx answers (and socket errors) of every wrk run, the ratios
# docapi/PHP, docapi/FastAPI, docapi/ceiling, (bouncer/docapi), and the
# PostgreSQL CPU per docapi request over the PostgreSQL CPU per bare
# pgbench transaction.
#
# Knobs (environment): BENCH_SECONDS (10) per measurement, BENCH_CONNS (16),
# BENCH_ROUNDS (2), BENCH_WARMUP (3 s of GET per system before round 1),
# BENCH_PGBOUNCER (0; 1 = add docapi behind PgBouncer), BENCH_PGB_POOL (2),
# BENCH_PHP_CHILDREN (4), BENCH_UVICORN_WORKERS (2), BENCH_UVICORN_ARGS
# (extra uvicorn options, e.g. --no-access-log; default none: uvicorn logs
# every request, as lighttpd does for the others), BENCH_INSTALL (1 =
# apt-get install the missing packages when root; 0 = fail instead),
# PHP_FPM (/usr/sbin/php-fpm8.2), and those of lib.sh / run.sh: BENCH_DOCS
# (100000), BENCH_PROCS (4), BENCH_BUILD (1; 0 = measure the binaries as they
# are), BUILD_DIR (the docapi tree measured), BENCH_LABEL, BENCH_RESULTS (also
# write the report there), BENCH_DATA_DIR.
# Everything started (PostgreSQL, the lighttpd, php-fpm, uvicorn, pgbouncer)
# is private to this run (loopback ports from stack_free_port, sockets under
# $STACK_TMP; never the Debian services) and stopped by PID on exit.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
PEERS_DIR=$BENCH_DIR/peers

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_CONNS=${BENCH_CONNS:-16}
BENCH_ROUNDS=${BENCH_ROUNDS:-2}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_PGBOUNCER=${BENCH_PGBOUNCER:-0}
BENCH_PGB_POOL=${BENCH_PGB_POOL:-2}
BENCH_PHP_CHILDREN=${BENCH_PHP_CHILDREN:-4}
BENCH_UVICORN_WORKERS=${BENCH_UVICORN_WORKERS:-2}
BENCH_UVICORN_ARGS=${BENCH_UVICORN_ARGS:-}
BENCH_INSTALL=${BENCH_INSTALL:-1}
PHP_FPM=${PHP_FPM:-/usr/sbin/php-fpm8.2}
PEERS_DB=peers
START=$(date +%s)

# ---------------------------------------------------------------- packages

peers_install() {
    local p missing=""
    for p in php8.2-fpm php8.2-pgsql python3-fastapi python3-uvicorn python3-asyncpg \
        python3-uvloop python3-httptools pgbouncer wrk; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
    done
    [ -n "$missing" ] || return 0
    if [ "$BENCH_INSTALL" != 1 ] || [ "$(id -u)" != 0 ]; then
        bdie "missing packages:$missing (apt-get install -y$missing)"
    fi
    blog "installing$missing"
    local log=${TMPDIR:-/tmp}/peers-apt.$$.log
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y $missing >"$log" 2>&1 ||
        { apt-get update >>"$log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y $missing >>"$log" 2>&1; } ||
        bdie "apt-get install failed, see $log"
    rm -f "$log"
}
peers_install
[ -x "$PHP_FPM" ] || bdie "no $PHP_FPM"
# A php-fpm or pgbouncer service the Debian package may have started is not
# used (private sockets and ports here); it only competes for the CPU.
for p in php-fpm8.2 pgbouncer; do
    pgrep -x "$p" >/dev/null && blog "note: a $p not started by this run is running (pids $(pgrep -x "$p" | tr '\n' ' ')); it is not used"
done

# ---------------------------------------------------------------- helpers

declare -A URL COLP ROOTS R CHECK
# sys_cpu SYSTEM: server+workers ticks of SYSTEM (its root PIDs' trees).
sys_cpu() {
    # shellcheck disable=SC2086
    tree_cpu ${ROOTS[$1]}
}

# wait_http URL SECONDS PID: until URL answers HTTP at all (any status).
wait_http() {
    local url=$1 secs=$2 pid=$3 _i code
    for _i in $(seq 1 "$secs"); do
        code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)
        [ "$code" != 000 ] && [ -n "$code" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 1
    done
    return 1
}

# lighttpd_peer NAME FPM_SOCKET: a lighttpd with the stack's settings whose
# mod_fastcgi talks to an already running FastCGI server (PHP-FPM) on a unix
# socket; every URL is the front controller patch.php. Registered in the
# stack's state like lighttpd_start's, so lighttpd_url/pid/stop work.
lighttpd_peer() {
    local name=$1 sock=$2 dir=$STACK_TMP/lighttpd-$1 port pid _i
    port=$(stack_free_port) || return 1
    mkdir -p "$dir/www" "$dir/upload"
    cp "$PEERS_DIR/patch.php" "$dir/www/patch.php"
    cat >"$dir/lighttpd.conf" <<EOF
# generated by tests/bench/peers.sh (as scripts/stack.sh's, FastCGI to PHP-FPM)
server.modules        = ( "mod_rewrite", "mod_fastcgi", "mod_accesslog" )
server.bind           = "127.0.0.1"
server.port           = $port
server.document-root  = "$dir/www"
server.upload-dirs    = ( "$dir/upload" )
server.errorlog       = "$dir/error.log"
server.max-request-size = 2048
server.breakagelog    = "$dir/app.log"
accesslog.filename    = "$dir/access.log"
url.rewrite-once      = ( "^/.*" => "/patch.php" )
fastcgi.server = ( ".php" => ((
    "socket"      => "$sock",
    "check-local" => "enable",
)) )
EOF
    lighttpd -tt -f "$dir/lighttpd.conf" >"$dir/configtest.log" 2>&1 || { cat "$dir/configtest.log" >&2; return 1; }
    lighttpd -D -f "$dir/lighttpd.conf" </dev/null >>"$dir/stdout.log" 2>&1 &
    pid=$!
    stack_state_set "lighttpd_${name}_pid" "$pid"
    stack_state_set "lighttpd_${name}_port" "$port"
    stack_state_set "lighttpd_${name}_prefix" ""
    stack_wait_port "$port" 15 "$pid"
}

# ---------------------------------------------------------------- stack

bench_setup
PGB=$(stack_pg_bin)
RUNAS_ROOT=0; [ "$(id -u)" = 0 ] && RUNAS_ROOT=1

# The peers' schema in a database of its own (their api_keys would clash
# with docapi's), same cluster; docapi's documents of collection bench
# copied into it with one INSERT ... SELECT (over dblink: across databases).
blog "peers' schema: copying docapi's $BENCH_DOCS documents into database $PEERS_DB"
"$PGB/createdb" -h "$(pg_socket_dir)" -p "$(pg_port)" -U postgres "$PEERS_DB" || bdie "createdb $PEERS_DB"
ppsql() { PG_DATABASE=$PEERS_DB pg_psql "$@"; }
ppsql -f "$PEERS_DIR/peer-schema.sql" || bdie "peer-schema.sql"
# shellcheck disable=SC2153  # COL, ORG, KEY: set by bench_setup
ppsql -v conn="$(pg_conninfo)" -v col="$COL" -v keyhash="$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)" \
    -v org="$ORG" <<'SQL' || bdie "copying the documents into the peers' schema failed"
CREATE EXTENSION dblink;
INSERT INTO docs (collection_id, document_id, sys, metadata, fields, document_blobs, version, created_at, updated_at)
SELECT * FROM dblink(:'conn', format($q$
    SELECT c.col_id, d.document_id, d.sys::jsonb, d.metadata::jsonb, d.fields::jsonb, d.document_blobs::jsonb,
           d.version, d.created_at, d.updated_at
    FROM documents d JOIN collections c ON c.id = d.col_pk WHERE c.col_id = %L$q$, :'col'))
  AS t(collection_id text, document_id text, sys jsonb, metadata jsonb, fields jsonb, document_blobs jsonb,
       version bigint, created_at timestamptz, updated_at timestamptz);
INSERT INTO api_keys VALUES (:'keyhash', :'org');
DROP EXTENSION dblink;
VACUUM ANALYZE;
SQL
PEER_ROWS=$(ppsql -At -c "SELECT count(*) FROM docs")
[ "$PEER_ROWS" = "$BENCH_DOCS" ] || bdie "peers' docs has $PEER_ROWS rows, expected $BENCH_DOCS"
ppsql -At -c "SELECT count(*) FROM docs WHERE length(metadata::text) > 0" >/dev/null
pg_psql -c "CHECKPOINT" >/dev/null

# docapi and the floor: bench_setup's lighttpd main and trivial.
URL[docapi]=$URL_MAIN; COLP[docapi]=bench; ROOTS[docapi]=$(lighttpd_pid main)
URL[floor]=$URL_TRIVIAL; COLP[floor]=bench; ROOTS[floor]=$(lighttpd_pid trivial)

# PHP-FPM, a process of its own with a generated pool, behind lighttpd "php".
blog "starting php-fpm ($BENCH_PHP_CHILDREN children) and lighttpd 'php'"
FPM_DIR=$STACK_TMP/php-fpm
mkdir -p "$FPM_DIR"
{
    echo "; generated by tests/bench/peers.sh"
    echo "[global]"
    echo "pid = $FPM_DIR/php-fpm.pid"
    echo "error_log = $FPM_DIR/php-fpm.log"
    echo "daemonize = no"
    echo "[peer]"
    [ "$RUNAS_ROOT" = 0 ] || { echo "user = www-data"; echo "group = www-data"; }
    echo "listen = $FPM_DIR/php-fpm.sock"
    echo "listen.mode = 0666"
    echo "pm = static"
    echo "pm.max_children = $BENCH_PHP_CHILDREN"
    echo "catch_workers_output = yes"
    echo "env[PEER_PGHOST] = $(pg_socket_dir)"
    echo "env[PEER_PGDATABASE] = $PEERS_DB"
    echo "env[PGPORT] = $(pg_port)"
} >"$FPM_DIR/php-fpm.conf"
"$PHP_FPM" -t -y "$FPM_DIR/php-fpm.conf" >"$FPM_DIR/configtest.log" 2>&1 || { cat "$FPM_DIR/configtest.log" >&2; bdie "php-fpm rejected its configuration"; }
"$PHP_FPM" -F -y "$FPM_DIR/php-fpm.conf" -d opcache.enable=1 </dev/null >"$FPM_DIR/stdout.log" 2>&1 &
FPM_PID=$!
stack_track_pid "$FPM_PID"
for _i in $(seq 1 100); do [ -S "$FPM_DIR/php-fpm.sock" ] && break; kill -0 "$FPM_PID" 2>/dev/null || break; sleep 0.1; done
[ -S "$FPM_DIR/php-fpm.sock" ] || { cat "$FPM_DIR/php-fpm.log" "$FPM_DIR/stdout.log" >&2; bdie "php-fpm did not start"; }
lighttpd_peer php "$FPM_DIR/php-fpm.sock" || bdie "lighttpd 'php' did not start"
URL[php]=$(lighttpd_url php); COLP[php]=$COL; ROOTS[php]="$(lighttpd_pid php) $FPM_PID"

# FastAPI + asyncpg under uvicorn.
blog "starting uvicorn ($BENCH_UVICORN_WORKERS workers)"
UV_DIR=$STACK_TMP/uvicorn
mkdir -p "$UV_DIR"
UV_PORT=$(stack_free_port)
# shellcheck disable=SC2086
(cd "$UV_DIR" && exec env PEER_PGHOST="$(pg_socket_dir)" PEER_PGDATABASE=$PEERS_DB PGPORT="$(pg_port)" \
    PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m uvicorn fastapi_app:app --app-dir "$PEERS_DIR" \
    --host 127.0.0.1 --port "$UV_PORT" --workers "$BENCH_UVICORN_WORKERS" --loop uvloop --http httptools \
    $BENCH_UVICORN_ARGS) </dev/null >"$UV_DIR/uvicorn.log" 2>&1 &
UV_PID=$!
stack_track_pid "$UV_PID"
URL[fastapi]=http://127.0.0.1:$UV_PORT; COLP[fastapi]=$COL; ROOTS[fastapi]=$UV_PID
wait_http "${URL[fastapi]}/" 60 "$UV_PID" || { tail -n 30 "$UV_DIR/uvicorn.log" >&2; bdie "uvicorn did not start"; }
# the workers answer once their pools are connected: wait for all of them
for _i in $(seq 1 100); do
    [ "$(pgrep -P "$UV_PID" | wc -l)" -ge "$BENCH_UVICORN_WORKERS" ] &&
        [ "$(grep -c 'Application startup complete' "$UV_DIR/uvicorn.log")" -ge "$BENCH_UVICORN_WORKERS" ] && break
    sleep 0.2
done
for p in $(pgrep -P "$UV_PID"); do stack_track_pid "$p"; done

SYSTEMS="docapi"
# docapi behind PgBouncer: its own lighttpd, database_url -> PgBouncer.
if [ "$BENCH_PGBOUNCER" = 1 ]; then
    command -v pgbouncer >/dev/null || bdie "no pgbouncer"
    blog "starting pgbouncer (transaction pooling, pool $BENCH_PGB_POOL) and lighttpd 'bouncer'"
    PGB_DIR=$STACK_TMP/pgbouncer
    mkdir -p "$PGB_DIR"
    [ "$RUNAS_ROOT" = 0 ] || chown "${PG_USER:-postgres}": "$PGB_DIR"
    PGB_PORT=$(stack_free_port)
    cat >"$PGB_DIR/pgbouncer.ini" <<EOF
; generated by tests/bench/peers.sh
[databases]
${PG_DATABASE:-docapi} = host=$(pg_socket_dir) port=$(pg_port) dbname=${PG_DATABASE:-docapi} user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = $BENCH_PGB_POOL
max_client_conn = 1000
logfile = $PGB_DIR/pgbouncer.log
pidfile =
EOF
    # -u: pgbouncer refuses to run as root
    PGB_ARGS=(); [ "$RUNAS_ROOT" = 0 ] || PGB_ARGS=(-u "${PG_USER:-postgres}")
    pgbouncer "${PGB_ARGS[@]}" "$PGB_DIR/pgbouncer.ini" \
        </dev/null >"$PGB_DIR/stdout.log" 2>&1 &
    PGB_PID=$!
    stack_track_pid "$PGB_PID"
    stack_wait_port "$PGB_PORT" 15 "$PGB_PID" || { cat "$PGB_DIR/stdout.log" "$PGB_DIR/pgbouncer.log" >&2; bdie "pgbouncer did not start"; }
    sed "s|^database_url = .*|database_url = host=127.0.0.1 port=$PGB_PORT dbname=${PG_DATABASE:-docapi} user=postgres|" \
        "$STACK_TMP/lighttpd-main/docapi.conf" >"$PGB_DIR/docapi.conf"
    DOCAPI_CONF_FILE=$PGB_DIR/docapi.conf DOCAPI_PROCS=$BENCH_PROCS lighttpd_start bouncer || bdie "lighttpd 'bouncer'"
    URL[bouncer]=$(lighttpd_url bouncer); COLP[bouncer]=bench; ROOTS[bouncer]="$(lighttpd_pid bouncer) $PGB_PID"
    SYSTEMS="$SYSTEMS bouncer"
fi
SYSTEMS="$SYSTEMS php fastapi floor"

declare -A NAME=([docapi]="docapi" [bouncer]="docapi via PgBouncer" [php]="PHP-FPM (patch.php)"
    [fastapi]="FastAPI + asyncpg" [floor]="web floor (trivial responder)" [pgbench]="pgbench (bare statements)")

# ---------------------------------------------------------------- checks

# check_system SYSTEM: one GET and one PATCH of doc_1; CHECK[SYSTEM] says
# what came back; non-zero when it is not 200 + JSON with document_id (and
# the patched counter). The floor answers a fixed JSON without document_id.
check_system() {
    local s=$1 base="${URL[$1]}/v1/collections/${COLP[$1]}/documents/doc_1" g p n=$RANDOM f=$STACK_TMP/check-$1
    local h=(-s -m 10 -H "Authorization: Bearer $KEY" -H "X-Namespace: bench")
    g=$(curl "${h[@]}" -o "$f.get" -w '%{http_code}' "$base")
    p=$(curl "${h[@]}" -o "$f.patch" -w '%{http_code}' -X PATCH -H 'Content-Type: application/merge-patch+json' \
        --data-binary "{\"metadata\":{\"counter\":$n}}" "$base")
    CHECK[$s]=$(python3 - "$s" "$g" "$f.get" "$p" "$f.patch" "$n" <<'PY'
import json, sys
s, g, fg, p, fp, n = sys.argv[1:]
out, ok = [], True
for what, code, f in (("GET", g, fg), ("PATCH", p, fp)):
    try:
        body = open(f, "rb").read()
        doc = json.loads(body)
    except Exception:
        doc = None
    msg = "%s %s" % (what, code)
    good = code == "200" and isinstance(doc, dict)
    if good and s != "floor":
        good = doc.get("document_id") == "doc_1"
        if good and what == "PATCH":
            good = (doc.get("metadata") or {}).get("counter") == int(n)
    if not good:
        ok = False
        msg += " BAD: " + body[:200].decode("utf-8", "replace").replace("\n", " ")
    else:
        msg += " ok (%d bytes)" % len(body)
    out.append(msg)
print(", ".join(out))
sys.exit(0 if ok else 1)
PY
)
}

blog "checks"
for s in $SYSTEMS; do
    if check_system "$s"; then
        blog "$s: ${CHECK[$s]}"
    elif [ "$s" = bouncer ]; then
        blog "$s: ${CHECK[$s]} (measured anyway: the error rate is the result)"
    else
        bdie "$s does not answer correctly: ${CHECK[$s]}"
    fi
done

# ---------------------------------------------------------------- runs

threads=$([ "$BENCH_CONNS" -ge 2 ] && echo 2 || echo 1)

# run_wrk TAG SYSTEM MODE SECONDS: results in R[TAG,*].
run_wrk() {
    local tag=$1 s=$2 mode=$3 secs=$4 f=$STACK_TMP/out/$1 s0 p0 s1 p1 line kv
    s0=$(sys_cpu "$s"); p0=$(postmaster_cpu "$(pg_pid)")
    BENCH_MODE=$mode BENCH_KEY=$KEY BENCH_NS=bench BENCH_COL=${COLP[$s]} BENCH_NDOCS=$BENCH_DOCS \
        wrk -t "$threads" -c "$BENCH_CONNS" -d "${secs}s" --timeout 5s -s "$BENCH_DIR/docapi.lua" \
        "${URL[$s]}/" >"$f.wrk" 2>"$f.err"
    s1=$(sys_cpu "$s"); p1=$(postmaster_cpu "$(pg_pid)")
    line=$(grep '^RESULT' "$f.wrk" || true)
    [ -n "$line" ] || { blog "wrk failed for $tag: $(head -c 300 "$f.err")"; line="RESULT requests=0 duration_us=1 rps=0 errors=-1 non2xx=-1"; }
    for kv in ${line#RESULT }; do R[$tag,${kv%%=*}]=${kv#*=}; done
    R[$tag,server]=$(( s1 - s0 )); R[$tag,pg]=$(( p1 - p0 ))
}

# run_pgbench TAG MODE: pgbench of peers/pgbench-MODE.sql; R[TAG,*].
run_pgbench() {
    local tag=$1 mode=$2 f=$STACK_TMP/out/$1 p0 p1 before c _i
    before=" $(pgrep -P "$(pg_pid)" | tr '\n' ' ') "
    p0=$(postmaster_cpu "$(pg_pid)")
    "$PGB/pgbench" -n -M prepared -f "$PEERS_DIR/pgbench-$mode.sql" -c "$BENCH_CONNS" -j "$threads" \
        -T "$BENCH_SECONDS" -D "col=$COL" -D "ndocs=$BENCH_DOCS" \
        -h "$(pg_socket_dir)" -p "$(pg_port)" -U postgres "$PEERS_DB" >"$f.pgb" 2>"$f.err"
    # pgbench's backends exit after pgbench: read the cluster's CPU once the
    # postmaster has reaped them (an exited, unreaped backend's CPU is
    # neither in its /proc/PID/stat nor yet in the postmaster's cutime).
    for _i in $(seq 1 100); do
        local left=0
        for c in $(pgrep -P "$(pg_pid)" -f "^postgres: postgres $PEERS_DB "); do
            [[ $before == *" $c "* ]] || left=1
        done
        [ "$left" = 0 ] && break
        sleep 0.05
    done
    p1=$(postmaster_cpu "$(pg_pid)")
    R[$tag,rps]=$(awk '/^tps = /{print $3; exit}' "$f.pgb")
    R[$tag,requests]=$(awk '/number of transactions actually processed/{print $6; exit}' "$f.pgb" | cut -d/ -f1)
    R[$tag,failed]=$(awk '/number of failed transactions/{print $5; exit}' "$f.pgb")
    if [ -z "${R[$tag,rps]}" ] || grep -q aborted "$f.err" "$f.pgb"; then
        blog "pgbench $tag: $(head -c 400 "$f.err")"
        R[$tag,failed]="${R[$tag,failed]:-?} (clients aborted)"
    fi
    R[$tag,rps]=${R[$tag,rps]:-0}; R[$tag,requests]=${R[$tag,requests]:-0}
    R[$tag,server]=0; R[$tag,pg]=$(( p1 - p0 ))
}

mkdir -p "$STACK_TMP/out"
blog "warm-up: ${BENCH_WARMUP}s of GET per system"
for s in $SYSTEMS; do run_wrk "warm,$s" "$s" get "$BENCH_WARMUP"; done

ORDER="$SYSTEMS pgbench"
REVERSED=$(echo "$ORDER" | tr ' ' '\n' | tac | tr '\n' ' ')
for r in $(seq 1 "$BENCH_ROUNDS"); do
    order=$ORDER; [ $(( r % 2 )) = 0 ] && order=$REVERSED
    for mode in patch get; do
        for s in $order; do
            blog "round $r/$BENCH_ROUNDS $mode: $s"
            if [ "$s" = pgbench ]; then
                run_pgbench "$r,$s,$mode" "$mode"
            else
                run_wrk "$r,$s,$mode" "$s" "$([ $mode = patch ] && echo patch_random || echo get)" "$BENCH_SECONDS"
            fi
        done
    done
done

# ---------------------------------------------------------------- report

# agg SYSTEM MODE: R[SYSTEM,MODE,*] over the rounds: rps = mean of the
# rounds, requests/server/pg/non2xx/errors = sums.
for s in $ORDER; do
    for mode in patch get; do
        rs=0 n=0 sv=0 pg=0 nx=0 er=0 per=""
        for r in $(seq 1 "$BENCH_ROUNDS"); do
            k="$r,$s,$mode"
            rs=$(awk -v a="$rs" -v b="${R[$k,rps]:-0}" 'BEGIN{print a + b}')
            per="$per $(printf '%.0f' "${R[$k,rps]:-0}")"
            n=$(( n + ${R[$k,requests]:-0} )); sv=$(( sv + ${R[$k,server]:-0} )); pg=$(( pg + ${R[$k,pg]:-0} ))
            [ "${R[$k,non2xx]:-0}" -lt 0 ] || nx=$(( nx + ${R[$k,non2xx]:-0} ))
            [ "${R[$k,errors]:-0}" -lt 0 ] || er=$(( er + ${R[$k,errors]:-0} ))
        done
        R[$s,$mode,rps]=$(awk -v a="$rs" -v n="$BENCH_ROUNDS" 'BEGIN{printf "%.0f", a / n}')
        R[$s,$mode,requests]=$n; R[$s,$mode,server]=$sv; R[$s,$mode,pg]=$pg
        R[$s,$mode,non2xx]=$nx; R[$s,$mode,errors]=$er; R[$s,$mode,rounds]=${per# }
        # answers that were 2xx, per second (errors are not throughput)
        R[$s,$mode,ok_rps]=$(awk -v r="${R[$s,$mode,rps]}" -v n="$n" -v x="$nx" 'BEGIN{ if (n > 0) printf "%.0f", r * (n - x) / n; else print 0 }')
    done
done

per_req() { awk -v t="${1:-0}" -v n="${2:-0}" -v k="$CLK_TCK" 'BEGIN{ if (n > 0) printf "%.3f", t / k * 1000 / n; else printf "-" }'; }
for mode in patch get; do
    R[ceiling,$mode,rps]=$(awk -v a="${R[pgbench,$mode,rps]}" -v b="${R[floor,$mode,rps]}" \
        'BEGIN{ if (a > 0 && b > 0) printf "%.0f", 1 / (1/a + 1/b); else print 0 }')
done
cpu_cell() {
    local s=$1 mode=$2 n=${R[$1,$2,requests]}
    if [ "$s" = pgbench ]; then echo "- / $(per_req "${R[$s,$mode,pg]}" "$n")"
    else echo "$(per_req "${R[$s,$mode,server]}" "$n") / $(per_req "${R[$s,$mode,pg]}" "$n")"; fi
}
# rps_cell SYSTEM MODE: req/s, and the 2xx ones when some were not.
rps_cell() {
    if [ "${R[$1,$2,non2xx]:-0}" -gt 0 ]; then echo "${R[$1,$2,rps]} (2xx: ${R[$1,$2,ok_rps]})"; else echo "${R[$1,$2,rps]}"; fi
}
err_cell() {
    local s=$1 mode=$2
    if [ "$s" = pgbench ]; then echo "${R[pgbench,$mode,failed]:-0} failed tx"
    else
        local e="${R[$s,$mode,non2xx]}"
        [ "${R[$s,$mode,errors]}" = 0 ] || e="$e (+${R[$s,$mode,errors]} socket errors)"
        [ "${R[$s,$mode,requests]}" -gt 0 ] && [ "${R[$s,$mode,non2xx]}" -gt 0 ] &&
            e="$e = $(awk -v a="${R[$s,$mode,non2xx]}" -v b="${R[$s,$mode,requests]}" 'BEGIN{printf "%.1f%%", 100*a/b}')"
        echo "$e"
    fi
}

REPORT=$STACK_TMP/report.md
PG_PATCH_TX=$(per_req "${R[pgbench,patch,pg]}" "${R[pgbench,patch,requests]}")
PG_GET_TX=$(per_req "${R[pgbench,get,pg]}" "${R[pgbench,get,requests]}")
{
    echo "## docapi and its peers $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $(nproc) CPU ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), load before the run $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "docapi ${BENCH_LABEL:-$(git -C "$BUILD_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$BUILD_DIR" diff --quiet HEAD -- cgi sql 2>/dev/null || echo '+local changes')} ($BUILD_DIR), $BENCH_PROCS FastCGI workers; $(lighttpd -v 2>/dev/null | head -n 1 | cut -d' ' -f1); PHP $("$PHP_FPM" -v | awk 'NR==1{print $2}') FPM ($BENCH_PHP_CHILDREN children, opcache); Python $(/usr/bin/python3 -c 'import sys, fastapi, uvicorn, asyncpg; print(sys.version.split()[0], "FastAPI", fastapi.__version__, "uvicorn", uvicorn.__version__, "asyncpg", asyncpg.__version__)') ($BENCH_UVICORN_WORKERS workers${BENCH_UVICORN_ARGS:+ $BENCH_UVICORN_ARGS}); PostgreSQL $("$PGB/postgres" --version | awk '{print $3}') (fsync off, shared_buffers $BENCH_PG_SHARED_BUFFERS)$([ "$BENCH_PGBOUNCER" = 1 ] && echo "; PgBouncer $(pgbouncer -V | awk 'NR==1{print $2}') (transaction pooling, default_pool_size $BENCH_PGB_POOL)"); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')."
    echo "$BENCH_DOCS documents (docapi's import, copied into the peers' schema), $BENCH_CONNS connections, ${BENCH_SECONDS}s per measurement, $BENCH_ROUNDS interleaved round(s) (req/s = mean of the rounds)."
    echo
    echo "| system | PATCH req/s | GET req/s | CPU ms per PATCH (server+workers / PostgreSQL) | CPU ms per GET (server+workers / PostgreSQL) | non-2xx PATCH | non-2xx GET | PATCH req/s per round | GET req/s per round |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for s in $ORDER; do
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${NAME[$s]}" \
            "$(rps_cell "$s" patch)" "$(rps_cell "$s" get)" "$(cpu_cell "$s" patch)" "$(cpu_cell "$s" get)" \
            "$(err_cell "$s" patch)" "$(err_cell "$s" get)" "${R[$s,patch,rounds]}" "${R[$s,get,rounds]}"
    done
    printf '| ceiling = 1/(1/pgbench + 1/floor) | %s | %s | | | | | | |\n' "${R[ceiling,patch,rps]}" "${R[ceiling,get,rps]}"
    echo
    echo "| ratio | PATCH | GET |"
    echo "|---|---:|---:|"
    echo "| docapi / PHP-FPM | $(ratio "${R[docapi,patch,rps]}" "${R[php,patch,rps]}") | $(ratio "${R[docapi,get,rps]}" "${R[php,get,rps]}") |"
    echo "| docapi / FastAPI | $(ratio "${R[docapi,patch,rps]}" "${R[fastapi,patch,rps]}") | $(ratio "${R[docapi,get,rps]}" "${R[fastapi,get,rps]}") |"
    echo "| docapi / ceiling | $(ratio "${R[docapi,patch,rps]}" "${R[ceiling,patch,rps]}") | $(ratio "${R[docapi,get,rps]}" "${R[ceiling,get,rps]}") |"
    if [ "$BENCH_PGBOUNCER" = 1 ]; then
        echo "| docapi via PgBouncer / docapi direct (all answers; 2xx only) | $(ratio "${R[bouncer,patch,rps]}" "${R[docapi,patch,rps]}"); $(ratio "${R[bouncer,patch,ok_rps]}" "${R[docapi,patch,ok_rps]}") | $(ratio "${R[bouncer,get,rps]}" "${R[docapi,get,rps]}"); $(ratio "${R[bouncer,get,ok_rps]}" "${R[docapi,get,ok_rps]}") |"
    fi
    echo "| PostgreSQL CPU per docapi request / per bare pgbench transaction | $(ratio "$(per_req "${R[docapi,patch,pg]}" "${R[docapi,patch,requests]}")" "$PG_PATCH_TX") ($(per_req "${R[docapi,patch,pg]}" "${R[docapi,patch,requests]}") / $PG_PATCH_TX ms, UPDATE) | $(ratio "$(per_req "${R[docapi,get,pg]}" "${R[docapi,get,requests]}")" "$PG_GET_TX") ($(per_req "${R[docapi,get,pg]}" "${R[docapi,get,requests]}") / $PG_GET_TX ms, SELECT) |"
    echo
    echo "Checks (one GET and one PATCH of doc_1 through curl before measuring):"
    echo
    for s in $SYSTEMS; do echo "- ${NAME[$s]}: ${CHECK[$s]}"; done
    if [ "$BENCH_PGBOUNCER" = 1 ]; then
        echo
        echo "docapi's errors behind PgBouncer (lighttpd-bouncer/app.log, most frequent first):"
        echo
        echo '```'
        sed -E 's/ rid=[^ ]+//; s/^docapi\[[0-9]+\]/docapi/' "$STACK_TMP/lighttpd-bouncer/app.log" 2>/dev/null |
            grep -E ' (error|warn|fatal|crit) ' | sort | uniq -c | sort -rn | head -n 8 || true
        echo '```'
    fi
    echo
    echo "Whole run: $(( $(date +%s) - START )) s."
} >"$REPORT"
cat "$REPORT"
[ -z "${BENCH_RESULTS:-}" ] || cp "$REPORT" "$BENCH_RESULTS"
