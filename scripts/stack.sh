# shellcheck shell=bash
# stack.sh - start and stop a private PostgreSQL and lighttpd for docapi.
#
# A bash library: source it, then call the functions below. Everything lives
# in one temporary folder, every server listens on 127.0.0.1 (or a unix
# socket inside that folder) on a free port, and every process is stopped by
# its PID, also when the calling script fails or is interrupted.
#
#   . scripts/stack.sh
#   stack_init                       # temp folder + EXIT/INT/TERM trap
#   pg_start                         # initdb (first time) + start + createdb
#   docapi_write_conf "$STACK_TMP/docapi.conf"
#   DOCAPI_CONF=$STACK_TMP/docapi.conf "$DOCAPI_ADMIN" migrate
#   lighttpd_start main              # app at /
#   lighttpd_start api "" /api       # second instance, app under /api
#   ...                              # http://127.0.0.1:$(lighttpd_port main)/
#   stack_stop_all                   # (also done by the trap)
#
# Parameters (environment or shell variables; all optional):
#   PG_BIN          PostgreSQL server binaries (default: newest
#                   /usr/lib/postgresql/*/bin)
#   STACK_PG_PORT   TCP port of PostgreSQL on 127.0.0.1 (default: a free one;
#                   pg_port prints the one in use)
#   PG_DATABASE     database to create (default: docapi)
#   PG_USER         system user that runs PostgreSQL when we are root
#                   (default: postgres)
#   HTTP_PORT       port of the first lighttpd instance (default: a free one)
#   DOCAPI_FCGI     the FastCGI binary (default: $STACK_BUILD_DIR/cgi/docapi.fcgi)
#   DOCAPI_ADMIN    the admin CLI (default: $STACK_BUILD_DIR/cgi/docapi-admin)
#   DOCAPI_SQL_DIR  migrations folder (default: $STACK_SRC_DIR/sql)
#   DOCAPI_PROCS    FastCGI worker processes per lighttpd (default: 2)
#   DOCAPI_MOUNT_PREFIX  default mount prefix of lighttpd_start (default: "")
#   DOCAPI_LOG_LEVEL, DOCAPI_BODY_LIMIT, DOCAPI_MAX_DEPTH  written to the
#                   generated docapi.conf (defaults: info, 1048576, 64)
#   DOCAPI_CONF_EXTRA  extra "key = value" lines appended to docapi.conf
#   STACK_APP_DATABASE_URL  database_url of the app behind lighttpd_start
#                   (default: the stack's PostgreSQL, as docapi-admin uses)
#   STACK_LIGHTTPD_EXTRA  lines appended to every generated lighttpd.conf
#                   (e.g. the /docs alias of tests/docs/run.sh)
#   STACK_COPY_ENV  names of environment variables lighttpd passes on to the
#                   app (default: "PATH LANG LC_ALL TZ"); nothing else leaks
#   STACK_KEEP_TMP  1 = keep the temp folder after stopping (for debugging)
#   STACK_QUIET     1 = no progress messages on stderr
#
# The state (ports, PIDs) is kept in files under $STACK_TMP, so another
# process can attach to a running stack:
#   STACK_TMP=/tmp/x bash -c '. scripts/stack.sh; stack_attach; pg_stop'
# or, run as a command:   scripts/stack.sh STACK_TMP FUNCTION [ARGS...]

STACK_SRC_DIR=${STACK_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
STACK_BUILD_DIR=${STACK_BUILD_DIR:-${BUILD_DIR:-$STACK_SRC_DIR}}

stack_log() {
    [ "${STACK_QUIET:-0}" = 1 ] || printf 'stack: %s\n' "$*" >&2
}

stack_die() {
    printf 'stack: ERROR: %s\n' "$*" >&2
    return 1
}

# stack_pg_bin: prints the PostgreSQL binaries folder.
stack_pg_bin() {
    if [ -n "${PG_BIN:-}" ]; then
        printf '%s\n' "$PG_BIN"
        return 0
    fi
    local d
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -V | tail -n 1)
    if [ -z "$d" ] && command -v pg_ctl >/dev/null 2>&1; then
        d=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
    fi
    [ -n "$d" ] || { stack_die "no PostgreSQL server binaries found (set PG_BIN)"; return 1; }
    printf '%s\n' "$d"
}

