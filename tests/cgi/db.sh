#!/usr/bin/env bash
# db.sh - the CGI golden cases against a private PostgreSQL (automake TESTS
# entry; also runs alone: tests/cgi/db.sh [-k SUBSTRING]). Trees: entry.sh.
# Exit status as run.sh (0, 1, 99; 77 = SKIP without PostgreSQL).
. "$(dirname "${BASH_SOURCE[0]}")/entry.sh"
cgi_run db --db "$@"
