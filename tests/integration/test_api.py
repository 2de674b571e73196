#!/usr/bin/python3
"""Integration tests for docapi: real lighttpd, real PostgreSQL.

Started by tests/integration/run.sh, which builds the stack, seeds it through
docapi-admin and passes its coordinates in the environment:

  DOCAPI_TEST_BASE      http://127.0.0.1:PORT       (app mounted at /)
  DOCAPI_TEST_API_BASE  http://127.0.0.1:PORT2/api  (app mounted at /api)
  DOCAPI_TEST_SEED      seed.json (ids and keys)
  DOCAPI_TEST_STACK_SH  scripts/stack.sh (to stop/start PostgreSQL)
  STACK_TMP, PG_BIN, PGHOST, PGPORT, DOCAPI_ADMIN, DOCAPI_CONF

Usage: test_api.py [-k SUBSTRING]... [-v] [-x]
Prints "ok NAME" or "FAIL NAME: reason" per test and, last, exactly one line
"N passed, M failed". Exit status 1 if any test failed.

Standard library only.
"""

import http.client
import json
import os
import random
import re
import string
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

# --------------------------------------------------------------- settings

BASE = os.environ.get("DOCAPI_TEST_BASE", "")
API_BASE = os.environ.get("DOCAPI_TEST_API_BASE", "")
# Which server fronts the app (set by run_matrix.sh); "" means run.sh's lighttpd.
SERVER = os.environ.get("DOCAPI_TEST_SERVER", "")
STACK_TMP = os.environ.get("STACK_TMP", "")
STACK_SH = os.environ.get("DOCAPI_TEST_STACK_SH", "")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
PGHOST = os.environ.get("PGHOST", "")
PGPORT = os.environ.get("PGPORT", "")
ADMIN = os.environ.get("DOCAPI_ADMIN", "")
SEED = {}
VERBOSE = False

NS = "production"
DEFAULT = object()  # "use the default" marker for keyword arguments
BODY_LIMIT = 1048576


class Skip(Exception):
    pass


# ------------------------------------------------------------------- HTTP

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name):
        name = name.lower()
        vals = [v for k, v in self.headers if k.lower() == name]
        return ", ".join(vals) if vals else None

    def json(self, ordered=False):
        try:
            if ordered:
                return json.loads(self.body.decode("utf-8"),
                                  object_pairs_hook=lambda p: p)
            return json.loads(self.body.decode("utf-8"))
        except Exception as e:
            raise AssertionError("response body is not JSON (%s): %r"
                                 % (e, self.body[:300]))

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:400])


def request(method, path, headers=(), body=None, base=None, timeout=30):
    """Sends one request on a new connection. headers: list of (name, value),
    duplicates allowed. body: bytes, str, or a JSON value (dict/list)."""
    url = urllib.parse.urlsplit(base or BASE)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        conn.putrequest(method, url.path + path, skip_accept_encoding=True)
        names = set()
        for k, v in headers:
            conn.putheader(k, v)
            names.add(k.lower())
        if body is not None and "content-length" not in names:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, r.getheaders(), data)
    finally:
        conn.close()


def doc_path(col, doc, query=""):
    p = "/v1/collections/%s/documents/%s" % (col, doc)
    return p + ("?" + query if query else "")


def api(method, doc, col=DEFAULT, key=DEFAULT, ns=DEFAULT, body=None,
        ctype=DEFAULT, query="", headers=(), base=None, timeout=30):
    """A document request. key=None: no Authorization; ns=None: no
    X-Namespace; ctype=None: no Content-Type (default: merge patch when a
    body is sent)."""
    if col is DEFAULT:
        col = SEED["col_articles"]
    if key is DEFAULT:
        key = SEED["key_write"]
    if ns is DEFAULT:
        ns = NS
    h = []
    if key is not None:
        h.append(("Authorization", "Bearer " + key))
    if ns is not None:
        h.append(("X-Namespace", ns))
    if ctype is DEFAULT:
        ctype = "application/merge-patch+json" if body is not None else None
    if ctype is not None:
        h.append(("Content-Type", ctype))
    h.extend(headers)
    return request(method, doc_path(col, doc, query), h, body, base, timeout)


def get(doc, **kw):
    return api("GET", doc, **kw)


def patch(doc, body, **kw):
    return api("PATCH", doc, body=body, **kw)


# -------------------------------------------------------------- assertions

def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what="value"):
    if got != want:
        raise AssertionError("%s: expected %r, got %r" % (what, want, got))


def common_headers(r):
    rid = r.header("X-Request-Id")
    check(rid, "response %d has no X-Request-Id" % r.status)


def is_json_ctype(r):
    ct = (r.header("Content-Type") or "").lower()
    return ct.split(";")[0].strip() == "application/json"


def expect_ok(r, status=200):
    """2xx with a JSON document body (unless 204/304). Returns the body."""
    if r.status != status:
        raise AssertionError("expected %d, got %d: %r" % (status, r.status, r.body[:500]))
    common_headers(r)
    if status in (204, 304):
        eq(r.body, b"", "body of a %d" % status)
        return None
    check(is_json_ctype(r), "Content-Type is %r, expected application/json"
          % r.header("Content-Type"))
    return r.json()


def expect_error(r, status, etype, details=None):
    """Contract section 2 error body. Returns the parsed body."""
    if r.status != status:
        raise AssertionError("expected %d %s, got %d: %r"
                             % (status, etype, r.status, r.body[:500]))
    common_headers(r)
    check(is_json_ctype(r), "error %d has Content-Type %r, expected application/json"
          % (status, r.header("Content-Type")))
    b = r.json()
    check(isinstance(b, dict), "error body is not an object: %r" % b)
    eq(b.get("success"), False, "error body 'success'")
    eq(b.get("status"), status, "error body 'status'")
    err = b.get("error")
    check(isinstance(err, dict), "error body has no 'error' object: %r" % b)
    eq(err.get("type"), etype, "error.type")
    check(isinstance(err.get("message"), str) and err["message"],
          "error.message missing or empty: %r" % b)
    if "details" in err:
        check(err["details"] is None or isinstance(err["details"], (dict, list)),
              "error.details has the wrong type: %r" % b)
    if details is not None:
        got = err.get("details")
        check(isinstance(got, dict), "error.details missing: %r" % b)
        for k, v in details.items():
            eq(got.get(k), v, "error.details.%s" % k)
    if status == 401:
        wa = r.header("WWW-Authenticate") or ""
        check(wa.split(" ")[0].lower() == "bearer",
              "401 without 'WWW-Authenticate: Bearer' (got %r)" % wa)
    if status == 405:
        check(r.header("Allow"), "405 without an Allow header")
    if status == 503:
        ra = r.header("Retry-After")
        check(ra and ra.strip().isdigit(), "503 without a numeric Retry-After (got %r)" % ra)
    return b


def expect_422(r, *locs):
    """FastAPI-shaped 422; every loc given must be a prefix of some item's
    loc. Returns the detail list."""
    if r.status != 422:
        raise AssertionError("expected 422, got %d: %r" % (r.status, r.body[:500]))
    common_headers(r)
    check(is_json_ctype(r), "422 has Content-Type %r" % r.header("Content-Type"))
    b = r.json()
    check(isinstance(b, dict) and isinstance(b.get("detail"), list) and b["detail"],
          "422 body is not {\"detail\": [...]}: %r" % b)
    for item in b["detail"]:
        check(isinstance(item, dict), "422 detail item not an object: %r" % item)
        loc = item.get("loc")
        check(isinstance(loc, list) and loc and loc[0] in ("body", "query", "path", "header"),
              "422 detail item has a bad loc: %r" % item)
        check(isinstance(item.get("msg"), str) and item["msg"], "422 item without msg: %r" % item)
        check(isinstance(item.get("type"), str) and item["type"], "422 item without type: %r" % item)
    for want in locs:
        want = list(want)
        if not any(item["loc"][:len(want)] == want for item in b["detail"]):
            raise AssertionError("422 does not name loc %r: %r" % (want, b["detail"]))
    return b["detail"]


def etag_of(r):
    e = r.header("ETag")
    check(e, "response %d has no ETag" % r.status)
    check(re.match(r'^(W/)?"[^"]+"$', e), "ETag %r is not a quoted string" % e)
    return e


def version_of(r):
    e = etag_of(r)
    v = e.split('"')[1]
    try:
        return int(v)
    except ValueError:
        raise AssertionError("ETag %r does not hold an integer version" % e)


# ---------------------------------------------------------------- database

ID_RE = re.compile(r"^[A-Za-z0-9_]+$")


def psql(sql):
    cmd = [os.path.join(PG_BIN, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
           "-h", PGHOST, "-p", PGPORT, "-U", "postgres", "-d", "docapi", "-c", sql]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=60)
    if p.returncode != 0:
        raise AssertionError("psql failed: %s" % p.stderr.decode(errors="replace").strip())
    return p.stdout.decode("utf-8", errors="replace").rstrip("\n")


def db_row(doc_id):
    check(ID_RE.match(doc_id), "bad id for SQL: %r" % doc_id)
    return psql("SELECT row_to_json(d)::text FROM documents d WHERE document_id = '%s'" % doc_id)


def db_table_sum():
    """One checksum of every table a request may write: documents, the
    change feed's tombstones and the remembered Idempotency-Keys."""
    parts = ["(SELECT md5(coalesce(string_agg(row_to_json(t)::text, ',' "
             "ORDER BY row_to_json(t)::text), '')) FROM %s t)" % table
             for table in ("documents", "document_tombstones", "idempotency_keys")]
    return psql("SELECT " + " || ".join(parts))


class unchanged:
    """with unchanged(doc_id): ... asserts the document row and every table
    of db_table_sum() are byte-for-byte the same afterwards."""

    def __init__(self, doc_id=None):
        self.doc_id = doc_id

    def __enter__(self):
        self.row = db_row(self.doc_id) if self.doc_id else None
        self.sum = db_table_sum()
        return self

    def __exit__(self, et, ev, tb):
        if et is not None:
            return False
        if self.doc_id:
            after = db_row(self.doc_id)
            if after != self.row:
                raise AssertionError("a rejected request changed document %s:\n  before %s\n  after  %s"
                                     % (self.doc_id, self.row[:600], after[:600]))
        if db_table_sum() != self.sum:
            raise AssertionError("a rejected request changed the documents table")
        return False


