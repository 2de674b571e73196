#!/usr/bin/env bash
# upgrade.sh - upgrades keep every row: a database at the first schema
# (sql/001_schema.sql only, applied by "docapi-admin migrate" as a release
# with only that migration did) filled with every kind of document the
# suites use, then "docapi-admin migrate" with every migration. Checks that
# every table's rows (md5 of row_to_json) and every collection's export are
# unchanged, that a GET of each document answers it as the export before the
# upgrade did, that a second migrate applies nothing, that two migrates at
# once take turns (advisory lock: one applies, the other waits and applies
# nothing), and that a failing migration leaves nothing behind.
#
#   tests/package/upgrade.sh
#
# Environment: DOCAPI_ADMIN, DOCAPI_FCGI (default: the build tree's, as
# tests/integration/run.sh; tests/package/run.sh passes the installed
# /usr/bin ones), DOCAPI_SQL_DIR (default: the source tree's sql/),
# BUILD_DIR, PG_BIN, STACK_KEEP_TMP (see scripts/stack.sh).
# Prints "ok - ..." / "not ok - ..." lines and, last, "N passed, M failed".
set -uo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR
DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
DOCAPI_FCGI=${DOCAPI_FCGI:-$BUILD_DIR/cgi/docapi.fcgi}
SQL_DIR=${DOCAPI_SQL_DIR:-$SRC_DIR/sql}
# DOCAPI_<KEY> overrides docapi.conf (DOCAPI_SQL_DIR too): none may leak in
unset DOCAPI_DATABASE_URL DOCAPI_MOUNT_PREFIX DOCAPI_SQL_DIR DOCAPI_CONF

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
    echo "not ok - $1"
    shift
    local l
    for l in "$@"; do echo "# $l"; done
    failed=$((failed + 1))
}
finish() {
    STACK_QUIET=1
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}
setup_failed() {
    not_ok "upgrade setup: $*"
    [ -s "${STACK_TMP:-/nonexistent}/admin.log" ] && tail -n 5 "$STACK_TMP/admin.log" | sed 's/^/# /'
    finish
}

# shellcheck source=scripts/stack.sh
. "$SRC_DIR/scripts/stack.sh"
stack_init ""

for b in "$DOCAPI_ADMIN" "$DOCAPI_FCGI"; do
    [ -x "$b" ] || setup_failed "$b not found"
done
[ -f "$SQL_DIR/001_schema.sql" ] || setup_failed "no $SQL_DIR/001_schema.sql"
pg_start || setup_failed "PostgreSQL did not start"
PSQL_BIN=$(stack_pg_bin)/psql

# conf_for DB SQLDIR: a docapi.conf for database DB with migrations SQLDIR.
conf_for() {
    local f
    f=$(mktemp "$STACK_TMP/$1.XXXXXX.conf")
    printf 'database_url = host=%s port=%s dbname=%s user=postgres\nsql_dir = %s\n' \
        "$(pg_socket_dir)" "$(pg_port)" "$1" "$2" >"$f"
    printf '%s\n' "$f"
}
q() { # q DB SQL: one value
    "$PSQL_BIN" -X -q -A -t -v ON_ERROR_STOP=1 -h "$(pg_socket_dir)" -p "$(pg_port)" -U postgres -d "$1" -c "$2"
}
createdb_() { "$(stack_pg_bin)/createdb" -h "$(pg_socket_dir)" -p "$(pg_port)" -U postgres "$1"; }
adm() { # adm CONF ARGS...
    local c=$1
    shift
    "$DOCAPI_ADMIN" --config "$c" "$@" 2>>"$STACK_TMP/admin.log"
}
need() {
    local var=$1 out
    shift
    out=$(adm "$@") || setup_failed "docapi-admin $*"
    printf -v "$var" '%s' "${out%$'\n'}"
}

# ---- 1. the old release: 001 only ----
mkdir -p "$STACK_TMP/sql-001"
cp "$SQL_DIR/001_schema.sql" "$STACK_TMP/sql-001/"
createdb_ up || setup_failed "createdb up"
OLD=$(conf_for up "$STACK_TMP/sql-001")
NEW=$(conf_for up "$SQL_DIR")
n=$(adm "$OLD" migrate) || setup_failed "migrate with 001 only"
[ "$n" = 1 ] || setup_failed "migrate with 001 only printed '$n', expected 1"

