#!/usr/bin/env bash
# Presigning suite (return_url=true, contract section 5), end to end: a
# private PostgreSQL, @20minutes/s3rver (an S3-compatible server that
# VERIFIES SigV4 query signatures) and tests/integration/fake_imds.py (the
# only test double: EC2 IMDSv2 + ECS credentials endpoint on loopback), and
# one lighttpd per credential setup:
#
#   static    s3_access_key_id/secret in docapi.conf, default endpoint =
#             s3rver (path style), per-bucket overrides
#   env       AWS_ACCESS_KEY_ID/SECRET/SESSION_TOKEN passed by lighttpd
#   imds      IMDSv2 (fake), 6-minute credentials: lifetime cap, caching
#   imdsr     IMDSv2 (fake), credentials that need a refresh after ~4 s
#   imdsf     IMDSv2 (fake) failing: one attempt per 30 s, then recovery
#   ecsfull   AWS_CONTAINER_CREDENTIALS_FULL_URI + AUTHORIZATION_TOKEN
#   ecsrel    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI + s3_ecs_endpoint
#   nocreds   no credentials anywhere (IMDS endpoint: a closed port)
#   short     as static, but presign_expires = 1: URLs that expire at once
#
# then tests/integration/test_presign.py.
#
#   tests/integration/run_presign.sh [-k SUBSTRING] [-v]
#
# Environment: BUILD_DIR, DOCAPI_FCGI, DOCAPI_ADMIN, DOCAPI_SQL_DIR,
# STACK_KEEP_TMP, PYTHON (as for run.sh); NODE (default: node), NPM
# (default: npm). Installs tests/s3/node_modules with `npm ci` when missing.
#
# Prints the results and, last, exactly one line "N passed, M failed".
# Exit status 0 only when every test passed.
# The (...) groups below export variables for one lighttpd only, on purpose.
# shellcheck disable=SC2030,SC2031
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR
DOCAPI_FCGI=${DOCAPI_FCGI:-$BUILD_DIR/cgi/docapi.fcgi}
DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
DOCAPI_SQL_DIR=${DOCAPI_SQL_DIR:-$SRC_DIR/sql}
PYTHON=${PYTHON:-/usr/bin/python3}
NODE=${NODE:-node}
NPM=${NPM:-npm}
export DOCAPI_FCGI DOCAPI_ADMIN DOCAPI_SQL_DIR
# The caller's settings must not leak into the app, the admin CLI or lighttpd.
unset DOCAPI_DATABASE_URL DOCAPI_MOUNT_PREFIX DOCAPI_BODY_LIMIT DOCAPI_LOG_LEVEL DOCAPI_CONF \
    DOCAPI_CONF_EXTRA DOCAPI_CONF_FILE DOCAPI_PROCS STACK_COPY_ENV HTTP_PORT
for v in $(env | grep -E '^(AWS_|DOCAPI_S3|DOCAPI_PRESIGN)' | cut -d= -f1); do unset "$v"; done