def rejected(doc_id, r_fn, status, etype=None, details=None, locs=()):
    """Runs r_fn() (a request), expects an error, and that nothing changed."""
    with unchanged(doc_id):
        r = r_fn()
        if status == 422:
            expect_422(r, *locs)
        else:
            expect_error(r, status, etype, details)
    return r


# --------------------------------------------------------------- documents

_counter = [0]


def fresh_id():
    _counter[0] += 1
    return "doc_t%d%s" % (_counter[0], "".join(random.choice("abcdefghijkmnpqrstuvwxyz23456789")
                                                 for _ in range(10)))


def doc_template(doc_id):
    return {
        "document_id": doc_id,
        "document_schema_version": "v1",
        "root_object_id": "obj_" + doc_id[4:],
        "root_bucket_id": "bkt_tests",
        "source_type": "bucket",
        "source_object_id": "obj_" + doc_id[4:],
        "lineage_path": "bkt_tests/col_articles",
        "lineage": {"root_object_id": "obj_" + doc_id[4:], "root_bucket_id": "bkt_tests",
                    "source_type": "bucket", "source_object_id": "obj_" + doc_id[4:],
                    "lineage_chain": [{"collection_id": "col_articles",
                                       "feature_extractor_id": "text_v1",
                                       "timestamp": "2025-10-18T10:30:00Z"}]},
        "source_blobs": [{"blob_id": "blob_a", "blob_property": "video", "blob_type": "video"}],
        "internal_metadata": {"ingestion_status": "completed", "feature_extractor_config_hash": "h1"},
        "metadata": {"title": "Fresh", "draft": True, "keep": 1},
        "taxonomy_products_label": "shoes",
        "cluster_id": "cl_1",
        "vector": [0.5, 0.25, -1.0],
        "document_blobs": [
            {"field": "video", "url": "s3://media-bucket/videos/a.mp4", "role": "source",
             "type": "video", "size_bytes": 2048, "content_type": "video/mp4"},
            {"field": "thumb", "url": "https://cdn.example.com/a.jpg", "role": "thumbnail",
             "type": "image"},
        ],
        "created_at": "2025-10-18T10:30:00Z",
        "updated_at": "2025-10-18T10:30:00Z",
    }


def admin(*args, stdin=None):
    p = subprocess.run([ADMIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       input=stdin, timeout=60)
    if p.returncode != 0:
        raise AssertionError("docapi-admin %s failed (%d): %s"
                             % (" ".join(args), p.returncode, p.stderr.decode(errors="replace").strip()))
    return p.stdout.decode()


def new_doc(col=None, drop=(), **fields):
    """Imports a fresh document (template + fields, minus `drop`) into col
    (default: articles in production). Returns its id."""
    doc_id = fresh_id()
    d = doc_template(doc_id)
    d.update(fields)
    for k in drop:
        d.pop(k, None)
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", dir=STACK_TMP or None,
                                     delete=False) as f:
        f.write(json.dumps(d) + "\n")
        name = f.name
    try:
        out = admin("import", "--collection", col or SEED["col_articles"], name)
    finally:
        os.unlink(name)
    eq(out.strip(), "1", "docapi-admin import output")
    return doc_id


def get_doc(doc_id, **kw):
    r = get(doc_id, **kw)
    return expect_ok(r), r


def app_log(name="main"):
    try:
        with open(os.path.join(STACK_TMP, "lighttpd-" + name, "app.log"), "rb") as f:
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def stack(fn, *args):
    p = subprocess.run(["bash", STACK_SH, STACK_TMP, fn] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise AssertionError("stack.sh %s failed: %s" % (fn, p.stderr.decode(errors="replace")))
    return p.stdout.decode()


def worker_pids(name="main"):
    return stack("lighttpd_worker_pids", name).split()


# ------------------------------------------------------------------ tests

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def test_last(fn):
    """A test that runs after all others, route files included (it restarts
    PostgreSQL)."""
    fn.runs_last = True
    return test(fn)


RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


# ---- basics and document shape

@test
def healthz():
    r = request("GET", "/healthz")
    b = expect_ok(r)
    eq(b.get("status"), "ok", "healthz status")
    eq(b.get("database"), "ok", "healthz database")


@test
def keys_have_contract_format():
    for name in ("key_read", "key_write", "key_admin", "key_staging", "key_b"):
        check(re.match(r"^sk_live_[A-Za-z0-9]{32,}$", SEED[name]),
              "%s %r is not sk_live_ + >=32 base62" % (name, SEED[name]))
    check(re.match(r"^sk_test_[A-Za-z0-9]{32,}$", SEED["key_test"]),
          "--test key %r is not sk_test_ + >=32 base62" % SEED["key_test"])
    # only a hash is stored: no plaintext key appears anywhere in the database
    p = subprocess.run([os.path.join(PG_BIN, "pg_dump"), "-a", "-h", PGHOST, "-p", PGPORT,
                        "-U", "postgres", "docapi"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=60)
    eq(p.returncode, 0, "pg_dump exit status")
    dump = p.stdout.decode("utf-8", errors="replace")
    for name in ("key_read", "key_write", "key_admin", "key_test", "key_revoked"):
        check(SEED[name] not in dump and SEED[name][8:] not in dump,
              "the plaintext of %s is stored in the database" % name)


@test
def get_document_v1_shape():
    d, r = get_doc("doc_seed1")
    etag_of(r)
    eq(d.get("document_id"), "doc_seed1", "document_id")
    eq(d.get("collection_id"), SEED["col_articles"], "collection_id")
    eq(d.get("document_schema_version"), "v1", "document_schema_version")
    eq(d.get("root_object_id"), "obj_root1", "root_object_id")
    eq(d.get("root_bucket_id"), "bkt_marketing", "root_bucket_id")
    eq(d.get("source_type"), "bucket", "source_type")
    eq(d.get("source_object_id"), "obj_root1", "source_object_id")
    eq(d.get("lineage_path"), "bkt_marketing/col_articles", "lineage_path")
    eq(d.get("lineage"), {"root_object_id": "obj_root1", "root_bucket_id": "bkt_marketing",
                          "source_type": "bucket", "source_object_id": "obj_root1",
                          "lineage_chain": [{"collection_id": "col_articles",
                                             "feature_extractor_id": "text_extractor_v1",
                                             "timestamp": "2025-10-18T10:30:00Z"}]}, "lineage")
    eq(d.get("source_blobs"), [{"blob_id": "blob_1", "blob_property": "video", "blob_type": "video"}],
       "source_blobs")
    eq(d.get("internal_metadata"), {"ingestion_status": "completed",
                                    "feature_extractor_config_hash": "abc123"}, "internal_metadata")
    eq(d.get("metadata"), {"title": "Seed one", "tags": ["a", "b"], "draft": True}, "metadata")
    eq(d.get("taxonomy_products_label"), "shoes", "flat field taxonomy_products_label")
    eq(d.get("cluster_id"), "cl_7", "flat field cluster_id")
    check("vector" not in d, "vector shown without return_vectors=true")
    check("presigned_url" not in d, "presigned_url shown without return_url=true")
    eq(d.get("presigned_urls"), [], "presigned_urls")
    blobs = d.get("document_blobs")
    check(isinstance(blobs, list) and len(blobs) == 2, "document_blobs: %r" % blobs)
    eq(blobs[0].get("url"), "s3://media-bucket/videos/one.mp4", "blob 0 url")
    eq(blobs[0].get("field"), "video", "blob 0 field")
    eq(blobs[0].get("size_bytes"), 1024, "blob 0 size_bytes")
    eq(blobs[1].get("url"), "https://cdn.example.com/one.jpg", "blob 1 url")
    eq(blobs[1].get("role"), "thumbnail", "blob 1 role")
    for b in blobs:
        check("presigned_url" not in b, "blob has presigned_url without return_url: %r" % b)
    eq(d.get("created_at"), "2025-10-18T10:30:00Z", "created_at")
    check(RFC3339_Z.match(d.get("updated_at") or ""), "updated_at not RFC 3339 UTC: %r" % d.get("updated_at"))
    nulls = [k for k, v in d.items() if v is None]
    check(not nulls, "absent fields must be omitted, not null: %r" % nulls)


@test
def get_document_v2_shape():
    d, _ = get_doc("doc_seed2")
    eq(d.get("document_schema_version"), "v2", "document_schema_version")
    eq(d.get("source_type"), "collection", "source_type")
    eq(d.get("source_collection_id"), "col_frames", "source_collection_id")
    eq(d.get("source_document_id"), "doc_frame9", "source_document_id")
    eq(d.get("lineage_chain"), [{"collection_id": "col_frames", "feature_extractor_id": "frames_v1",
                                 "document_id": "doc_frame9", "timestamp": "2025-10-18T10:31:00Z"}],
       "lineage_chain")
    eq(d.get("source_blobs"), [], "source_blobs (always present)")
    eq(d.get("document_blobs"), [], "document_blobs (always present)")
    eq(d.get("presigned_urls"), [], "presigned_urls (always present)")
    check("source_object_id" not in d, "absent source_object_id must be omitted")
    nulls = [k for k, v in d.items() if v is None]
    check(not nulls, "absent fields must be omitted, not null: %r" % nulls)


ORDER = ["document_id", "collection_id", "document_schema_version", "root_object_id",
         "root_bucket_id", "source_type", "source_object_id", "source_collection_id",
         "source_document_id", "lineage_path", "lineage", "lineage_chain", "source_blobs",
         "internal_metadata", "metadata", "*flat*", "vector", "document_blobs", "presigned_url",
         "presigned_urls", "created_at", "updated_at"]


def order_rank(k):
    return ORDER.index(k) if k in ORDER else ORDER.index("*flat*")


@test
def document_key_order_is_stable():
    for doc in ("doc_seed1", "doc_seed2"):
        r = get(doc, query="return_vectors=true")
        expect_ok(r)
        keys = [k for k, _ in r.json(ordered=True)]
        ranks = [order_rank(k) for k in keys]
        check(ranks == sorted(ranks), "%s: keys out of contract order: %r" % (doc, keys))
        r2 = get(doc, query="return_vectors=true")
        eq([k for k, _ in r2.json(ordered=True)], keys, "key order of a second GET")


@test
def collection_by_name_and_by_id():
    a = expect_ok(get("doc_seed1", col="articles"))
    b = expect_ok(get("doc_seed1", col=SEED["col_articles"]))
    eq(a.get("collection_id"), SEED["col_articles"], "collection_id when addressed by name")
    eq(a, b, "document by collection name vs by id")


@test
def namespace_by_name_and_by_id():
    a = expect_ok(get("doc_seed1", ns="production"))
    b = expect_ok(get("doc_seed1", ns=SEED["ns_prod"]))
    eq(a, b, "document by namespace name vs by id")


@test
def same_collection_name_in_other_namespace():
    # "articles" exists in production and staging; staging's doc is only there
    d = expect_ok(get("doc_stage1", col="articles", ns="staging"))
    eq(d.get("collection_id"), SEED["col_staging"], "collection_id in staging")
    rejected(None, lambda: get("doc_stage1", col="articles", ns="production"), 404,
             "NotFoundError", {"resource": "document", "id": "doc_stage1"})


@test
def test_mode_key_works():
    expect_ok(get("doc_seed1", key=SEED["key_test"]))


@test
def admin_key_can_patch():
    doc = new_doc()
    d = expect_ok(patch(doc, {"metadata": {"by": "admin"}}, key=SEED["key_admin"]))
    eq(d["metadata"].get("by"), "admin", "metadata.by")


# ---- section 1: authentication and scoping

@test
def no_authorization_401():
    doc = new_doc()
    rejected(doc, lambda: get(doc, key=None), 401, "UnauthorizedError")
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, key=None), 401, "UnauthorizedError")


