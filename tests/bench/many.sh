#!/bin/bash
# many.sh - what the many-document writes (issue 15, contract section 11)
# cost, in ONE run on ONE PostgreSQL cluster:
#
#   tests/bench/many.sh          # ~3 min; BENCH_ROUNDS, BENCH_DOCS
#
# A benchmark, never a timed test: not part of tests/test.sh or CI.
#   1. batch    documents per second of POST .../documents/batch with 1,000
#               explicit updates (each a different document, each a real
#               change) against 1,000 single PATCHes of the same documents
#               from one client over one keep-alive connection, through the
#               same lighttpd; interleaved, $BENCH_ROUNDS rounds.
#               Next to them, the database's own cost of the same 1,000
#               changes: one UPDATE ... WHERE document_id = ANY (...) in
#               psql (what no HTTP route can beat).
#   2. bulk     PATCH .../documents/bulk of every one of the $BENCH_DOCS
#               documents of collection "bench" by an indexed filter
#               ({"metadata.counter": N}: GIN containment) against the
#               equivalent single UPDATE run in psql (the same rows, the
#               same new metadata, version and updated_at, the same
#               triggers); interleaved, each step moving counter N -> N+1.
#               Both forms of update_data: a merge ({"metadata":
#               {"counter": N+1}}) and a dotted path ({"metadata.counter":
#               N+1}).
#   3. memory   the workers' peak RSS (VmHWM) at start, after the batches
#               (a request of 1,000 items is parsed whole) and after the
#               bulk updates of 100,000 documents (the worker holds one row).
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$BENCH_DIR/lib.sh"
BENCH_ROUNDS=${BENCH_ROUNDS:-2}
BENCH_PROCS=${BENCH_PROCS:-2}

bench_setup
COLPK=$(pg_psql -At -c "SELECT id FROM collections WHERE col_id = '$COL'")
read -r RSS0 HWM0 ANON0 < <(worker_rss main)

# ---- 1. batch of 1,000 vs 1,000 single PATCHes (python: one connection)
blog "batch vs single PATCH, $BENCH_ROUNDS rounds"
python3 - "$URL_MAIN" "$KEY" "$COL10" "$BENCH_ROUNDS" <<'PY' >"$STACK_TMP/batch.out" || bdie "batch bench failed"
import http.client, json, sys, time, urllib.parse
base, key, col, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
H = {"Authorization": "Bearer " + key, "X-Namespace": "bench", "Content-Type": "application/json"}
ids = ["doc_%d" % i for i in range(1, 1001)]
counter = [0]

def call(method, path, body):
    conn.request(method, path, json.dumps(body), H)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit("HTTP %d %s" % (r.status, data[:200]))
    return json.loads(data)

def singles():
    counter[0] += 1
    t = time.perf_counter()
    for d in ids:
        call("PATCH", "/v1/collections/%s/documents/%s" % (col, d), {"metadata": {"counter": counter[0]}})
    return len(ids) / (time.perf_counter() - t)

def batch(reps=5):
    t = time.perf_counter()
    for _ in range(reps):
        counter[0] += 1
        b = call("POST", "/v1/collections/%s/documents/batch" % col,
                 {"updates": [{"document_id": d, "update_data": {"metadata": {"counter": counter[0]}}}
                              for d in ids]})
        if b["updated_count"] != len(ids):
            sys.exit("batch updated %r" % b["updated_count"])
    return reps * len(ids) / (time.perf_counter() - t)

singles(); batch(1)  # warm-up
s, b = [], []
for r in range(rounds):
    if r % 2:
        b.append(batch()); s.append(singles())
    else:
        s.append(singles()); b.append(batch())
print("%.0f %.0f" % (sum(s) / len(s), sum(b) / len(b)))
PY
read -r SINGLE_DPS BATCH_DPS <"$STACK_TMP/batch.out"
read -r RSSB HWMB ANONB < <(worker_rss main)
# the database's own cost of those 1,000 changes: one UPDATE of the same
# documents in psql (\timing, no connection set-up), 5 times
COL10PK=$(pg_psql -At -c "SELECT id FROM collections WHERE col_id = '$COL10'")
CEIL_DPS=$(for k in 1 2 3 4 5; do
    echo "UPDATE documents SET metadata = metadata || jsonb_build_object('counter', -$k),
          version = version + 1, updated_at = now() WHERE col_pk = $COL10PK AND document_id
          = ANY (ARRAY(SELECT 'doc_' || g FROM generate_series(1, 1000) g));"
done | pg_psql -q -c '\timing on' -f - | awk '/^Time:/{s+=$2; n++} END{if (s > 0) printf "%.0f", n*1000*1000/s}')

