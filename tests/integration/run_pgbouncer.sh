#!/usr/bin/env bash
# The integration suite (run.sh, unchanged) with PgBouncer between docapi
# and PostgreSQL: Debian's pgbouncer in transaction pooling mode, a pool of
# 2 server connections for the 8 workers of each lighttpd. docapi keeps no
# state in the database session, so every test must pass as it does with
# the workers connected directly; docapi-admin (migrations take a session
# transaction) still talks to PostgreSQL itself, as the suites set it up.
#
#   tests/integration/run_pgbouncer.sh [run.sh's arguments]
#
# Prints the suite's results and, last, one line "N passed, M failed".
set -euo pipefail
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
    echo "pgbouncer suite setup failed: pgbouncer is not installed (scripts/install-deps.sh)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
export SUITE_AFTER_DATABASE=$SRC_DIR/tests/integration/pgbouncer_hook.sh
export DOCAPI_PROCS=${DOCAPI_PROCS:-8}
export PGBOUNCER_POOL_SIZE=${PGBOUNCER_POOL_SIZE:-2}
exec "$SRC_DIR/tests/integration/run.sh" "$@"
