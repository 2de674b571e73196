#!/usr/bin/env bash
# run.sh - golden tests of docapi.fcgi as plain CGI (cgit's tests/t*.sh way):
# a CGI environment and a body go in, the Status line, headers and JSON body
# that come out are compared with the case. No web server is involved.
#
#   tests/cgi/run.sh [--db] [-k SUBSTRING] CASEFILE...
#
#   --db   start a private PostgreSQL (scripts/stack.sh, as the integration
#          suites do), migrate and seed it with docapi-admin, and check the
#          documents table's checksum around every case that must fail.
#          Without PostgreSQL's server binaries: exit 77 (SKIP).
#          Without --db, database_url points at a closed port on 127.0.0.1.
#   -k S   run only the cases whose name contains S (repeatable)
#
# Each case prints "ok - NAME" or "not ok - NAME" followed by "# ..." lines
# with the differences; the last line is "N passed, M failed". Exit status:
# 0 all passed, 1 a case failed, 77 skipped (no PostgreSQL, --db only),
# 99 setup failure (binary missing, PostgreSQL or seeding failed).
#
# Environment: BUILD_DIR or DOCAPI_BUILDDIR (build tree with cgi/docapi.fcgi
# and cgi/docapi-admin; default: the source tree), DOCAPI_SRCDIR (source
# tree; default: two folders up from this script), DOCAPI_FCGI, DOCAPI_ADMIN,
# DOCAPI_SQL_DIR, PG_BIN (see scripts/stack.sh), STACK_KEEP_TMP=1 (keep the
# temp folder: every case's env, body, output and stderr are in cases/).
#
# ---------------------------------------------------------------- case files
# A case file holds any number of cases. Cases run in the order given (the
# wrappers pass cases/GROUP-NN-AREA.cases sorted by NN), one database for
# the whole run, so a later case sees what an earlier one wrote. Blank lines and lines starting with
# "#" are ignored. Every line is one item; ${NAME} is replaced by a runner
# variable (db group: ORG, NS_PROD, NS_STAGING, NS_OTHER, COL_ID, DOC,
# KEY_WRITE, KEY_READ, KEY_STAGING, KEY_OTHER, KEY_UNKNOWN; both groups:
# KEY_WELLFORMED) or one set by an earlier "save"; an unknown name fails the
# case.
#
#   === NAME                      starts a case
#   GET /v1/path?query            the request line (first line of the case):
#                                 REQUEST_METHOD, REQUEST_URI, QUERY_STRING,
#                                 SCRIPT_NAME (the mount prefix), PATH_INFO
#                                 (decoded) are derived from it, as Apache does
#   > Name: value                 a request header: HTTP_NAME (Content-Type and
#                                 Content-Length: CONTENT_TYPE, CONTENT_LENGTH);
#                                 a repeated header is joined with ", "
#   body TEXT                     request body bytes (several lines are joined
#                                 with "\n"; no trailing newline)
#   body-repeat N TEXT            TEXT N times
#                                 A body sets CONTENT_LENGTH to its size.
#   env NAME=VALUE                set a CGI variable as is (after the above)
#   unenv NAME                    remove a CGI variable
#   conf KEY = VALUE              extra line of this case's docapi.conf
#
#   status N                      the status (no Status: header means 200)
#   header NAME: VALUE            header present with exactly VALUE
#   header NAME                   header present
#   header NAME != VALUE          present, any value but VALUE
#   header NAME ~ REGEX           present, value matches (Python re.search)
#   header-list NAME: A, B        comma list with exactly these members, any order
#   header-has NAME: A, B         comma list containing at least these members
#   no-header NAME                header absent
#   body-empty                    no body bytes
#   json PATH == JSON             value at PATH (.a.b[0]["c d"], "." = root)
#   json PATH != JSON             ... is not JSON (same type and value)
#   json PATH ~ REGEX             ... is a string matching REGEX
#   json PATH exists | absent
#   json PATH length N            ... is an array, object or string of N items
#   save VAR header NAME          remember a header value as ${VAR}
#   save VAR json PATH            remember a value (strings raw, else as JSON)
#   unchanged | changed           (db) the documents table's checksum after the
#                                 case equals | differs from the one before;
#                                 "unchanged" is implied by a status >= 300
#
# On top of its lines, every response is held to the contract's rules for
# all responses (tests/cgi/check.py: X-Request-Id, error body shape and
# type, WWW-Authenticate on 401, Allow on 405, Retry-After on 503, no body
# for HEAD/204/304, JSON Content-Type, Content-Length).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=${DOCAPI_SRCDIR:-$(cd "$HERE/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-${DOCAPI_BUILDDIR:-$SRC_DIR}}
PYTHON=${PYTHON:-python3}

