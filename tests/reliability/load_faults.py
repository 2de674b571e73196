#!/usr/bin/python3
"""Load with faults: many keep-alive connections of mixed GET/PATCH through
lighttpd while PostgreSQL is stopped and restarted and a FastCGI worker is
killed. Started by tests/reliability/load_faults.sh, which builds the stack
and seeds the documents; standard library only.

  load_faults.py PORT COLLECTION WRITE_KEY STACK_SH STACK_TMP APP_LOG

Environment (all optional):
  LOAD_SECONDS     length of the run (default 60, at least 20)
  LOAD_CONNS       client connections (default 64)
  LOAD_DOCS        documents doc_lf1..doc_lfN (default 50; seeded by the .sh)
  OUTAGE_AT        seconds into the run when PostgreSQL is stopped
                   (default 25 % of LOAD_SECONDS)
  OUTAGE_SECONDS   how long PostgreSQL stays down (default 5)
  KILL_AT          seconds into the run when one worker gets SIGKILL
                   (default 65 % of LOAD_SECONDS)
  RECOVERY_MAX     seconds allowed from pg_start returning to the first
                   2xx (overall and per worker; default 1.0)

Every request carries its own X-Request-Id (lf-THREAD-SEQ), which the app
echoes and writes into its log lines, so a request can be tied to the
worker (PID) that served it. Every PATCH is a merge patch that adds one
unique metadata key lf_THREAD_SEQ to one document. Each response is
checked in full (status line, framing, headers, JSON of the contract's
shape); failures to get a response are counted apart:
  conn_error   connection refused/reset/closed before any response byte
  truncated    a response that stops before its declared end
  timeout      no response within 30 s (a hang: always a failure)
At the end the database must hold every acknowledged (2xx) key and no key
of a PATCH that got a definite error response (the app's own JSON error);
PATCHes without a definite answer (connection-level failure, or the
server's own 5xx for the request in flight on the killed worker) are
ambiguous and only counted.

Prints the figures, one "ok"/"FAIL" line per assertion and, last,
"N passed, M failed".
"""

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

PORT = int(sys.argv[1])
COL, KEY, STACK_SH, STACK_TMP, APP_LOG = sys.argv[2:7]
SECONDS = max(20.0, float(os.environ.get("LOAD_SECONDS", "60")))
CONNS = int(os.environ.get("LOAD_CONNS", "64"))
NDOCS = int(os.environ.get("LOAD_DOCS", "50"))
OUTAGE_AT = float(os.environ.get("OUTAGE_AT", "") or SECONDS * 0.25)
OUTAGE_SECONDS = float(os.environ.get("OUTAGE_SECONDS", "5"))
KILL_AT = float(os.environ.get("KILL_AT", "") or SECONDS * 0.65)
RECOVERY_MAX = float(os.environ.get("RECOVERY_MAX", "1.0"))
TIMEOUT = 30.0
NS = "production"

now = time.monotonic


def stack(*args):
    """scripts/stack.sh STACK_TMP FUNCTION ARGS...: stdout (stderr passed on)."""
    p = subprocess.run(["bash", STACK_SH, STACK_TMP] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=dict(os.environ, STACK_QUIET="1"))
    if p.returncode != 0:
        raise RuntimeError("stack.sh %s failed (%d): %s" % (
            " ".join(args), p.returncode, p.stderr.decode(errors="replace")[-500:]))
    return p.stdout.decode()


def worker_pids():
    return sorted(int(x) for x in stack("lighttpd_worker_pids", "main").split())


# ------------------------------------------------------------------ HTTP

class ConnError(Exception):
    def __init__(self, kind, msg):
        Exception.__init__(self, msg)
        self.kind = kind


class Corrupt(Exception):
    pass