need ORG "$OLD" create-org acme
need NS1 "$OLD" create-namespace --org "$ORG" production
need NS2 "$OLD" create-namespace --org "$ORG" staging
need COL1 "$OLD" create-collection --namespace "$NS1" articles
need COL2 "$OLD" create-collection --namespace "$NS1" frames
need COL3 "$OLD" create-collection --namespace "$NS2" articles
need KEY "$OLD" create-key --org "$ORG" --role read
need KEY_W "$OLD" create-key --org "$ORG" --role write --namespaces "$NS2" --expires-in 86400
need KEY_R "$OLD" create-key --org "$ORG" --role admin --test
KID=$(adm "$OLD" list-keys --org "$ORG" | awk -F'\t' -v k="$KEY_R" 'index(k, $2) == 1 { print $1 }')
[ -n "$KID" ] && adm "$OLD" revoke-key "$KID" >/dev/null || setup_failed "revoke-key"

# Every kind of document the suites seed: the integration suite's (bucket
# and collection lineage, blobs, vector, flat user fields), the demo's, and
# edge cases (no id: one is made; unicode, escapes, big and exact numbers,
# deep nesting, empty arrays, no timestamps).
grep -h '^{"document_id"' "$SRC_DIR/tests/integration/run.sh" >"$STACK_TMP/docs1.ndjson"
cp "$SRC_DIR/scripts/demo-documents.ndjson" "$STACK_TMP/docs2.ndjson"
cat >"$STACK_TMP/docs3.ndjson" <<'EOF'
{"metadata":{"title":"no id given"}}
{"document_id":"doc_unicode","metadata":{"title":"Grüße – 日本語 – \ud83d\ude00","quote":"a \"b\" \\ c\n\t","empty":{},"list":[]},"document_blobs":[]}
{"document_id":"doc_numbers","metadata":{"big":12345678901234567890,"exact":0.1000000000000000055511151231257827,"neg":-0.0,"exp":12.5e3,"int":-42},"vector":[1,2.5,-3e-7]}
{"document_id":"doc_deep","metadata":{"a":{"b":{"c":{"d":{"e":{"f":[[[{"g":null}]]]}}}}}},"flag":false,"score":0.75,"label":"flat user field"}
{"document_id":"doc_times","created_at":"2024-02-29T23:59:59.123456Z","updated_at":"2025-01-01T00:00:00+02:00","metadata":{}}
EOF
n1=$(adm "$OLD" import --collection "$COL1" "$STACK_TMP/docs1.ndjson") || setup_failed "import docs1 (001 only)"
n2=$(adm "$OLD" import --collection "$COL2" "$STACK_TMP/docs2.ndjson") || setup_failed "import docs2 (001 only)"
n3=$(adm "$OLD" import --collection "$COL3" "$STACK_TMP/docs3.ndjson") || setup_failed "import docs3 (001 only)"
ok "documents imported into a database at schema 001 only ($n1 + $n2 + $n3)"

TABLES="organizations namespaces collections api_keys documents"
snapshot() { # snapshot FILE: row count and md5 per table, and every export
    local t c
    for t in $TABLES; do
        # The columns of the old schema only: migrations add columns (003:
        # documents.seq, the lineage ids, vectors), which must not change
        # what was there.
        printf '%s %s\n' "$t" "$(q up "SELECT count(*) || ' ' || coalesce(md5(string_agg((row_to_json(t)::jsonb - '{seq,root_object_id,source_document_id,source_collection_id,vectors,vector_names}'::text[])::text, E'\n' ORDER BY id)), '-') FROM $t t")"
    done >"$1"
    for c in "$COL1" "$COL2" "$COL3"; do
        adm "$NEW" export --collection "$c" >"$1.$c" || return 1
    done
}
snapshot "$STACK_TMP/before" || setup_failed "export before the upgrade"

