#!/usr/bin/env bash
# Unit + integration suites on an AddressSanitizer + UndefinedBehaviorSanitizer
# build (./configure --enable-sanitizers), made out of tree from a copy of
# the source tree, so that nobody's in-tree build is touched.
#
#   tests/reliability/sanitizers.sh [--no-integration] [--hostile] [-- RUN_SH_ARGS...]
#
# Steps:
#   1. copy the sources (git-tracked and untracked, minus build outputs) to
#      $SAN_DIR/src, autogen there, configure --enable-sanitizers in
#      $SAN_DIR/build-asan (out of tree), make, make check;
#   2. tests/integration/run.sh with BUILD_DIR=$SAN_DIR/build-asan: lighttpd
#      spawns the sanitized docapi.fcgi, docapi-admin seeds the database;
#   3. with --hostile, also tests/integration/run_hostile.sh on that build;
#   4. fails if any sanitizer report file appeared in $SAN_DIR/reports
#      (ASAN_OPTIONS / UBSAN_OPTIONS log_path: one file per process, so
#      reports of lighttpd-spawned workers are found too) or a suite failed.
#
# Environment:
#   SAN_DIR    work folder (default: a new /tmp/docapi-asan.XXXXXX, kept;
#              reuse one to build incrementally)
#   SAN_KEEP=0 remove SAN_DIR at the end when everything passed
#   SAN_SOURCE worktree (default: the working tree, uncommitted changes
#              included) or head (git archive HEAD)
#
# Prints the suites' output and, last, "N passed, M failed" over: the unit
# test programs, the integration tests, the hostile cases, and one
# "no sanitizer reports" check.
set -uo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
integration=1
hostile=0
while [ $# -gt 0 ]; do
    case $1 in
        --no-integration) integration=0 ;;
        --hostile) hostile=1 ;;
        --) shift; break ;;
        *) echo "usage: $0 [--no-integration] [--hostile] [-- RUN_SH_ARGS...]" >&2; exit 2 ;;
    esac
    shift
done

SAN_DIR=${SAN_DIR:-$(mktemp -d /tmp/docapi-asan.XXXXXX)}
mkdir -p "$SAN_DIR/src" "$SAN_DIR/build-asan" "$SAN_DIR/reports"
SAN_DIR=$(cd "$SAN_DIR" && pwd)
REPORTS=$SAN_DIR/reports
rm -f "$REPORTS"/*
passed=0
failed=0

add_summary() {
    # add_summary FILE: adds the counts of its last "N passed, M failed" line
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then
        echo "sanitizers: no summary line in $1" >&2
        failed=$((failed + 1))
        return
    fi
    passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
}
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ] || exit 1
    [ "${SAN_KEEP:-1}" = 1 ] || rm -rf "$SAN_DIR"
    exit 0
}

# ---- 1. copy and build
echo "== sanitizer build in $SAN_DIR/build-asan"
(
    cd "$SRC_DIR" || exit 1
    if [ "${SAN_SOURCE:-worktree}" = head ]; then
        git archive HEAD | tar -xf - -C "$SAN_DIR/src"
    else
        # tracked files plus untracked ones that are not ignored: what the
        # working tree builds from, without anybody's build outputs
        git ls-files -z --cached --others --exclude-standard |
            while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
            tar --null -T - -cf - | tar -xf - -C "$SAN_DIR/src"
    fi
) || { echo "sanitizers: copying the sources failed"; failed=1; finish; }
(
    set -e
    cd "$SAN_DIR/src"
    [ -x configure ] && [ configure -nt configure.ac ] || ./autogen.sh >"$SAN_DIR/autogen.log" 2>&1
    cd "$SAN_DIR/build-asan"
    if [ ! -f Makefile ]; then
        ../src/configure -q --enable-sanitizers CFLAGS="-g -O1" >"$SAN_DIR/configure.log" 2>&1
    fi
    make -j"$(nproc)" >"$SAN_DIR/make.log" 2>&1
) || {
    tail -n 30 "$SAN_DIR"/autogen.log "$SAN_DIR"/configure.log "$SAN_DIR"/make.log 2>/dev/null
    echo "sanitizers: build failed"
    failed=1
    finish
}

# Every sanitized process writes its report to $REPORTS/<tool>.<pid> and
# stops at the first error. Leak checking is on (default on Linux x86_64).
export ASAN_OPTIONS="log_path=$REPORTS/asan:halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="log_path=$REPORTS/ubsan:halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="log_path=$REPORTS/lsan"
# lighttpd passes only the variables named here on to the FastCGI workers
export STACK_COPY_ENV="PATH LANG LC_ALL TZ ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS"

# ---- 2. unit tests
echo "== unit tests (make check) on the sanitizer build"
( cd "$SAN_DIR/build-asan" && make -j"$(nproc)" check >"$SAN_DIR/check.log" 2>&1 )
for t in "$SAN_DIR"/build-asan/tests/unit/test_*.log; do
    [ -f "$t" ] || continue
    printf '%-32s %s\n' "$(basename "$t" .log)" "$(grep -E '^[0-9]+ passed' "$t" | tail -n 1)"
    grep -E '^FAIL' "$t" | head -n 20
    add_summary "$t"
done

# ---- 3. integration suites
if [ "$integration" = 1 ]; then
    echo "== integration tests on the sanitizer build"
    BUILD_DIR=$SAN_DIR/build-asan "$SAN_DIR/src/tests/integration/run.sh" "$@" \
        2>&1 | tee "$SAN_DIR/integration.log"
    add_summary "$SAN_DIR/integration.log"
fi
if [ "$hostile" = 1 ]; then
    echo "== hostile battery on the sanitizer build"
    BUILD_DIR=$SAN_DIR/build-asan "$SAN_DIR/src/tests/integration/run_hostile.sh" \
        2>&1 | tee "$SAN_DIR/hostile.log"
    add_summary "$SAN_DIR/hostile.log"
fi

# ---- 4. reports
# Workers exit when lighttpd stops; their reports (leaks are reported at
# exit) are written by then, since the suites stop the stack before they
# return.
if compgen -G "$REPORTS/*" >/dev/null; then
    echo "sanitizers: FAIL: sanitizer reports in $REPORTS:"
    for f in "$REPORTS"/*; do
        echo "----- $f"
        head -n 40 "$f"
    done
    failed=$((failed + 1))
else
    echo "ok no sanitizer reports (ASan, UBSan, LSan) from any process"
    passed=$((passed + 1))
fi
finish