class Conn:
    """One keep-alive HTTP/1.1 connection on a raw socket."""

    def __init__(self):
        self.sock = None
        self.buf = b""

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buf = b""

    def _recv(self, got_any):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise ConnError("timeout", "no data for %.0f s" % TIMEOUT)
        except OSError as e:
            raise ConnError("truncated" if got_any else "conn_error", "recv: %s" % e)
        if not data:
            raise ConnError("truncated" if got_any else "conn_error", "connection closed")
        self.buf += data

    def _read_until(self, sep, limit, got_any):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + len(sep):]
                return out
            if len(self.buf) > limit:
                raise Corrupt("no %r within %d bytes" % (sep, limit))
            self._recv(got_any or bool(self.buf))

    def _read_n(self, n):
        while len(self.buf) < n:
            self._recv(True)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request(self, raw):
        """Sends raw bytes, returns (status, headers{lower: [values]}, body).
        Raises ConnError (kind: connect_error, conn_error, truncated,
        timeout) or Corrupt."""
        if self.sock is None:
            try:
                self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT)
            except socket.timeout:
                raise ConnError("timeout", "connect timed out")
            except OSError as e:
                raise ConnError("connect_error", "connect: %s" % e)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf = b""
        try:
            self.sock.sendall(raw)
        except socket.timeout:
            raise ConnError("timeout", "send timed out")
        except OSError as e:
            raise ConnError("conn_error", "send: %s" % e)
        head = self._read_until(b"\r\n\r\n", 65536, False)
        lines = head.split(b"\r\n")
        m = re.match(rb"^HTTP/1\.[01] ([1-5][0-9][0-9])(?: [\x20-\x7e]*)?$", lines[0])
        if not m:
            raise Corrupt("bad status line %r" % lines[0][:100])
        status = int(m.group(1))
        headers = {}
        for ln in lines[1:]:
            hm = re.match(rb"^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$", ln)
            if not hm:
                raise Corrupt("bad header line %r" % ln[:100])
            headers.setdefault(hm.group(1).decode().lower(), []).append(
                hm.group(2).decode("latin-1"))
        te = ",".join(headers.get("transfer-encoding", [])).lower()
        cl = headers.get("content-length")
        if "chunked" in te:
            parts = []
            while True:
                size_line = self._read_until(b"\r\n", 1024, True)
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise Corrupt("bad chunk size %r" % size_line[:50])
                if size == 0:
                    while self._read_until(b"\r\n", 8192, True):
                        pass  # trailers
                    break
                parts.append(self._read_n(size))
                if self._read_n(2) != b"\r\n":
                    raise Corrupt("chunk without CRLF")
            body = b"".join(parts)
        elif cl is not None:
            if len(set(cl)) != 1 or not cl[0].isdigit():
                raise Corrupt("bad Content-Length %r" % cl)
            body = self._read_n(int(cl[0]))
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            # delimited by close
            try:
                while True:
                    self._recv(True)
            except ConnError as e:
                if e.kind == "timeout":
                    raise
            body, self.buf = self.buf, b""
            self.close()
        conn_hdr = ",".join(headers.get("connection", [])).lower()
        if "close" in conn_hdr:
            self.close()
        return status, headers, body


# ---------------------------------------------------------------- checks

def hdr(headers, name):
    v = headers.get(name)
    return ", ".join(v) if v else None


def check_error_body(status, headers, b, etype):
    if not isinstance(b, dict) or b.get("success") is not False or b.get("status") != status:
        raise Corrupt("error body of a %d has the wrong shape: %r" % (status, b))
    err = b.get("error")
    if not isinstance(err, dict) or not isinstance(err.get("message"), str) or not err["message"]:
        raise Corrupt("error body without error.message: %r" % b)
    if etype is not None and err.get("type") != etype:
        raise Corrupt("error.type %r, expected %r" % (err.get("type"), etype))
    return err


def check_document(b, docid):
    if not isinstance(b, dict):
        raise Corrupt("document is not an object")
    if b.get("document_id") != docid or b.get("collection_id") != COL:
        raise Corrupt("document_id/collection_id %r/%r, expected %r/%r" % (
            b.get("document_id"), b.get("collection_id"), docid, COL))
    for k, t in (("metadata", dict), ("document_blobs", list), ("source_blobs", list),
                 ("presigned_urls", list), ("internal_metadata", dict),
                 ("created_at", str), ("updated_at", str)):
        if not isinstance(b.get(k), t):
            raise Corrupt("document field %s is %r" % (k, type(b.get(k)).__name__))
    if "vector" in b:
        raise Corrupt("vector without return_vectors")
    if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", b["updated_at"]):
        raise Corrupt("updated_at %r" % b["updated_at"])


