#!/usr/bin/env bash
# run_matrix.sh - the integration suite behind every supported web server.
#
#   tests/integration/run_matrix.sh [-s "SERVER..."] [-k SUBSTRING]... [-v]
#
# Servers (default: all, in this order):
#   lighttpd    lighttpd mod_fastcgi spawning docapi.fcgi (what run.sh does)
#   fcgid       Apache + mod_fcgid          conf/apache/docapi-fcgid.conf
#   proxy       Apache + mod_proxy_fcgi     conf/apache/docapi-proxy-fcgi.conf
#               -> docapi.fcgi --listen 127.0.0.1:PORT --threads 4
#   cgi         Apache + mod_cgid, plain CGI   conf/apache/docapi-cgi.conf
#   nginx       nginx                       conf/nginx/docapi.conf
#               -> spawn-fcgi -s SOCKET -- docapi.fcgi --threads 4
#
# For each server, tests/integration/run.sh builds its usual stack (private
# PostgreSQL, seed data, lighttpd), then - instead of running test_api.py
# against lighttpd - this script (called back by run.sh as its $PYTHON)
# starts the server under test from the shipped config (scripts/servers.sh),
# the app mounted at "/" and at "/api", and runs against it:
#   1. test_api.py, the whole suite, pointed at the server only through the
#      environment it already reads (DOCAPI_TEST_BASE, DOCAPI_TEST_API_BASE,
#      STACK_TMP: a "view" of the stack whose lighttpd-main/app.log is the
#      server's app log and whose worker list is the server's docapi.fcgi
#      processes);
#   2. test_deploy.py, the server-specific checks (chunked bodies, 1.5 MiB
#      body -> JSON 413, Authorization through the shipped config, %2F,
#      signals and graceful restarts during a slow request, recycling; the
#      errors the server answers itself - body over its limit, %00, GET
#      with a body, long URI and header, app down, app too slow - in the
#      contract's JSON shape, on extra instances with 1 s timeouts; the
#      .htaccess variants behind fcgid and cgi).
#
# Environment: as run.sh (BUILD_DIR, DOCAPI_FCGI, DOCAPI_ADMIN, PYTHON, ...),
# plus MATRIX_SERVERS (same as -s), MATRIX_KEEP_LOGS=1 (keep per-server
# logs in $TMPDIR/docapi-matrix.*), STACK_KEEP_TMP=1 (keep each stack).
#
# Prints per-server results and, last, exactly one line "N passed, M failed"
# (the sum over all servers). Exit status 0 only when every test passed.
set -uo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF=$SRC_DIR/tests/integration/run_matrix.sh

# Tests of test_api.py that cannot apply to a server kind (reported as
# skipped with the reason).
matrix_excluded() {
    case $1 in
        *) ;; # test_api.py adapts to DOCAPI_TEST_SERVER itself
    esac
}
matrix_exclusion_reason() {
    case $2 in
        x_namespace_sent_twice_400)
            echo "$1 drops headers with '_' (X_Namespace), so the app sees one X-Namespace and 200 is right; the test expects lighttpd's folding (test_deploy.py underscore_header_never_spoofs_namespace covers $1)" ;;
        database_down_503_then_recovers_in_same_workers)
            echo "plain CGI has no long-lived worker whose PID could survive (test_deploy.py cgi_database_outage_503_then_recovers covers the 503 and the recovery)" ;;
    esac
}

