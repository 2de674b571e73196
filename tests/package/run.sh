#!/usr/bin/env bash
# run.sh - the Debian package, end to end, on this machine (root):
#   1. builds the .deb with dpkg-buildpackage -us -uc -b from a copy of the
#      tree (git's tracked and untracked-but-not-ignored files), lintian;
#   2. apt-get install ./docapi_*.deb; checks files, the conffile's
#      owner/group/mode, the docapi user, that nothing is enabled;
#   3. a private PostgreSQL (scripts/stack.sh); the INSTALLED docapi-admin
#      migrate, reading the installed /etc/docapi/docapi.conf (edited as an
#      admin would: database_url);
#   4. lighttpd (as www-data) around the INSTALLED
#      /etc/lighttpd/conf-available/90-docapi.conf (only its socket and log
#      paths moved into the temp folder) answering a PATCH and a JSON error
#      of its own (the time from dpkg-buildpackage to that PATCH is shown);
#      then the integration suite and tests/package/upgrade.sh against the
#      installed binaries and migrations;
#   5. apt-get remove: the conffile (as edited) and the database remain;
#      apt-get purge: the conffile and the enable link are gone.
# A docapi package left by an earlier run is purged first. Every server is
# stopped by PID, also on failure (stack.sh's trap).
#
#   tests/package/run.sh
#
# Environment: PACKAGE_KEEP=1 keeps the build folder (the .deb) and leaves
# the package installed at the end; STACK_KEEP_TMP=1 (scripts/stack.sh).
# Prints "ok - ..." / "not ok - ..." lines and, last, "N passed, M failed";
# exit status 0 only when everything passed.
set -uo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export STACK_SRC_DIR=$SRC_DIR
unset DOCAPI_CONF DOCAPI_DATABASE_URL DOCAPI_SQL_DIR DOCAPI_MOUNT_PREFIX DOCAPI_FCGI DOCAPI_ADMIN
export DEBIAN_FRONTEND=noninteractive
T_START=$(date +%s)

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
    echo "not ok - $1"
    shift
    local l
    for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
    failed=$((failed + 1))
}
# check NAME CMD...: ok when CMD succeeds
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$(printf '%s\n' "$out" | tail -n 5)"; fi
}
# add_counts FILE: adds the last "N passed, M failed" line of FILE
add_counts() {
    local line p f
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then
        not_ok "$2 printed no summary line"
        return
    fi
    read -r p _ f _ <<<"${line//,/}"
    passed=$((passed + p))
    failed=$((failed + f))
}
finish() {
    if [ "${PACKAGE_KEEP:-0}" != 1 ]; then
        [ -z "${WORK:-}" ] || rm -rf "$WORK"
        pkg_purge >/dev/null 2>&1
    else
        echo "# kept ${WORK:-}" >&2
    fi
    STACK_QUIET=1
    echo "package: $(( $(date +%s) - T_START )) s" >&2
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}
fatal() {
    not_ok "$@"
    finish
}

pkg_status() { dpkg-query -W -f='${Status}' docapi 2>/dev/null; }
pkg_purge() {
    if [ -n "$(pkg_status)" ] && [ "$(pkg_status)" != "unknown ok not-installed" ]; then
        apt-get purge -y -qq docapi </dev/null
    fi
}

[ "$(id -u)" = 0 ] || fatal "tests/package/run.sh must run as root (apt-get install)"
for t in dpkg-buildpackage dh lintian apt-get lighttpd curl python3; do
    command -v "$t" >/dev/null || fatal "$t is not installed (scripts/install-deps.sh)"
done

# ---- 0. a package left by an earlier run ----
pkg_purge >/dev/null 2>&1 || fatal "cannot purge the docapi package of an earlier run"

# ---- 1. build ----
WORK=$(mktemp -d "${TMPDIR:-/tmp}/docapi-package.XXXXXX")
mkdir "$WORK/docapi"
if git -C "$SRC_DIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # the working tree as it is (uncommitted edits too), without build output
    (cd "$SRC_DIR" && git ls-files -co --exclude-standard -z |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf - | tar -xf - -C "$WORK/docapi") || fatal "copy of the tree"
