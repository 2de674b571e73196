#!/usr/bin/env bash
# nodb.sh - the CGI golden cases that need no database (automake TESTS
# entry; also runs alone: tests/cgi/nodb.sh [-k SUBSTRING]). Trees: entry.sh.
# Exit status as run.sh (0, 1, 99).
. "$(dirname "${BASH_SOURCE[0]}")/entry.sh"
cgi_run nodb "$@"