@test
def not_bearer_401():
    doc = new_doc()
    for auth in ("Basic dXNlcjpwYXNz", "Token " + SEED["key_write"], SEED["key_write"]):
        rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, key=None,
                                    headers=[("Authorization", auth)]), 401, "UnauthorizedError")


@test
def empty_key_401():
    doc = new_doc()
    for auth in ("Bearer ", "Bearer"):
        rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, key=None,
                                    headers=[("Authorization", auth)]), 401, "UnauthorizedError")


@test
def unknown_key_401():
    doc = new_doc()
    rnd = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(40))
    k = SEED["key_write"]
    last = "A" if k[-1] != "A" else "B"
    for key in ("sk_live_" + rnd, k[:-1] + last, k + "x", "sk_live_"):
        rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, key=key), 401, "UnauthorizedError")


@test
def revoked_key_401():
    doc = new_doc()
    rejected(doc, lambda: get(doc, key=SEED["key_revoked"]), 401, "UnauthorizedError")
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, key=SEED["key_revoked"]),
             401, "UnauthorizedError")
    out = admin("list-keys", "--org", SEED["org_a"])
    line = [l for l in out.splitlines() if l.split("\t")[0] == SEED["revoked_key_id"]]
    check(line, "list-keys does not show the revoked key %s" % SEED["revoked_key_id"])
    check("revoked" in line[0].lower(), "list-keys does not mark the key revoked: %r" % line[0])


@test
def expired_key_401():
    age = time.time() - os.path.getmtime(os.environ["DOCAPI_TEST_SEED"])
    if age < 2.5:
        time.sleep(2.5 - age)
    doc = new_doc()
    rejected(doc, lambda: get(doc, key=SEED["key_expired"]), 401, "UnauthorizedError")
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, key=SEED["key_expired"]),
             401, "UnauthorizedError")


@test
def missing_namespace_400():
    doc = new_doc()
    rejected(doc, lambda: get(doc, ns=None), 400, "BadRequestError")
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, ns=None), 400, "BadRequestError")


@test
def namespace_not_found_404():
    doc = new_doc()
    rejected(doc, lambda: get(doc, ns="nope"), 404, "NotFoundError",
             {"resource": "namespace", "id": "nope"})
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, ns="ns_doesnotexist"), 404,
             "NotFoundError", {"resource": "namespace", "id": "ns_doesnotexist"})


@test
def other_organizations_namespace_404():
    doc = new_doc()
    nsb = SEED["ns_b"]
    rejected(doc, lambda: get(doc, ns=nsb), 404, "NotFoundError", {"resource": "namespace", "id": nsb})
    rejected(doc, lambda: get(doc, ns="beta"), 404, "NotFoundError", {"resource": "namespace", "id": "beta"})
    rejected(doc, lambda: get("doc_bee1", col=SEED["col_b"], ns=nsb), 404, "NotFoundError",
             {"resource": "namespace", "id": nsb})
    # and the other way round: org B's key cannot see org A's namespace
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, key=SEED["key_b"],
                                ns=SEED["ns_prod"]), 404, "NotFoundError",
             {"resource": "namespace", "id": SEED["ns_prod"]})
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, key=SEED["key_b"], ns="production"),
             404, "NotFoundError", {"resource": "namespace", "id": "production"})
    # org B's key works in its own namespace
    expect_ok(get("doc_bee1", col=SEED["col_b"], ns="beta", key=SEED["key_b"]))


@test
def namespace_limited_key_403():
    doc = new_doc()
    ks = SEED["key_staging"]
    rejected(doc, lambda: get(doc, key=ks), 403, "ForbiddenError")
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, key=ks), 403, "ForbiddenError")
    rejected(doc, lambda: get(doc, key=ks, ns=SEED["ns_prod"]), 403, "ForbiddenError")
    # allowed where it is limited to, by name and by id
    expect_ok(get("doc_stage1", col=SEED["col_staging"], ns="staging", key=ks))
    expect_ok(get("doc_stage1", col="articles", ns=SEED["ns_staging"], key=ks))


@test
def namespace_limited_key_can_patch_its_namespace():
    doc = new_doc(col=SEED["col_staging"])
    d = expect_ok(patch(doc, {"metadata": {"s": 1}}, col="articles", ns="staging",
                        key=SEED["key_staging"]))
    eq(d["metadata"].get("s"), 1, "metadata.s")


@test
def read_key_get_ok_patch_403():
    doc = new_doc()
    expect_ok(get(doc, key=SEED["key_read"]))
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, key=SEED["key_read"]), 403,
             "ForbiddenError")
    rejected(doc, lambda: api("PATCH", doc, key=SEED["key_read"], ctype="application/json-patch+json",
                              body=[{"op": "add", "path": "/metadata/x", "value": 1}]),
             403, "ForbiddenError")


@test
def collection_not_found_404():
    doc = new_doc()
    for col in ("nope", "col_doesnotexist", SEED["col_staging"], SEED["col_b"]):
        rejected(doc, lambda: get(doc, col=col), 404, "NotFoundError",
                 {"resource": "collection", "id": col})
        rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, col=col), 404, "NotFoundError",
                 {"resource": "collection", "id": col})


@test
def document_not_found_404():
    doc = new_doc()
    rejected(doc, lambda: get("doc_nope"), 404, "NotFoundError",
             {"resource": "document", "id": "doc_nope"})
    rejected(doc, lambda: patch("doc_nope", {"metadata": {"x": 1}}), 404, "NotFoundError",
             {"resource": "document", "id": "doc_nope"})
    # a document of another collection of the same namespace
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, col="frames"), 404, "NotFoundError",
             {"resource": "document", "id": doc})


@test
def x_namespace_sent_twice_400():
    doc = new_doc()
    if SERVER not in ("", "lighttpd"):
        # Apache and nginx drop header names with '_': the app sees one
        # X-Namespace, so the request is judged on that one alone.
        r = get(doc, ns=None, headers=[("X-Namespace", "production"), ("X_Namespace", "staging")])
        eq(r.status, 200, "X_Namespace dropped by %s, X-Namespace used" % SERVER)
        rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, ns=None, key=SEED["key_staging"],
                                    headers=[("X_Namespace", "staging"), ("X-Namespace", "production")]),
                 403, "ForbiddenError")
        return
    for hs in ([("X-Namespace", "production"), ("X_Namespace", "staging")],
               [("X_Namespace", "staging"), ("X-Namespace", "production")],
               [("X-Namespace", "production"), ("X_Namespace", "production")]):
        rejected(doc, lambda: get(doc, ns=None, headers=hs), 400, "BadRequestError")
        rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, ns=None, headers=hs), 400,
                 "BadRequestError")
    # the staging-limited key cannot spoof its way into production
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, ns=None, key=SEED["key_staging"],
                                headers=[("X_Namespace", "production"), ("X-Namespace", "staging")]),
             400, "BadRequestError")


# ---- section 4: PATCH

@test
def merge_patch_sets_and_removes_keys():
    doc = new_doc()
    before, r0 = get_doc(doc)
    r = patch(doc, {"metadata": {"title": "x", "draft": None}}, ctype="application/json")
    d = expect_ok(r)
    eq(d["metadata"], {"title": "x", "keep": 1}, "metadata after merge patch")
    for k in ("document_blobs", "cluster_id", "taxonomy_products_label", "lineage",
              "internal_metadata", "source_blobs", "created_at", "collection_id"):
        eq(d.get(k), before.get(k), k + " after a metadata-only patch")
    check(etag_of(r) != etag_of(r0), "ETag did not change after a change")
    check(version_of(r) > version_of(r0), "version did not advance")
    check(d["updated_at"] != before["updated_at"], "updated_at did not change")
    after, r2 = get_doc(doc)
    eq(after, d, "GET after PATCH vs PATCH response")
    eq(etag_of(r2), etag_of(r), "ETag of GET after PATCH")
    row = json.loads(db_row(doc))
    check('"x"' in json.dumps(row), "the change is not in the database row")


@test
def merge_patch_content_types():
    for ct in ("application/merge-patch+json", "application/json; charset=utf-8",
               "Application/Merge-Patch+JSON"):
        doc = new_doc()
        d = expect_ok(patch(doc, {"metadata": {"title": "y", "keep": None}}, ctype=ct))
        eq(d["metadata"], {"title": "y", "draft": True}, "metadata after merge patch with " + ct)