# stack_free_port: prints a TCP port on 127.0.0.1 that nobody listens on.
stack_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
        return
    fi
    local p _i
    for _i in $(seq 1 200); do
        p=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            printf '%s\n' "$p"
            return 0
        fi
    done
    stack_die "no free port found"
}

# stack_wait_port PORT [SECONDS] [PID]: waits until 127.0.0.1:PORT accepts
# connections. Fails early if PID (when given) dies.
stack_wait_port() {
    local port=$1 secs=${2:-15} pid=${3:-} _i
    for _i in $(seq 1 $(( secs * 10 ))); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        sleep 0.1
    done
    return 1
}

# stack_wait_gone PID [SECONDS]: waits until PID has exited.
stack_wait_gone() {
    local pid=$1 secs=${2:-10} _i
    for _i in $(seq 1 $(( secs * 10 ))); do
        kill -0 "$pid" 2>/dev/null || return 0
        # an exited child of ours stays a zombie until reaped
        if [ "$(stack__proc_state "$pid")" = Z ]; then
            wait "$pid" 2>/dev/null || true
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# stack__proc_state PID: one-letter process state (R, S, Z, ...) or empty.
stack__proc_state() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    printf '%s\n' "${stat%% *}"
}

# stack_kill PID [SECONDS] [SIGNAL]: sends SIGNAL (default TERM) to PID,
# waits, then SIGKILL if it is still there.
stack_kill() {
    local pid=$1 secs=${2:-10} sig=${3:-TERM}
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    if ! stack_wait_gone "$pid" "$secs"; then
        stack_log "pid $pid ignored SIG$sig for ${secs}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        stack_wait_gone "$pid" 5 || true
    fi
}

# stack_state_set KEY VALUE / stack_state_get KEY: tiny file-based state.
stack_state_set() {
    printf '%s\n' "$2" >"$STACK_TMP/state/$1"
}
stack_state_get() {
    if [ -f "$STACK_TMP/state/$1" ]; then cat "$STACK_TMP/state/$1"; fi
}

# stack_init [DIR]: creates the temp folder (or uses DIR, which is then kept
# afterwards), exports STACK_TMP and installs the cleanup trap (unless
# STACK_NO_TRAP=1).
stack_init() {
    local created=0
    if [ -n "${1:-}" ]; then
        STACK_TMP=$1
        mkdir -p "$STACK_TMP"
    else
        STACK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/docapi-stack.XXXXXX") || return 1
        created=1
    fi
    export STACK_TMP
    # PostgreSQL runs as another user: it must be able to reach its folders.
    chmod 755 "$STACK_TMP"
    mkdir -p "$STACK_TMP/state"
    # only a folder we created is removed again by stack_stop_all
    [ "$created" = 0 ] || stack_state_set created 1
    [ "${STACK_NO_TRAP:-0}" = 1 ] || stack_install_trap
    stack_log "temp folder $STACK_TMP"
}

# stack_attach [DIR]: use the stack of an existing temp folder (no trap).
stack_attach() {
    STACK_TMP=${1:-${STACK_TMP:-}}
    if [ -z "$STACK_TMP" ] || [ ! -d "$STACK_TMP/state" ]; then
        stack_die "no stack at '${STACK_TMP:-}'"
        return 1
    fi
    export STACK_TMP
}

