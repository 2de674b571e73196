#!/usr/bin/env python3
"""test_presign.py - return_url=true end to end (contract section 5).

Started by tests/integration/run_presign.sh, which provides (through the
JSON file named by DOCAPI_PRESIGN_SEED) one docapi per credential setup
behind lighttpd, @20minutes/s3rver (verifies SigV4 signatures) and the fake
IMDS/ECS endpoint. Every presigned URL is FETCHED from s3rver and must give
the exact bytes uploaded; tampered URLs must give 403.

    test_presign.py [-k SUBSTRING] [-v]

Python 3 stdlib only. Prints one line per failed check and, last, exactly
one line "N passed, M failed" (into the file named by DOCAPI_PRESIGN_SUMMARY
instead, when set); exit status 0 only when nothing failed.
"""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import time
import traceback
import urllib.parse

SEED = json.load(open(os.environ["DOCAPI_PRESIGN_SEED"]))
SECRETS = SEED["secrets"]
S3_PORT = SEED["s3_port"]
S3_HOST = "127.0.0.1:%d" % S3_PORT
BASES = SEED["bases"]
STACK_TMP = SEED["stack_tmp"]
VERBOSE = "-v" in sys.argv
ONLY = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else None

passed = 0
failed = 0
RESPONSES = []          # every docapi response body, checked for secrets at the end


def check(cond, name, detail=""):
    global passed, failed
    if cond:
        passed += 1
        if VERBOSE:
            print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name + (": " + str(detail)[:600] if detail else ""))
    return cond


# ------------------------------------------------------------------ HTTP