def classify(op, docid, pkey, rid, status, headers, body):
    """Returns a label for a complete response; raises Corrupt when it is
    not a valid response of the contract's shape."""
    if hdr(headers, "x-request-id") is None:
        # Not from the app: lighttpd's own answer (e.g. its worker died).
        if status >= 500:
            return "%d server" % status
        raise Corrupt("%d without X-Request-Id" % status)
    if hdr(headers, "x-request-id") != rid:
        raise Corrupt("X-Request-Id %r, sent %r" % (hdr(headers, "x-request-id"), rid))
    ct = (hdr(headers, "content-type") or "").split(";")[0].strip().lower()
    if ct != "application/json":
        raise Corrupt("%d with Content-Type %r" % (status, ct))
    try:
        b = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise Corrupt("%d body is not JSON (%s): %r" % (status, e, body[:200]))
    if status == 200:
        check_document(b, docid)
        if not re.match(r'^(W/)?"\d+"$', hdr(headers, "etag") or ""):
            raise Corrupt("200 with ETag %r" % hdr(headers, "etag"))
        if op == "patch" and b["metadata"].get(pkey[1]) != pkey[2]:
            raise Corrupt("PATCH 200 whose metadata lacks %s" % pkey[1])
        return "200"
    if status == 422:
        if not isinstance(b, dict) or not isinstance(b.get("detail"), list):
            raise Corrupt("422 body %r" % b)
        return "422"
    err = check_error_body(status, headers, b, None)
    if status == 503:
        if err.get("type") != "ServiceUnavailableError":
            raise Corrupt("503 with error.type %r" % err.get("type"))
        ra = hdr(headers, "retry-after")
        if not ra or not ra.strip().isdigit():
            raise Corrupt("503 without a numeric Retry-After (%r)" % ra)
        if "busy" in err["message"]:
            return "503 busy"
        return "503 database"
    return "%d %s" % (status, err.get("type"))


# ---------------------------------------------------------------- clients

stop = threading.Event()
T0 = None
records = []        # per thread: list of tuples, see client()


def client(tid, out):
    rng = random.Random(tid * 7919 + 1)
    conn = Conn()
    seq = 0
    base = "/v1/collections/%s/documents/" % COL
    while not stop.is_set():
        seq += 1
        rid = "lf-%d-%d" % (tid, seq)
        r = rng.random()
        pkey = None
        if r < 0.45:
            op, docid = "get", "doc_lf%d" % rng.randint(1, NDOCS)
            body = b""
        elif r < 0.50:
            op, docid = "get404", "doc_lfmissing%d" % rng.randint(1, 9)
            body = b""
        else:
            op, docid = "patch", "doc_lf%d" % rng.randint(1, NDOCS)
            k = "lf_%d_%d" % (tid, seq)
            pkey = (docid, k, seq)
            body = json.dumps({"metadata": {k: seq}}).encode()
        raw = ("%s %s%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
               "X-Namespace: %s\r\nX-Request-Id: %s\r\n" % (
                   "GET" if body == b"" else "PATCH", base, docid, PORT, KEY, NS, rid))
        if body:
            raw += ("Content-Type: application/merge-patch+json\r\nContent-Length: %d\r\n"
                    % len(body))
        raw = raw.encode() + b"\r\n" + body
        t0 = now()
        try:
            status, headers, rbody = conn.request(raw)
            label = classify(op, docid, pkey, rid, status, headers, rbody)
            if op == "get404" and label not in ("404 NotFoundError", "503 database") \
                    and not label.endswith(" server"):
                label = "unexpected " + label
            elif op != "get404" and label.startswith("404"):
                label = "unexpected " + label
            problem = None
        except ConnError as e:
            label, problem = e.kind, str(e)
            conn.close()
        except Corrupt as e:
            label, problem = "corrupt", str(e)
            conn.close()
        except Exception as e:  # a bug of this client: never a silent pass
            label, problem = "harness_error", "%s: %s" % (type(e).__name__, e)
            conn.close()
        t1 = now()
        out.append((t0 - T0, t1 - T0, op, label, rid, pkey, problem))
        if label in ("conn_error", "connect_error"):
            time.sleep(0.01)  # lighttpd may be momentarily unreachable