stack_install_trap() {
    trap 'stack__on_exit' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

stack__on_exit() {
    local rc=$?
    trap - EXIT INT TERM HUP
    # Cleanup must run to the end even in a caller with "set -e": a worker
    # that is already gone makes pgrep fail, and that must not stop us
    # before PostgreSQL is stopped.
    set +e +o pipefail
    stack_stop_all
    exit "$rc"
}

# stack_stop_all: stops every lighttpd and PostgreSQL of this stack and any
# PID registered with stack_track_pid, then removes the temp folder unless
# STACK_KEEP_TMP=1.
stack_stop_all() {
    [ -n "${STACK_TMP:-}" ] && [ -d "$STACK_TMP/state" ] || return 0
    local f pid
    for f in "$STACK_TMP"/state/tracked_*; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        stack_kill "$pid" 5
        rm -f "$f"
    done
    for f in "$STACK_TMP"/state/lighttpd_*_pid; do
        [ -f "$f" ] || continue
        f=${f##*/lighttpd_}
        lighttpd_stop "${f%_pid}"
    done
    pg_stop
    if [ "${STACK_KEEP_TMP:-0}" = 1 ] || [ "$(stack_state_get created)" != 1 ]; then
        stack_log "kept $STACK_TMP"
    else
        rm -rf "$STACK_TMP"
    fi
}

# stack_track_pid PID: also stop PID in stack_stop_all.
stack_track_pid() {
    stack_state_set "tracked_$1" "$1"
}
stack_untrack_pid() {
    rm -f "$STACK_TMP/state/tracked_$1"
}

# --------------------------------------------------------------- PostgreSQL

# stack_as_pg CMD...: runs CMD as the PostgreSQL user when we are root.
stack_as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "${PG_USER:-postgres}" -- "$@"
    else
        "$@"
    fi
}

# pg_socket_dir: the folder holding PostgreSQL's unix socket.
pg_socket_dir() { printf '%s\n' "$STACK_TMP/pgsock"; }
pg_data_dir() { printf '%s\n' "$STACK_TMP/pgdata"; }

# pg_conninfo: libpq connection string for the stack's database.
pg_conninfo() {
    printf 'host=%s port=%s dbname=%s user=postgres\n' \
        "$(pg_socket_dir)" "$(stack_state_get pg_port)" "${PG_DATABASE:-docapi}"
}

# pg_port: the port PostgreSQL listens on (127.0.0.1 and the unix socket).
pg_port() { stack_state_get pg_port; }

# pg_pid: PID of the running postmaster (empty if none).
pg_pid() {
    local pidfile
    pidfile="$(pg_data_dir)/postmaster.pid"
    [ -f "$pidfile" ] || return 0
    local pid
    pid=$(head -n 1 "$pidfile")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        printf '%s\n' "$pid"
    fi
}

# pg_start: initialises the cluster the first time, starts PostgreSQL on
# 127.0.0.1 (port: STACK_PG_PORT or a free one) and a unix socket in $STACK_TMP/pgsock, creates the
# database the first time. Calling it again after pg_stop restarts the same
# cluster on the same port.
pg_start() {
    local bin data sock port user
    bin=$(stack_pg_bin) || return 1
    data=$(pg_data_dir)
    sock=$(pg_socket_dir)
    user=${PG_USER:-postgres}
    # the port is chosen once; a restart reuses it
    local auto_port=0
    port=$(stack_state_get pg_port)
    if [ -z "$port" ]; then
        if [ -n "${STACK_PG_PORT:-}" ]; then
            port=$STACK_PG_PORT
        else
            port=$(stack_free_port) || return 1
            auto_port=1
        fi
        stack_state_set pg_port "$port"
    fi
    if [ -n "$(pg_pid)" ]; then
        stack_log "PostgreSQL already running (pid $(pg_pid))"
        return 0
    fi
    mkdir -p "$sock"
    touch "$STACK_TMP/postgresql.log"
    if [ "$(id -u)" = 0 ]; then
        chown "$user": "$sock" "$STACK_TMP/postgresql.log"
    fi
    local fresh=0
    if [ ! -f "$data/PG_VERSION" ]; then
        fresh=1
        mkdir -p "$data"
        if [ "$(id -u)" = 0 ]; then
            chown "$user": "$data"
        fi
        chmod 700 "$data"
        stack_log "initdb in $data"
        stack_as_pg "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 \
            --locale=C --no-sync >"$STACK_TMP/initdb.log" 2>&1 || {
            cat "$STACK_TMP/initdb.log" >&2
            stack_die "initdb failed"
            return 1
        }
    fi
    local attempt
    for attempt in 1 2 3; do
        stack_log "starting PostgreSQL on 127.0.0.1:$port"
        if stack_as_pg "$bin/pg_ctl" -D "$data" -l "$STACK_TMP/postgresql.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
            start >>"$STACK_TMP/pg_ctl.log" 2>&1; then
            break
        fi
        if [ "$auto_port" = 1 ] && [ "$attempt" -lt 3 ] && [ -z "$(pg_pid)" ]; then
            # someone else took the free port in the meantime: pick another
            port=$(stack_free_port) || return 1
            stack_state_set pg_port "$port"
            continue
        fi
        tail -n 20 "$STACK_TMP/pg_ctl.log" "$STACK_TMP/postgresql.log" >&2 2>/dev/null
        stack_die "PostgreSQL did not start"
        return 1
    done
    stack_state_set pg_pid "$(pg_pid)"
    if [ "$fresh" = 1 ]; then
        "$bin/createdb" -h "$sock" -p "$port" -U postgres "${PG_DATABASE:-docapi}" || {
            stack_die "createdb failed"
            return 1
        }
    fi
}

