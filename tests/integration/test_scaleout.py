#!/usr/bin/python3
"""Scale-out tests, started by tests/integration/run_scaleout.sh with two
lighttpd "hosts" whose docapi workers write through PgBouncer (transaction
pooling) to the primary and read from a streaming replica.

Environment: SCALE_HOST_A, SCALE_HOST_B (base URLs), SCALE_KEY (write key),
SCALE_KEY_READ, SCALE_PRIMARY_PORT, SCALE_REPLICA_PORT, SCALE_PGB_* (the
PgBouncer to restart), SCALE_STACK_SH, STACK_TMP, PG_BIN, PGHOST.

Prints "ok NAME" / "FAIL NAME: reason" and, last, "N passed, M failed".
Standard library only.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

HOST_A = os.environ.get("SCALE_HOST_A", "")
HOST_B = os.environ.get("SCALE_HOST_B", "")
KEY = os.environ.get("SCALE_KEY", "")
KEY_READ = os.environ.get("SCALE_KEY_READ", "")
STACK_TMP = os.environ.get("STACK_TMP", "")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
DOC = "doc_scale1"
PATH = "/v1/collections/articles/documents/" + DOC
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def request(base, method, path, body=None, key=None, headers=(), timeout=15):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    h = {"Authorization": "Bearer " + (key or KEY), "X-Namespace": "production"}
    if body is not None:
        body = json.dumps(body).encode()
        h["Content-Type"] = "application/merge-patch+json"
    h.update(dict(headers))
    try:
        conn.request(method, url.path + path, body=body, headers=h)
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: expected %r, got %r" % (what, want, got))


def psql(port, sql, sock=None):
    host = sock or os.path.join(STACK_TMP, "pgsock")
    p = subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-A", "-t", "-q",
                        "-h", host, "-p", str(port), "-U", "postgres", "-d", "docapi",
                        "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=60)
    if p.returncode != 0:
        raise AssertionError("psql: " + p.stderr.decode(errors="replace"))
    return p.stdout.decode().strip()


def primary(sql):
    return psql(os.environ["SCALE_PRIMARY_PORT"], sql)


def replica(sql):
    return psql(os.environ["SCALE_REPLICA_PORT"], sql,
                os.path.join(STACK_TMP, "replica-sock"))


def stack(fn, *args):
    cmd = ". %s && stack_attach %s >/dev/null && %s %s" % (
        os.environ["SCALE_STACK_SH"], STACK_TMP, fn, " ".join(args))
    p = subprocess.run(["bash", "-c", cmd], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120)
    if p.returncode != 0:
        raise AssertionError("%s failed: %s" % (fn, p.stdout.decode(errors="replace")))
    return p.stdout.decode()


def calls(server, fn):
    v = server("SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions "
               "WHERE funcname = '%s'" % fn)
    return int(v or 0)


def wait_replica_caught_up():
    # the insert position: with synchronous_commit off the last commit may
    # not be written yet, and the replica must get it too
    lsn = primary("SELECT pg_current_wal_insert_lsn()")
    for _ in range(200):
        if replica("SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn" % lsn) == "t":
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up with the primary")


def version_of(r):
    return int(r.header("ETag").strip('"'))


@test
def healthz_lists_both_roles():
    r = request(HOST_A, "GET", "/healthz")
    eq(r.status, 200, "healthz status")
    dbs = {d["name"]: d for d in r.json()["databases"]}
    eq(dbs["database_url"]["role"], "primary", "role of database_url")
    eq(dbs["database_read_url"]["role"], "standby", "role of database_read_url")


@test
def gets_go_to_the_replica_writes_to_the_primary():
    # With replay paused on the replica, a PATCH (primary) is not visible to
    # GETs as long as they are served by the replica: the proof of routing.
    wait_replica_caught_up()
    old = version_of(request(HOST_A, "GET", PATH))
    replica("SELECT pg_wal_replay_pause()")
    try:
        r = request(HOST_A, "PATCH", PATH, {"metadata": {"routed": "primary"}})
        eq(r.status, 200, "PATCH with replay paused")
        eq(version_of(r), old + 1, "version written on the primary")
        eq(int(primary("SELECT version FROM documents WHERE document_id = '%s'" % DOC)),
           old + 1, "version on the primary")
        for i in range(10):
            g = request(HOST_A if i % 2 else HOST_B, "GET", PATH, key=KEY_READ)
            eq(g.status, 200, "GET %d" % i)
            eq(version_of(g), old, "GET %d: the version it was served (the replica's)" % i)
    finally:
        replica("SELECT pg_wal_replay_resume()")
    wait_replica_caught_up()
    eq(version_of(request(HOST_B, "GET", PATH)), old + 1, "GET once the replica replayed")


@test
def read_after_write_sees_the_write_eventually():
    r = request(HOST_A, "PATCH", PATH, {"metadata": {"raw": "fresh"}})
    eq(r.status, 200, "PATCH")
    etag = r.header("ETag")
    # A GET may be served by a replica that lags: the ETag tells the client.
    for _ in range(100):
        g = request(HOST_B, "GET", PATH)
        if g.header("ETag") == etag:
            eq(g.json()["metadata"]["raw"], "fresh", "metadata read back")
            return
        check(version_of(g) < int(etag.strip('"')), "a GET from the future")
        time.sleep(0.05)
    raise AssertionError("the replica never showed the write")


@test
def two_hosts_one_document_no_lost_update():
    n_threads, per = 16, 10
    before = version_of(request(HOST_A, "GET", PATH))
    errors = []

    def worker(t):
        base = HOST_A if t % 2 else HOST_B
        for i in range(per):
            r = request(base, "PATCH", PATH, {"metadata": {"k%d_%d" % (t, i): t * 100 + i}})
            if r.status != 200:
                errors.append(r.status)

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(errors, [], "statuses other than 200")
    row = json.loads(primary("SELECT json_build_object('m', metadata, 'v', version) "
                             "FROM documents WHERE document_id = '%s'" % DOC))
    missing = [(t, i) for t in range(n_threads) for i in range(per)
               if row["m"].get("k%d_%d" % (t, i)) != t * 100 + i]
    eq(missing, [], "patches lost")
    eq(row["v"], before + n_threads * per, "version after %d PATCHes" % (n_threads * per))


@test
def migrate_through_pgbouncer_in_transaction_mode():
    # migrate holds nothing between transactions: through the pooler it
    # applies a new migration once, and a second run applies nothing.
    sql_dir = os.path.join(STACK_TMP, "sql-pooled")
    os.makedirs(sql_dir, exist_ok=True)
    for name in os.listdir(os.environ["SCALE_SQL_DIR"]):
        if name.endswith(".sql"):
            with open(os.path.join(os.environ["SCALE_SQL_DIR"], name)) as src, \
                    open(os.path.join(sql_dir, name), "w") as dst:
                dst.write(src.read())
    with open(os.path.join(sql_dir, "999_pooled_probe.sql"), "w") as f:
        f.write("CREATE TABLE pooled_probe (x int);\nINSERT INTO pooled_probe VALUES (1);\n")
    env = dict(os.environ, DOCAPI_CONF=os.environ["SCALE_CONF"],
               DOCAPI_DATABASE_URL=os.environ["SCALE_PGB_URL"], DOCAPI_SQL_DIR=sql_dir)
    outs = []
    for _ in range(2):
        p = subprocess.run([os.environ["SCALE_ADMIN"], "migrate"], env=env, timeout=60,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        eq(p.returncode, 0, "migrate through PgBouncer: %s" % p.stderr.decode(errors="replace"))
        outs.append(p.stdout.decode().strip())
    eq(outs, ["1", "0"], "migrations applied by two runs through PgBouncer")
    eq(primary("SELECT count(*) FROM pooled_probe"), "1", "rows of the probe table")


@test
def pgbouncer_pool_exhausted_503_not_a_hang():
    # Session mode, one server connection, held by a psql session: docapi's
    # worker waits query_wait_timeout (3 s), then answers 503 + Retry-After;
    # once the connection is free again it answers 200. (PATCH: GETs of
    # this host read from the replica.)
    tiny = os.environ["SCALE_HOST_TINY"]
    hold = subprocess.Popen([os.path.join(PG_BIN, "psql"), "-X", "-q", "-h", "127.0.0.1",
                             "-p", os.environ["SCALE_TINY_PGB_PORT"], "-U", "postgres",
                             "-d", "docapi", "-c", "SELECT pg_sleep(15)"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        for i in range(2):
            t0 = time.time()
            r = request(tiny, "PATCH", PATH, {"metadata": {"tiny": i}}, timeout=20)
            took = time.time() - t0
            eq(r.status, 503, "PATCH %d with the pool exhausted" % i)
            check(r.header("Retry-After"), "503 without Retry-After")
            eq(r.json()["error"]["type"], "ServiceUnavailableError", "error type")
            check(took < 8, "PATCH %d took %.1f s (a hang, not a 503)" % (i, took))
    finally:
        hold.kill()
        hold.wait()
    for _ in range(40):
        r = request(tiny, "PATCH", PATH, {"metadata": {"tiny": "after"}}, timeout=20)
        if r.status == 200:
            return
        time.sleep(0.25)
    raise AssertionError("no recovery once the pool had room again: %d" % r.status)


def pgbouncer_pid():
    # a daemon that was just started writes its pid file a moment later
    for _ in range(100):
        try:
            with open(os.environ["SCALE_PGB_PID_FILE"]) as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            time.sleep(0.05)
    raise AssertionError("PgBouncer wrote no pid file")


def pgbouncer_restart(down_seconds):
    pid = pgbouncer_pid()
    os.kill(pid, 15)  # SIGTERM: immediate shutdown, clients are cut off
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    for _ in range(100):  # its pid file goes with it
        if not os.path.exists(os.environ["SCALE_PGB_PID_FILE"]):
            break
        time.sleep(0.05)
    time.sleep(down_seconds)
    subprocess.run(["runuser", "-u", "postgres", "--", os.environ["SCALE_PGB_BIN"], "-d", "-q",
                    os.environ["SCALE_PGB_INI"]], check=True, timeout=30)
    new = pgbouncer_pid()
    stack("stack_track_pid", str(new))
    return new


@test
def pgbouncer_restart_under_load_503_then_recovery():
    workers_before = stack("lighttpd_worker_pids", "hosta").split()
    stop = threading.Event()
    seen = {}
    slow = []
    lock = threading.Lock()

    def load(t):
        i = 0
        while not stop.is_set():
            t0 = time.time()
            try:
                if i % 2:
                    r = request(HOST_A, "GET", PATH)
                else:
                    r = request(HOST_A, "PATCH", PATH, {"metadata": {"load%d" % t: i}})
                st = r.status
                if st == 503:
                    check(r.header("Retry-After"), "503 without Retry-After")
            except Exception as e:  # noqa: a hang or reset is what we look for
                st = "exception %s" % type(e).__name__
            with lock:
                seen[st] = seen.get(st, 0) + 1
                if time.time() - t0 > 8:
                    slow.append(st)
            i += 1

    threads = [threading.Thread(target=load, args=(t,), daemon=True) for t in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        pgbouncer_restart(2.0)
        time.sleep(2.0)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    bad = {k: v for k, v in seen.items() if k not in (200, 503)}
    eq(bad, {}, "answers other than 200 and 503 while PgBouncer restarted (all: %r)" % seen)
    eq(slow, [], "requests slower than 8 s")
    check(seen.get(503, 0) > 0 or seen.get(200, 0) > 0, "no answers at all")
    for i in range(6):
        eq(request(HOST_A, "GET" if i % 2 else "PATCH", PATH,
                   None if i % 2 else {"metadata": {"after": i}}).status, 200,
           "request %d after the restart" % i)
    eq(stack("lighttpd_worker_pids", "hosta").split(), workers_before,
       "workers (recovery without restarting them)")


@test
def primary_down_reads_served_writes_503():
    wait_replica_caught_up()
    stack("pg_stop")
    try:
        for i in range(4):
            r = request(HOST_A if i % 2 else HOST_B, "GET", PATH, key=KEY_READ)
            eq(r.status, 200, "GET %d with the primary down" % i)
        r = request(HOST_A, "PATCH", PATH, {"metadata": {"down": 1}})
        eq(r.status, 503, "PATCH with the primary down")
        check(r.header("Retry-After"), "Retry-After on the 503")
        eq(r.json()["error"]["type"], "ServiceUnavailableError", "error type")
        r = request(HOST_A, "GET", "/healthz")
        eq(r.status, 503, "healthz with the primary down")
    finally:
        stack("pg_start")
    for _ in range(60):
        r = request(HOST_A, "PATCH", PATH, {"metadata": {"down": 2}})
        if r.status == 200:
            return
        time.sleep(0.25)
    raise AssertionError("writes did not recover after the primary came back: %d" % r.status)


def main():
    if not HOST_A or not KEY:
        print("test_scaleout.py: run me through tests/integration/run_scaleout.sh")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for t in TESTS:
        try:
            t()
        except Exception as e:  # noqa: report everything
            failed += 1
            print("FAIL %s: %s" % (t.__name__, e), flush=True)
            if not isinstance(e, AssertionError):
                traceback.print_exc(file=sys.stdout)
            continue
        passed += 1
        print("ok %s" % t.__name__, flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