# ---- 2. upgrade ----
n=$(adm "$NEW" migrate)
rc=$?
want=$(( $(ls "$SQL_DIR"/*.sql | wc -l) - 1 ))
if [ "$rc" = 0 ] && [ "$n" = "$want" ]; then
    ok "migrate applies the $want newer migration(s) over existing data"
else
    not_ok "migrate applies the newer migrations" "rc $rc, printed '$n', expected $want" "$(tail -n 3 "$STACK_TMP/admin.log")"
fi
snapshot "$STACK_TMP/after" || not_ok "export after the upgrade"
for t in $TABLES; do
    b=$(grep "^$t " "$STACK_TMP/before")
    a=$(grep "^$t " "$STACK_TMP/after")
    if [ -n "$b" ] && [ "$b" = "$a" ]; then ok "every row of $t unchanged (${b#"$t "})"; else not_ok "rows of $t unchanged" "before: $b" "after:  $a"; fi
done
for c in "$COL1" "$COL2" "$COL3"; do
    if cmp -s "$STACK_TMP/before.$c" "$STACK_TMP/after.$c" && [ -s "$STACK_TMP/before.$c" ]; then
        ok "export of $c unchanged ($(wc -l <"$STACK_TMP/before.$c") documents)"
    else
        not_ok "export of $c unchanged" "$(diff "$STACK_TMP/before.$c" "$STACK_TMP/after.$c" | head -n 4)"
    fi
done

# ---- 3. GET of every document (plain CGI, the new functions; with
# return_vectors=true, so that the whole document is compared) ----
cgi_get() { # cgi_get CONF NS COLLECTION DOC: prints "STATUS<TAB>BODY"
    local uri="/v1/collections/$3/documents/$4" out st q="return_vectors=true"
    out=$(env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=localhost \
        SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 HTTP_HOST=localhost PATH=/usr/bin:/bin \
        DOCAPI_CONF="$1" REQUEST_METHOD=GET REQUEST_URI="$uri?$q" SCRIPT_NAME= PATH_INFO="$uri" \
        QUERY_STRING="$q" HTTP_AUTHORIZATION="Bearer $KEY" HTTP_X_NAMESPACE="$2" \
        "$DOCAPI_FCGI" </dev/null 2>>"$STACK_TMP/cgi.log" | tr -d '\r')
    st=$(printf '%s\n' "$out" | sed -n 's/^Status: \([0-9]*\).*/\1/p' | head -n 1)
    printf '%s\t%s\n' "${st:-200}" "$(printf '%s\n' "$out" | sed '1,/^$/d')"
}
# One line per exported document: NS COLLECTION DOCUMENT_ID
for pair in "$NS1:$COL1" "$NS1:$COL2" "$NS2:$COL3"; do
    python3 -c 'import json, sys
for l in open(sys.argv[3]):
    if l.strip():
        print(sys.argv[1], sys.argv[2], json.loads(l)["document_id"])' "${pair%%:*}" "${pair#*:}" "$STACK_TMP/before.${pair#*:}"
done >"$STACK_TMP/docs.list"
mkdir -p "$STACK_TMP/get"
while read -r ns c doc; do
    cgi_get "$NEW" "$ns" "$c" "$doc" >"$STACK_TMP/get/$c.$doc"
done <"$STACK_TMP/docs.list"
# compared as JSON values (member order and number spelling aside)
res=$(python3 - "$STACK_TMP" "$COL1" "$COL2" "$COL3" <<'PY'
import json, sys
tmp, cols = sys.argv[1], sys.argv[2:]
total = bad = 0
first = ""
for c in cols:
    for l in open("%s/before.%s" % (tmp, c)):
        if not l.strip():
            continue
        total += 1
        want = json.loads(l)
        st, _, body = open("%s/get/%s.%s" % (tmp, c, want["document_id"])).read().partition("\t")
        try:
            got = json.loads(body)
        except ValueError:
            got = None
        if st != "200" or got != want:
            bad += 1
            if not first:
                diff = [k for k in sorted(set(want) | set(got or {})) if (got or {}).get(k) != want.get(k)]
                first = "%s/%s: status %s, members differing: %s" % (c, want["document_id"], st, diff)
print(total, bad, first)
PY
)
read -r total bad first <<<"$res"
if [ "${total:-0}" -gt 0 ] && [ "$bad" = 0 ]; then
    ok "a GET of each of the $total documents answers it as the export before the upgrade"
else
    not_ok "GET of every document after the upgrade" "${bad:-?} of ${total:-?} differ; first: $first" \
        "$(tail -n 3 "$STACK_TMP/cgi.log" 2>/dev/null)"
fi

# ---- 4. migrate again: nothing to do, nothing changed ----
n=$(adm "$NEW" migrate)
snapshot "$STACK_TMP/again"
if [ "$n" = 0 ] && cmp -s "$STACK_TMP/after" "$STACK_TMP/again"; then
    ok "a second migrate applies nothing and changes no row"
else
    not_ok "a second migrate applies nothing" "printed '$n'"
fi

# ---- 5. two migrates at once: one applies, the other waits, applies nothing ----
createdb_ conc || setup_failed "createdb conc"
CONC=$(conf_for conc "$SQL_DIR")
# Hold migrate's advisory lock so that both really wait for it together.
"$PSQL_BIN" -X -q -h "$(pg_socket_dir)" -p "$(pg_port)" -U postgres -d conc \
    -c "SELECT pg_advisory_lock(727001)" -c "SELECT pg_sleep(3)" >/dev/null 2>&1 &
HOLDER=$!
stack_track_pid "$HOLDER"
for _i in $(seq 1 50); do
    [ "$(q conc "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && break
    sleep 0.1
done
adm "$CONC" migrate >"$STACK_TMP/m1.out" &
M1=$!
adm "$CONC" migrate >"$STACK_TMP/m2.out" &
M2=$!
stack_track_pid "$M1"
stack_track_pid "$M2"
waiting=0
for _i in $(seq 1 20); do
    waiting=$(q conc "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    [ "$waiting" = 2 ] && break
    sleep 0.1
done
early=$(q conc "SELECT to_regclass('public.schema_migrations') IS NOT NULL")
wait "$M1"; r1=$?
wait "$M2"; r2=$?
wait "$HOLDER" 2>/dev/null
stack_untrack_pid "$M1"; stack_untrack_pid "$M2"; stack_untrack_pid "$HOLDER"
outs=$(sort -n "$STACK_TMP/m1.out" "$STACK_TMP/m2.out" | tr '\n' ' ')
all=$(ls "$SQL_DIR"/*.sql | wc -l)
rows=$(q conc "SELECT count(*) FROM schema_migrations")
if [ "$waiting" = 2 ] && [ "$early" = f ] && [ "$r1" = 0 ] && [ "$r2" = 0 ] && [ "$outs" = "0 $all " ] && [ "$rows" = "$all" ]; then
    ok "two migrates at once: both wait on the advisory lock, one applies $all, the other 0"
else
    not_ok "two migrates at once take turns" "waiting $waiting (want 2), table made early: $early, rc $r1 $r2, printed '$outs' (want '0 $all'), schema_migrations rows $rows" "$(tail -n 4 "$STACK_TMP/admin.log")"
fi

# ---- 6. a failing migration is rolled back whole ----
mkdir -p "$STACK_TMP/sql-bad"
cp "$SQL_DIR"/*.sql "$STACK_TMP/sql-bad/"
printf 'CREATE TABLE upgrade_probe (x int);\nINSERT INTO upgrade_probe VALUES (1);\nSELECT 1/0;\n' >"$STACK_TMP/sql-bad/999_broken.sql"
BAD=$(conf_for up "$STACK_TMP/sql-bad")
if adm "$BAD" migrate >/dev/null; then
    not_ok "a failing migration makes migrate fail"
else
    probe=$(q up "SELECT to_regclass('public.upgrade_probe') IS NULL")
    rec=$(q up "SELECT count(*) FROM schema_migrations WHERE version = '999_broken.sql'")
    snapshot "$STACK_TMP/broken"
    if [ "$probe" = t ] && [ "$rec" = 0 ] && cmp -s "$STACK_TMP/after" "$STACK_TMP/broken"; then
        ok "a failing migration is rolled back whole (no table, not recorded, rows unchanged)"
    else
        not_ok "a failing migration is rolled back whole" "probe table absent: $probe, recorded: $rec"
    fi
fi

finish