class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def raw_request(host, port, method, target, headers=(), body=None):
    """target is sent byte for byte (no re-encoding)."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.putrequest(method, target, skip_host=any(k.lower() == "host" for k, _ in headers),
                        skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def api(inst, method, doc, query="", body=None):
    u = urllib.parse.urlsplit(BASES[inst])
    path = "/v1/collections/%s/documents/%s" % (SEED["col"], doc)
    if query:
        path += "?" + query
    h = [("Authorization", "Bearer " + SEED["key"]), ("X-Namespace", SEED["ns"])]
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h.append(("Content-Type", "application/merge-patch+json"))
    r = raw_request(u.hostname, u.port, method, path, h, data)
    RESPONSES.append(r.body)
    return r


def fetch(url):
    """GETs a presigned URL exactly as given."""
    u = urllib.parse.urlsplit(url)
    target = url[url.index("/", len(u.scheme) + 3):]
    return raw_request(u.hostname, u.port, "GET", target)


def qparams(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))


# ------------------------------------------------------- S3 (SigV4 header)

def s3_encode_path(bucket, key):
    return "/" + bucket + ("/" + urllib.parse.quote(key, safe="/") if key else "")


def s3_signed(method, bucket, key, body, ak, sk, region="us-east-1"):
    """One SigV4 header-signed request to s3rver (our own signer, so the
    objects are uploaded independently of the code under test)."""
    t = datetime.datetime.now(datetime.timezone.utc)
    amzdate = t.strftime("%Y%m%dT%H%M%SZ")
    path = s3_encode_path(bucket, key)
    payload = hashlib.sha256(body).hexdigest()
    hdrs = {"host": S3_HOST, "x-amz-content-sha256": payload, "x-amz-date": amzdate}
    signed = ";".join(sorted(hdrs))
    canon = "\n".join([method, path, "", "".join("%s:%s\n" % (k, hdrs[k]) for k in sorted(hdrs)),
                       signed, payload])
    scope = "%s/%s/s3/aws4_request" % (amzdate[:8], region)
    sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                     hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + sk).encode()
    for part in (amzdate[:8], region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    auth = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (ak, scope, signed, sig)
    h = [("Host", S3_HOST), ("x-amz-content-sha256", payload), ("x-amz-date", amzdate),
         ("Authorization", auth)]
    return raw_request("127.0.0.1", S3_PORT, method, path, h, body)


OBJECTS = {}   # (bucket, key) -> bytes


def setup_s3():
    ak, sk = SECRETS["static"]
    for bucket in ("docapi-media", "regional-bkt"):
        r = s3_signed("PUT", bucket, "", b"", ak, sk)
        if r.status != 200:
            raise RuntimeError("create bucket %s: %r" % (bucket, r))
    keys = [("docapi-media", "videos/clip one.mp4"), ("docapi-media", "a+b/c+d=e.txt"),
            ("docapi-media", "ünï/cödé ✓ 漢字.txt"), ("docapi-media", "deep/er/and/deeper/file.bin"),
            ("docapi-media", "thumbs/t.jpg"), ("regional-bkt", "r/object.bin"),
            ("docapi-media", "b.txt"),
            # literal '%' in keys: uploaded as %25 (quote()), stored with '%'
            ("docapi-media", "100% real/a%2Fb %41.txt"), ("docapi-media", "pct/%zz%/100%"),
            # what a wrong (percent-decoding) reading of the keys would fetch
            ("docapi-media", "100% real/a/b A.txt"), ("docapi-media", "100 real/a/b A.txt")]
    for i, (bucket, key) in enumerate(keys):
        data = secrets.token_bytes(200 + 37 * i) + b"\x00\xff\r\n" + key.encode()
        r = s3_signed("PUT", bucket, key, data, ak, sk)
        if r.status != 200:
            raise RuntimeError("upload %s/%s: %r" % (bucket, key, r))
        OBJECTS[(bucket, key)] = data
    # s3rver verifies signatures: a wrong secret is refused
    r = s3_signed("PUT", "docapi-media", "nope.txt", b"x", ak, sk + "x")
    if r.status != 403:
        raise RuntimeError("s3rver accepted a bad signature: %r" % r)


def fake(inst, action, **params):
    u = urllib.parse.urlsplit(SEED["fake"])
    q = urllib.parse.urlencode(params)
    r = raw_request(u.hostname, u.port, "GET", "/i/%s/__control/%s?%s" % (inst, action, q))
    return json.loads(r.body) if action == "state" else r.status


def psql(sql):
    out = subprocess.run([os.path.join(os.environ["PG_BIN"], "psql"), "-X", "-q", "-At",
                          "-v", "ON_ERROR_STOP=1", "-h", os.environ["PGHOST"], "-p",
                          os.environ["PGPORT"], "-U", "postgres", "-d", "docapi", "-c", sql],
                         capture_output=True, text=True, check=True)
    return out.stdout


def doc_row(doc):
    return psql("SELECT row_to_json(d) FROM documents d WHERE document_id = '%s'" % doc)


def s3_blob_key(url):
    rest = url[len("s3://"):]
    bucket, _, key = rest.partition("/")
    return bucket, key


def amz_date_epoch(v):
    return datetime.datetime.strptime(v, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def check_url_common(name, url, ak, region="us-east-1", expires=None, token=None):
    q = qparams(url)
    check(q.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256", name + ": algorithm", url)
    cred = q.get("X-Amz-Credential", "").split("/")
    check(len(cred) == 5 and cred[0] == ak and cred[2] == region and cred[3] == "s3"
          and cred[4] == "aws4_request", name + ": credential scope", q.get("X-Amz-Credential"))
    check(q.get("X-Amz-SignedHeaders") == "host", name + ": signed headers host")
    check(re.fullmatch(r"[0-9a-f]{64}", q.get("X-Amz-Signature", "")) is not None,
          name + ": signature hex")
    d = q.get("X-Amz-Date", "")
    check(re.fullmatch(r"\d{8}T\d{6}Z", d) is not None and abs(amz_date_epoch(d) - time.time()) < 30,
          name + ": X-Amz-Date is now", d)
    if expires is not None:
        check(q.get("X-Amz-Expires") == str(expires), name + ": X-Amz-Expires = %s" % expires,
              q.get("X-Amz-Expires"))
    if token is None:
        check("X-Amz-Security-Token" not in q, name + ": no session token")
    else:
        check(q.get("X-Amz-Security-Token") == token, name + ": session token in the URL",
              q.get("X-Amz-Security-Token"))
    return q


def fetch_ok(name, url, bucket, key):
    r = fetch(url)
    check(r.status == 200, name + ": fetch 200", r)
    check(r.body == OBJECTS.get((bucket, key)), name + ": exact bytes",
          "%d bytes" % len(r.body))


# ------------------------------------------------------------------ tests

def t_static_document():
    r = api("static", "GET", "doc_multi", "return_url=true")
    if not check(r.status == 200, "static GET return_url=true: 200", r):
        return
    d = r.json()
    blobs = d["document_blobs"]
    by_field = {b["field"]: b for b in blobs}
    ak = SECRETS["static"][0]
    # every s3:// blob of docapi-media / regional-bkt is presigned and fetchable
    for field in ("video", "plus", "unicode", "percent", "pctend", "nested", "regional"):
        b = by_field[field]
        url = b.get("presigned_url")
        if not check(url is not None, "static %s: presigned_url present" % field, b):
            continue
        bucket, key = s3_blob_key(b["url"])
        region = "eu-central-1" if bucket == "regional-bkt" else "us-east-1"
        check(url.startswith("http://%s/%s/" % (S3_HOST, bucket)),
              "static %s: path style on the default endpoint" % field, url)
        check_url_common("static " + field, url, ak, region, expires=900)
        fetch_ok("static " + field, url, bucket, key)
    # encoding of keys: single encoding, %20 for space, %2B for '+'
    check("/videos/clip%20one.mp4?" in by_field["video"]["presigned_url"], "space is %20")
    check("/a%2Bb/c%2Bd%3De.txt?" in by_field["plus"]["presigned_url"], "'+' is %2B, '=' is %3D")
    check("/%C3%BCn%C3%AF/c%C3%B6d%C3%A9%20%E2%9C%93%20%E6%BC%A2%E5%AD%97.txt?"
          in by_field["unicode"]["presigned_url"], "unicode key UTF-8 percent-encoded")
    # '%' is a literal key byte: %25, never taken as an escape (no decoding,
    # no double encoding of what looks like an escape)
    check("/docapi-media/100%25%20real/a%252Fb%20%2541.txt?" in by_field["percent"]["presigned_url"],
          "'%' in a key is %25 ('%2F' and '%41' stay literal)", by_field["percent"]["presigned_url"])
    check("/docapi-media/pct/%25zz%25/100%25?" in by_field["pctend"]["presigned_url"],
          "'%' before a non-hex byte and at the end of a key is %25",
          by_field["pctend"]["presigned_url"])
    # https/http blobs pass unchanged
    check(by_field["thumb"].get("presigned_url") == by_field["thumb"]["url"],
          "https blob passes unchanged", by_field["thumb"])
    check(by_field["plainhttp"].get("presigned_url") == by_field["plainhttp"]["url"],
          "http blob passes unchanged", by_field["plainhttp"])
    # AWS override: virtual-hosted, regional, https (not fetched: no AWS here)
    remote = by_field["remote"].get("presigned_url", "")
    check(remote.startswith("https://aws-virtual.s3.eu-west-1.amazonaws.com/remote/key.txt?"),
          "bucket override: AWS virtual-hosted eu-west-1", remote)
    if remote:
        check_url_common("static remote", remote, ak, "eu-west-1", expires=900)
    # dot segments cannot be presigned safely
    check("presigned_url" not in by_field["dotseg"], "dot-segment key: no presigned_url",
          by_field["dotseg"])
    # presigned_urls[]: one entry per presigned blob, in blob order
    want = [{"key_name": b["field"], **({"object_key": b["object_key"]} if "object_key" in b else {}),
             "presigned_url": b["presigned_url"]} for b in blobs if "presigned_url" in b]
    check(d.get("presigned_urls") == want, "presigned_urls lists every presigned blob",
          d.get("presigned_urls"))
    check(len(want) == 10, "ten blobs presigned (all but the dot segment)", len(want))
    # top-level presigned_url: the first blob with role source
    check(d.get("presigned_url") == by_field["video"]["presigned_url"],
          "top-level presigned_url = first source blob", d.get("presigned_url"))
    keys = list(d.keys())
    check(keys.index("document_blobs") < keys.index("presigned_url") < keys.index("presigned_urls")
          < keys.index("created_at"), "key order of the contract", keys)


def t_tampered():
    r = api("static", "GET", "doc_multi", "return_url=true")
    d = r.json()
    url = d["presigned_url"]
    check(fetch(url).status == 200, "untampered URL works")
    sig = qparams(url)["X-Amz-Signature"]
    bad = url.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1"))
    r1 = fetch(bad)
    check(r1.status == 403 and b"SignatureDoesNotMatch" in r1.body, "changed signature: 403", r1)
    other = url.replace("/videos/clip%20one.mp4?", "/thumbs/t.jpg?")
    check(other != url, "key replaced")
    r2 = fetch(other)
    check(r2.status == 403, "changed key: 403", r2)
    r3 = fetch(url.replace("X-Amz-Expires=900", "X-Amz-Expires=901"))
    check(r3.status == 403, "changed X-Amz-Expires: 403", r3)
    r4 = fetch(url.replace("/docapi-media/", "/regional-bkt/"))
    check(r4.status == 403, "changed bucket: 403", r4)


def t_alias_and_flags():
    r = api("static", "GET", "doc_multi", "return_presigned_urls=true")
    d = r.json() if r.status == 200 else {}
    check(r.status == 200 and d.get("presigned_url", "").startswith("http://" + S3_HOST),
          "alias return_presigned_urls=true", r)
    check(len(d.get("presigned_urls", [])) == 10, "alias: presigned_urls filled")
    if d.get("presigned_url"):
        fetch_ok("alias", d["presigned_url"], "docapi-media", "videos/clip one.mp4")
    r = api("static", "GET", "doc_multi")
    d = r.json()
    check("presigned_url" not in d and d.get("presigned_urls") == [] and
          all("presigned_url" not in b for b in d["document_blobs"]),
          "without return_url: nothing presigned", d)
    r = api("static", "GET", "doc_multi", "return_url=false")
    check(r.status == 200 and r.json().get("presigned_urls") == [], "return_url=false")
    r = api("static", "GET", "doc_nosource", "return_url=true")
    d = r.json()
    check("presigned_url" not in d, "no source blob: no top-level presigned_url", d)
    check(len(d.get("presigned_urls", [])) == 1, "no source blob: presigned_urls still filled")
    if d.get("presigned_urls"):
        fetch_ok("thumbnail", d["presigned_urls"][0]["presigned_url"], "docapi-media", "thumbs/t.jpg")


def t_patch_with_urls():
    r = api("static", "PATCH", "doc_patch", "return_url=true", {"metadata": {"seen": 1}})
    if not check(r.status == 200, "PATCH return_url=true: 200", r):
        return
    d = r.json()
    check(d["metadata"].get("seen") == 1, "PATCH applied")
    check(bool(d.get("presigned_url")), "PATCH response presigned", d)
    fetch_ok("PATCH response", d["presigned_url"], "docapi-media", "videos/clip one.mp4")
    row = doc_row("doc_patch")
    check("X-Amz-" not in row and "presigned" not in row, "presigned URLs are not stored", row[:300])
    # PATCH that adds a blob whose key has '%' and a space: both blobs presigned
    # in the PATCH response, both fetched; the stored URL keeps the raw key
    pct = "s3://docapi-media/100% real/a%2Fb %41.txt"
    blobs = [b for b in d["document_blobs"] if b["field"] == "video"]
    blobs = [{k: v for k, v in b.items() if k != "presigned_url"} for b in blobs]
    blobs.append({"field": "pct", "url": pct, "role": "aux", "type": "text"})
    r = api("static", "PATCH", "doc_patch", "return_url=true", {"document_blobs": blobs})
    if not check(r.status == 200, "PATCH document_blobs return_url=true: 200", r):
        return
    d = r.json()
    by_field = {b["field"]: b for b in d["document_blobs"]}
    check([e["key_name"] for e in d.get("presigned_urls", [])] == ["video", "pct"],
          "PATCH response: presigned_urls for both blobs", d.get("presigned_urls"))
    check(d.get("presigned_url") == by_field["video"].get("presigned_url"),
          "PATCH response: top-level = the source blob")
    if check("presigned_url" in by_field.get("pct", {}), "PATCH response: '%' blob presigned",
             by_field.get("pct")):
        check(by_field["pct"]["url"] == pct, "PATCH response: blob url unchanged", by_field["pct"])
        check("/100%25%20real/a%252Fb%20%2541.txt?" in by_field["pct"]["presigned_url"],
              "PATCH response: '%' key encoded once", by_field["pct"]["presigned_url"])
        fetch_ok("PATCH response '%' blob", by_field["pct"]["presigned_url"], "docapi-media",
                 "100% real/a%2Fb %41.txt")
    fetch_ok("PATCH response video", d.get("presigned_url", ""), "docapi-media", "videos/clip one.mp4")
    row = doc_row("doc_patch")
    check("100% real/a%2Fb %41.txt" in row and "X-Amz-" not in row and "presigned" not in row,
          "PATCH: raw '%' key stored, no presigned URL stored", row[:400])
    r = api("static", "GET", "doc_patch", "return_url=true")
    d = r.json() if r.status == 200 else {}
    urls = [e["presigned_url"] for e in d.get("presigned_urls", [])]
    check(r.status == 200 and len(urls) == 2, "GET after PATCH: both blobs presigned", r)
    if len(urls) == 2:
        fetch_ok("GET after PATCH '%' blob", urls[1], "docapi-media", "100% real/a%2Fb %41.txt")


def t_expired():
    """presign_expires = 1: the URL works within its second, 403 after."""
    frac = time.time() % 1
    if frac > 0.2:                  # sign just after a second boundary
        time.sleep(1.02 - frac)
    r = api("short", "GET", "doc_multi", "return_url=true")
    if not check(r.status == 200, "short: GET return_url=true 200", r):
        return
    d = r.json()
    by_field = {b["field"]: b for b in d["document_blobs"]}
    url = d.get("presigned_url", "")
    q = check_url_common("short", url, SECRETS["static"][0], expires=1)
    deadline = amz_date_epoch(q.get("X-Amz-Date", "19700101T000000Z")) + 1
    pct = by_field.get("percent", {}).get("presigned_url", "")
    check(expires_of(pct) == 1, "short: every URL has X-Amz-Expires=1", pct)
    # at once: valid (only judged when the fetch surely ended before expiry)
    r0 = fetch(url)
    if time.time() < deadline - 0.05:
        check(r0.status == 200 and r0.body == OBJECTS[("docapi-media", "videos/clip one.mp4")],
              "short: fetched within its lifetime: 200", r0)
    elif VERBOSE:
        print("note short: the first fetch ended after the deadline; not judged")
    wait = deadline + 1.2 - time.time()
    if wait > 0:
        time.sleep(wait)
    for name, u in (("source", url), ("'%' key", pct)):
        r1 = fetch(u)
        check(r1.status == 403 and b"AccessDenied" in r1.body and b"expired" in r1.body
              and b"SignatureDoesNotMatch" not in r1.body,
              "short: %s URL after expiry: 403 AccessDenied (expired)" % name, r1)
    # a fresh URL from the same instance works again (the 403 was the expiry)
    frac = time.time() % 1
    if frac > 0.2:
        time.sleep(1.02 - frac)
    r = api("short", "GET", "doc_multi", "return_url=true")
    u2 = r.json().get("presigned_url", "") if r.status == 200 else ""
    dl2 = amz_date_epoch(qparams(u2).get("X-Amz-Date", "19700101T000000Z")) + 1 if u2 else 0
    r2 = fetch(u2) if u2 else Resp(0, [], b"")
    if time.time() < dl2 - 0.05:
        check(r2.status == 200, "short: a new URL works again", r2)


def t_env_credentials():
    r = api("env", "GET", "doc_multi", "return_url=true")
    if not check(r.status == 200, "env: 200", r):
        return
    d = r.json()
    url = d["presigned_url"]
    check_url_common("env", url, SECRETS["env"][0], expires=3600, token=SECRETS["env_token"])
    fetch_ok("env", url, "docapi-media", "videos/clip one.mp4")


def expires_of(url):
    return int(qparams(url).get("X-Amz-Expires", "-1"))


def t_imds():
    r = api("imds", "GET", "doc_multi", "return_url=true")
    if not check(r.status == 200, "imds: 200", r):
        return
    st = fake("imds", "state")
    issued = st["issued"]
    check(len(issued) == 1 and issued[0]["kind"] == "imds", "imds: one credential set fetched", issued)
    c = issued[-1]
    d = r.json()
    url = d["presigned_url"]
    q = check_url_common("imds", url, c["AccessKeyId"], token=c["Token"])
    left = c["expires_epoch"] - time.time()
    check(0 < expires_of(url) <= 3600 and abs(expires_of(url) - left) <= 3,
          "imds: X-Amz-Expires capped at the credentials' expiration (6 min)",
          (q.get("X-Amz-Expires"), left))
    fetch_ok("imds", url, "docapi-media", "videos/clip one.mp4")
    for b in d["document_blobs"]:
        if b["url"].startswith("s3://docapi-media") and "presigned_url" in b:
            fetch_ok("imds " + b["field"], b["presigned_url"], *s3_blob_key(b["url"]))
    counts = st["counts"]
    check(counts.get("token") == 1 and counts.get("role") == 1 and counts.get("creds") == 1,
          "imds: protocol = 1 token PUT, 1 role GET, 1 credentials GET", counts)
    check(all(x["ok"] for x in st["requests"]), "imds: every request carried a valid token",
          st["requests"])
    for _ in range(3):
        r = api("imds", "GET", "doc_multi", "return_url=true")
        check(r.status == 200, "imds: again 200")
    st = fake("imds", "state")
    check(st["counts"] == counts, "imds: cached, no IMDS call per request", st["counts"])


def t_imds_refresh():
    fake("imdsr", "set", lifetime=304)   # refresh due 4 s after the fetch
    r = api("imdsr", "GET", "doc_multi", "return_url=true")
    if not check(r.status == 200, "imdsr: 200", r):
        return
    st = fake("imdsr", "state")
    first = st["issued"][-1]
    url = r.json()["presigned_url"]
    check(qparams(url)["X-Amz-Credential"].startswith(first["AccessKeyId"] + "/"), "imdsr: first key")
    check(expires_of(url) <= 304, "imdsr: lifetime capped", expires_of(url))
    r = api("imdsr", "GET", "doc_multi", "return_url=true")
    check(len(fake("imdsr", "state")["issued"]) == 1, "imdsr: not refreshed before due")
    time.sleep(5)
    r = api("imdsr", "GET", "doc_multi", "return_url=true")
    st = fake("imdsr", "state")
    check(len(st["issued"]) == 2, "imdsr: refreshed 5 minutes before Expiration", st["counts"])
    check(st["counts"].get("token") == 1, "imdsr: IMDSv2 session token reused", st["counts"])
    second = st["issued"][-1]
    url = r.json().get("presigned_url", "")
    check(qparams(url).get("X-Amz-Credential", "").startswith(second["AccessKeyId"] + "/") and
          qparams(url).get("X-Amz-Security-Token") == second["Token"],
          "imdsr: new credentials used after refresh", url)
    fetch_ok("imdsr refreshed", url, "docapi-media", "videos/clip one.mp4")
    # the session token expires at IMDS: 401, then a new token
    fake("imdsr", "set", expire_tokens=1)
    time.sleep(5)
    r = api("imdsr", "GET", "doc_multi", "return_url=true")
    st = fake("imdsr", "state")
    check(r.status == 200 and len(st["issued"]) == 3, "imdsr: refreshed after a 401", st["counts"])
    check(st["counts"].get("token") == 2, "imdsr: new session token after 401", st["counts"])


IMDSF_T0 = [None]


def t_imds_failing_start():
    fake("imdsf", "set", fail="token")
    IMDSF_T0[0] = time.time()
    for i in range(3):
        r = api("imdsf", "GET", "doc_multi", "return_url=true")
        check(r.status == 503, "imdsf: 503 while IMDS fails (%d)" % i, r)
    st = fake("imdsf", "state")
    check(st["counts"].get("token") == 1, "imdsf: one attempt, not one per request", st["counts"])
    fake("imdsf", "set", fail="none")
    r = api("imdsf", "GET", "doc_multi", "return_url=true")
    check(r.status == 503, "imdsf: no retry within 30 s", r)
    check(fake("imdsf", "state")["counts"].get("token") == 1, "imdsf: still one attempt")
    r = api("imdsf", "GET", "doc_multi")
    check(r.status == 200, "imdsf: documents still served without return_url", r)


def t_imds_failing_recovers():
    wait = IMDSF_T0[0] + 31 - time.time()
    if wait > 0:
        time.sleep(wait)
    r = api("imdsf", "GET", "doc_multi", "return_url=true")
    check(r.status == 200, "imdsf: recovered after the retry interval", r)
    st = fake("imdsf", "state")
    check(st["counts"].get("token") == 2 and len(st["issued"]) == 1, "imdsf: retried once",
          st["counts"])
    if r.status == 200:
        fetch_ok("imdsf", r.json()["presigned_url"], "docapi-media", "videos/clip one.mp4")
    log = open(os.path.join(STACK_TMP, "lighttpd-imdsf", "app.log"), errors="replace").read()
    check(log.count("no S3 credentials for presigning") == 1,
          "imdsf: the failure is logged once", log.count("no S3 credentials for presigning"))
    check("HTTP 500" in log and "imds:" in log, "imdsf: the log says why")
    check("available again" in log, "imdsf: recovery logged")


def t_ecs():
    for inst, path in (("ecsfull", "/i/ecsfull/ecs/creds"),
                       ("ecsrel", "/i/ecsrel/v2/credentials/8f3a-task-uuid")):
        fake(inst, "set", lifetime=1200)
        r = api(inst, "GET", "doc_multi", "return_url=true")
        if not check(r.status == 200, inst + ": 200", r):
            continue
        st = fake(inst, "state")
        check(st["counts"] == {"ecs": 1}, inst + ": one container credentials GET", st["counts"])
        check(st["requests"] and st["requests"][0]["path"] == path and st["requests"][0]["ok"],
              inst + ": URI and Authorization token as configured", st["requests"])
        c = st["issued"][-1]
        url = r.json()["presigned_url"]
        check_url_common(inst, url, c["AccessKeyId"], token=c["Token"])
        left = c["expires_epoch"] - time.time()
        check(abs(expires_of(url) - left) <= 3, inst + ": lifetime capped (1200 s creds)",
              (expires_of(url), left))
        fetch_ok(inst, url, "docapi-media", "videos/clip one.mp4")
        api(inst, "GET", "doc_multi", "return_url=true")
        check(fake(inst, "state")["counts"] == {"ecs": 1}, inst + ": cached")


def t_no_credentials():
    before = doc_row("doc_patch")
    r = api("nocreds", "GET", "doc_multi", "return_url=true")
    err = r.json().get("error", {}) if r.body.startswith(b"{") else {}
    check(r.status == 503 and err.get("type") == "ServiceUnavailableError",
          "no credentials: GET return_url=true -> 503 ServiceUnavailableError", r)
    r = api("nocreds", "PATCH", "doc_patch", "return_url=true", {"metadata": {"nocreds": True}})
    err = r.json().get("error", {}) if r.body.startswith(b"{") else {}
    check(r.status == 503 and err.get("type") == "ServiceUnavailableError",
          "no credentials: PATCH return_url=true -> 503", r)
    check(doc_row("doc_patch") == before, "no credentials: PATCH wrote nothing")
    r = api("nocreds", "PATCH", "doc_patch", "return_presigned_urls=1", {"metadata": {"x": 2}})
    check(r.status in (503, 422), "no credentials: alias refused too", r)
    check(doc_row("doc_patch") == before, "no credentials: still nothing written")
    r = api("nocreds", "GET", "doc_multi")
    check(r.status == 200, "no credentials: GET without return_url works", r)
    for _ in range(3):
        api("nocreds", "GET", "doc_multi", "return_url=true")
    log = open(os.path.join(STACK_TMP, "lighttpd-nocreds", "app.log"), errors="replace").read()
    n = log.count("no S3 credentials for presigning")
    check(n == 1, "no credentials: reason logged once, not per request", n)
    check("imds: IMDSv2 token request to http://127.0.0.1:" in log and
          "config: s3_access_key_id not set" in log and "env: AWS_ACCESS_KEY_ID not set" in log,
          "no credentials: the log names every source's reason", log[-800:])


def import_docs(docs):
    """Imports documents (dicts) into the collection with docapi-admin, as
    run_presign.sh seeds its own."""
    path = os.path.join(STACK_TMP, "log-docs-%s.ndjson" % secrets.token_hex(4))
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    out = subprocess.run([os.environ["DOCAPI_ADMIN"], "import", "--collection", SEED["col"], path],
                         capture_output=True, text=True)
    os.unlink(path)
    if out.returncode != 0 or out.stdout.strip() != str(len(docs)):
        raise RuntimeError("docapi-admin import: %r %r" % (out.stdout, out.stderr[-500:]))


def log_doc(doc_id, blobs):
    return {"document_id": doc_id, "document_schema_version": "v1", "root_object_id": "obj_1",
            "root_bucket_id": "bkt_media", "source_type": "bucket", "source_object_id": "obj_1",
            "lineage_path": "bkt_media/col_assets",
            "lineage": {"root_object_id": "obj_1", "root_bucket_id": "bkt_media",
                        "source_type": "bucket", "source_object_id": "obj_1",
                        "lineage_chain": []},
            "source_blobs": [], "internal_metadata": {}, "metadata": {"title": doc_id},
            "document_blobs": blobs,
            "created_at": "2025-10-18T10:30:00Z", "updated_at": "2025-10-18T10:30:00Z"}


def log_fields(line):
    """The fields of a log line as a logfmt-style parser splits it: spaces
    separate them, except inside "..." (with backslash escapes)."""
    fields, cur, quoted, esc = [], "", False, False
    for ch in line:
        if quoted:
            cur += ch
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            cur += ch
            quoted = True
        elif ch == " ":
            if cur:
                fields.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        fields.append(cur)
    return fields


def get_with_rid(inst, doc, rid):
    u = urllib.parse.urlsplit(BASES[inst])
    path = "/v1/collections/%s/documents/%s?return_url=true" % (SEED["col"], doc)
    h = [("Authorization", "Bearer " + SEED["key"]), ("X-Namespace", SEED["ns"]),
         ("X-Request-Id", rid)]
    r = raw_request(u.hostname, u.port, "GET", path, h)
    RESPONSES.append(r.body)
    return r


def log_lines_of(inst, rid, want_min=1):
    """The app log lines of request rid (waits a little for them)."""
    path = os.path.join(STACK_TMP, "lighttpd-" + inst, "app.log")
    deadline = time.time() + 5
    while True:
        lines = [ln for ln in open(path, errors="replace").read().splitlines()
                 if "rid=" + rid + " " in ln]
        if len(lines) >= want_min or time.time() > deadline:
            return lines
        time.sleep(0.1)


def t_log_quoted_and_bounded():
    """Blob URLs from stored documents reach the log only quoted (a forged
    bucket name cannot add a rid= field), and one reply logs a handful of
    lines however many of its blobs cannot be presigned."""
    forged = 's3://Bad" rid=forged level=error/key'
    many = ([{"field": "b%d" % i, "url": "s3://Bad_Bucket!/k%d" % i, "role": "aux", "type": "other"}
             for i in range(2000)] +
            [{"field": "d%d" % i, "url": "s3://docapi-media/x/../k%d" % i, "role": "aux",
              "type": "other"} for i in range(1000)])
    import_docs([log_doc("doc_forged", [{"field": "f", "url": forged, "role": "source",
                                         "type": "other"}]),
                 log_doc("doc_many_blobs", many)])

    rid = "forged-" + secrets.token_hex(6)
    r = get_with_rid("static", "doc_forged", rid)
    check(r.status == 200 and r.json().get("presigned_urls") == [],
          "forged bucket: 200, no presigned URL", r)
    lines = log_lines_of("static", rid)
    check(lines, "forged bucket: the refusal is logged under the request id")
    for ln in lines:
        rids = [f for f in log_fields(ln) if f.startswith("rid=")]
        check(rids == ["rid=" + rid], "forged bucket: one rid= field per line, ours", ln)
        check(not any(f.startswith("level=") for f in log_fields(ln)),
              "forged bucket: no level= field", ln)
    check(any('"Bad\\" rid=forged level=error"' in ln for ln in lines),
          "forged bucket: logged quoted and escaped", lines)
    everything = open(os.path.join(STACK_TMP, "lighttpd-static", "app.log"),
                      errors="replace").read().splitlines()
    check(not any("rid=forged" in log_fields(ln) for ln in everything),
          "no line of the log has a rid=forged field")

    rid = "many-" + secrets.token_hex(6)
    t0 = time.time()
    r = get_with_rid("static", "doc_many_blobs", rid)
    check(r.status == 200 and len(r.json().get("document_blobs", [])) == 3000 and
          r.json().get("presigned_urls") == [], "3000 unsignable blobs: 200, none presigned", r)
    lines = log_lines_of("static", rid, want_min=3)
    check(1 <= len(lines) <= 5, "3000 unsignable blobs: at most 5 log lines for the request "
          "(one per reason and a summary)", "%d lines: %r" % (len(lines), lines[:8]))
    check(any("3000 blobs not presigned in this reply" in ln and "2000 " in ln and "1000 " in ln
              for ln in lines), "3000 unsignable blobs: the summary counts them per reason", lines)
    if VERBOSE:
        print("     3000 blobs in %.2fs" % (time.time() - t0))


def t_no_secrets():
    s = SECRETS
    secret_values = [s["static"][1], s["env"][1], s["ecs_auth"], SEED["key"]] + \
        [k[1] for k in s["temp"]]
    log_tokens = [s["env_token"]]
    for inst in ("imds", "imdsr", "imdsf", "ecsfull", "ecsrel"):
        st = fake(inst, "state")
        log_tokens += [c["Token"] for c in st["issued"]]
    logs = ""
    for inst in BASES:
        for f in ("app.log", "error.log"):
            p = os.path.join(STACK_TMP, "lighttpd-" + inst, f)
            if os.path.exists(p):
                logs += open(p, errors="replace").read()
    check(len(logs) > 0, "app logs were written")
    leaked = [v[:6] + "..." for v in secret_values + log_tokens if v in logs]
    check(not leaked, "no secret, API key or session token in the app logs", leaked)
    body = b"".join(RESPONSES).decode("utf-8", "replace")
    # URL-encoded forms too (a secret must not appear even escaped)
    leaked = [v[:6] + "..." for v in secret_values
              if v in body or urllib.parse.quote(v, safe="") in body]
    check(not leaked, "no secret access key or API key in any response", leaked)


TESTS = [t_imds_failing_start, t_static_document, t_tampered, t_alias_and_flags,
         t_patch_with_urls, t_expired, t_env_credentials, t_imds, t_imds_refresh, t_ecs,
         t_no_credentials, t_imds_failing_recovers, t_log_quoted_and_bounded, t_no_secrets]


def main():
    global failed
    try:
        setup_s3()
        check(True, "s3rver: buckets and objects uploaded with SigV4")
    except Exception as e:  # noqa: BLE001
        check(False, "s3rver setup", e)
        TESTS.clear()
    for t in TESTS:
        if ONLY and ONLY not in t.__name__ and not t.__name__.startswith("t_imds_failing"):
            continue
        try:
            t()
        except Exception:  # noqa: BLE001
            check(False, t.__name__ + " raised", traceback.format_exc())
    line = "%d passed, %d failed" % (passed, failed)
    # run_presign.sh prints the closing line itself, after stopping the stack
    summary = os.environ.get("DOCAPI_PRESIGN_SUMMARY")
    if summary:
        with open(summary, "w") as f:
            f.write(line + "\n")
    else:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