@test
def merge_patch_nested_objects_and_arrays():
    doc = new_doc(metadata={"nested": {"a": 1, "c": 3}, "tags": ["a", "b"], "n": 1})
    d = expect_ok(patch(doc, {"metadata": {"nested": {"a": None, "b": 2}, "tags": ["z"], "n": None}}))
    eq(d["metadata"], {"nested": {"b": 2, "c": 3}, "tags": ["z"]}, "metadata")


@test
def json_patch_all_six_ops():
    doc = new_doc(metadata={"title": "T", "draft": True, "tags": ["a", "b"], "obj": {"x": 1}})
    ops = [
        {"op": "test", "path": "/metadata/title", "value": "T"},
        {"op": "add", "path": "/metadata/new", "value": "n"},
        {"op": "add", "path": "/metadata/tags/-", "value": "c"},
        {"op": "remove", "path": "/metadata/draft"},
        {"op": "replace", "path": "/metadata/title", "value": "T2"},
        {"op": "move", "from": "/metadata/obj", "path": "/metadata/moved"},
        {"op": "copy", "from": "/metadata/tags", "path": "/metadata/tags_copy"},
        {"op": "add", "path": "/brand", "value": "acme"},
        {"op": "replace", "path": "/cluster_id", "value": "cl_9"},
        {"op": "add", "path": "/document_blobs/-",
         "value": {"field": "extra", "url": "https://cdn.example.com/extra.txt", "role": "aux",
                   "type": "text"}},
        {"op": "remove", "path": "/document_blobs/0"},
    ]
    r = api("PATCH", doc, body=ops, ctype="application/json-patch+json")
    d = expect_ok(r)
    eq(d["metadata"], {"title": "T2", "tags": ["a", "b", "c"], "new": "n", "moved": {"x": 1},
                       "tags_copy": ["a", "b", "c"]}, "metadata after JSON Patch")
    eq(d.get("brand"), "acme", "flat field added by JSON Patch")
    eq(d.get("cluster_id"), "cl_9", "flat field replaced by JSON Patch")
    eq([b.get("field") for b in d["document_blobs"]], ["thumb", "extra"], "blob fields after JSON Patch")
    eq(expect_ok(get(doc)), d, "GET after JSON Patch")
    d = expect_ok(api("PATCH", doc, ctype="application/json-patch+json; charset=utf-8",
                      body=[{"op": "add", "path": "/metadata/cs", "value": 1}]))
    eq(d["metadata"].get("cs"), 1, "JSON Patch with a charset parameter")


@test
def json_patch_failing_test_409():
    doc = new_doc()
    ops = [{"op": "replace", "path": "/metadata/title", "value": "changed"},
           {"op": "test", "path": "/metadata/keep", "value": 2}]
    rejected(doc, lambda: api("PATCH", doc, body=ops, ctype="application/json-patch+json"),
             409, "ConflictError")


@test
def json_patch_bad_path_rejected():
    doc = new_doc()
    for ops in ([{"op": "remove", "path": "/metadata/nope"}],
                [{"op": "replace", "path": "/metadata/nope/deeper", "value": 1}],
                [{"op": "move", "from": "/metadata/nope", "path": "/metadata/x"}]):
        with unchanged(doc):
            r = api("PATCH", doc, body=ops, ctype="application/json-patch+json")
            check(r.status in (409, 422), "JSON Patch on a missing path: expected 409/422, got %d %r"
                  % (r.status, r.body[:300]))
            if r.status == 409:
                expect_error(r, 409, "ConflictError")
            else:
                expect_422(r, ["body"])


@test
def body_of_the_wrong_kind_422():
    doc = new_doc()
    rejected(doc, lambda: api("PATCH", doc, body={"metadata": {}},
                              ctype="application/json-patch+json"), 422, locs=[["body"]])
    rejected(doc, lambda: api("PATCH", doc, body=[{"op": "add", "path": "/metadata/x", "value": 1}],
                              ctype="application/merge-patch+json"), 422, locs=[["body"]])
    rejected(doc, lambda: api("PATCH", doc, body="5", ctype="application/json"), 422, locs=[["body"]])
    for bad in ([{"op": "frobnicate", "path": "/metadata/x"}],
                [{"op": "add", "value": 1}],
                [{"op": "add", "path": "/metadata/x"}],
                [{"op": 5, "path": "/metadata/x", "value": 1}],
                [{"op": "move", "path": "/metadata/x"}],
                [5]):
        rejected(doc, lambda: api("PATCH", doc, body=bad, ctype="application/json-patch+json"),
                 422, locs=[["body"]])


READONLY_CHANGES = [
    ("document_id", "doc_other"),
    ("collection_id", "col_other"),
    ("document_schema_version", "v2"),
    ("root_object_id", "obj_other"),
    ("root_bucket_id", "bkt_other"),
    ("source_type", "collection"),
    ("source_object_id", "obj_other"),
    ("lineage_path", "x/y"),
    ("lineage", {"root_object_id": "x"}),
    ("source_blobs", []),
    ("internal_metadata", {"ingestion_status": "failed"}),
    ("created_at", "2020-01-01T00:00:00Z"),
    ("updated_at", "2020-01-01T00:00:00Z"),
    ("vector", [1, 2, 3]),
]


@test
def readonly_field_changed_422():
    doc = new_doc()
    for field, value in READONLY_CHANGES:
        try:
            rejected(doc, lambda: patch(doc, {field: value, "metadata": {"x": 1}}), 422,
                     locs=[["body", field]])
        except AssertionError as e:
            raise AssertionError("read-only %s: %s" % (field, e))
    rejected(doc, lambda: api("PATCH", doc, ctype="application/json-patch+json",
                              body=[{"op": "replace", "path": "/internal_metadata/ingestion_status",
                                     "value": "failed"}]), 422, locs=[["body", "internal_metadata"]])
    rejected(doc, lambda: api("PATCH", doc, ctype="application/json-patch+json",
                              body=[{"op": "add", "path": "/source_collection_id", "value": "col_x"}]),
             422, locs=[["body", "source_collection_id"]])


@test
def readonly_field_with_current_value_accepted():
    doc = new_doc()
    d0, r0 = get_doc(doc)
    # send back exactly what was read: a no-op
    r = patch(doc, d0, ctype="application/json")
    d = expect_ok(r)
    eq(d, d0, "document after sending back the GET body")
    eq(etag_of(r), etag_of(r0), "ETag after sending back the GET body")
    # the same with the vector shown
    dv, rv = get_doc(doc, query="return_vectors=true")
    expect_ok(patch(doc, dv, ctype="application/json"))
    # read what you got, change one thing, send it back
    d0["metadata"]["title"] = "edited"
    d = expect_ok(patch(doc, d0))
    eq(d["metadata"]["title"], "edited", "metadata.title")
    d2 = expect_ok(patch(doc, {"collection_id": SEED["col_articles"], "document_id": doc,
                               "created_at": "2025-10-18T10:30:00Z", "metadata": {"t2": 1}}))
    eq(d2["metadata"].get("t2"), 1, "metadata.t2")


@test
def presigned_url_ignored_on_input():
    doc = new_doc()
    r = patch(doc, {"presigned_url": "https://evil.example/top",
                    "document_blobs": [{"field": "video", "url": "https://files.example.com/a.mp4",
                                        "presigned_url": "https://evil.example/blob"}]})
    d = expect_ok(r)
    check("presigned_url" not in d, "top-level presigned_url stored/returned: %r" % d.get("presigned_url"))
    eq(len(d["document_blobs"]), 1, "number of blobs")
    check("presigned_url" not in d["document_blobs"][0],
          "blob presigned_url stored/returned: %r" % d["document_blobs"][0])
    check("evil.example" not in db_row(doc), "response-only presigned_url was written to the database")


@test
def presigned_url_alone_is_a_noop():
    doc = new_doc()
    _, r0 = get_doc(doc)
    with unchanged(doc):
        r = patch(doc, {"presigned_url": "https://evil.example/top"})
        expect_ok(r)
    eq(etag_of(r), etag_of(r0), "ETag")


@test
def metadata_not_an_object_422():
    doc = new_doc()
    for v in ("str", [1], 5, True):
        rejected(doc, lambda: patch(doc, {"metadata": v}), 422, locs=[["body", "metadata"]])
    rejected(doc, lambda: api("PATCH", doc, ctype="application/json-patch+json",
                              body=[{"op": "replace", "path": "/metadata", "value": 5}]),
             422, locs=[["body", "metadata"]])


@test
def metadata_removed_422():
    # contract 4: "After patching, metadata must still be an object"
    doc = new_doc()
    rejected(doc, lambda: patch(doc, {"metadata": None}), 422, locs=[["body", "metadata"]])
    rejected(doc, lambda: api("PATCH", doc, ctype="application/json-patch+json",
                              body=[{"op": "remove", "path": "/metadata"}]),
             422, locs=[["body", "metadata"]])


BAD_BLOBS = [
    ("url ftp://", [{"field": "f", "url": "ftp://host/x"}]),
    ("url file://", [{"field": "f", "url": "file:///etc/passwd"}]),
    ("url not a string", [{"field": "f", "url": 5}]),
    ("missing url", [{"field": "f"}]),
    ("missing field", [{"url": "https://x.example/a"}]),
    ("field not a string", [{"field": 1, "url": "https://x.example/a"}]),
    ("bad role", [{"field": "f", "url": "https://x.example/a", "role": "bogus"}]),
    ("bad type", [{"field": "f", "url": "https://x.example/a", "type": "movie"}]),
    ("negative size", [{"field": "f", "url": "https://x.example/a", "size_bytes": -1}]),
    ("string size", [{"field": "f", "url": "https://x.example/a", "size_bytes": "10"}]),
    ("fractional size", [{"field": "f", "url": "https://x.example/a", "size_bytes": 1.5}]),
    ("blob not an object", [5]),
    ("blobs not an array", "x"),
    ("blobs an object", {"field": "f", "url": "https://x.example/a"}),
]


