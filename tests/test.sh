#!/bin/bash
# test.sh - the whole test suite, from a fresh Debian 12 machine:
# installs what is missing, builds, runs the unit tests (make check) and the
# integration suite (real lighttpd + PostgreSQL), and ends with one line
# "N passed, M failed". Exit status 0 only when everything passed.
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

echo "== integration tests (lighttpd + PostgreSQL)"
log=$(mktemp)
BUILD_DIR=$ROOT tests/integration/run.sh 2>&1 | tee "$log"
add_summary "$log"
rm -f "$log"

# --- presigning (return_url=true): s3rver + fake IMDS/ECS, tests/integration/run_presign.sh ---
echo "== presigning tests (lighttpd + PostgreSQL + s3rver + fake IMDS)"
log=$(mktemp)
BUILD_DIR=$ROOT tests/integration/run_presign.sh 2>&1 | tee "$log"
add_summary "$log"
rm -f "$log"
# --- end presigning ---

echo "== total"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