# pg_stop: stops PostgreSQL (fast shutdown, by PID).
pg_stop() {
    local pid
    pid=$(pg_pid)
    [ -n "$pid" ] || return 0
    stack_log "stopping PostgreSQL (pid $pid)"
    # SIGINT = fast shutdown: disconnect clients, then stop.
    stack_kill "$pid" 20 INT
}

pg_restart() {
    pg_stop && pg_start
}

# pg_psql ARGS...: psql connected to the stack's database as postgres.
pg_psql() {
    local bin
    bin=$(stack_pg_bin) || return 1
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$(pg_socket_dir)" \
        -p "$(stack_state_get pg_port)" -U postgres -d "${PG_DATABASE:-docapi}" "$@"
}

# ----------------------------------------------------------------- docapi

# docapi_write_conf FILE [MOUNT_PREFIX [DATABASE_URL]]: writes a docapi.conf
# for the stack (database_url: the stack's PostgreSQL unless given).
docapi_write_conf() {
    local file=$1 prefix=${2-${DOCAPI_MOUNT_PREFIX:-}} url=${3:-}
    local sqldir=${DOCAPI_SQL_DIR:-$STACK_SRC_DIR/sql}
    {
        echo "# generated by scripts/stack.sh"
        echo "database_url = ${url:-$(pg_conninfo)}"
        echo "mount_prefix = $prefix"
        echo "body_limit = ${DOCAPI_BODY_LIMIT:-1048576}"
        echo "max_depth = ${DOCAPI_MAX_DEPTH:-64}"
        echo "log_level = ${DOCAPI_LOG_LEVEL:-info}"
        echo "sql_dir = $sqldir"
        # A test never reaches a cloud's metadata service: with the default
        # s3_credentials = auto, the imds and ecs sources find closed
        # loopback ports (DOCAPI_CONF_EXTRA may point them elsewhere).
        echo "s3_imds_endpoint = http://127.0.0.1:9"
        echo "s3_ecs_endpoint = http://127.0.0.1:9"
        if [ -n "${DOCAPI_CONF_EXTRA:-}" ]; then
            printf '%s\n' "$DOCAPI_CONF_EXTRA"
        fi
    } >"$file"
}

# ---------------------------------------------------------------- lighttpd

# lighttpd_start [NAME] [PORT] [MOUNT_PREFIX]: starts a lighttpd (named NAME,
# default "main") on 127.0.0.1:PORT (default $HTTP_PORT for "main", else a
# free port) that runs $DOCAPI_FCGI with $DOCAPI_PROCS workers, mounted at
# MOUNT_PREFIX (default $DOCAPI_MOUNT_PREFIX, i.e. "/"). Its files live in
# $STACK_TMP/lighttpd-NAME/: lighttpd.conf, docapi.conf (written unless
# DOCAPI_CONF_FILE names one to use), error.log, app.log (the app's stderr),
# access.log.
lighttpd_start() {
    local name=${1:-main} port=${2:-} prefix=${3-${DOCAPI_MOUNT_PREFIX:-}}
    local fcgi=${DOCAPI_FCGI:-$STACK_BUILD_DIR/cgi/docapi.fcgi}
    local procs=${DOCAPI_PROCS:-2}
    local dir="$STACK_TMP/lighttpd-$name" auto_port=0
    if [ -z "$port" ]; then
        if [ "$name" = main ] && [ -n "${HTTP_PORT:-}" ]; then
            port=$HTTP_PORT
        else
            port=$(stack_state_get "lighttpd_${name}_port")
            if [ -z "$port" ]; then
                port=$(stack_free_port) || return 1
                auto_port=1
            fi
        fi
    fi
    [ -x "$fcgi" ] || { stack_die "FastCGI app not found or not executable: $fcgi"; return 1; }
    command -v lighttpd >/dev/null 2>&1 || { stack_die "lighttpd is not installed"; return 1; }
    fcgi=$(readlink -f "$fcgi")
    # normalise the prefix: "" or "/x/y" (no trailing slash)
    prefix=${prefix%/}
    [ -z "$prefix" ] || [ "${prefix#/}" != "$prefix" ] || prefix="/$prefix"
    mkdir -p "$dir/www" "$dir/upload"
    local conf="${DOCAPI_CONF_FILE:-$dir/docapi.conf}"
    # STACK_APP_DATABASE_URL: the app reaches the database another way than
    # docapi-admin does (e.g. through PgBouncer)
    [ -n "${DOCAPI_CONF_FILE:-}" ] || docapi_write_conf "$conf" "$prefix" "${STACK_APP_DATABASE_URL:-}"
    local attempt rc
    for attempt in 1 2 3; do
        lighttpd__launch "$name" "$port" "$prefix" "$fcgi" "$procs" "$conf"
        rc=$?
        [ "$rc" = 0 ] && return 0
        if [ "$rc" = 1 ] && [ "$auto_port" = 1 ] && [ "$attempt" -lt 3 ]; then
            stack_log "lighttpd '$name' could not start on port $port, trying another port"
            port=$(stack_free_port) || return 1
            continue
        fi
        tail -n 20 "$dir/error.log" "$dir/app.log" "$dir/stdout.log" >&2 2>/dev/null
        stack_die "lighttpd '$name' did not come up"
        return 1
    done
}

