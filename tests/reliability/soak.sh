#!/usr/bin/env bash
# Soak test: one FastCGI worker, many mixed requests, RSS before and after.
#
#   tests/reliability/soak.sh [REQUESTS]      (default 20000)
#   tests/reliability/soak.sh 1000000         (the long run: ~10 min here)
#
# Starts a private PostgreSQL and one lighttpd with ONE docapi worker
# (scripts/stack.sh), seeds a few documents, then drives that worker with a
# mix of good and hostile requests over keep-alive connections: GETs (with
# and without vectors, 304s), merge and JSON patches (writes, no-ops, 409,
# 412, 422 of every kind, 413, 415), 401/403/404/405. The worker's RSS is
# read from /proc after a warm-up (10% of the requests) and at the end.
#
# Fails when the worker changed (crashed and was restarted), when any
# response was a 5xx, or when RSS grew by more than SOAK_MAX_GROWTH_KB
# (default 2048) between warm-up and end: per the design notes nothing per
# request may survive the request.
#
# SOAK_CLIENTS (default 2) keep-alive connections send the requests, so the
# one worker never waits for the client; it still serves one request at a
# time. RSS is also sampled every 10 % (printed as progress lines).
# SOAK_MAX_SECONDS (default: none) stops the run after that long, judges
# what ran, and prints the rate and the time the full REQUESTS would take.
#
# Environment: BUILD_DIR (default: the source tree), DOCAPI_FCGI,
# DOCAPI_ADMIN, SOAK_MAX_GROWTH_KB, SOAK_CLIENTS, SOAK_MAX_SECONDS,
# STACK_KEEP_TMP, PYTHON.
# Prints the figures and, last, "N passed, M failed".
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export STACK_SRC_DIR=$SRC_DIR STACK_BUILD_DIR=$BUILD_DIR
export DOCAPI_FCGI=${DOCAPI_FCGI:-$BUILD_DIR/cgi/docapi.fcgi}
export DOCAPI_ADMIN=${DOCAPI_ADMIN:-$BUILD_DIR/cgi/docapi-admin}
export DOCAPI_PROCS=1
REQUESTS=${1:-20000}
PYTHON=${PYTHON:-/usr/bin/python3}
unset DOCAPI_DATABASE_URL DOCAPI_MOUNT_PREFIX DOCAPI_BODY_LIMIT DOCAPI_LOG_LEVEL DOCAPI_CONF DOCAPI_CONF_EXTRA
fail() { echo "soak: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

. "$SRC_DIR/scripts/stack.sh"
stack_init ""
pg_start || fail "PostgreSQL did not start"
export DOCAPI_CONF=$STACK_TMP/docapi.conf
DOCAPI_LOG_LEVEL=warn docapi_write_conf "$DOCAPI_CONF" ""
adm() { "$DOCAPI_ADMIN" "$@" 2>>"$STACK_TMP/admin.log"; }
adm migrate >/dev/null || fail "migrate"
ORG=$(adm create-org soak) || fail "create-org"
NS=$(adm create-namespace --org "$ORG" production) || fail "create-namespace"
COL=$(adm create-collection --namespace "$NS" articles) || fail "create-collection"
KEY_W=$(adm create-key --org "$ORG" --role write) || fail "create-key"
KEY_R=$(adm create-key --org "$ORG" --role read) || fail "create-key"
for i in 1 2 3 4; do
    printf '{"document_id":"doc_soak%d","document_schema_version":"v1","root_object_id":"obj_%d","root_bucket_id":"bkt","source_type":"bucket","source_object_id":"obj_%d","lineage_path":"bkt/col","lineage":{"root_object_id":"obj_%d","root_bucket_id":"bkt","source_type":"bucket","lineage_chain":[]},"source_blobs":[],"internal_metadata":{},"metadata":{"title":"t%d","n":0},"vector":[0.1,0.2],"document_blobs":[{"field":"v","url":"s3://b/k%d.mp4","role":"source","type":"video"}]}\n' \
        "$i" "$i" "$i" "$i" "$i" "$i"
done >"$STACK_TMP/soak.ndjson"
[ "$(adm import --collection "$COL" "$STACK_TMP/soak.ndjson")" = 4 ] || fail "import"
DOCAPI_LOG_LEVEL=warn lighttpd_start main || fail "lighttpd did not start"
WORKER=$(lighttpd_worker_pids main | head -n 1)
[ -n "$WORKER" ] || fail "no worker"

set +e
"$PYTHON" - "$(lighttpd_port main)" "$COL" "$KEY_W" "$KEY_R" "$REQUESTS" "$WORKER" \
    "${SOAK_MAX_GROWTH_KB:-2048}" "${SOAK_CLIENTS:-2}" "${SOAK_MAX_SECONDS:-0}" <<'PY'
import http.client, json, os, random, sys, threading, time
port, col, kw, kr, total, worker, max_growth = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
nclients, max_seconds = max(1, int(sys.argv[8])), float(sys.argv[9])

def rss():
    with open("/proc/%s/status" % worker) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

tls = threading.local()
def send(method, path, headers, body=None):
    for attempt in range(2):
        try:
            if getattr(tls, "conn", None) is None:
                tls.conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
            tls.conn.request(method, path, body=body, headers=headers)
            r = tls.conn.getresponse()
            r.read()
            if r.getheader("Connection", "").lower() == "close":
                tls.conn.close(); tls.conn = None
            return r.status
        except (http.client.HTTPException, OSError):
            tls.conn = None
            if attempt:
                raise

P = "/v1/collections/%s/documents/%%s" % col
W = {"Authorization": "Bearer " + kw, "X-Namespace": "production"}
R = {"Authorization": "Bearer " + kr, "X-Namespace": "production"}
MP = dict(W, **{"Content-Type": "application/merge-patch+json"})
JP = dict(W, **{"Content-Type": "application/json-patch+json"})
big = '{"metadata":{"x":"' + "y" * 1100000 + '"}}'
deep = '{"metadata":' + '{"a":' * 70 + '1' + '}' * 70 + '}'
mix = [
    lambda d: ("GET", P % d, W, None),
    lambda d: ("GET", P % d + "?return_vectors=true", R, None),
    lambda d: ("GET", P % d, dict(W, **{"If-None-Match": '"1", "2", W/"3"'}), None),
    lambda d: ("PATCH", P % d, MP, json.dumps({"metadata": {"n": random.randint(0, 9), "s": "\u00e9" * 50}})),
    lambda d: ("PATCH", P % d, MP, '{"metadata":{"n":null,"n":1}}'),
    lambda d: ("PATCH", P % d, JP, json.dumps([{"op": "add", "path": "/metadata/tags", "value": ["a", "b"]},
                                               {"op": "copy", "from": "/metadata/tags", "path": "/metadata/t2"},
                                               {"op": "remove", "path": "/metadata/t2"}])),
    lambda d: ("PATCH", P % d, JP, '[{"op":"test","path":"/metadata/title","value":"nope"}]'),
    lambda d: ("PATCH", P % d, dict(MP, **{"If-Match": '"999999"'}), '{"metadata":{}}'),
    lambda d: ("PATCH", P % d, MP, '{"metadata":[1],"document_blobs":[{"url":"ftp://x"}],"document_id":"doc_x"}'),
    lambda d: ("PATCH", P % d, MP, '{"metadata":{"a":"\\ud800"}}'),
    lambda d: ("PATCH", P % d, MP, b'{"metadata":{"a":"\xff"}}'),
    lambda d: ("PATCH", P % d, MP, deep),
    lambda d: ("PATCH", P % d, MP, '{"metadata":{"a":1e400}}'),
    lambda d: ("PATCH", P % d, MP, '{"metadata":'),
    lambda d: ("PATCH", P % d, dict(W, **{"Content-Type": "text/plain"}), "x"),
    lambda d: ("PATCH", P % d + "?return_vectors=maybe", MP, "{}"),
    lambda d: ("PATCH", P % d, R, "{}"),
    lambda d: ("GET", P % "doc_missing", W, None),
    lambda d: ("GET", "/v1/collections/col_nope/documents/" + d, W, None),
    lambda d: ("GET", P % d, {"Authorization": "Bearer sk_live_" + "x" * 40, "X-Namespace": "production"}, None),
    lambda d: ("GET", P % d, {"X-Namespace": "production"}, None),
    lambda d: ("GET", P % d, {"Authorization": "Bearer " + kw}, None),
    lambda d: ("GET", P % d, dict(W, **{"X-Namespace": "'; DROP TABLE documents; --"}), None),
    lambda d: ("DELETE", P % d, W, None),
    lambda d: ("GET", "/v1/collections/%2e%2e/documents/" + d, W, None),
    lambda d: ("GET", "/healthz", {}, None),
    lambda d: ("GET", "/nope", {}, None),
]
rare = [lambda d: ("PATCH", P % d, MP, big)]   # 413, now and then (it is slow to send)
status_counts = {}
errors5xx = 0
warm = max(1, total // 10)
step = max(1, total // 10)
t0 = time.time()
rss_start = None
lock = threading.Lock()
next_i = 0
done = 0
stopped_early = False
failure = []

def client(seed):
    global next_i, done, errors5xx, rss_start, stopped_early
    rng = random.Random(seed)
    while True:
        with lock:
            if next_i >= total:
                return
            if max_seconds and time.time() - t0 > max_seconds:
                stopped_early = True
                return
            i = next_i
            next_i += 1
        d = "doc_soak%d" % rng.randint(1, 4)
        f = rng.choice(rare) if i % 997 == 0 else rng.choice(mix)
        m, p, h, b = f(d)
        if isinstance(b, str):
            b = b.encode()
        try:
            st = send(m, p, h, b)
        except Exception as e:
            with lock:
                failure.append("request %d (%s %s): %s" % (i, m, p, e))
                stopped_early = True
                next_i = total  # stop everyone: the worker is gone or hung
            return
        with lock:
            status_counts[st] = status_counts.get(st, 0) + 1
            if st >= 500:
                errors5xx += 1
            done += 1
            n = done
        if n == warm:
            rss_start = rss()
        if n % step == 0:
            el = time.time() - t0
            print("soak: %d requests, %.0f s, %.0f/s, worker RSS %d kB" % (n, el, n / el, rss()),
                  flush=True)

threads = [threading.Thread(target=client, args=(1 + k,)) for k in range(nclients)]
for th in threads:
    th.start()
for th in threads:
    th.join()
rss_end = rss()
dt = time.time() - t0
if rss_start is None:
    rss_start = rss_end
print("soak: %d requests in %.1f s (%.0f/s) over %d connections, statuses %s" % (
      done, dt, done / dt, nclients,
      " ".join("%d:%d" % kv for kv in sorted(status_counts.items()))))
if done < total:
    print("soak: stopped after %d of %d requests; at %.0f/s all %d take %.0f s (%.1f min)"
          % (done, total, done / dt, total, total / (done / dt), total / (done / dt) / 60))
print("soak: worker %s RSS after warm-up (%d requests) %d kB, at the end %d kB (%+d kB)"
      % (worker, warm, rss_start, rss_end, rss_end - rss_start))
ok = True
for f in failure:
    print("FAIL no response: " + f); ok = False
if errors5xx:
    print("FAIL %d responses were 5xx" % errors5xx); ok = False
if rss_end - rss_start > max_growth:
    print("FAIL RSS grew by more than %d kB" % max_growth); ok = False
sys.exit(0 if ok else 1)
PY
rc=$?
set -e
if [ "$(lighttpd_worker_pids main | head -n 1)" != "$WORKER" ]; then
    echo "FAIL the worker $WORKER is gone (crashed?)"
    rc=1
fi
STACK_QUIET=1
if [ "$rc" = 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit "$rc"
