#!/usr/bin/python3
"""Server-specific integration checks for docapi, run by run_matrix.sh after
test_api.py behind each web server (lighttpd, Apache mod_fcgid, Apache
mod_proxy_fcgi, Apache CGI, nginx), against the shipped configs.

Environment (set by run_matrix.sh):
  DOCAPI_TEST_BASE, DOCAPI_TEST_API_BASE, DOCAPI_TEST_SEED   as test_api.py
  DOCAPI_DEPLOY_SERVER    lighttpd | fcgid | proxy | cgi | nginx
  DOCAPI_DEPLOY_NAME      the server's name in scripts/servers.sh (or "main"
                          for stack.sh's lighttpd)
  DOCAPI_DEPLOY_STACK     the stack's real temp folder
  DOCAPI_DEPLOY_SERVERS_SH, DOCAPI_TEST_STACK_SH   the two script libraries
  STACK_TMP               where the summary goes; PG_BIN, PGHOST, PGPORT

Usage: test_deploy.py [-k SUBSTRING]... [-v]
Prints "ok NAME" / "FAIL NAME: reason" / "skip NAME: reason" per test and,
last, one line "N passed, M failed". Standard library only.
"""

import http.client
import json
import os
import random
import string
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

BASE = os.environ.get("DOCAPI_TEST_BASE", "")
API_BASE = os.environ.get("DOCAPI_TEST_API_BASE", "")
SERVER = os.environ.get("DOCAPI_DEPLOY_SERVER", "lighttpd")
NAME = os.environ.get("DOCAPI_DEPLOY_NAME", "main")
REAL_TMP = os.environ.get("DOCAPI_DEPLOY_STACK", os.environ.get("STACK_TMP", ""))
STACK_TMP = os.environ.get("STACK_TMP", "")
SERVERS_SH = os.environ.get("DOCAPI_DEPLOY_SERVERS_SH", "")
STACK_SH = os.environ.get("DOCAPI_TEST_STACK_SH", "")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
PGHOST = os.environ.get("PGHOST", "")
PGPORT = os.environ.get("PGPORT", "")
ADMIN = os.environ.get("DOCAPI_ADMIN", "")
SEED = {}
VERBOSE = False
NS = "production"
MIB = 1024 * 1024


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(a, b, what):
    if a != b:
        raise AssertionError("%s: got %r, expected %r" % (what, a, b))


class Resp:
    def __init__(self, status, headers, body, elapsed):
        self.status, self.headers, self.body, self.elapsed = status, headers, body, elapsed

    def header(self, name):
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(vals) if vals else None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except Exception as e:
            raise AssertionError("not JSON (%s; Content-Type %s): %r"
                                 % (e, self.header("Content-Type"), self.body[:300]))

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.header("Content-Type"), self.body[:300])


def request(method, path, headers=(), body=None, base=None, chunked=False, chunk=8192,
            timeout=30):
    """One request on a new connection. chunked=True sends the body with
    Transfer-Encoding: chunked in pieces of `chunk` bytes."""
    url = urllib.parse.urlsplit(base or BASE)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    if isinstance(body, str):
        body = body.encode("utf-8")
    t0 = time.time()
    try:
        conn.putrequest(method, url.path + path, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None:
            if chunked:
                conn.putheader("Transfer-Encoding", "chunked")
            else:
                conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body is not None:
            try:
                if chunked:
                    for i in range(0, len(body), chunk):
                        piece = body[i:i + chunk]
                        conn.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
                    conn.send(b"0\r\n\r\n")
                else:
                    conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer before reading everything
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, r.getheaders(), data, time.time() - t0)
    finally:
        conn.close()


def doc_path(doc, col=None, query=""):
    p = "/v1/collections/%s/documents/%s" % (col or SEED["col_articles"], doc)
    return p + ("?" + query if query else "")


def auth(key=None, ns=NS, ctype=None):
    h = [("Authorization", "Bearer " + (key or SEED["key_write"]))]
    if ns:
        h.append(("X-Namespace", ns))
    if ctype:
        h.append(("Content-Type", ctype))
    return h


def get(doc, timeout=30, **kw):
    return request("GET", doc_path(doc), auth(**kw), timeout=timeout)


def expect_ok(r):
    check(r.status == 200, "expected 200, got %r" % r)
    return r.json()