USE_DB=0
FILTERS=()
CASE_FILES=()
while [ $# -gt 0 ]; do
    case $1 in
        --db) USE_DB=1 ;;
        -k) FILTERS+=("$2"); shift ;;
        -*) echo "usage: $0 [--db] [-k SUBSTRING] CASEFILE..." >&2; exit 99 ;;
        *) CASE_FILES+=("$1") ;;
    esac
    shift
done

hard_error() {
    echo "cgi golden setup failed: $*" >&2
    echo "0 passed, 1 failed"
    STACK_QUIET=1
    exit 99
}

[ ${#CASE_FILES[@]} -gt 0 ] || hard_error "no case files given"
for f in "${CASE_FILES[@]}"; do
    [ -r "$f" ] || hard_error "cannot read case file $f"
done
[ -d "$BUILD_DIR" ] || hard_error "build folder $BUILD_DIR does not exist"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
DOCAPI_FCGI=${DOCAPI_FCGI:-$BUILD_DIR/cgi/docapi.fcgi}
DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
DOCAPI_SQL_DIR=${DOCAPI_SQL_DIR:-$SRC_DIR/sql}
[ -x "$DOCAPI_FCGI" ] || hard_error "$DOCAPI_FCGI not found (build first: scripts/build.sh, or set BUILD_DIR)"
command -v "$PYTHON" >/dev/null || hard_error "$PYTHON not found"
command -v timeout >/dev/null || hard_error "timeout (coreutils) not found"
# The caller's overrides must not reach the app or the admin CLI.
unset DOCAPI_CONF DOCAPI_DATABASE_URL DOCAPI_MOUNT_PREFIX DOCAPI_BODY_LIMIT DOCAPI_LOG_LEVEL

export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR DOCAPI_SQL_DIR
# shellcheck source=scripts/stack.sh
. "$SRC_DIR/scripts/stack.sh"

if [ "$USE_DB" = 1 ]; then
    if ! PG_BIN=$(stack_pg_bin 2>/dev/null) || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
        echo "SKIP: cgi golden db group: no PostgreSQL server binaries (initdb, pg_ctl) found;" \
            "install postgresql or set PG_BIN. The db cases did NOT run." | tee /dev/stderr
        echo "0 passed, 0 failed"
        exit 77
    fi
    export PG_BIN
    [ -x "$DOCAPI_ADMIN" ] || hard_error "$DOCAPI_ADMIN not found"
    [ -d "$DOCAPI_SQL_DIR" ] || hard_error "no migrations folder $DOCAPI_SQL_DIR"
fi

STACK_QUIET=${STACK_QUIET:-1}
stack_init "" || hard_error "cannot create a temp folder"
mkdir -p "$STACK_TMP/cases" "$STACK_TMP/www"

# Test a snapshot of the binary: a rebuild during the run cannot swap it.
cp "$DOCAPI_FCGI" "$STACK_TMP/docapi.fcgi" || hard_error "cannot copy $DOCAPI_FCGI"
FCGI=$STACK_TMP/docapi.fcgi

declare -A VARS=()
VARS[KEY_WELLFORMED]=sk_live_0123456789abcdefghijABCDEFGHIJ0123456789

BASE_CONF="log_level = debug
body_limit = 4096
sql_dir = $DOCAPI_SQL_DIR
s3_imds_endpoint = http://127.0.0.1:9
s3_ecs_endpoint = http://127.0.0.1:9"

psql_q() { pg_psql -A -t -c "$1"; }
checksum() {
    psql_q "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY id)), '') FROM documents t"
}

admin() { DOCAPI_CONF=$STACK_TMP/admin.conf "$DOCAPI_ADMIN" "$@" 2>>"$STACK_TMP/admin.log"; }
# need VAR CMD...: VARS[VAR]=$(docapi-admin CMD...) or a setup failure.
need() {
    local var=$1 out
    shift
    out=$(admin "$@") || { tail -n 5 "$STACK_TMP/admin.log" >&2; hard_error "docapi-admin $*"; }
    out=${out%$'\n'}
    [ -n "$out" ] || hard_error "docapi-admin $* printed nothing"
    VARS[$var]=$out
}

if [ "$USE_DB" = 1 ]; then
    pg_start >"$STACK_TMP/pg_start.log" 2>&1 || {
        cat "$STACK_TMP/pg_start.log" >&2
        tail -n 20 "$STACK_TMP/postgresql.log" >&2 2>/dev/null
        hard_error "PostgreSQL did not start"
    }
    DB_URL=$(pg_conninfo)
    printf 'database_url = %s\n%s\n' "$DB_URL" "$BASE_CONF" >"$STACK_TMP/admin.conf"
    admin migrate >/dev/null || { tail -n 5 "$STACK_TMP/admin.log" >&2; hard_error "docapi-admin migrate"; }
    need ORG create-org golden
    need ORG_OTHER create-org other
    need NS_PROD create-namespace --org "${VARS[ORG]}" production
    need NS_STAGING create-namespace --org "${VARS[ORG]}" staging
    need NS_OTHER create-namespace --org "${VARS[ORG_OTHER]}" elsewhere
    need COL_ID create-collection --namespace "${VARS[NS_PROD]}" articles
    need COL_STAGING create-collection --namespace "${VARS[NS_STAGING]}" articles
    need KEY_WRITE create-key --org "${VARS[ORG]}" --role write
    need KEY_READ create-key --org "${VARS[ORG]}" --role read
    need KEY_STAGING create-key --org "${VARS[ORG]}" --role write --namespaces "${VARS[NS_STAGING]}"
    need KEY_OTHER create-key --org "${VARS[ORG_OTHER]}" --role admin
    # well-formed, never created
    VARS[KEY_UNKNOWN]=sk_live_UnknownUnknownUnknownUnknownUnknown0000
    VARS[DOC]=doc_golden1
    cat >"$STACK_TMP/seed.ndjson" <<'EOF'
{"document_id":"doc_golden1","document_schema_version":"v1","root_object_id":"obj_g1","root_bucket_id":"bkt_golden","source_type":"bucket","source_object_id":"obj_g1","lineage_path":"bkt_golden/col_articles","lineage":{"root_object_id":"obj_g1","root_bucket_id":"bkt_golden","source_type":"bucket","source_object_id":"obj_g1","lineage_chain":[]},"source_blobs":[],"internal_metadata":{"ingestion_status":"completed"},"metadata":{"title":"Golden one","tags":["a","b"],"draft":true},"vector":[0.5,0.25],"document_blobs":[],"created_at":"2025-10-18T10:30:00Z","updated_at":"2025-10-18T10:30:00Z"}
EOF
    need IMPORTED import --collection "${VARS[COL_ID]}" "$STACK_TMP/seed.ndjson"
    [ "${VARS[IMPORTED]}" = 1 ] || hard_error "import printed '${VARS[IMPORTED]}', expected 1"
    checksum >/dev/null || hard_error "cannot checksum the documents table"
else
    # A port nobody listens on: bound once by stack_free_port, then closed.
    DB_URL="host=127.0.0.1 port=$(stack_free_port) dbname=docapi connect_timeout=1"
fi

# expand STRING: prints STRING with every ${NAME} replaced by VARS[NAME];
# fails (printing the name) when one is unknown.
# shellcheck disable=SC2016  # the literal "${" is what we look for
expand() {
    local s=$1 out="" name rest
    while [[ $s == *'${'* ]]; do
        out+=${s%%'${'*}
        rest=${s#*'${'}
        name=${rest%%\}*}
        if [[ $rest != *\}* || ! $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ || -z ${VARS[$name]+x} ]]; then
            printf '%s\n' "$name"
            return 1
        fi
        out+=${VARS[$name]}
        s=${rest#*\}}
    done
    printf '%s' "$out$s"
}

# pct_decode STRING: %XX decoded (as a server decodes PATH_INFO); NUL dropped.
pct_decode() {
    local s=${1//\\/\\\\}
    printf '%b' "${s//%/\\x}" 2>/dev/null | tr -d '\000'
}

passed=0
failed=0
ncase=0

# Current case, filled by the parser.
C_NAME=""
C_LINES=()

selected() {
    local f
    [ ${#FILTERS[@]} -eq 0 ] && return 0
    for f in "${FILTERS[@]}"; do
        [[ $C_NAME == *"$f"* ]] && return 0
    done
    return 1
}

report() { # report OK|FAIL MESSAGES
    if [ "$1" = OK ]; then
        passed=$((passed + 1))
        echo "ok - $C_NAME"
    else
        failed=$((failed + 1))
        echo "not ok - $C_NAME"
        [ -z "$2" ] || printf '%s\n' "$2"
    fi
}

run_case() {
    [ -n "$C_NAME" ] || return 0
    selected || return 0
    ncase=$((ncase + 1))
    local dir="$STACK_TMP/cases/$ncase" line x word rest name value
    mkdir -p "$dir"
    local method="" target="" has_body=0 body_parts=0 expect_status="" db_check=""
    local -a conf=() envset=() unenv=()
    local -A hdr=()
    : >"$dir/body"
    : >"$dir/expect"
    for line in "${C_LINES[@]}"; do
        if ! x=$(expand "$line"); then
            report FAIL "# case file error: unknown variable \${$x} in: $line"
            return
        fi
        line=$x
        word=${line%% *}
        rest=${line#"$word"}
        rest=${rest# }
        if [ -z "$method" ] && [[ $word != conf && $word != env && $word != unenv ]]; then
            if [[ $word =~ ^[A-Z]+$ ]] && [ -n "$rest" ] && [[ $rest != *' '* ]]; then
                method=$word
                target=$rest
                continue
            fi
            report FAIL "# case file error: the first line must be 'METHOD TARGET', got: $line"
            return
        fi
        case $word in
            '>')
                name=${rest%%:*}
                value=${rest#*:}
                value=${value# }
                name=${name^^}
                name=${name//-/_}
                case $name in
                    CONTENT_TYPE | CONTENT_LENGTH) ;;
                    *) name=HTTP_$name ;;
                esac
                if [ -n "${hdr[$name]+x}" ]; then
                    hdr[$name]+=", $value"
                else
                    hdr[$name]=$value
                fi
                ;;
            body)
                [ "$body_parts" = 0 ] || printf '\n' >>"$dir/body"
                printf '%s' "$rest" >>"$dir/body"
                has_body=1
                body_parts=$((body_parts + 1))
                ;;
            body-repeat)
                local n=${rest%% *} text=${rest#* } i
                for ((i = 0; i < n; i++)); do printf '%s' "$text"; done >>"$dir/body"
                has_body=1
                body_parts=$((body_parts + 1))
                ;;
            env) envset+=("$rest") ;;
            unenv) unenv+=("$rest") ;;
            conf) conf+=("$rest") ;;
            status)
                expect_status=$rest
                printf '%s\n' "$line" >>"$dir/expect"
                ;;
            unchanged | changed) db_check=$word ;;
            header | header-list | header-has | no-header | body-empty | json | save)
                printf '%s\n' "$line" >>"$dir/expect"
                ;;
            *)
                report FAIL "# case file error: unknown line: $line"
                return
                ;;
        esac
    done
    if [ -z "$method" ]; then
        report FAIL "# case file error: no request line"
        return
    fi
    if [ "$USE_DB" = 1 ] && [ -z "$db_check" ] && [ -n "$expect_status" ] && [ "$expect_status" -ge 300 ]; then
        db_check=unchanged
    fi
    if [ "$USE_DB" = 0 ] && [ -n "$db_check" ]; then
        report FAIL "# case file error: '$db_check' needs the db group"
        return
    fi

    # docapi.conf of this case
    {
        echo "# written by tests/cgi/run.sh for case: $C_NAME"
        echo "database_url = $DB_URL"
        printf '%s\n' "$BASE_CONF"
        [ ${#conf[@]} -eq 0 ] || printf '%s\n' "${conf[@]}"
    } >"$dir/docapi.conf"
    local prefix="" c
    for c in "${conf[@]}"; do
        if [[ $c =~ ^mount_prefix[[:space:]]*=[[:space:]]*(.*)$ ]]; then
            prefix=${BASH_REMATCH[1]%/}
        fi
    done

    # The environment a CGI server (Apache mod_cgi) sets.
    local path=${target%%\?*} query=""
    [[ $target != *\?* ]] || query=${target#*\?}
    local -A cgi=(
        [GATEWAY_INTERFACE]=CGI/1.1 [SERVER_PROTOCOL]=HTTP/1.1
        [SERVER_SOFTWARE]=docapi-golden/1 [SERVER_NAME]=localhost
        [SERVER_ADDR]=127.0.0.1 [SERVER_PORT]=80 [REQUEST_SCHEME]=http
        [REMOTE_ADDR]=127.0.0.1 [REMOTE_PORT]=40000 [HTTP_HOST]=localhost
        [DOCUMENT_ROOT]=$STACK_TMP/www [SCRIPT_FILENAME]=$FCGI
        [PATH]=/usr/local/bin:/usr/bin:/bin
        [DOCAPI_CONF]=$dir/docapi.conf
        [REQUEST_METHOD]=$method [REQUEST_URI]=$target [QUERY_STRING]=$query
    )
    if [ -n "$prefix" ] && [[ $path == "$prefix" || $path == "$prefix"/* ]]; then
        cgi[SCRIPT_NAME]=$prefix
        cgi[PATH_INFO]=$(pct_decode "${path#"$prefix"}")
    else
        cgi[SCRIPT_NAME]=""
        cgi[PATH_INFO]=$(pct_decode "$path")
    fi
    for name in "${!hdr[@]}"; do cgi[$name]=${hdr[$name]}; done
    if [ "$has_body" = 1 ] && [ -z "${hdr[CONTENT_LENGTH]+x}" ]; then
        cgi[CONTENT_LENGTH]=$(stat -c %s "$dir/body")
    fi
    for x in "${envset[@]}"; do cgi[${x%%=*}]=${x#*=}; done
    for x in "${unenv[@]}"; do unset "cgi[$x]"; done
    local -a envlist=()
    for name in "${!cgi[@]}"; do envlist+=("$name=${cgi[$name]}"); done
    printf '%s\n' "${envlist[@]}" | sort >"$dir/env"

    local before="" after="" rc msgs
    if [ -n "$db_check" ]; then
        before=$(checksum) || { report FAIL "# cannot checksum the documents table"; return; }
    fi
    timeout 20 env -i "${envlist[@]}" "$FCGI" <"$dir/body" >"$dir/out" 2>"$dir/stderr"
    rc=$?
    local crc="" l
    msgs=""
    printf '%s\t%s\t%s\t%s\n' "$dir/out" "$method" "$dir/expect" "$dir/saved" >&"${CHECKER[1]}"
    while IFS= read -r -t 60 l <&"${CHECKER[0]}"; do
        if [[ $l == '@@done '* ]]; then
            crc=${l#@@done }
            break
        fi
        msgs+="${msgs:+$'\n'}$l"
    done
    [[ $crc =~ ^[0-9]+$ ]] || hard_error "check.py stopped answering"
    if [ "$rc" != 0 ]; then
        msgs="# docapi.fcgi exited with status $rc${msgs:+$'\n'}$msgs"
        crc=1
    fi
    if [ -n "$db_check" ]; then
        after=$(checksum) || after="(checksum failed)"
        if [ "$db_check" = unchanged ] && [ "$before" != "$after" ]; then
            msgs+="${msgs:+$'\n'}# the documents table changed (checksum $before -> $after): a failed request wrote"
            crc=1
        elif [ "$db_check" = changed ] && [ "$before" = "$after" ]; then
            msgs+="${msgs:+$'\n'}# the documents table did not change (checksum $before)"
            crc=1
        fi
    fi
    if [ -s "$dir/saved" ]; then
        while IFS=$'\t' read -r name value; do VARS[$name]=$value; done <"$dir/saved"
    fi
    if [ "$crc" = 0 ]; then
        report OK ""
    else
        if [ -s "$dir/stderr" ]; then
            msgs+=$'\n'"#   stderr: $(tail -n 3 "$dir/stderr" | tr '\n' ' ' | cut -c1-400)"
        fi
        report FAIL "$msgs"
    fi
}

# One checker process for the whole run (see check.py --serve).
coproc CHECKER { exec "$PYTHON" "$HERE/check.py" --serve; }
stack_track_pid "$CHECKER_PID"

declare -A SEEN=()
for f in "${CASE_FILES[@]}"; do
    C_NAME=""
    C_LINES=()
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        if [[ $line == '=== '* ]]; then
            run_case
            C_NAME=${line#=== }
            C_LINES=()
            [ -z "${SEEN[$C_NAME]+x}" ] || hard_error "$f: case name '$C_NAME' used twice"
            SEEN[$C_NAME]=1
            continue
        fi
        [ -n "$C_NAME" ] || hard_error "$f: line before the first '=== NAME': $line"
        line=${line#"${line%%[![:space:]]*}"}
        C_LINES+=("$line")
    done <"$f"
    run_case
done

[ "$ncase" -gt 0 ] || hard_error "no case selected"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
