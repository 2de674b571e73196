#!/bin/bash
# install-deps.sh - installs the Debian packages docapi needs to build, run
# and test, skipping those already present. Never prompts.
#
#   scripts/install-deps.sh            build + run + test packages
#
# Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
    build-essential autoconf automake pkg-config
    libfcgi-dev libjson-c-dev libpq-dev libcurl4-openssl-dev libssl-dev
    postgresql lighttpd curl python3 procps
    apache2 libapache2-mod-fcgid nginx spawn-fcgi pgbouncer
    clang libclang-rt-14-dev valgrind
    nodejs
    dpkg-dev debhelper lintian   # tests/package: dpkg-buildpackage, dh, lintian
)
# --- presigning tests: node runs @20minutes/s3rver (tests/s3). npm ships
# inside some nodejs builds (NodeSource), whose package conflicts with
# Debian's npm: ask for npm only when there is none. ---
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
# --- end presigning ---
# --- /docs: the browser test (tests/docs) drives Debian's chromium with
# playwright-core; npm installs that and Swagger UI from the lock files. ---
PACKAGES+=(chromium)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq </dev/null >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2
# Debian starts a system PostgreSQL cluster on install; docapi's scripts run
# their own private cluster and never use it.