# ---------------------------------------------------------------- run

def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def main():
    global T0
    results = []        # (name, ok, detail)

    def check(name, ok, detail):
        results.append((name, bool(ok), detail))

    ev = {}
    pids0 = worker_pids()
    print("load: %d connections, %.0f s, %d documents, workers %s; PostgreSQL down at "
          "%.0f s for %.0f s, SIGKILL of a worker at %.0f s"
          % (CONNS, SECONDS, NDOCS, pids0, OUTAGE_AT, OUTAGE_SECONDS, KILL_AT), flush=True)
    T0 = now()
    threads = []
    for i in range(CONNS):
        lst = []
        records.append(lst)
        th = threading.Thread(target=client, args=(i, lst), daemon=True)
        th.start()
        threads.append(th)

    def at(t):
        d = T0 + t - now()
        if d > 0:
            time.sleep(d)

    def mark(name):
        ev[name] = now() - T0
        print("load: %6.2f s  %s" % (ev[name], name), flush=True)

    try:
        # ---- PostgreSQL outage
        at(OUTAGE_AT)
        pids_before_outage = worker_pids()
        mark("pg_stop begins")
        stack("pg_stop")
        mark("pg_stop returned (PostgreSQL is down)")
        at(ev["pg_stop returned (PostgreSQL is down)"] + OUTAGE_SECONDS)
        mark("pg_start begins")
        stack("pg_start")
        mark("pg_start returned (PostgreSQL is up)")
        at(ev["pg_start returned (PostgreSQL is up)"] + 2.0)
        pids_after_outage = worker_pids()
        # ---- SIGKILL one worker
        at(KILL_AT)
        pids_before_kill = worker_pids()
        victim = pids_before_kill[len(pids_before_kill) // 2]
        mark("SIGKILL worker %d" % victim)
        ev["kill"] = ev["SIGKILL worker %d" % victim]
        os.kill(victim, signal.SIGKILL)
        pids_after_kill = None
        deadline = now() + 15
        while now() < deadline:
            p = worker_pids()
            if victim not in p and len(p) == len(pids_before_kill):
                pids_after_kill = p
                break
            time.sleep(0.05)
        if pids_after_kill is not None:
            mark("worker respawned: %s" % pids_after_kill)
            ev["respawn"] = ev["worker respawned: %s" % pids_after_kill]
        else:
            ev["respawn"] = now() - T0
            pids_after_kill = worker_pids()
            mark("no respawn within 15 s: %s" % pids_after_kill)
        at(SECONDS)
    finally:
        stop.set()
        for th in threads:
            th.join(TIMEOUT + 5)
    t_end = now() - T0
    alive = [th for th in threads if th.is_alive()]
    check("all client threads finished", not alive, "%d still running" % len(alive))
    pids_end = worker_pids()

    recs = [r for lst in records for r in lst]
    recs.sort(key=lambda r: r[0])
    n = len(recs)
    counts = {}
    for r in recs:
        counts[r[3]] = counts.get(r[3], 0) + 1
    print("load: %d requests in %.1f s (%.0f/s)" % (n, t_end, n / t_end))
    print("load: per status: " + ", ".join("%s: %d" % kv for kv in sorted(counts.items())))

    # ---- latencies (of responses received)
    answered = [r for r in recs if r[3][0].isdigit()]
    lat = [(r[1] - r[0]) * 1000 for r in answered]
    lat_ok = [(r[1] - r[0]) * 1000 for r in answered if r[3] == "200"]
    lat_steady = [(r[1] - r[0]) * 1000 for r in answered
                  if r[1] < ev["pg_stop begins"] or ev["pg_start returned (PostgreSQL is up)"] + 2 < r[0] < ev["kill"]]
    print("load: latency all responses p50 %.1f ms p99 %.1f ms max %.1f ms; 200s p50 %.1f ms "
          "p99 %.1f ms; steady phases (no fault) p50 %.1f ms p99 %.1f ms"
          % (pct(lat, 50), pct(lat, 99), max(lat) if lat else 0, pct(lat_ok, 50), pct(lat_ok, 99),
             pct(lat_steady, 50), pct(lat_steady, 99)))

    corrupt = [r for r in recs if r[3] == "corrupt"]
    for r in corrupt[:10]:
        print("load: corrupt response to %s at %.2f s: %s" % (r[4], r[0], r[6]))
    check("no corrupt response", not corrupt, "%d corrupt" % len(corrupt))
    # lighttpd's own 5xx (no X-Request-Id) are judged with the worker kill
    bad_status = [r for r in recs if r[3].startswith("unexpected")
                  or (r[3][0].isdigit() and r[3] not in (
                      "200", "404 NotFoundError", "503 database", "503 busy")
                      and not r[3].endswith(" server"))]
    for r in bad_status[:10]:
        print("load: unexpected status for %s (%s) at %.2f s: %s" % (r[4], r[2], r[0], r[3]))
    check("no 500 from the app and no unexpected status", not bad_status,
          "%d unexpected: %s" % (len(bad_status), sorted(set(r[3] for r in bad_status))))
    harness = [r for r in recs if r[3] == "harness_error"]
    for r in harness[:5]:
        print("load: client error on %s: %s" % (r[4], r[6]))
    check("the client itself raised no error", not harness, "%d" % len(harness))
    timeouts = [r for r in recs if r[3] == "timeout"]
    check("no request hung (%.0f s timeout)" % TIMEOUT, not timeouts, "%d timeouts" % len(timeouts))
    check("load held: every connection got answers", all(
        any(r[3] == "200" for r in lst) for lst in records), "")

    # ---- outage
    down0 = ev["pg_stop returned (PostgreSQL is down)"]
    down1 = ev["pg_start begins"]
    up = ev["pg_start returned (PostgreSQL is up)"]
    during = [r for r in recs if r[0] >= down0 and r[1] <= down1]
    not503 = [r for r in during if r[3] != "503 database"]
    cnt = {}
    for r in during:
        cnt[r[3]] = cnt.get(r[3], 0) + 1
    print("load: while PostgreSQL was down (%.2f..%.2f s): %d requests: %s" % (
        down0, down1, len(during), cnt))
    check("only 503 ServiceUnavailableError with Retry-After while PostgreSQL is down",
          during and not not503,
          "%d requests, %d others: %s" % (len(during), len(not503),
                                          [(r[4], r[3]) for r in not503[:5]]))
    ends = [r[1] for r in recs if r[1] >= up and r[3] == "200"]
    recovery = min(ends) - up if ends else float("inf")
    # a request sent after pg_start began may already be served
    late503 = [r for r in recs if r[0] > up + RECOVERY_MAX and r[3] == "503 database"]
    print("load: recovery: first 200 %.3f s after pg_start returned; %d database 503s for "
          "requests sent later than %.1f s after it" % (recovery, len(late503), RECOVERY_MAX))
    check("first 200 within %.1f s of PostgreSQL being back" % RECOVERY_MAX,
          recovery <= RECOVERY_MAX, "%.3f s" % recovery)
    check("full recovery: no database 503 later than %.1f s after PostgreSQL is back"
          % RECOVERY_MAX, not late503, "%d late 503s" % len(late503))
    # per worker: the app logs "database connected" with the request id of
    # the request that reconnected it; that request's end is the worker's
    # recovery.
    byrid = {r[4]: r for r in recs}
    per_worker = {}
    try:
        with open(APP_LOG, errors="replace") as f:
            for line in f:
                m = re.match(r"^docapi\[(\d+)\] \w+ \S+ rid=(lf-\S+) database connected", line)
                if not m or m.group(2) not in byrid:
                    continue
                r = byrid[m.group(2)]
                if r[0] < down0:
                    continue
                pid = int(m.group(1))
                if pid not in per_worker or r[1] < per_worker[pid][1]:
                    per_worker[pid] = r
    except OSError as e:
        print("load: cannot read %s: %s" % (APP_LOG, e))
    pw = {pid: (r[1] - up, r[3]) for pid, r in per_worker.items()}
    print("load: per worker, end of the request that reconnected it, relative to pg_start "
          "returning (negative: PostgreSQL accepted it before pg_ctl noticed): " + ", ".join(
              "pid %d %+.3f s (%s)" % (pid, t, lab) for pid, (t, lab) in sorted(pw.items())))
    missing_w = [p for p in pids_before_outage if p not in pw]
    slow_w = [p for p, (t, lab) in pw.items() if t > RECOVERY_MAX or lab != "200" and not lab.startswith("404")]
    check("every worker reconnected and answered within %.1f s" % RECOVERY_MAX,
          not missing_w and not slow_w,
          "not seen: %s, slow or failed: %s" % (missing_w, slow_w))
    errors_logged = 0
    try:
        with open(APP_LOG, errors="replace") as f:
            errors_logged = sum(1 for line in f if re.match(r"^docapi\[\d+\] error ", line))
    except OSError:
        pass
    check("the app logged no error record (no 500, no corrupt row)", errors_logged == 0,
          "%d error records in %s" % (errors_logged, APP_LOG))
    check("no worker restarted by the outage (PIDs before == after)",
          pids_before_outage == pids_after_outage,
          "%s -> %s" % (pids_before_outage, pids_after_outage))

    # ---- worker kill
    kill, respawn = ev["kill"], ev["respawn"]
    survivors = [p for p in pids_before_kill if p != victim]
    respawned = (victim not in pids_after_kill and len(pids_after_kill) == len(pids_before_kill)
                 and all(p in pids_after_kill for p in survivors))
    print("load: worker %d killed at %.2f s; lighttpd had %d workers again after %.2f s: %s"
          % (victim, kill, len(pids_after_kill), respawn - kill, pids_after_kill))
    check("lighttpd respawned the killed worker, the others kept running", respawned,
          "%s -> %s" % (pids_before_kill, pids_after_kill))
    check("workers at the end are those after the respawn", pids_end == pids_after_kill,
          "%s -> %s" % (pids_after_kill, pids_end))
    conn_level = [r for r in recs if r[3] in ("conn_error", "connect_error", "truncated")]
    server5xx = [r for r in recs if r[3].endswith(" server")]
    window = (kill - 0.5, respawn + 3.0)
    outside = [r for r in conn_level + server5xx
               if not (r[1] >= window[0] and r[0] <= window[1])]
    print("load: connection-level failures: %d (%s); lighttpd's own 5xx: %d (%s); outside "
          "the kill window: %d" % (
              len(conn_level), {k: sum(1 for r in conn_level if r[3] == k)
                                for k in set(r[3] for r in conn_level)},
              len(server5xx), {k: sum(1 for r in server5xx if r[3] == k)
                               for k in set(r[3] for r in server5xx)}, len(outside)))
    for r in outside[:5]:
        print("load:   outside the window: %s (%s) %.2f..%.2f s: %s %s" % (
            r[4], r[2], r[0], r[1], r[3], r[6] or ""))
    check("connection failures and lighttpd 5xx only for requests around the killed worker",
          not outside, "%d outside %.2f..%.2f s" % (len(outside), window[0], window[1]))
    after_kill_ok = sum(1 for r in recs if r[0] > respawn and r[3] == "200")
    check("requests succeed after the respawn", after_kill_ok > 0, "%d 200s" % after_kill_ok)

    # ---- the database: acknowledged keys present, refused ones absent
    out = stack("pg_psql", "-At", "-F", " ", "-c",
                "SELECT d.document_id, k FROM documents d, jsonb_object_keys(d.metadata) k "
                "WHERE d.document_id LIKE 'doc_lf%' AND k LIKE 'lf\\_%'")
    present = set()
    for line in out.splitlines():
        parts = line.split(" ")
        if len(parts) == 2:
            present.add((parts[0], parts[1]))
    patches = [r for r in recs if r[2] == "patch"]
    ack = [r for r in patches if r[3] == "200"]
    def app_answer(label):
        return label.startswith("unexpected") or (label[0].isdigit() and not label.endswith(" server"))
    # definite: the app's own error response, or never sent (connect failed)
    definite = [r for r in patches if r[3] != "200" and (app_answer(r[3]) or r[3] == "connect_error")]
    ambiguous = [r for r in patches if r[3] != "200" and not app_answer(r[3])
                 and r[3] != "connect_error"]
    missing = [r for r in ack if (r[5][0], r[5][1]) not in present]
    wrongly = [r for r in definite if (r[5][0], r[5][1]) in present]
    amb_present = sum(1 for r in ambiguous if (r[5][0], r[5][1]) in present)
    sent_keys = set((r[5][0], r[5][1]) for r in patches)
    foreign = [k for k in present if k not in sent_keys]
    print("load: PATCHes %d: acknowledged %d (present %d, missing %d); definite errors %d "
          "(key present: %d); ambiguous %d (present %d, absent %d); keys in the database %d "
          "(not sent by this run: %d)" % (
              len(patches), len(ack), len(ack) - len(missing), len(missing), len(definite),
              len(wrongly), len(ambiguous), amb_present, len(ambiguous) - amb_present,
              len(present), len(foreign)))
    for r in missing[:5]:
        print("load:   missing acknowledged key %s in %s (%s)" % (r[5][1], r[5][0], r[4]))
    for r in wrongly[:5]:
        print("load:   key %s of a refused PATCH (%s, %s) is in %s" % (r[5][1], r[4], r[3], r[5][0]))
    check("every acknowledged key is in the database", ack and not missing,
          "%d of %d missing" % (len(missing), len(ack)))
    check("no key of a PATCH with a definite error response is in the database", not wrongly,
          "%d present" % len(wrongly))
    check("no key the run did not send is in the database", not foreign, "%d" % len(foreign))

    print("load: SUMMARY requests=%d rate=%.0f/s statuses={%s} acknowledged=%d present=%d "
          "missing=%d definite_errors=%d unacknowledged_present=%d ambiguous=%d "
          "(present %d) conn_level=%d lighttpd_5xx=%d corrupt=%d recovery=%.3fs "
          "worker_recovery_max=%.3fs respawn=%.2fs p50=%.1fms p99=%.1fms" % (
              n, n / t_end, ", ".join("%s: %d" % kv for kv in sorted(counts.items())),
              len(ack), len(ack) - len(missing), len(missing), len(definite), len(wrongly),
              len(ambiguous), amb_present, len(conn_level), len(server5xx), len(corrupt),
              recovery, max([max(0.0, t) for t, _ in pw.values()] or [float("nan")]), respawn - kill,
              pct(lat, 50), pct(lat, 99)))
    for name, ok, detail in results:
        print("%s %s%s" % ("ok" if ok else "FAIL", name, (": " + detail) if (detail and not ok) else ""))
    npass = sum(1 for _, ok, _ in results if ok)
    return npass, len(results) - npass


if __name__ == "__main__":
    try:
        p, f = main()
    except Exception:  # a broken harness is a failure, not a pass
        import traceback
        traceback.print_exc()
        stop.set()
        p, f = 0, 1
    if f:
        for rel in ("lighttpd-main/error.log", "postgresql.log"):
            try:
                with open(os.path.join(STACK_TMP, rel), errors="replace") as fh:
                    tail = fh.readlines()[-10:]
            except OSError:
                continue
            print("----- last lines of %s" % rel)
            sys.stdout.write("".join(tail))
    print("%d passed, %d failed" % (p, f))
    sys.exit(0 if f == 0 else 1)