def expect_error(r, status, etype):
    check(r.status == status, "expected %d %s, got %r" % (status, etype, r))
    ct = (r.header("Content-Type") or "").split(";")[0].strip()
    eq(ct, "application/json", "Content-Type of the %d" % status)
    d = r.json()
    eq(d.get("status"), status, "status in the error body")
    eq((d.get("error") or {}).get("type"), etype, "error.type")
    return d


def run(cmd, timeout=60, check_rc=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise AssertionError("%s failed: %s" % (" ".join(cmd[:3]), p.stderr.decode(errors="replace")))
    return p.stdout.decode()


def servers(fn, *args):
    return run(["bash", SERVERS_SH, REAL_TMP, fn] + list(args), timeout=120)


def stack(fn, *args):
    return run(["bash", STACK_SH, REAL_TMP, fn] + list(args), timeout=120)


def worker_pids():
    if SERVER == "lighttpd":
        return [int(p) for p in stack("lighttpd_worker_pids", NAME).split()]
    return [int(p) for p in servers("srv_worker_pids", NAME).split()]


def server_pid():
    if SERVER == "lighttpd":
        return int(stack("lighttpd_pid", NAME).strip())
    return int(servers("srv_pid", NAME).strip())


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def psql_cmd():
    return [os.path.join(PG_BIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", PGHOST,
            "-p", PGPORT, "-U", "postgres", "-d", "docapi"]


def new_doc():
    """Imports a fresh document; returns its id."""
    doc_id = "doc_dep" + "".join(random.choice(string.ascii_lowercase + string.digits)
                                 for _ in range(14))
    d = {"document_id": doc_id, "document_schema_version": "v1", "root_object_id": "obj_d",
         "root_bucket_id": "bkt_d", "source_type": "bucket", "source_object_id": "obj_d",
         "lineage_path": "bkt_d/col_articles",
         "lineage": {"root_object_id": "obj_d", "root_bucket_id": "bkt_d",
                     "source_type": "bucket", "source_object_id": "obj_d", "lineage_chain": []},
         "source_blobs": [], "internal_metadata": {}, "metadata": {"title": "deploy"},
         "document_blobs": [], "created_at": "2025-10-18T10:30:00Z",
         "updated_at": "2025-10-18T10:30:00Z"}
    path = os.path.join(REAL_TMP or "/tmp", doc_id + ".ndjson")
    with open(path, "w") as f:
        f.write(json.dumps(d) + "\n")
    try:
        out = run([ADMIN, "import", "--collection", SEED["col_articles"], path])
    finally:
        os.unlink(path)
    eq(out.strip(), "1", "docapi-admin import output")
    return doc_id


class SlowRequest:
    """A GET that takes ~`hold` seconds: a psql session holds an ACCESS
    EXCLUSIVE lock on documents while the request runs."""

    def __init__(self, doc, hold=4.0):
        self.doc, self.hold = doc, hold
        self.result = None
        self.error = None

    def __enter__(self):
        sql = ("BEGIN; LOCK TABLE documents IN ACCESS EXCLUSIVE MODE; "
               "SELECT 'locked'; SELECT pg_sleep(%s); COMMIT;" % self.hold)
        self.locker = subprocess.Popen(psql_cmd() + ["-t", "-A", "-c", sql],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # wait until the lock is held
        deadline = time.time() + 5
        while time.time() < deadline:
            out = run(psql_cmd() + ["-t", "-A", "-c",
                                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                    "WHERE c.relname = 'documents' AND l.mode = 'AccessExclusiveLock' "
                                    "AND l.granted"])
            if out.strip() == "1":
                break
            time.sleep(0.05)
        else:
            raise AssertionError("could not lock the documents table")
        self.t = threading.Thread(target=self._run)
        self.t.start()
        time.sleep(0.8)  # the request is now inside the app, waiting for the lock
        return self

    def _run(self):
        try:
            self.result = get(self.doc, timeout=60)
        except Exception as e:  # noqa
            self.error = e

    def wait(self):
        self.t.join(60)
        self.locker.wait(30)
        check(self.error is None, "the slow request failed: %r" % (self.error,))
        return self.result

    def __exit__(self, *exc):
        self.t.join(60)
        if self.locker.poll() is None:
            self.locker.kill()
            self.locker.wait()


def wait_healthy(secs=20):
    deadline = time.time() + secs
    last = None
    while time.time() < deadline:
        try:
            last = request("GET", "/healthz", timeout=5)
            if last.status == 200:
                return
        except OSError as e:
            last = e
        time.sleep(0.2)
    raise AssertionError("server not healthy again within %ds: %r" % (secs, last))


def slow_request_survives(action, what):
    """Runs a ~3 s GET, calls action() while it is in flight, and checks the
    GET still gets its complete 200."""
    doc = new_doc()
    with SlowRequest(doc) as s:
        info = action()
        r = s.wait()
    d = expect_ok(r)
    eq(d.get("document_id"), doc, "document_id of the slow request after %s" % what)
    check(r.elapsed >= 1.5, "the request was not slow (%.2fs): the test proves nothing" % r.elapsed)
    return info


# ------------------------------------------------------------------ tests

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def authorization_reaches_app():
    # a valid key works: the shipped config passes Authorization
    d = expect_ok(get("doc_seed1", key=SEED["key_read"]))
    eq(d.get("document_id"), "doc_seed1", "document_id")
    # no header: 401 from the app (JSON), with the Bearer challenge
    r = request("GET", doc_path("doc_seed1"), [("X-Namespace", NS)])
    expect_error(r, 401, "UnauthorizedError")
    check("Bearer" in (r.header("WWW-Authenticate") or ""), "no WWW-Authenticate: Bearer")
    # the same through the /api mount
    if API_BASE:
        expect_ok(request("GET", doc_path("doc_seed1"), auth(key=SEED["key_read"]), base=API_BASE))


@test
def chunked_small_body_applied():
    doc = new_doc()
    body = json.dumps({"metadata": {"chunked": "small"}})
    r = request("PATCH", doc_path(doc), auth(ctype="application/merge-patch+json"), body,
                chunked=True, chunk=7)
    d = expect_ok(r)
    eq(d["metadata"].get("chunked"), "small", "metadata.chunked after a chunked PATCH")
    eq(expect_ok(get(doc))["metadata"].get("chunked"), "small", "stored value")


@test
def chunked_large_body_applied():
    # 300 KiB: above mod_proxy_fcgi's ~16 KB prefetch (streamed without
    # CONTENT_LENGTH there) and above mod_fcgid's default 128 KiB limit
    doc = new_doc()
    big = "x" * (300 * 1024)
    body = json.dumps({"metadata": {"big": big, "end": "marker"}})
    r = request("PATCH", doc_path(doc), auth(ctype="application/merge-patch+json"), body,
                chunked=True)
    d = expect_ok(r)
    eq(len(d["metadata"].get("big", "")), len(big), "length of metadata.big after a chunked PATCH")
    eq(d["metadata"].get("end"), "marker", "metadata.end")


@test
def chunked_body_over_limit_json_413():
    doc = new_doc()
    before = expect_ok(get(doc))
    body = json.dumps({"metadata": {"big": "y" * (1536 * 1024)}})
    r = request("PATCH", doc_path(doc), auth(ctype="application/merge-patch+json"), body,
                chunked=True)
    expect_error(r, 413, "PayloadTooLargeError")
    eq(expect_ok(get(doc)), before, "document after the refused chunked PATCH")


@test
def body_1_5_mib_json_413():
    doc = new_doc()
    before = expect_ok(get(doc))
    body = json.dumps({"metadata": {"big": "z" * (1536 * 1024)}})
    r = request("PATCH", doc_path(doc), auth(ctype="application/merge-patch+json"), body)
    expect_error(r, 413, "PayloadTooLargeError")
    eq(expect_ok(get(doc)), before, "document after the refused PATCH")


@test
def body_just_under_1_mib_accepted():
    doc = new_doc()
    pad = MIB - 200
    body = json.dumps({"metadata": {"pad": "p" * pad}})
    check(len(body) <= MIB, "test body too big")
    d = expect_ok(request("PATCH", doc_path(doc), auth(ctype="application/json"), body))
    eq(len(d["metadata"].get("pad", "")), pad, "length of metadata.pad")


@test
def body_over_server_limit_413():
    # 3 MiB: above the shipped configs' server limits (2 MiB; mod_fcgid
    # 16 MiB, so docapi answers there). Whoever answers, it is the API's
    # JSON 413: lighttpd's errorfile-prefix, Apache's ErrorDocument (cgi:
    # LimitRequestBody), nginx's error_page, docapi itself (proxy, fcgid).
    body = b'{"metadata":{"big":"' + b"w" * (3 * MIB) + b'"}}'
    r = request("PATCH", doc_path("doc_seed2"), auth(ctype="application/json"), body)
    expect_error(r, 413, "PayloadTooLargeError")


@test
def encoded_slash_in_id_reaches_app():
    # AllowEncodedSlashes NoDecode (Apache): the app answers, in JSON
    r = request("GET", "/v1/collections/%s/documents/doc%%2Fslash" % SEED["col_articles"],
                auth())
    d = expect_error(r, 404, "NotFoundError")
    eq((d["error"].get("details") or {}).get("resource"), "document", "details.resource")


@test
def underscore_header_never_spoofs_namespace():
    # X_Namespace: lighttpd folds it into HTTP_X_NAMESPACE (the app sees the
    # name twice: 400); Apache and nginx drop it (the app sees only the real
    # X-Namespace). Either way the staging-limited key never reaches
    # production.
    r = request("GET", doc_path("doc_seed1"),
                [("Authorization", "Bearer " + SEED["key_staging"]),
                 ("X_Namespace", "production"), ("X-Namespace", "staging")])
    check(r.status in (400, 404), "expected 400 or 404, got %r" % r)
    if SERVER == "lighttpd":
        eq(r.status, 400, "lighttpd passes X_Namespace: status")
    # X-Namespace twice: nginx sends two params, Apache joins them with ", ",
    # lighttpd too: never served from one of the two
    r = request("GET", doc_path("doc_seed1"),
                [("Authorization", "Bearer " + SEED["key_write"]),
                 ("X-Namespace", "production"), ("X-Namespace", "staging")])
    check(r.status in (400, 404), "X-Namespace twice: expected 400 or 404, got %r" % r)


@test
def openapi_served_without_auth():
    r = request("GET", "/v1/openapi.json")
    if r.status == 404:
        raise Skip("binary without GET /v1/openapi.json")
    d = expect_ok(r)
    check(str(d.get("openapi", "")).startswith("3."), "no openapi 3.x version: %r" % d.get("openapi"))
    check("/v1/collections/{collection_identifier}/documents/{document_id}" in d.get("paths", {}),
          "document path missing from the OpenAPI document")


@test
def fastcgi_socket_not_public():
    # every listening socket of the app's processes is loopback or unix
    pids = worker_pids() if SERVER != "cgi" else []
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                try:
                    t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                except OSError:
                    continue
                if t.startswith("socket:["):
                    inodes.add(t[8:-1])
        except OSError:
            pass
    bad = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            p = line.split()
            local, state, inode = p[1], p[3], p[9]
            if state != "0A" or inode not in inodes:  # 0A = LISTEN
                continue
            addr = local.split(":")[0]
            if addr not in ("0100007F", "00000000000000000000000001000000"):
                bad.append(local)
    check(not bad, "FastCGI socket listening beyond loopback: %r" % bad)


@test
def cgi_database_outage_503_then_recovers():
    if SERVER != "cgi":
        raise Skip("test_api.py's outage test covers the FastCGI servers")
    doc = new_doc()
    expect_ok(get(doc))
    stack("pg_stop")
    try:
        r = get(doc)
        expect_error(r, 503, "ServiceUnavailableError")
        check(r.header("Retry-After"), "503 without Retry-After")
    finally:
        stack("pg_start")
    deadline = time.time() + 10
    while time.time() < deadline and get(doc).status != 200:
        time.sleep(0.2)
    expect_ok(get(doc))


@test
def fcgid_recycling_never_cuts_a_request():
    if SERVER != "fcgid":
        raise Skip("mod_fcgid only")
    # a second Apache with FcgidMaxRequestsPerProcess 2: processes are
    # retired all the time while requests keep coming
    env = dict(os.environ, SRV_FCGID_MAX_REQUESTS="2", DOCAPI_PROCS="2", STACK_QUIET="1")
    subprocess.run(["bash", "-c", '. "$1" && stack_attach "$2" && srv_start fcgid recycle',
                    "servers", SERVERS_SH, REAL_TMP],
                   env=env, check=True, timeout=60, stdout=subprocess.DEVNULL)
    try:
        base = servers("srv_url", "recycle").strip()
        doc = new_doc()
        results = []

        def worker(n):
            for i in range(n):
                results.append(request("GET", doc_path(doc), auth(), base=base, timeout=60))
        ts = [threading.Thread(target=worker, args=(6,)) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        bad = [r for r in results if r.status != 200]
        eq(len(results), 12, "responses")
        check(not bad, "requests cut or failed while recycling: %r" % bad[:3])
        log = open(servers("srv_app_log", "recycle").strip(), errors="replace").read()
        check("exiting" in log or "exit" in log,
              "no worker exited: FcgidMaxRequestsPerProcess 2 had no effect?")
    finally:
        servers("srv_stop", "recycle")


@test
def shipped_lighttpd_config():
    if SERVER != "lighttpd":
        raise Skip("lighttpd only")
    # stack.sh's lighttpd writes its own config; this runs the shipped
    # conf/lighttpd/docapi.conf (max-request-size 2 MiB, breakagelog)
    env = dict(os.environ, STACK_QUIET="1")
    subprocess.run(["bash", "-c", '. "$1" && stack_attach "$2" && srv_start lighttpd-conf shipped',
                    "servers", SERVERS_SH, REAL_TMP],
                   env=env, check=True, timeout=60, stdout=subprocess.DEVNULL)
    try:
        base = servers("srv_url", "shipped").strip()
        expect_ok(request("GET", doc_path("doc_seed1"), auth(key=SEED["key_read"]), base=base))
        doc = new_doc()
        r = request("PATCH", doc_path(doc), auth(ctype="application/merge-patch+json"),
                    json.dumps({"metadata": {"via": "shipped"}}), base=base, chunked=True, chunk=5)
        eq(expect_ok(r)["metadata"].get("via"), "shipped", "chunked PATCH via the shipped config")
        big = json.dumps({"metadata": {"big": "q" * (1536 * 1024)}})
        for chunked in (False, True):
            expect_error(request("PATCH", doc_path(doc), auth(ctype="application/json"), big,
                                 base=base, chunked=chunked), 413, "PayloadTooLargeError")
        huge = b'{"metadata":{"big":"' + b"h" * (3 * MIB) + b'"}}'
        eq(request("PATCH", doc_path(doc), auth(ctype="application/json"), huge, base=base).status,
           413, "status of a 3 MiB body (server.max-request-size)")
        log = open(servers("srv_app_log", "shipped").strip(), errors="replace").read()
        check("database connected" in log or "docapi" in log,
              "nothing in server.breakagelog: the app's log is lost")
    finally:
        servers("srv_stop", "shipped")


@test
def graceful_restart_during_slow_request():
    pid = server_pid()
    if SERVER == "lighttpd":
        sig, what = 10, "lighttpd graceful restart (SIGUSR1)"   # SIGUSR1
    elif SERVER == "nginx":
        sig, what = 1, "nginx reload (SIGHUP)"
    else:
        sig, what = 10, "Apache graceful restart (SIGUSR1)"
    slow_request_survives(lambda: os.kill(pid, sig), what)
    wait_healthy()
    if SERVER == "lighttpd":
        # lighttpd re-execs itself on a graceful restart: same PID
        check(alive(pid), "lighttpd gone after the graceful restart")


def _signal_workers(sig):
    # (under load a plain CGI process may take a moment to appear)
    deadline = time.time() + 3
    pids = worker_pids()
    while not pids and time.time() < deadline:
        time.sleep(0.1)
        pids = worker_pids()
    check(pids, "no docapi.fcgi process found while the request is in flight")
    for p in pids:
        os.kill(p, sig)
    return pids


def _after_worker_signal(pids, sig_name):
    # the signalled processes exit (after finishing their request)
    deadline = time.time() + 10
    while time.time() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    check(not any(alive(p) for p in pids), "workers %r still alive 10 s after %s" % (pids, sig_name))
    if SERVER in ("proxy", "nginx"):
        # nobody supervises a standalone docapi: start it again
        servers("srv_backend_restart", NAME)
    wait_healthy()


@test
def sigusr1_to_workers_during_slow_request():
    pids = slow_request_survives(lambda: _signal_workers(10), "SIGUSR1 to the workers")
    if SERVER == "cgi":
        return  # the CGI process exits after its one request anyway
    _after_worker_signal(pids, "SIGUSR1")


@test
def sigterm_to_workers_during_slow_request():
    pids = slow_request_survives(lambda: _signal_workers(15), "SIGTERM to the workers")
    if SERVER == "cgi":
        return
    _after_worker_signal(pids, "SIGTERM")


# ----------------------------------------------- the servers' own errors
#
# Errors the web server answers itself, before or instead of the app, must
# be the contract's JSON error body too (status, Content-Type, error.type;
# X-Request-Id where the server can set one). Behind "lighttpd" they run
# against the shipped conf/lighttpd/docapi.conf (stack.sh's lighttpd has
# the same errorfile settings), elsewhere against the matrix's server.

def expect_server_error(r, status, etype, what):
    try:
        d = expect_error(r, status, etype)
    except AssertionError as e:
        raise AssertionError("%s: %s" % (what, e))
    check(isinstance(d.get("error", {}).get("message"), str) and d["error"]["message"],
          "%s: no error.message" % what)
    eq(d.get("success"), False, "%s: success" % what)
    if SERVER != "lighttpd":  # lighttpd 1.4 cannot add a per-request header
        check(r.header("X-Request-Id"), "%s: no X-Request-Id on %r" % (what, r))
    return d


_err_srv = {}


def err_server(variant="plain", kind=None, **env):
    """A second server of this kind from the shipped config (lighttpd: the
    shipped file), started once per variant; returns its base URL."""
    if variant in _err_srv:
        return _err_srv[variant]
    name = "err-" + variant
    kind = kind or ("lighttpd-conf" if SERVER == "lighttpd" else SERVER)
    e = dict(os.environ, STACK_QUIET="1", DOCAPI_PROCS="1", DOCAPI_THREADS="2")
    e.update(env)
    subprocess.run(["bash", "-c", '. "$1" && stack_attach "$2" && srv_start "$3" "$4"',
                    "servers", SERVERS_SH, REAL_TMP, kind, name],
                   env=e, check=True, timeout=60, stdout=subprocess.DEVNULL)
    base = servers("srv_url", name).strip()
    _err_srv[variant] = base
    return base


def err_servers_stop():
    for variant in list(_err_srv):
        try:
            servers("srv_stop", "err-" + variant)
        except Exception:  # noqa
            pass
        del _err_srv[variant]


def shipped_base():
    return err_server() if SERVER == "lighttpd" else BASE


@test
def server_error_json_body_over_server_limit():
    # 17 MiB with Content-Length: above every shipped server limit (2 MiB;
    # mod_fcgid 16 MiB, refused by mod_rewrite before mod_fcgid reads it)
    body = b'{"metadata":{"big":"' + b"v" * (17 * MIB) + b'"}}'
    r = request("PATCH", doc_path("doc_seed2"), auth(ctype="application/json"), body,
                base=shipped_base(), timeout=10)
    expect_server_error(r, 413, "PayloadTooLargeError", "17 MiB body")


@test
def server_error_json_nul_in_path():
    # lighttpd and nginx refuse %00 while parsing the target (400); Apache
    # while decoding the path (404, util.c unescape_url "badpath")
    r = request("GET", "/v1/collections/%s/documents/a%%00b" % SEED["col_articles"],
                auth(), base=shipped_base(), timeout=5)
    if SERVER in ("lighttpd", "nginx"):
        expect_server_error(r, 400, "BadRequestError", "%00 in the path")
    else:
        expect_server_error(r, 404, "NotFoundError", "%00 in the path")


@test
def server_error_json_get_with_body():
    # lighttpd refuses a GET with a body (400, "GET/HEAD with
    # content-length"); Apache and nginx pass it to the app, which answers
    # in JSON too
    r = request("GET", doc_path("doc_seed1"), auth(ctype="application/json"), "{}",
                base=shipped_base(), timeout=5)
    if SERVER == "lighttpd":
        expect_server_error(r, 400, "BadRequestError", "GET with a body")
    else:
        ct = (r.header("Content-Type") or "").split(";")[0].strip()
        eq(ct, "application/json", "Content-Type of a GET with a body (%r)" % r)
        d = r.json()
        if r.status >= 300:
            eq(d.get("status"), r.status, "status in the error body")


@test
def server_error_json_uri_too_long():
    # 70,000 bytes of path: over every server's request-line limit (lighttpd
    # counts it in its 64 KiB header limit: 431; Apache LimitRequestLine and
    # nginx large_client_header_buffers: 414)
    path = "/v1/collections/%s/documents/%s" % (SEED["col_articles"], "u" * 70000)
    r = request("GET", path, auth(), base=shipped_base(), timeout=5)
    if SERVER == "lighttpd":
        expect_server_error(r, 431, "RequestHeaderFieldsTooLargeError", "70 kB URI")
    else:
        expect_server_error(r, 414, "URITooLongError", "70 kB URI")


@test
def server_error_json_header_too_long():
    # one 70,000-byte header: lighttpd 431; nginx 494 (sent as 431 by the
    # shipped error_page); Apache 400 (LimitRequestFieldSize; Apache 2.4
    # never sends 431)
    r = request("GET", doc_path("doc_seed1"), auth() + [("X-Big", "h" * 70000)],
                base=shipped_base(), timeout=5)
    if SERVER in ("fcgid", "proxy", "cgi"):
        expect_server_error(r, 400, "BadRequestError", "70 kB header")
    else:
        expect_server_error(r, 431, "RequestHeaderFieldsTooLargeError", "70 kB header")


@test
def server_error_json_app_down():
    # lighttpd: a fastcgi socket with no app behind it (503); nginx and
    # mod_proxy_fcgi: the standalone backend stopped (502, 503); mod_fcgid
    # and CGI: a program that exits before it answers (500)
    try:
        base = err_server("dead", SRV_DEAD_BACKEND="1")
        if SERVER in ("nginx", "proxy"):
            servers("srv_stop", "err-dead-backend")
        r = request("GET", doc_path("doc_seed1"), auth(), base=base, timeout=10)
        want = {"lighttpd": (503, "ServiceUnavailableError"),
                "nginx": (502, "BadGatewayError"),
                "proxy": (503, "ServiceUnavailableError"),
                "fcgid": (500, "InternalServerError"),
                "cgi": (500, "InternalServerError")}[SERVER]
        expect_server_error(r, want[0], want[1], "app down")
        if want[0] == 503 and SERVER != "lighttpd":
            check(r.header("Retry-After"), "503 without Retry-After: %r" % r)
    finally:
        err_servers_stop()


@test
def server_error_json_app_too_slow():
    # the server's timeout for the app lowered to 1 s (lighttpd read-timeout,
    # nginx fastcgi_read_timeout, ProxyTimeout, CGIDScriptTimeout: 504;
    # FcgidIOTimeout: mod_fcgid's 500) while the app waits for a table lock
    try:
        base = err_server("slow", SRV_TIMEOUT="1")
        expect_ok(request("GET", doc_path("doc_seed1"), auth(), base=base, timeout=10))
        sql = ("BEGIN; LOCK TABLE documents IN ACCESS EXCLUSIVE MODE; "
               "SELECT pg_sleep(4); COMMIT;")
        locker = subprocess.Popen(psql_cmd() + ["-t", "-A", "-c", sql],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 5
            while time.time() < deadline:
                out = run(psql_cmd() + ["-t", "-A", "-c",
                                        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON "
                                        "c.oid = l.relation WHERE c.relname = 'documents' AND "
                                        "l.mode = 'AccessExclusiveLock' AND l.granted"])
                if out.strip() == "1":
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("could not lock the documents table")
            r = request("GET", doc_path("doc_seed1"), auth(), base=base, timeout=8)
        finally:
            locker.wait(10)
        if SERVER == "fcgid":
            expect_server_error(r, 500, "InternalServerError", "app too slow")
        else:
            expect_server_error(r, 504, "GatewayTimeoutError", "app too slow")
        check(r.elapsed < 5, "the timeout took %.1fs" % r.elapsed)
    finally:
        err_servers_stop()


@test
def server_error_files_not_served_directly():
    # the error files are only error pages: asked for directly, an error
    if SERVER == "lighttpd":
        raise Skip("lighttpd reads them from disk; they have no URL")
    r = request("GET", "/_docapi/errors/400.json", timeout=5)
    check(r.status in (403, 404), "GET /_docapi/errors/400.json: %r" % r)
    expect_server_error(r, r.status, {403: "ForbiddenError", 404: "NotFoundError"}[r.status],
                        "direct GET of an error file")


@test
def htaccess_server_errors_json():
    # the shared-hosting variants (conf/apache/htaccess-fcgid, -cgi) in a
    # folder /api of a vhost that only allows overrides. From .htaccess
    # ErrorDocument covers what Apache decides after reading it (not %00,
    # a bad request line or header: before any .htaccess is read).
    if SERVER not in ("fcgid", "cgi"):
        raise Skip("the .htaccess variants are for Apache with mod_fcgid or plain CGI")
    kind = "htaccess-" + SERVER
    try:
        base = err_server("htaccess", kind=kind)
        d = expect_ok(request("GET", doc_path("doc_seed1"), auth(key=SEED["key_read"]),
                              base=base, timeout=10))
        eq(d.get("document_id"), "doc_seed1", "document_id through the shipped .htaccess")
        r = request("GET", "/errors/400.json", base=base, timeout=5)
        expect_server_error(r, 403, "ForbiddenError", "direct GET of an error file (.htaccess)")
        if SERVER == "fcgid":
            # 200 KiB: over the host's default FcgidMaxRequestLen (128 KiB),
            # which answers 500; the .htaccess refuses it first with a 413
            body = json.dumps({"metadata": {"big": "k" * (200 * 1024)}})
            r = request("PATCH", doc_path("doc_seed2"), auth(ctype="application/json"), body,
                        base=base, timeout=10)
            expect_server_error(r, 413, "PayloadTooLargeError", "200 KiB body (.htaccess)")
        dead = err_server("htaccess-dead", kind=kind, SRV_DEAD_BACKEND="1")
        r = request("GET", doc_path("doc_seed1"), auth(), base=dead, timeout=10)
        expect_server_error(r, 500, "InternalServerError", "app failing (.htaccess)")
    finally:
        err_servers_stop()


@test
def htaccess_create_200_with_location():
    # A create's 200 carries Location; Apache's CGI handlers take that for a
    # CGI redirect unless the app sends it under another name
    # (DOCAPI_LOCATION_HEADER) that mod_headers renames back: the shipped
    # .htaccess does both.
    if SERVER not in ("fcgid", "cgi"):
        raise Skip("the .htaccess variants are for Apache with mod_fcgid or plain CGI")
    try:
        base = err_server("htaccess", kind="htaccess-" + SERVER)
        prefix = urllib.parse.urlsplit(base).path.rstrip("/")
        doc = "doc_deploy%d" % random.randrange(10 ** 12)
        body = json.dumps({"collection_id": SEED["col_articles"], "document_id": doc,
                           "metadata": {"via": "htaccess"}})
        r = request("POST", "/v1/collections/%s/documents" % SEED["col_articles"],
                    auth(ctype="application/json"), body, base=base, timeout=10)
        d = expect_ok(r)
        eq(d.get("document_id"), doc, "created through the shipped .htaccess")
        eq(r.header("Location"), "%s/v1/collections/%s/documents/%s"
           % (prefix, SEED["col_articles"], doc), "Location through the .htaccess")
        eq(r.header("Docapi-Location"), None, "the app's name for it is not passed on")
        eq(expect_ok(request("GET", doc_path(doc), auth(), base=base, timeout=10))["metadata"],
           {"via": "htaccess"}, "stored")
    finally:
        err_servers_stop()


# ------------------------------------------------------------------ runner

def main(argv):
    global VERBOSE, SEED
    filters = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "-k" and args:
            filters.append(args.pop(0))
        elif a == "-v":
            VERBOSE = True
        elif a in ("-l", "--list"):
            for t in TESTS:
                print(t.__name__)
            return 0
        elif a == "-x":
            pass
        else:
            print("usage: test_deploy.py [-k SUBSTRING]... [-v]", file=sys.stderr)
            return 2
    if not BASE or not os.environ.get("DOCAPI_TEST_SEED"):
        print("test_deploy.py: run me through tests/integration/run_matrix.sh", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    with open(os.environ["DOCAPI_TEST_SEED"]) as f:
        SEED = json.load(f)
    passed = failed = 0
    failures = []
    for t in TESTS:
        name = t.__name__
        if filters and not any(f in name for f in filters):
            continue
        t0 = time.time()
        try:
            t()
        except Skip as e:
            print("skip %s: %s" % (name, e), flush=True)
            continue
        except Exception as e:  # noqa
            failed += 1
            reason = str(e) if isinstance(e, AssertionError) else "%s: %s" % (type(e).__name__, e)
            print("FAIL %s [%s]: %s" % (name, SERVER, reason.replace("\n", "\n    ")), flush=True)
            if VERBOSE or not isinstance(e, AssertionError):
                traceback.print_exc(file=sys.stdout)
            failures.append(name)
            continue
        passed += 1
        print("ok %s (%.2fs)" % (name, time.time() - t0) if VERBOSE else "ok %s" % name, flush=True)
    err_servers_stop()
    if failures:
        print("failed: " + " ".join(failures))
    summary = "%d passed, %d failed" % (passed, failed)
    if STACK_TMP:
        try:
            with open(os.path.join(STACK_TMP, "deploy-summary"), "w") as f:
                f.write(summary + "\n")
        except OSError:
            pass
    print(summary, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
