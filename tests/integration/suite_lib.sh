# shellcheck shell=bash
# suite_lib.sh - the setup steps every integration runner shares (run.sh,
# run_hostile.sh, run_presign.sh). Source it after scripts/stack.sh and set
# SUITE_NAME first; functions read STACK_TMP and DOCAPI_* when called.

# setup_failed MSG: a setup problem is one failed test, never a silent pass.
setup_failed() {
    echo "${SUITE_NAME:-integration} setup failed: $*" >&2
    echo "0 passed, 1 failed"
    exit 1
}

# suite_check_tools: the binaries and lighttpd are there.
suite_check_tools() {
    local b
    for b in "$DOCAPI_FCGI" "$DOCAPI_ADMIN"; do
        [ -x "$b" ] || setup_failed "$b not found (build first: scripts/build.sh, or set BUILD_DIR)"
    done
    [ -d "$DOCAPI_SQL_DIR" ] || setup_failed "no migrations folder $DOCAPI_SQL_DIR"
    command -v lighttpd >/dev/null || setup_failed "lighttpd is not installed"
}

# suite_fail_logs [FILE...]: the end of the servers' logs, after a failure.
suite_fail_logs() {
    local f
    for f in "$STACK_TMP"/lighttpd-*/app.log "$STACK_TMP"/lighttpd-*/error.log \
        "$STACK_TMP"/postgresql.log "$@"; do
        [ -s "$f" ] || continue
        echo "----- last lines of ${f#"$STACK_TMP"/}" >&2
        tail -n 15 "$f" >&2
    done
}

# admin ARGS...: docapi-admin, its stderr to admin.log.
admin() {
    "$DOCAPI_ADMIN" "$@" 2>>"$STACK_TMP/admin.log"
}

# need VAR CMD...: VAR=$(docapi-admin CMD...) or fail the setup.
need() {
    local var=$1 out
    shift
    out=$(admin "$@") || {
        tail -n 5 "$STACK_TMP/admin.log" >&2
        setup_failed "docapi-admin $*"
    }
    out=${out%$'\n'}
    [ -n "$out" ] || setup_failed "docapi-admin $* printed nothing"
    printf -v "$var" '%s' "$out"
}

# suite_database: PostgreSQL up, docapi.conf written, migrations applied.
suite_database() {
    pg_start || setup_failed "PostgreSQL did not start"
    export DOCAPI_CONF=$STACK_TMP/docapi.conf
    docapi_write_conf "$DOCAPI_CONF" ""
    admin migrate >/dev/null || {
        tail -n 5 "$STACK_TMP/admin.log" >&2
        setup_failed "docapi-admin migrate"
    }
}