# ===================================================================== wrap
# Called by run.sh as "$PYTHON ARGS...": anything but test_api.py goes to the
# real interpreter; test_api.py is run behind $MATRIX_SERVER.
matrix_wrap() {
    local real=${MATRIX_REAL_PYTHON:-/usr/bin/python3}
    case ${1:-} in
        */test_api.py) ;;
        *) exec "$real" "$@" ;;
    esac
    shift
    local kind=$MATRIX_SERVER
    local real_tmp=$STACK_TMP
    # shellcheck source=scripts/servers.sh
    STACK_NO_TRAP=1 . "$SRC_DIR/scripts/servers.sh"
    stack_attach "$real_tmp" || return 1

    local main=lighttpd-main api=lighttpd-api
    local base api_base view=$real_tmp
    if [ "$kind" = lighttpd ]; then
        base=$DOCAPI_TEST_BASE
        api_base=$DOCAPI_TEST_API_BASE
        main=main api=api
    else
        main=m-$kind
        api=a-$kind
        srv_start "$kind" "$main" || { matrix_fail_setup "$kind (mount /) did not start"; return 1; }
        srv_start "$kind" "$api" "" /api || { matrix_fail_setup "$kind (mount /api) did not start"; return 1; }
        base=$(srv_url "$main")
        api_base=$(srv_url "$api")
        # a first request, so that spawning servers have a worker
        curl -s -o /dev/null --max-time 10 "$base/healthz" || true
        curl -s -o /dev/null --max-time 10 "$api_base/healthz" || true
        view=$(matrix_make_view "$kind" "$main" "$api") || { matrix_fail_setup "view"; return 1; }
    fi
    echo "== $kind: $base (and $api_base)"
    # for test_api.py, should it learn which server it runs behind
    export DOCAPI_TEST_SERVER=$kind

    # 1. the whole suite
    local names=() excluded
    excluded=$(matrix_excluded "$kind")
    local filters=()
    while [ $# -gt 0 ]; do
        case $1 in
            -k) filters+=("$2"); shift 2 ;;
            *) names+=("$1"); shift ;;
        esac
    done
    local args=("${names[@]}")
    if [ -n "$excluded" ]; then
        local t f ok
        while read -r t; do
            [ -n "$t" ] || continue
            case " $excluded " in *" $t "*) continue ;; esac
            ok=1
            if [ ${#filters[@]} -gt 0 ]; then
                ok=0
                for f in "${filters[@]}"; do
                    case $t in *"$f"*) ok=1 ;; esac
                done
            fi
            [ "$ok" = 1 ] && args+=(-k "$t")
        done < <("$real" "$SRC_DIR/tests/integration/test_api.py" -l)
        for t in $excluded; do
            echo "skip $t: $(matrix_exclusion_reason "$kind" "$t")"
        done
    else
        for f in "${filters[@]}"; do args+=(-k "$f"); done
    fi
    local rc1=0 rc2 s1 s2
    if [ -n "$excluded" ] && [ ${#filters[@]} -gt 0 ] && [ ${#args[@]} -eq ${#names[@]} ]; then
        # the filters matched no test of test_api.py
        s1="0 passed, 0 failed"
    else
        rm -f "$view/summary"
        STACK_TMP=$view DOCAPI_TEST_BASE=$base DOCAPI_TEST_API_BASE=$api_base \
            "$real" "$SRC_DIR/tests/integration/test_api.py" "${args[@]}"
        rc1=$?
        s1=$(cat "$view/summary" 2>/dev/null || echo "0 passed, 1 failed")
    fi

    # 2. server-specific checks (they signal and restart things: last)
    local dfilters=()
    rm -f "$view/deploy-summary"
    for f in "${filters[@]}"; do dfilters+=(-k "$f"); done
    STACK_TMP=$view DOCAPI_TEST_BASE=$base DOCAPI_TEST_API_BASE=$api_base \
        DOCAPI_DEPLOY_SERVER=$kind DOCAPI_DEPLOY_NAME=$main \
        DOCAPI_DEPLOY_STACK=$real_tmp DOCAPI_DEPLOY_SERVERS_SH=$SRC_DIR/scripts/servers.sh \
        "$real" "$SRC_DIR/tests/integration/test_deploy.py" "${dfilters[@]}"
    rc2=$?
    s2=$(cat "$view/deploy-summary" 2>/dev/null || echo "0 passed, 1 failed")

    if [ "$kind" != lighttpd ]; then
        STACK_QUIET=1 srv_stop_all
    fi
    local p1 f1 p2 f2
    read -r p1 _ f1 _ <<<"${s1//,/}"
    read -r p2 _ f2 _ <<<"${s2//,/}"
    local summary="$((p1 + p2)) passed, $((f1 + f2)) failed"
    # run.sh repeats this file's content when we fail
    echo "$summary" >"$real_tmp/summary"
    echo "$kind: test_api.py $s1; test_deploy.py $s2"
    echo "$summary"
    [ "$rc1" = 0 ] && [ "$rc2" = 0 ]
}

matrix_fail_setup() {
    local f
    echo "matrix: setup failed: $*" >&2
    for f in "$STACK_TMP"/srv-*/error.log "$STACK_TMP"/srv-*/app.log; do
        [ -s "$f" ] || continue
        echo "----- ${f#"$STACK_TMP"/}" >&2
        tail -n 15 "$f" >&2
    done
    echo "0 passed, 1 failed" | tee "$STACK_TMP/summary"
}

# matrix_make_view KIND MAIN API: a folder that test_api.py takes for
# STACK_TMP. Its PostgreSQL entries are links to the real stack (so that
# stack.sh pg_stop/pg_start still work); lighttpd-NAME/app.log link to the
# server's app log; state/lighttpd_NAME_pid is the process whose children
# are the server's docapi.fcgi workers (what lighttpd_worker_pids lists).
matrix_make_view() {
    local kind=$1 main=$2 api=$3 view=$STACK_TMP/view-$1 n name parent w
    mkdir -p "$view/state"
    chmod 755 "$view"
    cp "$STACK_TMP/state/pg_port" "$STACK_TMP/state/pg_pid" "$view/state/" 2>/dev/null
    for n in pgdata pgsock postgresql.log; do
        ln -sfn "$STACK_TMP/$n" "$view/$n"
    done
    for n in main api; do
        [ "$n" = main ] && name=$main || name=$api
        mkdir -p "$view/lighttpd-$n"
        ln -sfn "$(srv_app_log "$name")" "$view/lighttpd-$n/app.log"
        w=$(srv_worker_pids "$name" | head -n 1)
        parent=""
        if [ -n "$w" ] && [ "$kind" != cgi ]; then
            parent=$(ps -o ppid= -p "$w" | tr -d ' ')
        fi
        # no worker (plain CGI): a PID with no children
        [ -n "$parent" ] || parent=$w
        [ -n "$parent" ] || parent=$(srv_pid "$name")
        printf '%s\n' "$parent" >"$view/state/lighttpd_${n}_pid"
    done
    printf '%s\n' "$view"
}

# =================================================================== driver
# (a function, read whole before it runs: editing this file during a run
# cannot derail it)
matrix_main() {
servers=${MATRIX_SERVERS:-lighttpd fcgid proxy cgi nginx}
pass_args=()
while [ $# -gt 0 ]; do
    case $1 in
        -s) servers=$2; shift 2 ;;
        -k) pass_args+=(-k "$2"); shift 2 ;;
        -v | -x) pass_args+=("$1"); shift ;;
        -h | --help) sed -n '2,36p' "$SELF"; exit 0 ;;
        *) echo "usage: $0 [-s \"SERVER...\"] [-k SUBSTRING]... [-v] [-x]" >&2; exit 2 ;;
    esac