@test
def invalid_blob_422():
    doc = new_doc()
    for what, blobs in BAD_BLOBS:
        try:
            rejected(doc, lambda: patch(doc, {"document_blobs": blobs}), 422,
                     locs=[["body", "document_blobs"]])
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e))
    rejected(doc, lambda: api("PATCH", doc, ctype="application/json-patch+json",
                              body=[{"op": "replace", "path": "/document_blobs/0/url",
                                     "value": "gopher://x"}]), 422, locs=[["body", "document_blobs"]])
    rejected(doc, lambda: api("PATCH", doc, ctype="application/json-patch+json",
                              body=[{"op": "remove", "path": "/document_blobs/1/field"}]),
             422, locs=[["body", "document_blobs"]])


@test
def valid_blobs_replace_the_list():
    doc = new_doc()
    blobs = [{"field": "a", "url": "s3://bkt/k/a.png", "role": "processed", "type": "image",
              "object_key": "k/a.png", "filename": "a.png", "size_bytes": 0,
              "content_type": "image/png", "checksum": "md5:00", "created_at": "2025-10-18T10:30:00Z",
              "source_blob_id": "blob_a"},
             {"field": "b", "url": "http://plain.example/b.txt", "role": "aux", "type": "text"}]
    d = expect_ok(patch(doc, {"document_blobs": blobs}))
    eq(d["document_blobs"], blobs, "document_blobs")
    eq(expect_ok(get(doc))["document_blobs"], blobs, "document_blobs on GET")


@test
def blob_defaults_applied():
    doc = new_doc()
    d = expect_ok(patch(doc, {"document_blobs": [{"field": "a", "url": "https://x.example/a"}]}))
    b = d["document_blobs"][0]
    eq(b.get("role"), "source", "default role")
    eq(b.get("type"), "other", "default type")


@test
def flat_user_fields_set_and_removed():
    doc = new_doc()
    d = expect_ok(patch(doc, {"cluster_id": "cl_99", "new_flat": {"a": 1}, "score": 0.5}))
    eq(d.get("cluster_id"), "cl_99", "cluster_id")
    eq(d.get("new_flat"), {"a": 1}, "new_flat")
    eq(d.get("score"), 0.5, "score")
    eq(d.get("taxonomy_products_label"), "shoes", "untouched flat field")
    d = expect_ok(patch(doc, {"taxonomy_products_label": None, "new_flat": None}))
    check("taxonomy_products_label" not in d, "flat field not removed: %r" % d)
    check("new_flat" not in d, "flat field not removed")
    eq(d.get("cluster_id"), "cl_99", "cluster_id kept")
    eq(expect_ok(get(doc)), d, "GET after flat field patch")


def db_columns(doc_id, *cols):
    check(ID_RE.match(doc_id), "bad id for SQL: %r" % doc_id)
    return psql("SELECT %s FROM documents WHERE document_id = '%s'"
                % (" || '|' || ".join("%s::text" % c for c in cols), doc_id))


@test
def patch_rewrites_only_the_columns_it_changes():
    # A merge patch of metadata leaves the stored text of the other columns
    # exactly as it was (document_blobs is json: its text is kept verbatim).
    doc = new_doc()
    others = db_columns(doc, "document_blobs", "fields", "sys", "vector")
    d = expect_ok(patch(doc, {"metadata": {"only": 1}}))
    eq(d["metadata"].get("only"), 1, "metadata.only")
    eq(db_columns(doc, "document_blobs", "fields", "sys", "vector"), others,
       "stored columns a metadata patch did not name")
    # flat fields only: metadata and blobs untouched
    meta = db_columns(doc, "metadata", "document_blobs")
    expect_ok(patch(doc, {"cluster_id": "cl_only"}))
    eq(db_columns(doc, "metadata", "document_blobs"), meta, "columns a flat-field patch did not name")
    # all three at once, and the answer is what GET then reads
    blobs = [{"field": "f", "url": "https://x.example/f.txt", "role": "aux", "type": "text"}]
    d = expect_ok(patch(doc, {"metadata": {"only": None, "n": {"a": [1, 2]}},
                              "document_blobs": blobs, "score": {"x": 1}, "cluster_id": None}))
    eq(d["metadata"].get("n"), {"a": [1, 2]}, "metadata.n")
    check("only" not in d["metadata"], "metadata.only not removed")
    eq(d["document_blobs"], blobs, "document_blobs")
    eq(d.get("score"), {"x": 1}, "score")
    check("cluster_id" not in d, "cluster_id not removed")
    eq(expect_ok(get(doc)), d, "GET after a patch of all writable columns")
    # the same blobs again: a no-op, and the version stays
    with unchanged(doc):
        r = patch(doc, {"document_blobs": blobs, "score": {"x": 1.0}})
        eq(expect_ok(r), d, "document after a no-op patch of blobs and a field")


@test
def if_match_mismatch_412():
    doc = new_doc()
    _, r0 = get_doc(doc)
    for im in ('"999999"', '"nope"', 'W/"1x"'):
        rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, headers=[("If-Match", im)]), 412,
                 "PreconditionFailedError")
    r = patch(doc, {"metadata": {"x": 1}}, headers=[("If-Match", etag_of(r0))])
    expect_ok(r)
    # the old ETag is stale now
    rejected(doc, lambda: patch(doc, {"metadata": {"x": 2}}, headers=[("If-Match", etag_of(r0))]),
             412, "PreconditionFailedError")
    expect_ok(patch(doc, {"metadata": {"x": 3}}, headers=[("If-Match", "*")]))


@test
def if_none_match_get_304():
    _, r0 = get_doc("doc_seed1")
    r = get("doc_seed1", headers=[("If-None-Match", etag_of(r0))])
    expect_ok(r, 304)
    eq(r.header("ETag"), etag_of(r0), "ETag of the 304")
    expect_ok(get("doc_seed1", headers=[("If-None-Match", '"nope"')]))


@test
def prefer_return_minimal_204():
    doc = new_doc()
    _, r0 = get_doc(doc)
    r = patch(doc, {"metadata": {"min": 1}}, headers=[("Prefer", "return=minimal")])
    expect_ok(r, 204)
    e = etag_of(r)
    check(e != etag_of(r0), "ETag did not change")
    d, r2 = get_doc(doc)
    eq(d["metadata"].get("min"), 1, "metadata.min after a 204")
    eq(etag_of(r2), e, "ETag of the 204 vs GET")
    r = patch(doc, {"metadata": {"min": 2}}, headers=[("Prefer", "return=representation")])
    eq(expect_ok(r)["metadata"].get("min"), 2, "metadata.min with return=representation")


@test
def noop_patch_keeps_version_and_updated_at():
    doc = new_doc()
    d0, r0 = get_doc(doc)
    cases = [({}, "application/json"),
             ({"metadata": {"title": "Fresh"}}, "application/merge-patch+json"),
             ({"metadata": {"absent": None}}, "application/merge-patch+json"),
             ({"cluster_id": "cl_1"}, "application/json"),
             ([], "application/json-patch+json"),
             ([{"op": "test", "path": "/metadata/title", "value": "Fresh"}], "application/json-patch+json"),
             ([{"op": "replace", "path": "/metadata/keep", "value": 1}], "application/json-patch+json")]
    for body, ct in cases:
        with unchanged(doc):
            r = api("PATCH", doc, body=body, ctype=ct)
            d = expect_ok(r)
        eq(etag_of(r), etag_of(r0), "ETag after no-op %r" % (body,))
        eq(d.get("updated_at"), d0["updated_at"], "updated_at after no-op %r" % (body,))
        eq(d, d0, "document after no-op %r" % (body,))


@test
def return_vectors():
    d, _ = get_doc("doc_seed1")
    check("vector" not in d, "vector without return_vectors")
    for q in ("return_vectors=true", "return_vectors=1", "return_vectors=TRUE", "return_vectors=True"):
        d = expect_ok(get("doc_seed1", query=q))
        eq(d.get("vector"), [0.5, 0.25, -1.0], "vector with " + q)
    for q in ("return_vectors=false", "return_vectors=0", "return_vectors=FALSE"):
        d = expect_ok(get("doc_seed1", query=q))
        check("vector" not in d, "vector with " + q)
    doc = new_doc()
    d = expect_ok(patch(doc, {"metadata": {"v": 1}}, query="return_vectors=true"))
    eq(d.get("vector"), [0.5, 0.25, -1.0], "vector in the PATCH response")
    d = expect_ok(patch(doc, {"metadata": {"v": 2}}))
    check("vector" not in d, "vector in the PATCH response without return_vectors")
    # a document without a vector has no vector key even when asked
    doc2 = new_doc(drop=("vector",))
    d = expect_ok(get(doc2, query="return_vectors=true"))
    check("vector" not in d or isinstance(d["vector"], list), "vector of a document without one: %r"
          % d.get("vector"))


@test
def bad_boolean_query_422():
    doc = new_doc()
    for q, name in (("return_vectors=yes", "return_vectors"), ("return_vectors=", "return_vectors"),
                    ("return_vectors=2", "return_vectors"), ("return_url=maybe", "return_url")):
        rejected(doc, lambda: get(doc, query=q), 422, locs=[["query", name]])
        rejected(doc, lambda: patch(doc, {"metadata": {"x": 1}}, query=q), 422, locs=[["query", name]])
    r = rejected(doc, lambda: get(doc, query="return_presigned_urls=perhaps"), 422, locs=[["query"]])
    locs = [i["loc"] for i in r.json()["detail"]]
    check(any(l[:2] in (["query", "return_presigned_urls"], ["query", "return_url"]) for l in locs),
          "422 for return_presigned_urls names %r" % locs)


@test
def return_url_without_presign_fails_cleanly():
    doc = new_doc()
    for q in ("return_url=true", "return_presigned_urls=true", "return_url=1"):
        for fn in (lambda: get(doc, query=q),
                   lambda: patch(doc, {"metadata": {"x": 1}}, query=q),
                   lambda: patch(doc, {"metadata": {"x": 1}}, query=q,
                                 headers=[("Prefer", "return=minimal")])):
            with unchanged(doc):
                r = fn()
                check(r.status in (500, 503), "return_url=true without presign: expected 500/503, got %d %r"
                      % (r.status, r.body[:300]))
                expect_error(r, r.status, "InternalServerError" if r.status == 500
                             else "ServiceUnavailableError")
    expect_ok(get(doc, query="return_url=false"))