else
    (cd "$SRC_DIR" && tar --exclude=./tests/s3/node_modules -cf - .) | tar -xf - -C "$WORK/docapi" ||
        fatal "copy of the tree"
fi
T0=$(date +%s)
if (cd "$WORK/docapi" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b ($(( $(date +%s) - T0 )) s, make check included)"
else
    fatal "dpkg-buildpackage -us -uc -b" "$(tail -n 25 "$WORK/build.log")"
fi
DEB=$(ls "$WORK"/docapi_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || fatal "no docapi_*.deb built"
check "make check in the build ran the db group (not SKIP)" \
    grep -qE '^PASS: tests/cgi/db.sh' "$WORK/build.log"
lint=$(cd "$WORK" && lintian --pedantic -I ./*.changes 2>&1 | grep -v '^running with root privileges')
if [ -z "$lint" ]; then ok "lintian --pedantic -I: no tag (overrides: debian/docapi.lintian-overrides)"; else not_ok "lintian" "$lint"; fi
echo "# $(basename "$DEB"): $(stat -c %s "$DEB") bytes; $(dpkg-deb -f "$DEB" Installed-Size) KiB installed"
echo "# Depends: $(dpkg-deb -f "$DEB" Depends)"

# ---- 2. install ----
if apt-get install -y -qq "$DEB" </dev/null >"$WORK/install.log" 2>&1; then
    ok "apt-get install ./$(basename "$DEB")"
else
    fatal "apt-get install" "$(tail -n 10 "$WORK/install.log")"
fi
check "dpkg: installed" test "$(pkg_status)" = "install ok installed"
check "/usr/bin/docapi.fcgi and docapi-admin executable" test -x /usr/bin/docapi.fcgi -a -x /usr/bin/docapi-admin
check "migrations in /usr/share/docapi/sql" test -f /usr/share/docapi/sql/001_schema.sql -a -f /usr/share/docapi/sql/002_request_functions.sql \
    -a -f /usr/share/docapi/sql/003_lifecycle.sql -a -f /usr/share/docapi/sql/004_list_indexes.sql \
    -a -f /usr/share/docapi/sql/functions.sql
check "JSON error pages in /usr/share/docapi/errors" test -f /usr/share/docapi/errors/404.json -a -f /usr/share/docapi/errors/docapi-504.html
check "man pages" test -f /usr/share/man/man8/docapi.fcgi.8.gz -a -f /usr/share/man/man8/docapi-admin.8.gz -a -f /usr/share/man/man5/docapi.conf.5.gz
check "man pages name /etc/docapi/docapi.conf" sh -c 'zcat /usr/share/man/man5/docapi.conf.5.gz | grep -q /etc/docapi/docapi.conf'
check "conffile /etc/docapi/docapi.conf is root:www-data 0640" \
    test "$(stat -c '%U:%G %a' /etc/docapi/docapi.conf 2>&1)" = "root:www-data 640"
check "dpkg lists the conffiles" sh -c 'dpkg-query -W -f="\${Conffiles}\n" docapi | grep -q " /etc/docapi/docapi.conf " &&
    dpkg-query -W -f="\${Conffiles}\n" docapi | grep -q " /etc/lighttpd/conf-available/90-docapi.conf "'
check "system user docapi (no login, no home)" sh -c 'e=$(getent passwd docapi) && u=$(echo "$e" | cut -d: -f3) &&
    [ "$u" -lt 1000 ] && [ "$(echo "$e" | cut -d: -f7)" = /usr/sbin/nologin ] && [ ! -e /nonexistent ]'
check "snippets installed" test -f /etc/lighttpd/conf-available/90-docapi.conf -a -f /etc/apache2/conf-available/docapi.conf -a -f /etc/nginx/snippets/docapi.conf
check "snippets not enabled" sh -c '! ls /etc/lighttpd/conf-enabled/*docapi* /etc/apache2/conf-enabled/docapi.conf /etc/nginx/sites-enabled/docapi 2>/dev/null | grep -q .'
check "snippets name the packaged paths only" sh -c '! grep -n /usr/local /etc/lighttpd/conf-available/90-docapi.conf /etc/apache2/conf-available/docapi.conf /etc/nginx/snippets/docapi.conf /lib/systemd/system/docapi*.s* &&
    grep -q "\"bin-path\" *=> \"/usr/bin/docapi.fcgi\"" /etc/lighttpd/conf-available/90-docapi.conf &&
    grep -q "/usr/share/docapi/errors" /etc/apache2/conf-available/docapi.conf /etc/nginx/snippets/docapi.conf'
check "systemd units installed, none enabled" sh -c 'test -f /lib/systemd/system/docapi.service -a -f /lib/systemd/system/docapi.socket -a -f /lib/systemd/system/docapi-standalone.service &&
    ! ls /etc/systemd/system/*.wants/docapi* 2>/dev/null | grep -q .'
check "docapi.fcgi --check-config reads /etc/docapi/docapi.conf by default" /usr/bin/docapi.fcgi --check-config
if [ -f /etc/lighttpd/lighttpd.conf ] && [ ! -e /etc/lighttpd/conf-enabled/90-docapi.conf ]; then
    check "lighty-enable-mod docapi; Debian's lighttpd.conf accepts it (lighttpd -tt)" \
        sh -c 'lighty-enable-mod docapi >/dev/null && lighttpd -tt -f /etc/lighttpd/lighttpd.conf'
    lighty-disable-mod docapi >/dev/null 2>&1
fi

# ---- 3. database, installed docapi-admin migrate ----
# shellcheck source=scripts/stack.sh
. "$SRC_DIR/scripts/stack.sh"
stack_init ""
pg_start || fatal "PostgreSQL did not start"
PSQL=("$(stack_pg_bin)/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$(pg_socket_dir)" -p "$(pg_port)" -U postgres -d docapi)
# The admin's edit of the conffile: database_url names this database. The
# installed programs then need neither DOCAPI_CONF nor --config.
sed -i "s|^database_url = .*|database_url = $(pg_conninfo)|" /etc/docapi/docapi.conf
n=$(/usr/bin/docapi-admin migrate 2>"$STACK_TMP/migrate.log")
if [ "$n" = "$(ls /usr/share/docapi/sql/*.sql | wc -l)" ]; then
    ok "installed docapi-admin migrate (default config and sql_dir) applies $n migrations"
else
    fatal "installed docapi-admin migrate" "printed '$n'" "$(cat "$STACK_TMP/migrate.log")"
fi

# ---- 4. lighttpd around the installed snippet ----
L=$STACK_TMP/lighttpd-pkg
mkdir -p "$L/www" "$L/upload" "$L/run"
chown www-data: "$L/run" "$L/upload"
touch "$L/app.log" "$L/error.log"
chown www-data: "$L/app.log" "$L/error.log"
PORT=$(stack_free_port)
# only the places a private instance must not share with the system's
sed -e "s|/run/lighttpd/docapi.sock|$L/run/docapi.sock|" \
    -e "s|/var/log/lighttpd/docapi.log|$L/app.log|" \
    /etc/lighttpd/conf-available/90-docapi.conf >"$L/site.conf"
cat >"$L/lighttpd.conf" <<EOF
# generated by tests/package/run.sh around the installed snippet
server.bind          = "127.0.0.1"
server.port          = $PORT
server.username      = "www-data"
server.groupname     = "www-data"
server.document-root = "$L/www"
server.upload-dirs   = ( "$L/upload" )
server.errorlog      = "$L/error.log"
server.pid-file      = "$L/run/lighttpd.pid"
include "$L/site.conf"
EOF
check "only the socket and log paths of the installed snippet changed" \
    test "$(diff /etc/lighttpd/conf-available/90-docapi.conf "$L/site.conf" | grep -c '^>')" = 2
lighttpd -D -f "$L/lighttpd.conf" </dev/null >>"$L/stdout.log" 2>&1 &
LPID=$!
stack_track_pid "$LPID"
for w in $(seq 1 50); do
    pgrep -P "$LPID" >/dev/null && stack_wait_port "$PORT" 1 "$LPID" && break
    sleep 0.1
done
stack_wait_port "$PORT" 10 "$LPID" || fatal "lighttpd with the installed snippet did not start" "$(tail -n 10 "$L/error.log" "$L/stdout.log")"
A=/usr/bin/docapi-admin
ORG=$($A create-org pkg 2>/dev/null) && NS=$($A create-namespace --org "$ORG" production 2>/dev/null) &&
    COL=$($A create-collection --namespace "$NS" articles 2>/dev/null) &&
    KEY=$($A create-key --org "$ORG" --role write 2>/dev/null) &&
    echo '{"document_id":"doc_pkg1","metadata":{"title":"before","keep":1}}' | $A import --collection "$COL" >/dev/null 2>&1 ||
    fatal "seed through the installed docapi-admin"
URL="http://127.0.0.1:$PORT/v1/collections/$COL/documents/doc_pkg1"
code=$(curl -s -o "$L/patch.json" -w '%{http_code}' --max-time 20 -X PATCH \
    -H "Authorization: Bearer $KEY" -H "X-Namespace: production" \
    -H 'Content-Type: application/merge-patch+json' \
    --data '{"metadata":{"title":"after"}}' "$URL")
T_PATCH=$(date +%s)
if [ "$code" = 200 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); m=d["metadata"]; sys.exit(not (m["title"] == "after" and m["keep"] == 1))' "$L/patch.json"; then
    ok "PATCH through lighttpd + the installed snippet + installed docapi.fcgi: 200, merged"
    echo "# time from dpkg-buildpackage to this PATCH answered: $((T_PATCH - T0)) s"
else
    not_ok "PATCH through the installed snippet" "status $code: $(head -c 300 "$L/patch.json")" "$(tail -n 5 "$L/app.log" "$L/error.log")"
fi
check "the workers run as www-data (and read the 0640 conffile)" \
    sh -c "for p in \$(pgrep -P $LPID); do [ \"\$(ps -o user= -p \$p)\" = www-data ] || exit 1; done; pgrep -P $LPID >/dev/null"
# An error lighttpd answers itself: %00 in the path -> 400 from
# /usr/share/docapi/errors, as JSON.
code=$(curl -s -o "$L/err.json" -w '%{http_code} %{content_type}' --max-time 10 "http://127.0.0.1:$PORT/v1/%00")
if [ "${code%% *}" = 400 ] && [ "${code#* }" = application/json ] && python3 -m json.tool "$L/err.json" >/dev/null 2>&1; then
    ok "lighttpd's own 400 is the packaged JSON error page"
else
    not_ok "lighttpd's own 400 from /usr/share/docapi/errors" "got '$code': $(head -c 200 "$L/err.json")"
fi
workers=$(pgrep -P "$LPID")
stack_kill "$LPID" 10 TERM
for w in $workers; do stack_kill "$w" 5 TERM; done
stack_untrack_pid "$LPID"

# ---- 4b. the suites against the installed binaries ----
echo "== integration suite against the installed binaries"
DOCAPI_FCGI=/usr/bin/docapi.fcgi DOCAPI_ADMIN=/usr/bin/docapi-admin DOCAPI_SQL_DIR=/usr/share/docapi/sql \
    "$SRC_DIR/tests/integration/run.sh" >"$STACK_TMP/integration.log" 2>&1
rc=$?
tail -n 1 "$STACK_TMP/integration.log" | sed 's/^/integration: /'
[ "$rc" = 0 ] || grep -E '^(FAIL|not ok)' -A 3 "$STACK_TMP/integration.log" | head -n 30
add_counts "$STACK_TMP/integration.log" "tests/integration/run.sh"

echo "== upgrade (schema 001 + data -> every migration) with the installed binaries"
DOCAPI_FCGI=/usr/bin/docapi.fcgi DOCAPI_ADMIN=/usr/bin/docapi-admin DOCAPI_SQL_DIR=/usr/share/docapi/sql \
    "$SRC_DIR/tests/package/upgrade.sh" >"$STACK_TMP/upgrade.log" 2>/dev/null
grep -E '^(ok|not ok|#) ' "$STACK_TMP/upgrade.log" | sed 's/^/upgrade: /'
add_counts "$STACK_TMP/upgrade.log" "tests/package/upgrade.sh"

# ---- 5. remove, purge ----
docs_before=$("${PSQL[@]}" -c "SELECT count(*) FROM documents")
if apt-get remove -y -qq docapi </dev/null >"$STACK_TMP/remove.log" 2>&1; then ok "apt-get remove -y docapi"; else not_ok "apt-get remove" "$(tail -n 5 "$STACK_TMP/remove.log")"; fi
check "after remove: dpkg keeps the configuration (config-files)" test "$(pkg_status)" = "deinstall ok config-files"
check "after remove: the programs are gone" test ! -e /usr/bin/docapi.fcgi -a ! -e /usr/bin/docapi-admin
check "after remove: /etc/docapi/docapi.conf remains, with the admin's edit, root:www-data 0640" \
    sh -c "grep -qF 'database_url = $(pg_conninfo)' /etc/docapi/docapi.conf && [ \"\$(stat -c '%U:%G %a' /etc/docapi/docapi.conf)\" = 'root:www-data 640' ]"
check "after remove: the snippets remain" test -f /etc/lighttpd/conf-available/90-docapi.conf -a -f /etc/apache2/conf-available/docapi.conf
docs_after=$("${PSQL[@]}" -c "SELECT count(*) FROM documents" 2>&1)
mig_after=$("${PSQL[@]}" -c "SELECT count(*) FROM schema_migrations" 2>&1)
if [ -n "$docs_before" ] && [ "$docs_before" = "$docs_after" ] && [ "$mig_after" = "$n" ]; then
    ok "after remove: the database remains ($docs_after documents, $mig_after migrations)"
else
    not_ok "after remove: the database remains" "documents $docs_before -> $docs_after, migrations $mig_after"
fi
# an enable link made while only the configuration is left: purge removes it
linked=0
if [ -d /etc/lighttpd/conf-enabled ] && [ ! -e /etc/lighttpd/conf-enabled/90-docapi.conf ]; then
    ln -s ../conf-available/90-docapi.conf /etc/lighttpd/conf-enabled/90-docapi.conf && linked=1
fi
if apt-get purge -y -qq docapi </dev/null >"$STACK_TMP/purge.log" 2>&1; then ok "apt-get purge -y docapi"; else not_ok "apt-get purge" "$(tail -n 5 "$STACK_TMP/purge.log")"; fi
check "after purge: dpkg knows no docapi" sh -c '[ -z "$(dpkg-query -W -f="\${Status}" docapi 2>/dev/null | grep -v not-installed)" ]'
check "after purge: /etc/docapi/docapi.conf and /etc/docapi are gone" test ! -e /etc/docapi/docapi.conf -a ! -e /etc/docapi
check "after purge: the snippets are gone" test ! -e /etc/lighttpd/conf-available/90-docapi.conf -a ! -e /etc/apache2/conf-available/docapi.conf -a ! -e /etc/nginx/snippets/docapi.conf
if [ "$linked" = 1 ]; then
    check "after purge: the dangling lighttpd enable link is removed" test ! -L /etc/lighttpd/conf-enabled/90-docapi.conf
    rm -f /etc/lighttpd/conf-enabled/90-docapi.conf
fi
check "after purge: the database is untouched" test "$("${PSQL[@]}" -c "SELECT count(*) FROM documents" 2>&1)" = "$docs_before"

finish
