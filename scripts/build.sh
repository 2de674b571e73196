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