@test
def unsupported_media_type_415():
    doc = new_doc()
    body = json.dumps({"metadata": {"x": 1}})
    for ct in ("text/plain", "application/xml", "application/jsonx", "multipart/form-data; boundary=x",
               "application/x-www-form-urlencoded", "json"):
        rejected(doc, lambda: api("PATCH", doc, body=body, ctype=ct), 415, "UnsupportedMediaTypeError")


@test
def missing_content_type_with_body_415():
    doc = new_doc()
    rejected(doc, lambda: api("PATCH", doc, body=json.dumps({"metadata": {"x": 1}}), ctype=None),
             415, "UnsupportedMediaTypeError")


@test
def body_over_limit_413():
    doc = new_doc()
    pad = "x" * (BODY_LIMIT + 100)
    rejected(doc, lambda: patch(doc, json.dumps({"metadata": {"pad": pad}})), 413,
             "PayloadTooLargeError")
    rejected(doc, lambda: patch(doc, "{" * (2 * BODY_LIMIT)), 413, "PayloadTooLargeError")


@test
def body_under_limit_accepted():
    doc = new_doc()
    pad = "y" * (BODY_LIMIT - 2000)
    d = expect_ok(patch(doc, {"metadata": {"pad": pad}}))
    eq(len(d["metadata"]["pad"]), len(pad), "length of the stored string")


@test
def malformed_json_422():
    doc = new_doc()
    for body in ('{"metadata": {', '{"metadata": {}} x', "", "{'metadata': {}}", '{"metadata": {"a": NaN}}',
                 '{"metadata": {"a": 01}}', '{"metadata": {"a": 1,}}', '{"metadata" {}}'):
        rejected(doc, lambda: patch(doc, body), 422, locs=[["body"]])
        rejected(doc, lambda: api("PATCH", doc, body=body, ctype="application/json-patch+json"), 422,
                 locs=[["body"]])


@test
def wrong_types_422():
    doc = new_doc()
    rejected(doc, lambda: patch(doc, {"document_blobs": {"a": 1}}), 422, locs=[["body", "document_blobs"]])
    rejected(doc, lambda: patch(doc, {"metadata": 5}), 422, locs=[["body", "metadata"]])


def nested(depth, leaf=1):
    s = json.dumps(leaf)
    for _ in range(depth):
        s = "[" + s + "]"
    return s


@test
def nesting_too_deep_422():
    doc = new_doc()
    for depth in (70, 200, 5000):
        body = '{"metadata": {"deep": %s}}' % nested(depth)
        rejected(doc, lambda: patch(doc, body), 422, locs=[["body"]])
    body = '{"metadata": {"deep": %s}}' % ('{"a":' * 100 + "1" + "}" * 100)
    rejected(doc, lambda: patch(doc, body), 422, locs=[["body"]])
    # well within the limit is fine
    d = expect_ok(patch(doc, '{"metadata": {"deep": %s}}' % nested(30)))
    eq(json.dumps(d["metadata"]["deep"]), nested(30).replace(",", ", "), "nested value")


@test
def stored_document_deeper_than_max_depth():
    # Written by SQL (not through the API): metadata nesting 200 levels, more
    # than max_depth and the parser's first, shallow attempt. It is served
    # as stored; a patch that keeps it is refused with 422, not a 500; one
    # that removes it succeeds.
    doc = new_doc()
    check(ID_RE.match(doc), "bad id")
    psql("UPDATE documents SET metadata = jsonb_build_object('deep', '%s'::jsonb, 'k', 1) "
         "WHERE document_id = '%s'" % (nested(200), doc))
    d = expect_ok(get(doc))
    eq(json.dumps(d["metadata"]["deep"]), nested(200), "deep metadata as stored")
    rejected(doc, lambda: patch(doc, {"metadata": {"k": 2}}), 422, locs=[["body", "metadata"]])
    d = expect_ok(patch(doc, {"metadata": {"deep": None}}))
    eq(d["metadata"], {"k": 1}, "metadata once the deep member is removed")


@test
def invalid_utf8_422():
    doc = new_doc()
    for raw in (b'{"metadata": {"t": "\xff\xfe"}}', b'{"metadata": {"t": "\xc0\xaf"}}',
                b'{"metadata": {"t": "\xed\xa0\x80"}}', b'{"metadata": {"\xe9": 1}}',
                b'{"metadata": {"t": "abc\xe2\x82"}}'):
        rejected(doc, lambda: patch(doc, raw), 422, locs=[["body"]])


@test
def nul_in_string_422():
    doc = new_doc()
    for raw in (b'{"metadata": {"t": "a\\u0000b"}}', b'{"metadata": {"a\\u0000": "b"}}',
                b'{"metadata": {"t": "a\x00b"}}', b'{"cluster_id": "\\u0000"}'):
        rejected(doc, lambda: patch(doc, raw), 422, locs=[["body"]])
    rejected(doc, lambda: api("PATCH", doc, ctype="application/json-patch+json",
                              body=b'[{"op": "add", "path": "/metadata/t", "value": "x\\u0000"}]'),
             422, locs=[["body"]])


@test
def unicode_roundtrip():
    doc = new_doc()
    v = "h\u00e9llo \u4e16\u754c \U0001f600 \"quoted\" \\ /"
    d = expect_ok(patch(doc, {"metadata": {"u": v, "\u00e9t\u00e9": 1}}))
    eq(d["metadata"].get("u"), v, "unicode value")
    eq(d["metadata"].get("\u00e9t\u00e9"), 1, "unicode key")
    eq(expect_ok(get(doc))["metadata"].get("u"), v, "unicode value on GET")


@test
def numbers_stored_exactly_or_rejected():
    # contract 3/4 are silent on number ranges; a user expects a value back
    # exactly as sent, or a 422, never a silently different number
    doc = new_doc()
    bad = []
    for text in ("12345678901234567890", "9223372036854775807", "-9223372036854775808",
                 "-9223372036854775809", "-12345678901234567890", "18446744073709551615",
                 "18446744073709551616", "99999999999999999999999", "0.1", "-0.5", "1.5e-10",
                 "1e308", "1e400", "1E2", "1e20", "123456789012"):
        want = json.loads(text)
        r = patch(doc, '{"metadata": {"n": %s}}' % text)
        if r.status == 422:
            expect_422(r, ["body"])
            continue
        d = expect_ok(r)
        got = d["metadata"].get("n")
        if got != want:  # compares int/float by value, exactly
            bad.append("%s -> %r in the PATCH response" % (text, got))
        got = expect_ok(get(doc))["metadata"].get("n")
        if got != want:  # compares int/float by value, exactly
            bad.append("%s -> %r on a later GET" % (text, got))
    check(not bad, "numbers accepted (200) but stored as a different value: " + "; ".join(bad))


@test
def lone_surrogate_escape_not_silently_altered():
    # "\ud800" is well-formed JSON text but no Unicode character: storing
    # something else (U+FFFD) would change the user's data without telling
    doc = new_doc()
    for raw in (b'{"metadata": {"t": "\\ud800"}}', b'{"metadata": {"t": "x\\udc00"}}'):
        r = patch(doc, raw)
        if r.status == 200:
            got = r.json()["metadata"]["t"]
            raise AssertionError("PATCH %s: 200 and stored %r (expected 422)" % (raw.decode(), got))
        expect_422(r, ["body"])
    d = expect_ok(patch(doc, b'{"metadata": {"t": "\\ud83d\\ude00"}}'))
    eq(d["metadata"]["t"], "\U0001f600", "surrogate pair")


@test
def percent_encoded_path_and_extra_query_params():
    h = [("Authorization", "Bearer " + SEED["key_write"]), ("X-Namespace", NS)]
    expect_ok(request("GET", "/v1/collections/arti%63les/documents/doc_seed%31", h))
    d = expect_ok(request("GET", doc_path("articles", "doc_seed1", "utm=1&return_vectors=true&x"), h))
    eq(d.get("vector"), [0.5, 0.25, -1.0], "vector with extra query parameters")
    rejected(None, lambda: request("GET", doc_path("articles", "doc%2Fseed1"), h), 404,
             "NotFoundError")


@test
def bearer_scheme_is_case_insensitive():
    # RFC 9110 11.1: the authentication scheme is case-insensitive
    for scheme in ("bearer", "BEARER"):
        expect_ok(get("doc_seed1", key=None,
                      headers=[("Authorization", "%s %s" % (scheme, SEED["key_read"]))]))


@test
def validation_lists_every_problem():
    doc = new_doc()
    rejected(doc, lambda: patch(doc, {"metadata": 5, "document_blobs": "x"}), 422,
             locs=[["body", "metadata"], ["body", "document_blobs"]])
    rejected(doc, lambda: patch(doc, {"metadata": 5}, query="return_vectors=maybe"), 422,
             locs=[["body", "metadata"], ["query", "return_vectors"]])
    rejected(doc, lambda: get(doc, query="return_vectors=maybe&return_url=perhaps"), 422,
             locs=[["query", "return_vectors"], ["query", "return_url"]])
    rejected(doc, lambda: patch(doc, {"collection_id": "col_x", "created_at": "2020-01-01T00:00:00Z"}),
             422, locs=[["body", "collection_id"], ["body", "created_at"]])
    rejected(doc, lambda: patch(doc, {"document_blobs": [{"url": "ftp://x"}, {"field": "f", "url": "x:"}]}),
             422, locs=[["body", "document_blobs", 0], ["body", "document_blobs", 1]])


# ---- order of checks

