#!/usr/bin/env bash
# Past one machine, on loopback: PgBouncer in session mode under the whole
# integration suite, then test_scaleout.py against a stack of
#   PostgreSQL primary + a streaming replica (pg_basebackup -R)
#   PgBouncer (transaction pooling, pool of 2) in front of the primary
#   two lighttpd "hosts" (4 workers each): database_url through PgBouncer,
#   database_read_url on the replica
# for: GETs served by the replica and writes by the primary, PgBouncer
# restarted under load (503s, then recovery in the same workers), the
# primary stopped (GETs still served, writes 503), and two hosts writing
# one document with no lost update.
#
#   tests/integration/run_scaleout.sh
#
# Prints the results and, last, one line "N passed, M failed".
set -uo pipefail
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
total_p=0
total_f=0
add() { # LOG: adds its "N passed, M failed" line
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then
        total_f=$((total_f + 1))
        return
    fi
    total_p=$((total_p + ${line%% *}))
    line=${line#* passed, }
    total_f=$((total_f + ${line%% *}))
}

# SCALEOUT_SESSION=0 skips the session-mode run (to iterate on the rest).
if [ "${SCALEOUT_SESSION:-1}" = 1 ]; then
    echo "== the integration suite through PgBouncer in session mode (pool 12 for 2 x 4 workers)"
    log=$(mktemp)
    PGBOUNCER_MODE=session PGBOUNCER_POOL_SIZE=12 DOCAPI_PROCS=4 BUILD_DIR=$BUILD_DIR \
        "$SRC_DIR/tests/integration/run_pgbouncer.sh" 2>&1 | tee "$log" | tail -n 3
    add "$log"
    rm -f "$log"
fi

echo "== replica, PgBouncer restarts, primary down, two hosts (test_scaleout.py)"
log=$(mktemp)
(
    set -euo pipefail
    export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR
    DOCAPI_FCGI=${DOCAPI_FCGI:-$BUILD_DIR/cgi/docapi.fcgi}
    DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
    DOCAPI_SQL_DIR=${DOCAPI_SQL_DIR:-$SRC_DIR/sql}
    export DOCAPI_FCGI DOCAPI_ADMIN DOCAPI_SQL_DIR
    unset DOCAPI_DATABASE_URL DOCAPI_DATABASE_READ_URL DOCAPI_CONF
    SUITE_NAME=scaleout
    . "$SRC_DIR/scripts/stack.sh"
    . "$SRC_DIR/tests/integration/suite_lib.sh"
    suite_check_tools
    stack_init ""
    suite_database
    # function call counts on both servers (the replica inherits the setting)
    pg_psql -c "ALTER SYSTEM SET track_functions = 'pl'" -c "SELECT pg_reload_conf()" >/dev/null

    # ---- the replica
    bin=$(stack_pg_bin)
    RDATA=$STACK_TMP/replica
    RSOCK=$STACK_TMP/replica-sock
    RPORT=$(stack_free_port)
    mkdir -p "$RDATA" "$RSOCK"
    touch "$STACK_TMP/replica.log"
    chown "${PG_USER:-postgres}": "$RDATA" "$RSOCK" "$STACK_TMP/replica.log" 2>/dev/null || true
    chmod 700 "$RDATA"
    stack_as_pg "$bin/pg_basebackup" -D "$RDATA" -h "$(pg_socket_dir)" -p "$(pg_port)" \
        -U postgres -R -X stream -c fast >"$STACK_TMP/basebackup.log" 2>&1 ||
        setup_failed "pg_basebackup ($(tail -n 3 "$STACK_TMP/basebackup.log"))"
    stack_as_pg "$bin/pg_ctl" -D "$RDATA" -l "$STACK_TMP/replica.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $RPORT -k $RSOCK -c fsync=off -c hot_standby=on" \
        start >"$STACK_TMP/replica-ctl.log" 2>&1 ||
        setup_failed "replica did not start ($(tail -n 3 "$STACK_TMP/replica-ctl.log" "$STACK_TMP/replica.log" 2>&1))"
    stack_track_pid "$(head -n 1 "$RDATA/postmaster.pid")"

    # ---- PgBouncer (transaction mode) in front of the primary
    DOCAPI_PROCS=4
    PGBOUNCER_POOL_SIZE=2
    . "$SRC_DIR/tests/integration/pgbouncer_hook.sh"

    # ---- seed, and two hosts
    need ORG create-org acme
    need NS create-namespace --org "$ORG" production
    need COL create-collection --namespace "$NS" articles
    need KEY create-key --org "$ORG" --role write
    need KEY_READ create-key --org "$ORG" --role read
    printf '{"document_id":"doc_scale1","metadata":{"title":"one"}}\n' >"$STACK_TMP/seed.ndjson"
    need N import --collection "$COL" "$STACK_TMP/seed.ndjson"
    export DOCAPI_CONF_EXTRA="database_read_url = host=127.0.0.1 port=$RPORT dbname=docapi user=postgres connect_timeout=2"
    lighttpd_start hosta || setup_failed "lighttpd hosta"
    lighttpd_start hostb || setup_failed "lighttpd hostb"

    # ---- a PgBouncer whose pool is exhausted: session mode, one server
    # connection, which the test holds with psql; lighttpd "tiny"'s worker
    # must then answer 503 within query_wait_timeout
    MAIN_URL=$STACK_APP_DATABASE_URL
    MAIN_PGB_DIR=$PGB_DIR
    PGBOUNCER_NAME=pgbouncer-tiny PGBOUNCER_MODE=session PGBOUNCER_POOL_SIZE=1
    . "$SRC_DIR/tests/integration/pgbouncer_hook.sh"
    DOCAPI_PROCS=1 lighttpd_start tiny || setup_failed "lighttpd tiny"
    export SCALE_HOST_TINY SCALE_TINY_PGB_PORT
    SCALE_HOST_TINY=$(lighttpd_url tiny)
    SCALE_TINY_PGB_PORT=$PGB_PORT
    STACK_APP_DATABASE_URL=$MAIN_URL
    PGB_DIR=$MAIN_PGB_DIR

    export SCALE_HOST_A SCALE_HOST_B SCALE_KEY SCALE_KEY_READ SCALE_PRIMARY_PORT SCALE_REPLICA_PORT
    export SCALE_PGB_PID_FILE SCALE_PGB_INI SCALE_PGB_BIN SCALE_STACK_SH PG_BIN
    export SCALE_ADMIN=$DOCAPI_ADMIN SCALE_SQL_DIR=$DOCAPI_SQL_DIR SCALE_PGB_URL=$STACK_APP_DATABASE_URL
    export SCALE_CONF=$STACK_TMP/docapi.conf
    SCALE_HOST_A=$(lighttpd_url hosta)
    SCALE_HOST_B=$(lighttpd_url hostb)
    SCALE_KEY=$KEY
    SCALE_KEY_READ=$KEY_READ
    SCALE_PRIMARY_PORT=$(pg_port)
    SCALE_REPLICA_PORT=$RPORT
    SCALE_PGB_PID_FILE=$PGB_DIR/pgbouncer.pid
    SCALE_PGB_INI=$PGB_DIR/pgbouncer.ini
    SCALE_PGB_BIN=$pgb_bin
    SCALE_STACK_SH=$SRC_DIR/scripts/stack.sh
    PG_BIN=$bin
    set +e
    # bounded: a hang is a failure, never a stuck CI
    timeout 900 "$PYTHON" "$SRC_DIR/tests/integration/test_scaleout.py"
    rc=$?
    set -e
    # the replica first (fast shutdown), then the stack's trap stops the rest
    stack_as_pg "$bin/pg_ctl" -D "$RDATA" -m fast -w stop >/dev/null 2>&1 || true
    if [ "$rc" != 0 ]; then
        suite_fail_logs "$STACK_TMP/replica.log" "$PGB_DIR/pgbouncer.log"
    fi
    STACK_QUIET=1
    exit "$rc"
) 2>&1 | tee "$log"
add "$log"
rm -f "$log"
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