SUITE_NAME=presign
# shellcheck source=scripts/stack.sh
. "$SRC_DIR/scripts/stack.sh"
# shellcheck source=tests/integration/suite_lib.sh
. "$SRC_DIR/tests/integration/suite_lib.sh"
suite_check_tools
command -v "$NODE" >/dev/null || setup_failed "node is not installed (scripts/install-deps.sh)"
NODE_MAJOR=$("$NODE" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
NODE_HINT=""
if [ "$NODE_MAJOR" -lt 20 ]; then
    # @20minutes/s3rver 5 declares node >= 24 and its router needs >= 20; it
    # runs on node 20. Debian 12 ships node 18: use a newer nodejs.
    NODE_HINT=" (node $NODE_MAJOR is too old for @20minutes/s3rver 5: install node >= 20)"
    echo "warning: node $NODE_MAJOR found, @20minutes/s3rver 5 needs node >= 20" >&2
fi

# ---- the S3-compatible server: @20minutes/s3rver, pinned in tests/s3 ----
if [ ! -d "$SRC_DIR/tests/s3/node_modules/@20minutes/s3rver" ]; then
    command -v "$NPM" >/dev/null || setup_failed "npm is not installed (scripts/install-deps.sh)"
    echo "installing tests/s3/node_modules (npm ci)" >&2
    "$NPM" ci --prefix "$SRC_DIR/tests/s3" --no-audit --no-fund --loglevel=error >&2 ||
        setup_failed "npm ci --prefix tests/s3"
fi

stack_init ""
on_fail_logs() { suite_fail_logs "$STACK_TMP"/s3rver.log "$STACK_TMP"/fake_imds.log; }
suite_database
need ORG create-org presign-org
need NS create-namespace --org "$ORG" media
need COL create-collection --namespace "$NS" assets
need KEY create-key --org "$ORG" --role write

# ---- key pairs: s3rver knows them all; the fake hands out the temp ones ----
"$PYTHON" - "$STACK_TMP" <<'EOF'
import json, secrets, sys
d = sys.argv[1]
def secret():  # 40 characters with '/' and '+', like AWS secrets
    s = secrets.token_urlsafe(30)[:38]
    return s[:10] + "/" + s[10:20] + "+" + s[20:]
static = ["AKIASTATIC" + secrets.token_hex(5).upper(), secret()]
env = ["AKIAENVKEY" + secrets.token_hex(5).upper(), secret()]
temp = [["ASIATEMP%02d" % i + secrets.token_hex(4).upper(), secret()] for i in range(40)]
json.dump({"static": static, "env": env, "temp": temp,
           "env_token": "IQoJb3JpZ2luX2Vj/env+token=" + secrets.token_urlsafe(16),
           "ecs_auth": "ecs-auth-" + secrets.token_urlsafe(18)},
          open(d + "/secrets.json", "w"))
json.dump([static, env] + temp, open(d + "/s3keys.json", "w"))
json.dump(temp, open(d + "/tempkeys.json", "w"))
EOF
jget() { "$PYTHON" -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$STACK_TMP/secrets.json" "$@"; }
STATIC_AK=$(jget static 0)
STATIC_SK=$(jget static 1)
ENV_AK=$(jget env 0)
ENV_SK=$(jget env 1)
ENV_TOKEN=$(jget env_token)
ECS_AUTH=$(jget ecs_auth)

S3_PORT=$(stack_free_port)
"$NODE" "$SRC_DIR/tests/s3/server.js" --dir "$STACK_TMP/s3data" --port "$S3_PORT" \
    --keys "$STACK_TMP/s3keys.json" </dev/null >"$STACK_TMP/s3rver.log" 2>&1 &
S3_PID=$!
stack_track_pid "$S3_PID"
stack_wait_port "$S3_PORT" 20 "$S3_PID" || { cat "$STACK_TMP/s3rver.log" >&2; setup_failed "s3rver did not start$NODE_HINT"; }

FAKE_PORT=$(stack_free_port)
"$PYTHON" "$SRC_DIR/tests/integration/fake_imds.py" --port "$FAKE_PORT" \
    --keys "$STACK_TMP/tempkeys.json" --ecs-token "$ECS_AUTH" \
    </dev/null >"$STACK_TMP/fake_imds.log" 2>&1 &
FAKE_PID=$!
stack_track_pid "$FAKE_PID"
stack_wait_port "$FAKE_PORT" 10 "$FAKE_PID" || { cat "$STACK_TMP/fake_imds.log" >&2; setup_failed "fake IMDS did not start"; }
FAKE=http://127.0.0.1:$FAKE_PORT
CLOSED_PORT=$(stack_free_port)   # nobody listens here

# ---- documents ----
"$PYTHON" - "$STACK_TMP/docs.ndjson" <<'EOF'
import json, sys
def doc(i, blobs):
    return {"document_id": i, "document_schema_version": "v1", "root_object_id": "obj_1",
            "root_bucket_id": "bkt_media", "source_type": "bucket", "source_object_id": "obj_1",
            "lineage_path": "bkt_media/col_assets",
            "lineage": {"root_object_id": "obj_1", "root_bucket_id": "bkt_media",
                        "source_type": "bucket", "source_object_id": "obj_1", "lineage_chain": []},
            "source_blobs": [], "internal_metadata": {}, "metadata": {"title": i},
            "document_blobs": blobs,
            "created_at": "2025-10-18T10:30:00Z", "updated_at": "2025-10-18T10:30:00Z"}
def b(field, url, role, typ="other", **kw):
    d = {"field": field, "url": url, "role": role, "type": typ}
    d.update(kw)
    return d
docs = [
    doc("doc_multi", [
        b("thumb", "https://cdn.example.com/thumbs/one.jpg?w=100&h=50", "thumbnail", "image"),
        b("video", "s3://docapi-media/videos/clip one.mp4", "source", "video",
          object_key="videos/clip one.mp4", content_type="video/mp4"),
        b("plus", "s3://docapi-media/a+b/c+d=e.txt", "artifact", "text", object_key="a+b/c+d=e.txt"),
        b("unicode", "s3://docapi-media/ünï/cödé ✓ 漢字.txt", "aux", "text"),
        # '%' is part of the key (s3:// URLs are never percent-decoded)
        b("percent", "s3://docapi-media/100% real/a%2Fb %41.txt", "aux", "text",
          object_key="100% real/a%2Fb %41.txt"),
        b("pctend", "s3://docapi-media/pct/%zz%/100%", "aux"),
        b("nested", "s3://docapi-media/deep/er/and/deeper/file.bin", "processed"),
        b("regional", "s3://regional-bkt/r/object.bin", "source"),
        b("remote", "s3://aws-virtual/remote/key.txt", "aux"),
        b("dotseg", "s3://docapi-media/a/../b.txt", "aux"),
        b("plainhttp", "http://example.com/x y", "aux"),
    ]),
    doc("doc_nosource", [b("thumb", "s3://docapi-media/thumbs/t.jpg", "thumbnail", "image")]),
    doc("doc_patch", [b("video", "s3://docapi-media/videos/clip one.mp4", "source", "video")]),
]
with open(sys.argv[1], "w") as f:
    for d in docs:
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
EOF
need NDOCS import --collection "$COL" "$STACK_TMP/docs.ndjson"
[ "$NDOCS" = 3 ] || setup_failed "import printed '$NDOCS', expected 3"

# ---- one lighttpd per credential setup ----
S3_ENDPOINT=http://127.0.0.1:$S3_PORT
COMMON="s3_endpoint = $S3_ENDPOINT
s3_region = us-east-1
s3_addressing = path
s3_bucket.regional-bkt.region = eu-central-1
s3_bucket.aws-virtual.endpoint = aws
s3_bucket.aws-virtual.region = eu-west-1
s3_bucket.aws-virtual.addressing = virtual"
start() {  # start NAME PROCS EXTRA_CONF
    DOCAPI_PROCS=$2 DOCAPI_CONF_EXTRA="$COMMON
$3" lighttpd_start "$1" || { on_fail_logs; setup_failed "lighttpd '$1' did not start"; }
}
start static 2 "s3_credentials = auto
s3_access_key_id = $STATIC_AK
s3_secret_access_key = $STATIC_SK
presign_expires = 900
s3_imds_endpoint = http://127.0.0.1:$CLOSED_PORT"
(
    export AWS_ACCESS_KEY_ID=$ENV_AK AWS_SECRET_ACCESS_KEY=$ENV_SK AWS_SESSION_TOKEN=$ENV_TOKEN
    export STACK_COPY_ENV="PATH LANG AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN"
    start env 2 "s3_imds_endpoint = http://127.0.0.1:$CLOSED_PORT"
) || exit 1
start imds 1 "presign_expires = 3600
s3_imds_endpoint = $FAKE/i/imds"
start imdsr 1 "presign_expires = 3600
s3_credentials = imds
s3_imds_endpoint = $FAKE/i/imdsr/"
start imdsf 1 "s3_credentials = env imds
s3_imds_endpoint = $FAKE/i/imdsf"
(
    export AWS_CONTAINER_CREDENTIALS_FULL_URI=$FAKE/i/ecsfull/ecs/creds
    export AWS_CONTAINER_AUTHORIZATION_TOKEN=$ECS_AUTH
    export STACK_COPY_ENV="PATH LANG AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN"
    start ecsfull 1 "presign_expires = 7200
s3_imds_endpoint = http://127.0.0.1:$CLOSED_PORT"
) || exit 1
(
    export AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/8f3a-task-uuid
    export AWS_CONTAINER_AUTHORIZATION_TOKEN=$ECS_AUTH
    export STACK_COPY_ENV="PATH LANG AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_AUTHORIZATION_TOKEN"
    start ecsrel 1 "s3_ecs_endpoint = $FAKE/i/ecsrel
s3_imds_endpoint = http://127.0.0.1:$CLOSED_PORT"
) || exit 1
start nocreds 1 "s3_imds_endpoint = http://127.0.0.1:$CLOSED_PORT"
start short 1 "s3_credentials = config
s3_access_key_id = $STATIC_AK
s3_secret_access_key = $STATIC_SK
presign_expires = 1"

"$PYTHON" - "$STACK_TMP/presign-seed.json" <<EOF
import json, sys
json.dump({
    "stack_tmp": "$STACK_TMP", "s3_port": $S3_PORT, "fake": "$FAKE",
    "col": "$COL", "ns": "$NS", "key": "$KEY",
    "bases": {n: "http://127.0.0.1:%s" % p for n, p in [
        ("static", "$(lighttpd_port static)"), ("env", "$(lighttpd_port env)"),
        ("imds", "$(lighttpd_port imds)"), ("imdsr", "$(lighttpd_port imdsr)"),
        ("imdsf", "$(lighttpd_port imdsf)"), ("ecsfull", "$(lighttpd_port ecsfull)"),
        ("ecsrel", "$(lighttpd_port ecsrel)"), ("nocreds", "$(lighttpd_port nocreds)"),
        ("short", "$(lighttpd_port short)")]},
    "secrets": json.load(open("$STACK_TMP/secrets.json")),
}, open(sys.argv[1], "w"), indent=1)
EOF

PG_BIN=$(stack_pg_bin)
PGPORT=$(stack_state_get pg_port)
PGHOST=$(pg_socket_dir)
DOCAPI_PRESIGN_SEED=$STACK_TMP/presign-seed.json
export PG_BIN PGPORT PGHOST DOCAPI_PRESIGN_SEED

# In the background, so that TERM/INT to this script runs the trap at once.
DOCAPI_PRESIGN_SUMMARY=$STACK_TMP/summary
export DOCAPI_PRESIGN_SUMMARY
set +e
"$PYTHON" "$SRC_DIR/tests/integration/test_presign.py" "$@" &
TEST_PID=$!
stack_track_pid "$TEST_PID"
wait "$TEST_PID"
rc=$?
stack_untrack_pid "$TEST_PID"
set -e
[ "$rc" = 0 ] || on_fail_logs
summary=$(cat "$DOCAPI_PRESIGN_SUMMARY" 2>/dev/null || true)
[ -n "$summary" ] || summary="0 passed, 1 failed"
[ "$rc" = 0 ] || case $summary in *" 0 failed") summary="${summary%% *} passed, 1 failed" ;; esac
# stop everything first, so that the closing line is the last one printed
trap - EXIT INT TERM HUP
STACK_QUIET=1 stack_stop_all
echo "$summary"
[ "$rc" = 0 ]