done

missing=()
for s in $servers; do
    case $s in
        lighttpd) command -v lighttpd >/dev/null || missing+=(lighttpd) ;;
        fcgid) [ -f /usr/lib/apache2/modules/mod_fcgid.so ] || missing+=(libapache2-mod-fcgid) ;;
        proxy | cgi) command -v apache2 >/dev/null || missing+=(apache2) ;;
        nginx)
            command -v nginx >/dev/null || missing+=(nginx)
            command -v spawn-fcgi >/dev/null || missing+=(spawn-fcgi) ;;
        *) echo "run_matrix: unknown server '$s' (lighttpd fcgid proxy cgi nginx)" >&2; exit 2 ;;
    esac
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "run_matrix: not installed: ${missing[*]} (scripts/install-deps.sh)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

logdir=$(mktemp -d "${TMPDIR:-/tmp}/docapi-matrix.XXXXXX")
child=""
on_exit() {
    local rc=$?
    trap - EXIT INT TERM HUP
    # run.sh's own trap stops its stack (and our servers, tracked there)
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    if [ "${MATRIX_KEEP_LOGS:-0}" = 1 ] || [ "$rc" != 0 ]; then
        # (already said before the closing line when the run got that far)
        [ "${logs_said:-0}" = 1 ] || echo "matrix: logs in $logdir" >&2
    else
        rm -rf "$logdir"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

total_p=0 total_f=0
results=()
t_start=$(date +%s)
for s in $servers; do
    t0=$(date +%s)
    echo "===== $s" >&2
    # shellcheck disable=SC2097,SC2098 # the real interpreter is the caller's $PYTHON
    MATRIX_WRAP=1 MATRIX_SERVER=$s MATRIX_REAL_PYTHON=${PYTHON:-/usr/bin/python3} PYTHON=$SELF \
        "$SRC_DIR/tests/integration/run.sh" "${pass_args[@]}" >"$logdir/$s.log" 2>&1 &
    child=$!
    wait "$child"
    rc=$?
    child=""
    # per-test lines of interest: failures and skips
    grep -E '^(FAIL|skip|== |failed:)|test_api.py .*test_deploy.py' "$logdir/$s.log" | sed "s/^/[$s] /"
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logdir/$s.log" | tail -n 1)
    if [ -z "$last" ]; then
        last="0 passed, 1 failed"
        echo "[$s] no result line; last lines of the log:" 
        tail -n 25 "$logdir/$s.log" | sed "s/^/[$s]   /"
    elif [ "$rc" != 0 ] && [ "${last#* passed, }" = "0 failed" ]; then
        last="${last%%,*}, 1 failed"
        tail -n 25 "$logdir/$s.log" | sed "s/^/[$s]   /"
    fi
    read -r p _ f _ <<<"${last//,/}"
    total_p=$((total_p + p))
    total_f=$((total_f + f))
    results+=("$(printf '%-9s %-24s %3ss' "$s" "$last" "$(( $(date +%s) - t0 ))")")
done
echo "===== matrix ($(( $(date +%s) - t_start ))s)"
printf '%s\n' "${results[@]}"
[ "$total_f" = 0 ] || MATRIX_KEEP_LOGS=1
if [ "${MATRIX_KEEP_LOGS:-0}" = 1 ]; then
    echo "logs: $logdir"
    logs_said=1
fi
echo "$total_p passed, $total_f failed"
[ "$total_f" = 0 ]
}

if [ "${MATRIX_WRAP:-0}" = 1 ]; then
    matrix_wrap "$@"
    exit $?
fi
matrix_main "$@"
exit $?
