# shellcheck shell=bash
# pgbouncer_hook.sh - sourced by run.sh (SUITE_AFTER_DATABASE) once
# PostgreSQL is up: starts PgBouncer on a free loopback port in front of it
# (PGBOUNCER_MODE pooling, default transaction; PGBOUNCER_POOL_SIZE server
# connections; PGBOUNCER_NAME names its folder, default pgbouncer), tracked so
# that the stack's trap stops it by PID, and points the app at it.
pgb_bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
PGB_DIR=$STACK_TMP/${PGBOUNCER_NAME:-pgbouncer}
PGB_PORT=$(stack_free_port) || setup_failed "no free port for PgBouncer"
mkdir -p "$PGB_DIR"
printf '"postgres" ""\n' >"$PGB_DIR/userlist.txt"
cat >"$PGB_DIR/pgbouncer.ini" <<INI
[databases]
docapi = host=$(pg_socket_dir) port=$(pg_port) dbname=docapi user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PGB_DIR/userlist.txt
pool_mode = ${PGBOUNCER_MODE:-transaction}
default_pool_size = ${PGBOUNCER_POOL_SIZE:-2}
max_client_conn = 500
; Fail fast while PostgreSQL is down, so docapi answers 503 instead of
; waiting: a client waits at most query_wait_timeout for a server
; connection, and a failed login is retried after server_login_retry.
query_wait_timeout = 3
server_connect_timeout = 2
server_login_retry = 1
logfile = $PGB_DIR/pgbouncer.log
pidfile = $PGB_DIR/pgbouncer.pid
INI
chown -R "${PG_USER:-postgres}" "$PGB_DIR" 2>/dev/null || true
stack_as_pg "$pgb_bin" -d -q "$PGB_DIR/pgbouncer.ini" ||
    setup_failed "pgbouncer did not start ($(tail -n 3 "$PGB_DIR/pgbouncer.log" 2>/dev/null))"
for _i in $(seq 1 50); do
    [ -s "$PGB_DIR/pgbouncer.pid" ] && break
    sleep 0.1
done
[ -s "$PGB_DIR/pgbouncer.pid" ] || setup_failed "pgbouncer wrote no pid file"
stack_track_pid "$(cat "$PGB_DIR/pgbouncer.pid")"
stack_state_set "${PGBOUNCER_NAME:-pgbouncer}_port" "$PGB_PORT"
stack_wait_port "$PGB_PORT" 10 || setup_failed "pgbouncer is not listening on $PGB_PORT"
export STACK_APP_DATABASE_URL="host=127.0.0.1 port=$PGB_PORT dbname=docapi user=postgres"
echo "pgbouncer: ${PGBOUNCER_MODE:-transaction} pooling on 127.0.0.1:$PGB_PORT, pool of ${PGBOUNCER_POOL_SIZE:-2}, $DOCAPI_PROCS workers per lighttpd" >&2