# ---- 2. bulk of every document vs the same UPDATE in psql
N=0
# Each prints its seconds (it runs in $(...): the caller moves N on).
bulk_http() {  # bulk_http FORM: seconds of one bulk update of counter N -> N+1
    local form=$1 body t0 t1 code
    if [ "$form" = merge ]; then
        body="{\"filters\":{\"metadata.counter\":$N},\"update_data\":{\"metadata\":{\"counter\":$((N + 1))}}}"
    else
        body="{\"filters\":{\"metadata.counter\":$N},\"update_data\":{\"metadata.counter\":$((N + 1))}}"
    fi
    t0=$(date +%s.%N)
    code=$(curl -s -o "$STACK_TMP/bulk.out" -w '%{http_code}' -X PATCH --max-time 600 \
        -H "Authorization: Bearer $KEY" -H "X-Namespace: bench" -H "Content-Type: application/json" \
        --data-binary "$body" "$URL_MAIN/v1/collections/$COL/documents/bulk")
    t1=$(date +%s.%N)
    [ "$code" = 200 ] || bdie "bulk: HTTP $code $(head -c 300 "$STACK_TMP/bulk.out")"
    grep -q "\"updated_count\":$BENCH_DOCS" "$STACK_TMP/bulk.out" || bdie "bulk: $(cat "$STACK_TMP/bulk.out")"
    awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}'
}
bulk_psql() {  # the single UPDATE a hand-written peer runs
    local t0 t1 n
    t0=$(date +%s.%N)
    n=$(pg_psql -At -c "WITH u AS (UPDATE documents SET metadata = metadata || '{\"counter\": $((N + 1))}',
        version = version + 1, updated_at = now() WHERE col_pk = $COLPK
        AND metadata @> '{\"counter\": $N}' RETURNING 1) SELECT count(*) FROM u")
    t1=$(date +%s.%N)
    [ "$n" = "$BENCH_DOCS" ] || bdie "psql updated $n"
    awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}'
}
blog "bulk of $BENCH_DOCS documents vs psql, $BENCH_ROUNDS rounds"
M=() P=() Q=()
for r in $(seq 1 "$BENCH_ROUNDS"); do
    pg_psql -c "VACUUM documents" -c "CHECKPOINT" >/dev/null
    if [ $((r % 2)) = 1 ]; then
        P+=("$(bulk_psql)") || exit 1; N=$((N + 1))
        M+=("$(bulk_http merge)") || exit 1; N=$((N + 1))
        Q+=("$(bulk_http path)") || exit 1; N=$((N + 1))
    else
        Q+=("$(bulk_http path)") || exit 1; N=$((N + 1))
        M+=("$(bulk_http merge)") || exit 1; N=$((N + 1))
        P+=("$(bulk_psql)") || exit 1; N=$((N + 1))
    fi
done
mean() { printf '%s\n' "$@" | awk '{s+=$1} END{printf "%.2f", s/NR}'; }
PSQL_S=$(mean "${P[@]}") MERGE_S=$(mean "${M[@]}") PATH_S=$(mean "${Q[@]}")
read -r RSS1 HWM1 ANON1 < <(worker_rss main)

cat <<OUT
## Many-document writes (tests/bench/many.sh, one run)

| measurement | figure | ratio |
| --- | ---: | ---: |
| 1,000 single PATCHes, one client | $SINGLE_DPS docs/s | 1.00 |
| batch of 1,000 explicit updates | $BATCH_DPS docs/s | $(ratio "$BATCH_DPS" "$SINGLE_DPS")x the singles |
| the same 1,000 changes as one UPDATE in psql | $CEIL_DPS docs/s | $(ratio "$CEIL_DPS" "$SINGLE_DPS")x the singles; the batch is $(ratio "$BATCH_DPS" "$CEIL_DPS") of it |
| single UPDATE in psql, $BENCH_DOCS rows | $PSQL_S s | 1.00 |
| bulk, update_data a merge | $MERGE_S s | $(ratio "$MERGE_S" "$PSQL_S")x psql |
| bulk, update_data a dotted path | $PATH_S s | $(ratio "$PATH_S" "$PSQL_S")x psql |
| worker peak RSS: at start / after the batches / after the bulk updates | $HWM0 / $HWMB / $HWM1 KiB | |

rounds: psql ${P[*]} s; merge ${M[*]} s; path ${Q[*]} s
OUT
