#!/usr/bin/env bash
# distcheck.sh - "make distcheck" (the release tarball builds, passes make
# check - db group included - installs and uninstalls from a read-only
# source tree) on a copy of the tree, so that the source tree's own
# configured build is left alone. Prints "1 passed, 0 failed" or
# "0 passed, 1 failed" last.
#
#   tests/package/distcheck.sh        (KEEP=1: keep the temp folder)
set -uo pipefail
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/docapi-distcheck.XXXXXX")
chmod 755 "$T"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$T"; }
trap cleanup EXIT
mkdir "$T/src"
if git -C "$SRC_DIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$SRC_DIR" && git ls-files -co --exclude-standard -z |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf - | tar -xf - -C "$T/src")
else
    (cd "$SRC_DIR" && tar --exclude=./tests/s3/node_modules -cf - .) | tar -xf - -C "$T/src"
fi
start=$(date +%s)
if (cd "$T/src" && ./autogen.sh && ./configure -q && make -j"$(nproc)" distcheck) >"$T/distcheck.log" 2>&1 &&
    grep -q '^PASS: tests/cgi/db.sh' "$T/distcheck.log"; then
    echo "ok - make distcheck ($(( $(date +%s) - start )) s; $(ls "$T"/src/docapi-*.tar.gz | xargs -n1 basename), $(tar tzf "$T"/src/docapi-*.tar.gz | grep -vc '/$') files)"
    echo "1 passed, 0 failed"
else
    tail -n 30 "$T/distcheck.log" | sed 's/^/# /'
    grep -E '^(FAIL|SKIP|ERROR): ' "$T/distcheck.log" | sed 's/^/# /'
    echo "not ok - make distcheck"
    echo "0 passed, 1 failed"
    exit 1
fi
