# shellcheck shell=bash
# entry.sh - what nodb.sh and db.sh share: find the source and build trees
# and run run.sh. Source tree: $DOCAPI_SRCDIR, else two folders up from
# this script; build tree: $DOCAPI_BUILDDIR, else $BUILD_DIR, else the
# current folder when it holds cgi/docapi.fcgi (make check runs in the build
# tree), else the source tree.
#   cgi_run GROUP [run.sh arguments...]: runs cases/GROUP-*.cases
cgi_run() {
    local here group=$1
    shift
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    export DOCAPI_SRCDIR=${DOCAPI_SRCDIR:-$(cd "$here/../.." && pwd)}
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
    exec bash "$here/run.sh" "$@" "$here"/cases/"$group"-*.cases
}