# lighttpd__launch NAME PORT PREFIX FCGI PROCS CONF: writes lighttpd.conf and
# starts lighttpd. 0 = running, 1 = did not come up, 2 = bad configuration.
lighttpd__launch() {
    local name=$1 port=$2 prefix=$3 fcgi=$4 procs=$5 conf=$6
    local dir="$STACK_TMP/lighttpd-$name"
    [ -n "$STACK_TMP" ] && [ -d "$dir" ] || return 2
    local copyenv="" v
    for v in ${STACK_COPY_ENV:-PATH LANG LC_ALL TZ}; do
        copyenv="$copyenv\"$v\", "
    done
    local mount=${prefix:-/} fixroot=""
    [ -n "$prefix" ] || fixroot='"fix-root-scriptname" => "enable",'
    cat >"$dir/lighttpd.conf" <<EOF
# generated by scripts/stack.sh
server.modules        = ( "mod_fastcgi", "mod_accesslog" )
server.bind           = "127.0.0.1"
server.port           = $port
server.document-root  = "$dir/www"
server.upload-dirs    = ( "$dir/upload" )
server.errorlog       = "$dir/error.log"
# KiB; above docapi's body_limit (1 MiB) so clients get the app's JSON 413,
# but bounded so a huge Content-Length is refused before it is spooled.
server.max-request-size = 2048
server.breakagelog    = "$dir/app.log"
# as conf/lighttpd/docapi.conf: lighttpd's own errors in the API's JSON shape
server.errorfile-prefix = "$STACK_SRC_DIR/conf/errors/docapi-"
mimetype.assign       = ( $(for c in 400 403 404 405 408 411 413 414 431 500 501 502 503 504 505; do
        printf '"docapi-%s.html" => "application/json", ' "$c"; done) )
accesslog.filename    = "$dir/access.log"
fastcgi.server = ( "$mount" => ((
    "bin-path"    => "$fcgi",
    "socket"      => "$dir/docapi.sock",
    "check-local" => "disable",
    $fixroot
    "max-procs"   => $procs,
    "bin-copy-environment" => ( $copyenv ),
    # as conf/lighttpd/docapi.conf: no GnuTLS self-initialisation (0.8 MB RSS)
    "bin-environment" => ( "DOCAPI_CONF" => "$conf", "GNUTLS_NO_IMPLICIT_INIT" => "1" ),
)) )
EOF
    if [ -n "${STACK_LIGHTTPD_EXTRA:-}" ]; then
        printf '%s\n' "$STACK_LIGHTTPD_EXTRA" >>"$dir/lighttpd.conf"
    fi
    if ! lighttpd -tt -f "$dir/lighttpd.conf" >"$dir/configtest.log" 2>&1; then
        cat "$dir/configtest.log" >&2
        stack_die "lighttpd rejected $dir/lighttpd.conf"
        return 2
    fi
    # lighttpd logs "server started" once it listens; look only at new lines
    local logsize=0
    [ -f "$dir/error.log" ] && logsize=$(stat -c %s "$dir/error.log")
    stack_log "starting lighttpd '$name' on 127.0.0.1:$port (mount '${prefix:-/}', $procs workers)"
    lighttpd -D -f "$dir/lighttpd.conf" </dev/null >>"$dir/stdout.log" 2>&1 &
    local pid=$! _i up=0
    stack_state_set "lighttpd_${name}_pid" "$pid"
    stack_state_set "lighttpd_${name}_port" "$port"
    stack_state_set "lighttpd_${name}_prefix" "$prefix"
    for _i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        if tail -c "+$((logsize + 1))" "$dir/error.log" 2>/dev/null | grep -q 'server started'; then
            up=1
            break
        fi
        sleep 0.1
    done
    if [ "$up" = 1 ] && stack_wait_port "$port" 5 "$pid" && kill -0 "$pid" 2>/dev/null; then
        # lighttpd spawns its workers while it starts: wait until all are there
        for _i in $(seq 1 50); do
            [ "$(pgrep -P "$pid" | wc -l)" -ge "$procs" ] && break
            sleep 0.1
        done
        return 0
    fi
    lighttpd_stop "$name"
    return 1
}

