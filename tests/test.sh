#!/bin/bash
# test.sh - the whole test suite, from a fresh Debian 12 machine:
# installs what is missing, builds, and runs the unit tests (make check),
# the plain-CGI golden cases, the integration suite (real lighttpd +
# PostgreSQL), the same through PgBouncer, the scale-out suite (replica,
# pooler restarts, two hosts), presigning against a signature-checking S3
# server, the /docs page in headless Chromium, the hostile-input battery,
# the same suite behind every supported web server, a libFuzzer smoke run,
# an ASan/UBSan build of the suites, the Debian package and make distcheck.
# Ends with
# one line "N passed, M failed"; exit status 0 only when everything
# passed. About 12 minutes here (2 cores), up to 20 on a busy machine.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
if ! scripts/build.sh; then
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

passed=0
failed=0
# Adds the counts of a "N passed, M failed" line found in file $1.
add_summary() {
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then
        echo "no summary line in $1" >&2
        failed=$((failed + 1))
        return
    fi
    passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
}

echo "== unit tests (make check)"
make -j"$(nproc)" check >/dev/null 2>&1
for t in tests/unit/test_*.log; do
    printf '%-32s %s\n' "$(basename "$t" .log)" "$(grep -E '^[0-9]+ passed' "$t" | tail -n 1)"
    grep -E '^FAIL' "$t" | head -n 20
    add_summary "$t"
done
# The plain-CGI golden suites (tests/cgi, run by make check above); a SKIP
# is shown, never counted as passed.
for t in tests/cgi/nodb.sh tests/cgi/db.sh; do
    res=$(sed -n 's/^:test-result: //p' "$t.trs" 2>/dev/null)
    printf '%-32s %s\n' "cgi_$(basename "$t" .sh)" "${res:-NOT RUN}: $(grep -E '^[0-9]+ passed' "$t.log" 2>/dev/null | tail -n 1)"
    grep -E '^not ok' -A 3 "$t.log" 2>/dev/null | head -n 20
    if [ "$res" = SKIP ]; then
        grep -E '^SKIP' "$t.log" | head -n 1
        failed=$((failed + 1))
    else
        add_summary "$t.log"
    fi
done

# Each suite prints its own closing "N passed, M failed"; run_suite adds it.
run_suite() {
    local title=$1
    shift
    echo "== $title"
    local log
    log=$(mktemp)
    BUILD_DIR=$ROOT "$@" 2>&1 | tee "$log"
    add_summary "$log"
    rm -f "$log"
}

run_suite "integration tests (lighttpd + PostgreSQL)" tests/integration/run.sh
run_suite "integration tests through PgBouncer (transaction pooling, pool of 2)" \
    tests/integration/run_pgbouncer.sh
run_suite "scale-out (PgBouncer session mode, restarts; streaming replica; two hosts)" \
    tests/integration/run_scaleout.sh
run_suite "presigning (s3rver verifying SigV4, fake IMDSv2/ECS)" tests/integration/run_presign.sh
run_suite "upgrade: migration 003 on a database of the previous schema (9f32c38)" \
    tests/integration/run_migrate.sh
run_suite "API reference in a browser (/docs, headless Chromium)" tests/docs/run.sh
run_suite "hostile input battery" tests/integration/run_hostile.sh
run_suite "server matrix (lighttpd, Apache fcgid/proxy_fcgi/CGI, nginx)" \
    tests/integration/run_matrix.sh
run_suite "fuzz smoke (libFuzzer, 30 s per harness)" env FUZZ_PARALLEL=2 tests/fuzz/run.sh 30
run_suite "ASan + UBSan build: unit, integration and hostile suites" \
    tests/reliability/sanitizers.sh --hostile
run_suite "package (.deb build, install, remove, purge)" tests/package/run.sh
run_suite "release tarball (make distcheck)" tests/package/distcheck.sh

echo "== total"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
