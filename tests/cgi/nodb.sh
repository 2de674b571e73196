#!/usr/bin/env bash
# nodb.sh - the CGI golden cases that need no database (automake TESTS
# entry; also runs alone: tests/cgi/nodb.sh [-k SUBSTRING]).
# Source tree: $DOCAPI_SRCDIR, else two folders up from this script; build
# tree: $DOCAPI_BUILDDIR, else $BUILD_DIR, else the current folder when it
# holds cgi/docapi.fcgi (make check runs in the build tree), else the source
# tree. Exit status as run.sh (0, 1, 99).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export DOCAPI_SRCDIR=${DOCAPI_SRCDIR:-$(cd "$HERE/../.." && pwd)}
if [ -z "${DOCAPI_BUILDDIR:-}" ]; then
    if [ -n "${BUILD_DIR:-}" ]; then
        DOCAPI_BUILDDIR=$BUILD_DIR
    elif [ -x cgi/docapi.fcgi ]; then
        DOCAPI_BUILDDIR=$PWD
    else
        DOCAPI_BUILDDIR=$DOCAPI_SRCDIR
    fi
fi
export DOCAPI_BUILDDIR BUILD_DIR=$DOCAPI_BUILDDIR
exec bash "$HERE/run.sh" "$@" "$HERE"/cases/nodb-*.cases
