#!/bin/bash
# build.sh - configure (once) and build docapi in the source tree.
#   scripts/build.sh [CONFIGURE_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
    ./autogen.sh >/dev/null 2>&1 || ./autogen.sh
fi
if [ ! -f Makefile ] || [ $# -gt 0 ]; then
    ./configure -q "$@"
fi
make -j"$(nproc)" >/dev/null
# /docs: Swagger UI's static files (make docs-ui: npm ci from
# docs/ui/package-lock.json). Without npm docapi builds and runs as before;
# only /docs is not there (make install says so).
if command -v "${NPM:-npm}" >/dev/null 2>&1; then
    make docs-ui >/dev/null || echo "build: make docs-ui failed: /docs not built" >&2
fi