@test
def order_of_checks():
    doc = new_doc()
    bad = "sk_live_" + "Z" * 40
    big = "{" * (2 * BODY_LIMIT)
    R, W = SEED["key_read"], SEED["key_write"]
    cases = [
        ("bad key + malformed body", lambda: patch(doc, "{", key=bad), 401, "UnauthorizedError"),
        ("bad key + no namespace", lambda: patch(doc, "{", key=bad, ns=None), 401, "UnauthorizedError"),
        ("bad key + text/plain", lambda: api("PATCH", doc, body="x", key=bad, ctype="text/plain"),
         401, "UnauthorizedError"),
        ("bad key + huge body", lambda: patch(doc, big, key=bad), 401, "UnauthorizedError"),
        ("bad key + bad query", lambda: get(doc, key=bad, query="return_vectors=x"), 401, "UnauthorizedError"),
        ("bad key + unknown collection", lambda: get(doc, key=bad, col="nope"), 401, "UnauthorizedError"),
        ("no namespace + unknown collection + bad body", lambda: patch("doc_nope", "{", ns=None, col="nope"),
         400, "BadRequestError"),
        ("unknown namespace + read key PATCH", lambda: patch(doc, {"metadata": {}}, key=R, ns="nope"),
         404, "NotFoundError"),
        ("read key + text/plain", lambda: api("PATCH", doc, body="x", key=R, ctype="text/plain"),
         403, "ForbiddenError"),
        ("read key + huge body", lambda: patch(doc, big, key=R), 403, "ForbiddenError"),
        ("limited key + malformed body", lambda: patch(doc, "{", key=SEED["key_staging"]),
         403, "ForbiddenError"),
        ("text/plain + huge body", lambda: api("PATCH", doc, body=big, ctype="text/plain"),
         415, "UnsupportedMediaTypeError"),
        ("no content type + huge body", lambda: api("PATCH", doc, body=big, ctype=None),
         415, "UnsupportedMediaTypeError"),
        ("huge body + unknown collection", lambda: patch(doc, big, col="nope"), 413, "PayloadTooLargeError"),
        ("malformed body + unknown collection", lambda: patch(doc, "{", col="nope"), 422, None),
        ("bad query + unknown document", lambda: get("doc_nope", query="return_vectors=x"), 422, None),
        ("read-only change + unknown document", lambda: patch("doc_nope", {"collection_id": "x"}),
         404, "NotFoundError"),
        ("unknown collection + unknown document", lambda: get("doc_nope", col="nope"), 404, "NotFoundError"),
        ("unknown document + If-Match mismatch",
         lambda: patch("doc_nope", {"metadata": {}}, headers=[("If-Match", '"999"')]), 404, "NotFoundError"),
        ("If-Match mismatch + read-only change",
         lambda: patch(doc, {"collection_id": "x"}, headers=[("If-Match", '"999"')]),
         412, "PreconditionFailedError"),
        ("If-Match mismatch + failing test",
         lambda: api("PATCH", doc, ctype="application/json-patch+json", headers=[("If-Match", '"999"')],
                     body=[{"op": "test", "path": "/metadata/title", "value": "no"}]),
         412, "PreconditionFailedError"),
        ("If-Match mismatch + metadata not an object",
         lambda: api("PATCH", doc, ctype="application/json-patch+json", headers=[("If-Match", '"999"')],
                     body=[{"op": "replace", "path": "/metadata", "value": 1}]),
         412, "PreconditionFailedError"),
        ("no auth + unknown path", lambda: request("GET", "/v1/nope"), 404, "NotFoundError"),
        ("no auth + wrong method", lambda: request("POST", doc_path("nope", "doc_nope"), body="{",
                                                   headers=[("Content-Type", "text/plain")]),
         405, "MethodNotAllowedError"),
    ]
    for what, fn, status, etype in cases:
        try:
            rejected(doc, fn, status, etype, locs=[["body"]] if status == 422 and "body" in what else
                     ([["query"]] if status == 422 else ()))
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e))
    # the 404s carry the right resource
    rejected(doc, lambda: get("doc_nope", col="nope"), 404, "NotFoundError",
             {"resource": "collection", "id": "nope"})
    rejected(doc, lambda: patch(doc, {"metadata": {}}, key=R, ns="nope"), 404, "NotFoundError",
             {"resource": "namespace", "id": "nope"})


# ---- routes

@test
def unknown_path_404():
    for path in ("/", "/nope", "/v1", "/v1/collections", "/v1/collections/x",
                 "/v1/collections/articles/documents/doc_seed1/nope/more",
                 "/v2/collections/articles/documents/doc_seed1", "/healthz/x"):
        r = request("GET", path, headers=[("Authorization", "Bearer " + SEED["key_write"]),
                                          ("X-Namespace", NS)])
        try:
            expect_error(r, 404, "NotFoundError")
        except AssertionError as e:
            raise AssertionError("GET %s: %s" % (path, e))


def allow_set(r):
    return {m.strip().upper() for m in (r.header("Allow") or "").split(",") if m.strip()}


@test
def method_not_allowed_405():
    doc = new_doc()
    h = [("Authorization", "Bearer " + SEED["key_write"]), ("X-Namespace", NS),
         ("Content-Type", "application/json")]
    for method in ("POST", "OPTIONS"):
        with unchanged(doc):
            r = request(method, doc_path(SEED["col_articles"], doc), h, body="{}")
            expect_error(r, 405, "MethodNotAllowedError")
        allow = allow_set(r)
        check({"GET", "PATCH"} <= allow, "%s: Allow %r lacks GET or PATCH" % (method, r.header("Allow")))
        check(method not in allow, "%s: Allow lists the refused method" % method)
    # a method override is opt-in: by default POST stays a POST
    with unchanged(doc):
        r = request("POST", doc_path(SEED["col_articles"], doc),
                    h + [("X-HTTP-Method-Override", "PATCH")], body='{"metadata": {"o": 1}}')
        expect_error(r, 405, "MethodNotAllowedError")
    r = request("POST", "/healthz", body="{}", headers=[("Content-Type", "application/json")])
    expect_error(r, 405, "MethodNotAllowedError")
    check("GET" in allow_set(r), "Allow of /healthz %r lacks GET" % r.header("Allow"))


@test
def head_like_get_or_405():
    r = request("HEAD", doc_path("articles", "doc_seed1"),
                [("Authorization", "Bearer " + SEED["key_write"]), ("X-Namespace", NS)])
    check(r.status in (200, 405), "HEAD: expected 200 or 405, got %d" % r.status)
    eq(r.body, b"", "HEAD response body")


# ---- request ids, errors, logs

@test
def request_id_echoed_or_generated():
    for rid in ("test-req-123_ABC.x", "0f8fad5b-d9cb-469f-a165-70867728950e"):
        for fn in (lambda: get("doc_seed1", headers=[("X-Request-Id", rid)]),
                   lambda: get("doc_seed1", key=None, headers=[("X-Request-Id", rid)]),
                   lambda: get("doc_seed1", query="return_vectors=x", headers=[("X-Request-Id", rid)]),
                   lambda: request("GET", "/nope", headers=[("X-Request-Id", rid)]),
                   lambda: request("GET", "/healthz", headers=[("X-Request-Id", rid)])):
            r = fn()
            eq(r.header("X-Request-Id"), rid, "X-Request-Id echoed on a %d" % r.status)
    ids = set()
    for _ in range(40):  # several per worker: per-thread counters never repeat
        r = get("doc_seed1")
        rid = r.header("X-Request-Id")
        check(rid and re.match(r"^[\x21-\x7e]{8,128}$", rid), "generated X-Request-Id %r" % rid)
        ids.add(rid)
    eq(len(ids), 40, "number of distinct generated request ids")
    for insane in ("a b c", "<script>alert(1)</script>", "x" * 1000, "abc\"def", "\u00e9t\u00e9".encode().decode("latin-1")):
        r = get("doc_seed1", headers=[("X-Request-Id", insane)])
        got = r.header("X-Request-Id")
        check(got and got != insane, "insane X-Request-Id %r was echoed" % insane[:40])
        check(re.match(r"^[\x21-\x7e]{1,200}$", got), "replacement X-Request-Id %r" % got)


@test
def internal_error_500_leaks_nothing():
    doc = new_doc()
    rid = "leakcheck" + "".join(random.choice(string.ascii_lowercase) for _ in range(12))
    psql("ALTER TABLE documents ADD CONSTRAINT docapi_test_fail CHECK (document_id <> '%s') NOT VALID" % doc)
    try:
        with unchanged(doc):
            r = patch(doc, {"metadata": {"boom": 1}}, headers=[("X-Request-Id", rid)])
            expect_error(r, 500, "InternalServerError")
        text = r.body.decode("utf-8", errors="replace")
        for needle in ("SELECT", "UPDATE", "INSERT", "ERROR:", "SQLSTATE", "23514", "constraint",
                       "docapi_test_fail", "violates", "documents", "relation", "/tmp", "/work",
                       "/usr", ".c:", "sk_live", "sk_test", "host=", "dbname", "postgres", "PGSQL"):
            check(needle not in text, "500 body leaks %r: %s" % (needle, text[:300]))
        eq(r.header("X-Request-Id"), rid, "X-Request-Id of the 500")
        # the detail went to the log, under the request id
        deadline = time.time() + 3
        while rid not in app_log() and time.time() < deadline:
            time.sleep(0.1)
        check(rid in app_log(), "request id %s of a 500 not found in the app's log" % rid)
    finally:
        psql("ALTER TABLE documents DROP CONSTRAINT IF EXISTS docapi_test_fail")
    # the worker recovered
    expect_ok(patch(doc, {"metadata": {"after": 1}}))


@test
def error_bodies_never_leak_key():
    r = get("doc_seed1", key=SEED["key_revoked"])
    check(SEED["key_revoked"] not in r.body.decode(errors="replace"), "401 body contains the key")
    check(SEED["key_revoked"][8:] not in app_log(), "the app logged a plaintext key")


# ---- concurrency

@test
def concurrent_patches_all_take_effect():
    doc = new_doc()
    _, r0 = get_doc(doc)
    v0 = version_of(r0)
    n = 40
    results = [None] * n
    start = threading.Barrier(n)

    def worker(i):
        try:
            start.wait(timeout=30)
            results[i] = patch(doc, {"metadata": {"k%d" % i: i}}, timeout=60)
        except Exception as e:  # noqa
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    bad = [(i, r) for i, r in enumerate(results) if not isinstance(r, Resp) or r.status != 200]
    check(not bad, "%d of %d concurrent PATCHes failed: %r" % (len(bad), n, bad[:3]))
    d, r = get_doc(doc)
    missing = [i for i in range(n) if d["metadata"].get("k%d" % i) != i]
    check(not missing, "lost updates: metadata keys missing %r" % missing)
    eq(d["metadata"].get("title"), "Fresh", "untouched key")
    eq(version_of(r), v0 + n, "version after %d concurrent changes" % n)
    versions = sorted(version_of(x) for x in results)
    eq(versions, list(range(v0 + 1, v0 + n + 1)), "versions returned to the concurrent PATCHes")