# lighttpd_docs_conf DIR: prints lighttpd lines serving DIR (the /docs
# files, "make docs-ui") at /docs ahead of the app's mount, as
# conf/lighttpd/docapi.conf does, with the mime types that Debian's
# lighttpd.conf has and the generated config has not. For
# STACK_LIGHTTPD_EXTRA.
lighttpd_docs_conf() {
    cat <<EOF
server.modules += ( "mod_alias", "mod_indexfile" )
\$HTTP["url"] =~ "^/docs(/|\$)" {
    fastcgi.server = ( )
    alias.url = ( "/docs" => "$1" )
    index-file.names = ( "index.html" )
}
mimetype.assign += ( ".html" => "text/html; charset=utf-8", ".js" => "text/javascript; charset=utf-8",
    ".css" => "text/css; charset=utf-8", ".png" => "image/png", ".txt" => "text/plain; charset=utf-8" )
EOF
}

# lighttpd_pid NAME / lighttpd_port NAME / lighttpd_url NAME
lighttpd_pid() { stack_state_get "lighttpd_${1:-main}_pid"; }
lighttpd_port() { stack_state_get "lighttpd_${1:-main}_port"; }
lighttpd_url() {
    printf 'http://127.0.0.1:%s%s\n' "$(lighttpd_port "${1:-main}")" \
        "$(stack_state_get "lighttpd_${1:-main}_prefix")"
}

# lighttpd_worker_pids [NAME]: PIDs of the FastCGI workers of that lighttpd
# (its child processes), one per line, sorted.
lighttpd_worker_pids() {
    local pid
    pid=$(lighttpd_pid "${1:-main}")
    [ -n "$pid" ] || return 0
    pgrep -P "$pid" | sort -n || true
}

# lighttpd_stop [NAME]: stops that lighttpd by PID and makes sure none of
# its workers survives.
lighttpd_stop() {
    local name=${1:-main} pid workers w
    pid=$(lighttpd_pid "$name")
    [ -n "$pid" ] || return 0
    workers=$(lighttpd_worker_pids "$name")
    stack_log "stopping lighttpd '$name' (pid $pid)"
    stack_kill "$pid" 10 TERM
    for w in $workers; do
        stack_kill "$w" 5 TERM
    done
    rm -f "$STACK_TMP/state/lighttpd_${name}_pid"
}

# stack_wait_lighttpd [NAME]: blocks until that lighttpd exits (for a
# foreground demo).
stack_wait_lighttpd() {
    local pid
    pid=$(lighttpd_pid "${1:-main}")
    [ -n "$pid" ] || return 0
    wait "$pid" 2>/dev/null || while kill -0 "$pid" 2>/dev/null; do sleep 1; done
}

# Run as a command: scripts/stack.sh STACK_TMP FUNCTION [ARGS...]
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    [ $# -ge 2 ] || {
        echo "usage: $0 STACK_TMP FUNCTION [ARGS...]  (e.g. pg_stop, pg_start, lighttpd_worker_pids main)" >&2
        exit 2
    }
    stack_attach "$1" || exit 1
    shift
    case $1 in
        pg_start | pg_stop | pg_restart | pg_pid | pg_port | pg_conninfo | pg_psql | \
            lighttpd_pid | lighttpd_port | lighttpd_url | lighttpd_worker_pids | lighttpd_stop) ;;
        *) echo "stack.sh: unknown function $1" >&2; exit 2 ;;
    esac
    "$@"
fi