@test
def sustained_contention_on_one_document():
    # 16 clients keep patching one document (4 workers race for its row):
    # optimistic retries alone could starve a worker (it kept losing to an
    # UPDATE in flight: 503 after 64 attempts); after a few losses the row
    # is locked, so every PATCH lands.
    doc = new_doc()
    _, r0 = get_doc(doc)
    v0 = version_of(r0)
    clients, each = 16, 15
    failures = []

    def client(c):
        for i in range(each):
            try:
                r = patch(doc, {"metadata": {"c%d_%d" % (c, i): i}}, timeout=60)
                if r.status != 200:
                    failures.append((c, i, r.status, r.body[:200]))
            except Exception as e:  # noqa
                failures.append((c, i, repr(e)))

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    check(not failures, "%d PATCHes failed: %r" % (len(failures), failures[:3]))
    d, r = get_doc(doc)
    missing = [(c, i) for c in range(clients) for i in range(each)
               if d["metadata"].get("c%d_%d" % (c, i)) != i]
    check(not missing, "lost updates: %r" % missing[:5])
    eq(version_of(r), v0 + clients * each, "version after sustained contention")
    check("gave up" not in app_log(), "a PATCH gave up on a busy document")


@test
def concurrent_json_patch_appends():
    doc = new_doc(metadata={"list": []})
    n = 20
    results = [None] * n

    def worker(i):
        try:
            results[i] = api("PATCH", doc, ctype="application/json-patch+json", timeout=60,
                             body=[{"op": "add", "path": "/metadata/list/-", "value": i}])
        except Exception as e:  # noqa
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    bad = [r for r in results if not isinstance(r, Resp) or r.status != 200]
    check(not bad, "%d concurrent JSON Patches failed: %r" % (len(bad), bad[:3]))
    d, _ = get_doc(doc)
    eq(sorted(d["metadata"]["list"]), list(range(n)), "appended values")


@test
def concurrent_if_match_exactly_one_wins():
    doc = new_doc()
    _, r0 = get_doc(doc)
    e0 = etag_of(r0)
    n = 12
    results = [None] * n
    start = threading.Barrier(n)

    def worker(i):
        try:
            start.wait(timeout=30)
            results[i] = patch(doc, {"metadata": {"w%d" % i: i}}, headers=[("If-Match", e0)],
                               timeout=60)
        except Exception as e:  # noqa
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    statuses = sorted(r.status if isinstance(r, Resp) else repr(r) for r in results)
    eq(statuses, [200] + [412] * (n - 1), "statuses of %d PATCHes with the same If-Match" % n)
    winner = [i for i, r in enumerate(results) if r.status == 200][0]
    d, r = get_doc(doc)
    keys = [k for k in d["metadata"] if k.startswith("w")]
    eq(keys, ["w%d" % winner], "metadata keys written")
    eq(version_of(r), version_of(r0) + 1, "version")


# ---- mount prefix

@test
def mounted_under_api_prefix():
    if not API_BASE:
        raise Skip("no /api instance")
    a = expect_ok(get("doc_seed1", base=API_BASE))
    b = expect_ok(get("doc_seed1"))
    eq(a, b, "document under /api vs at /")
    b = expect_ok(request("GET", "/healthz", base=API_BASE))
    eq(b.get("status"), "ok", "healthz under /api")
    doc = new_doc()
    d = expect_ok(patch(doc, {"metadata": {"via": "api"}}, base=API_BASE))
    eq(d["metadata"].get("via"), "api", "metadata.via")
    expect_error(request("GET", "/nope", base=API_BASE), 404, "NotFoundError")
    rejected(doc, lambda: get(doc, key=None, base=API_BASE), 401, "UnauthorizedError")
    r = request("POST", doc_path("articles", doc), base=API_BASE, body="{}",
                headers=[("Content-Type", "application/json")])
    expect_error(r, 405, "MethodNotAllowedError")


# ---- admin CLI

@test
def admin_export_roundtrip():
    out = admin("export", "--collection", SEED["col_articles"])
    docs = {}
    for line in out.splitlines():
        if line.strip():
            d = json.loads(line)
            docs[d.get("document_id")] = d
    check("doc_seed1" in docs and "doc_seed2" in docs, "export lacks the seed documents: %r"
          % list(docs)[:5])
    s1 = docs["doc_seed1"]
    eq(s1.get("vector"), [0.5, 0.25, -1.0], "exported vector")
    eq(s1.get("cluster_id"), "cl_7", "exported flat field")
    eq(s1.get("internal_metadata", {}).get("feature_extractor_config_hash"), "abc123",
       "exported internal_metadata")


# ---- database outage (keep last: it restarts PostgreSQL)

@test_last
def database_down_503_then_recovers_in_same_workers():
    doc = new_doc()
    expect_ok(get(doc))
    # Plain CGI has no long-lived worker: only the 503 and the recovery apply.
    long_lived = SERVER != "cgi"
    pids_before = worker_pids("main") if long_lived else []
    check(pids_before or not long_lived, "no FastCGI worker processes found under lighttpd")
    row_before = db_row(doc)
    stack("pg_stop")
    try:
        for fn in (lambda: get(doc), lambda: patch(doc, {"metadata": {"down": 1}}),
                   lambda: get("doc_seed1", key=SEED["key_read"])):
            expect_error(fn(), 503, "ServiceUnavailableError")
        # contract 6: /healthz is 503 then; contract 2: with the error body
        expect_error(request("GET", "/healthz"), 503, "ServiceUnavailableError")
    finally:
        stack("pg_start")
    deadline = time.time() + 10
    r = None
    while time.time() < deadline:
        r = get(doc)
        if r.status == 200:
            break
        time.sleep(0.25)
    check(r is not None and r.status == 200, "no 200 within 10 s of PostgreSQL's restart: %r" % r)
    if API_BASE:
        deadline = time.time() + 10
        while time.time() < deadline:
            r = get(doc, base=API_BASE)
            if r.status == 200:
                break
            time.sleep(0.25)
        eq(r.status, 200, "status under /api after PostgreSQL's restart")
    # every worker gets back (lighttpd may spread requests over them)
    for _ in range(20):
        expect_ok(get(doc))
    eq(db_row(doc), row_before, "document row after the outage (the 503 PATCH must not have written)")
    d = expect_ok(patch(doc, {"metadata": {"after": "outage"}}))
    eq(d["metadata"].get("after"), "outage", "PATCH after the outage")
    expect_ok(request("GET", "/healthz"))
    if long_lived:
        eq(worker_pids("main"), pids_before, "FastCGI worker PIDs (workers must survive the outage)")


# ------------------------------------------------------------------ runner

def print_log_tails(lines=15):
    """After a failure: the end of the app's and the servers' logs."""
    if not STACK_TMP:
        return
    for rel in ("lighttpd-main/app.log", "lighttpd-api/app.log", "lighttpd-main/error.log",
                "lighttpd-api/error.log", "postgresql.log"):
        try:
            with open(os.path.join(STACK_TMP, rel), "rb") as f:
                tail = f.read().decode("utf-8", errors="replace").splitlines()[-lines:]
        except OSError:
            continue
        if tail:
            print("----- last lines of %s" % rel)
            for line in tail:
                print("    " + line)


def load_route_tests():
    """Each routes/*.py file holds one route's tests, written against the
    helpers of this file (it runs in this module's namespace)."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "routes")
    if not os.path.isdir(here):
        return
    for name in sorted(os.listdir(here)):
        if name.endswith(".py"):
            path = os.path.join(here, name)
            with open(path) as f:
                exec(compile(f.read(), path, "exec"), globals())


def main(argv):
    global VERBOSE, SEED
    load_route_tests()
    TESTS.sort(key=lambda t: getattr(t, "runs_last", False))  # stable
    filters = []
    stop_first = False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "-k" and args:
            filters.append(args.pop(0))
        elif a == "-v":
            VERBOSE = True
        elif a == "-x":
            stop_first = True
        elif a in ("-l", "--list"):
            for t in TESTS:
                print(t.__name__)
            return 0
        else:
            print("usage: test_api.py [-k SUBSTRING]... [-v] [-x] [-l]", file=sys.stderr)
            return 2
    if not BASE or not os.environ.get("DOCAPI_TEST_SEED"):
        print("test_api.py: run me through tests/integration/run.sh", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    with open(os.environ["DOCAPI_TEST_SEED"]) as f:
        SEED = json.load(f)
    passed = failed = skipped = 0
    failures = []
    for t in TESTS:
        name = t.__name__
        if filters and not any(f in name for f in filters):
            continue
        t0 = time.time()
        try:
            t()
        except Skip as e:
            skipped += 1
            print("skip %s: %s" % (name, e), flush=True)
            continue
        except Exception as e:  # noqa: a test framework reports everything
            failed += 1
            reason = str(e) if isinstance(e, AssertionError) else "%s: %s" % (type(e).__name__, e)
            reason = reason.replace("\n", "\n    ")
            print("FAIL %s: %s" % (name, reason), flush=True)
            if VERBOSE or not isinstance(e, AssertionError):
                traceback.print_exc(file=sys.stdout)
            failures.append(name)
            if stop_first:
                break
            continue
        passed += 1
        print("ok %s (%.2fs)" % (name, time.time() - t0) if VERBOSE else "ok %s" % name, flush=True)
    if failures:
        print_log_tails()
        print("failed: " + " ".join(failures))
    summary = "%d passed, %d failed" % (passed, failed)
    if STACK_TMP:
        try:
            with open(os.path.join(STACK_TMP, "summary"), "w") as f:
                f.write(summary + "\n")
        except OSError:
            pass
    print(summary, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
