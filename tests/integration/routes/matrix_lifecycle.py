# Create, PUT, DELETE and the change feed through the web server in front
# (run_matrix.sh runs this suite behind lighttpd, Apache mod_fcgid,
# mod_proxy_fcgi, plain CGI and nginx): what a server could get wrong on
# these routes - the POST body (sized and chunked), the Location under the
# mount prefix, 204 without a body, the Idempotency-Key and
# Idempotent-Replayed headers both ways, DELETE with a body, the feed's
# query string, HEAD. Loaded by test_api.py into its own namespace; the
# names here start with _ml_ / matrix_ so that they shadow nothing of the
# other routes/*.py files.


def _ml_headers(key=DEFAULT, ctype=None, extra=()):
    h = [("Authorization", "Bearer " + (SEED["key_write"] if key is DEFAULT else key)),
         ("X-Namespace", NS)]
    if ctype:
        h.append(("Content-Type", ctype))
    h.extend(extra)
    return h


def _ml_docs(col=None):
    return "/v1/collections/%s/documents" % (col or SEED["col_articles"])


def _ml_create(body, headers=(), base=None, query=""):
    return request("POST", _ml_docs() + ("?" + query if query else ""),
                   _ml_headers(ctype="application/json", extra=headers), json.dumps(body), base)


def _ml_feed(query="", base=None, method="GET"):
    return request(method, _ml_docs() + "/changes" + ("?" + query if query else ""),
                   _ml_headers(key=SEED["key_read"]), None, base)


def _ml_feed_end(base=None):
    since = 0
    while True:
        b = expect_ok(_ml_feed("since=%d&limit=1000" % since, base))
        since = b["last_seq"]
        if not b["has_more"]:
            return since


def _ml_feed_entry(since, doc_id, base=None):
    """The feed's one entry for doc_id after since (None when there is none);
    checks the page's shape on the way."""
    b = expect_ok(_ml_feed("since=%d&limit=1000" % since, base))
    eq(sorted(b), ["has_more", "last_seq", "results"], "feed members")
    seqs = [e["seq"] for e in b["results"]]
    eq(seqs, sorted(set(seqs)), "feed seqs ascending and distinct")
    if b["results"]:
        eq(b["last_seq"], seqs[-1], "last_seq is the last result's seq")
    mine = [e for e in b["results"] if e["document_id"] == doc_id]
    check(len(mine) <= 1, "a document appears once in the feed: %r" % mine)
    return mine[0] if mine else None


def _ml_root(base):
    """(root base URL, mount prefix) of a base such as http://h:p/api."""
    u = urllib.parse.urlsplit(base or BASE)
    return "%s://%s" % (u.scheme, u.netloc), u.path.rstrip("/")


def _ml_chunked_post(path, headers, body, base=None, chunk=5, method="POST"):
    url = urllib.parse.urlsplit(base or BASE)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.putrequest(method, url.path + path, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for i in range(0, len(body), chunk):
            piece = body[i:i + chunk]
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def _ml_lifecycle(base):
    """Create -> GET Location -> PUT -> feed -> DELETE (with a body) -> 404s
    -> feed, through the server at base."""
    root, prefix = _ml_root(base)
    start = _ml_feed_end(base)
    doc_id = fresh_id()
    body = {"collection_id": SEED["col_articles"], "document_id": doc_id,
            "metadata": {"title": "through " + (SERVER or "lighttpd"), "n": 1},
            "cluster_id": "cl_matrix", "lineage_chain": [
                {"collection_id": SEED["col_articles"], "feature_extractor_id": "fe_text",
                 "timestamp": "2025-10-18T10:30:00Z"}],
            "features": [{"feature_extractor_id": "fe_text", "payload": {"label": "x"},
                          "vectors": {"embedding": [0.1, 0.2]}},
                         {"feature_extractor_id": "fe_splade",
                          "vectors": {"indices": [0, 7], "values": [0.5, 0.2]}}]}
    r = _ml_create(body, base=base, query="return_vectors=true&return_vector_names=true")
    d = expect_ok(r)
    eq(d["document_id"], doc_id, "created id")
    eq(d["collection_id"], SEED["col_articles"], "collection_id")
    eq(d["metadata"], body["metadata"], "metadata")
    eq((d.get("cluster_id"), d.get("label")), ("cl_matrix", "x"), "flat fields")
    eq(d.get("vector"), [0.1, 0.2], "vector: the first dense one")
    eq(d.get("_vectors"), ["embedding", "fe_splade"], "_vectors")
    eq(version_of(r), 1, "version of a new document")
    location = "%s/v1/collections/%s/documents/%s" % (prefix, SEED["col_articles"], doc_id)
    eq(r.header("Location"), location, "Location (mount prefix included)")
    # behind Apache's CGI handlers the app sends it as Docapi-Location
    # (conf/apache: DOCAPI_LOCATION_HEADER), renamed back by mod_headers
    eq(r.header("Docapi-Location"), None, "the app's own name for Location passed on")
    # the Location leads back to the document through the same server
    g = request("GET", location, _ml_headers(), None, root)
    gd = expect_ok(g)
    eq(gd["metadata"], body["metadata"], "GET of the Location")
    eq(g.header("ETag"), r.header("ETag"), "ETag of the GET")
    e1 = _ml_feed_entry(start, doc_id, base)
    eq((e1 or {}).get("deleted"), False, "feed entry after the create: %r" % e1)
    eq(e1.get("version"), 1, "feed version after the create")

    # PUT: the writable view replaced; flat fields absent are removed
    put_body = dict(gd, metadata={"title": "put"}, document_blobs=[
        {"field": "video", "url": "s3://media-bucket/m.mp4", "role": "source", "type": "video"}])
    for k in ("cluster_id", "label"):
        put_body.pop(k, None)
    r = request("PUT", location, _ml_headers(ctype="application/json"), json.dumps(put_body), root)
    p = expect_ok(r)
    eq(p["metadata"], {"title": "put"}, "metadata after PUT")
    eq(p["document_blobs"][0]["url"], "s3://media-bucket/m.mp4", "blobs after PUT")
    check("cluster_id" not in p and "label" not in p, "flat fields removed by PUT: %r" % p)
    eq(version_of(r), 2, "version after PUT")
    e2 = _ml_feed_entry(e1["seq"], doc_id, base)
    check(e2 and e2["seq"] > e1["seq"] and not e2["deleted"] and e2["version"] == 2,
          "feed entry after the PUT: %r (before %r)" % (e2, e1))

    # DELETE, with a JSON body the contract says is ignored
    r = request("DELETE", location, _ml_headers(ctype="application/json"),
                b'{"metadata":{"ignored":true}}', root)
    eq(expect_ok(r), {"message": "Successfully deleted", "success": True}, "DELETE body")
    expect_error(request("GET", location, _ml_headers(), None, root), 404, "NotFoundError",
                 {"resource": "document", "id": doc_id})
    expect_error(request("DELETE", location, _ml_headers(), None, root), 404, "NotFoundError")
    e3 = _ml_feed_entry(start, doc_id, base)
    check(e3 and e3["deleted"] is True and e3["version"] == 3 and e3["seq"] > e2["seq"],
          "feed entry after the DELETE: %r" % e3)
    eq(_ml_feed_entry(e3["seq"], doc_id, base), None, "nothing after the tombstone")


@test
def matrix_create_put_delete_and_feed():
    _ml_lifecycle(BASE)


@test
def matrix_create_put_delete_and_feed_under_api_prefix():
    check(urllib.parse.urlsplit(API_BASE).path.rstrip("/") == "/api", "API_BASE %r" % API_BASE)
    _ml_lifecycle(API_BASE)


@test
def matrix_return_minimal_204_on_create_put_delete():
    doc_id = fresh_id()
    minimal = [("Prefer", "return=minimal")]
    r = _ml_create({"collection_id": SEED["col_articles"], "document_id": doc_id,
                    "metadata": {"m": 1}}, headers=minimal)
    expect_ok(r, 204)
    eq(version_of(r), 1, "ETag of a minimal create")
    eq(r.header("Location"), "%s/%s" % (_ml_docs(), doc_id), "Location of a minimal create")
    eq(r.header("Preference-Applied"), "return=minimal", "Preference-Applied")
    path = "%s/%s" % (_ml_docs(), doc_id)
    r = request("PUT", path, _ml_headers(ctype="application/json", extra=minimal),
                b'{"metadata":{"m":2}}')
    expect_ok(r, 204)
    eq(version_of(r), 2, "ETag of a minimal PUT")
    eq(expect_ok(get(doc_id))["metadata"], {"m": 2}, "stored after the minimal PUT")
    r = request("DELETE", path, _ml_headers(extra=minimal))
    expect_ok(r, 204)
    eq(r.header("ETag"), None, "no ETag after DELETE")
    expect_error(get(doc_id), 404, "NotFoundError")


@test
def matrix_create_with_a_chunked_body():
    doc_id = fresh_id()
    body = json.dumps({"collection_id": SEED["col_articles"], "document_id": doc_id,
                       "metadata": {"chunked": "\u00e9" * 300}}).encode()
    r = _ml_chunked_post(_ml_docs(), _ml_headers(ctype="application/json"), body)
    d = expect_ok(r)
    eq(d["metadata"], {"chunked": "\u00e9" * 300}, "metadata of a chunked create")
    eq(expect_ok(get(doc_id))["metadata"], d["metadata"], "stored")


@test
def matrix_create_idempotency_key_replayed():
    doc_id = fresh_id()
    key = [("Idempotency-Key", "matrix-" + doc_id)]
    body = {"collection_id": SEED["col_articles"], "document_id": doc_id, "metadata": {"i": 1}}
    r1 = _ml_create(body, headers=key)
    d1 = expect_ok(r1)
    eq(r1.header("Idempotent-Replayed"), None, "first answer not replayed")
    r2 = _ml_create(body, headers=key)
    eq(expect_ok(r2), d1, "replayed body")
    eq(r2.header("Idempotent-Replayed"), "true", "Idempotent-Replayed")
    eq((r2.header("ETag"), r2.header("Location")), (r1.header("ETag"), r1.header("Location")),
       "replayed ETag and Location")
    # same key, another body: 422 at the header
    expect_422(_ml_create(dict(body, metadata={"i": 2}), headers=key),
               ["header", "Idempotency-Key"])


@test
def matrix_create_refusals_through_the_server():
    with unchanged():
        expect_error(request("POST", _ml_docs(), _ml_headers(ctype="text/plain"), b"{}"), 415,
                     "UnsupportedMediaTypeError")
        expect_error(_ml_create({"collection_id": SEED["col_articles"]},
                                headers=[("If-Match", "*")]), 412, "PreconditionFailedError")
        expect_422(_ml_create({"metadata": {}}), ["body", "collection_id"])
        expect_422(_ml_create({"collection_id": SEED["col_articles"]},
                              headers=[("Idempotency-Key", "k" * 256)]),
                   ["header", "Idempotency-Key"])
        expect_error(request("POST", _ml_docs(), _ml_headers(key=SEED["key_read"],
                                                             ctype="application/json"),
                             b'{"collection_id":"x"}'), 403, "ForbiddenError")


@test
def matrix_change_feed_query_head_and_errors():
    start = _ml_feed_end()
    ids = []
    for i in range(3):
        ids.append(fresh_id())
        expect_ok(_ml_create({"collection_id": SEED["col_articles"], "document_id": ids[-1]},
                             headers=[("Prefer", "return=minimal")]), 204)
    b = expect_ok(_ml_feed("since=%d&limit=2" % start))
    eq([e["document_id"] for e in b["results"]], ids[:2], "first page")
    eq(b["has_more"], True, "has_more on the first page")
    # percent-encoded digits and unknown parameters pass through the server
    b2 = expect_ok(_ml_feed("limit=%%32&since=%s&x=%%27" % urllib.parse.quote(str(b["last_seq"]))))
    eq([e["document_id"] for e in b2["results"]], ids[2:], "second page")
    eq(b2["has_more"], False, "has_more on the last page")
    h = _ml_feed("since=%d" % start, method="HEAD")
    eq(h.status, 200, "HEAD of the feed")
    eq(h.body, b"", "HEAD has no body")
    d = expect_422(_ml_feed("since=-1&limit=1001"), ["query", "since"], ["query", "limit"])
    eq(len(d), 2, "both problems listed")
    expect_error(request("GET", _ml_docs() + "/changes?since=-1", [("X-Namespace", NS)]), 401,
                 "UnauthorizedError")
    r = request("PUT", _ml_docs() + "/changes", _ml_headers(ctype="application/json"), b"{}")
    expect_error(r, 405, "MethodNotAllowedError")


@test
def matrix_namespace_document_route_get_and_put():
    doc_id = fresh_id()
    expect_ok(_ml_create({"collection_id": SEED["col_articles"], "document_id": doc_id,
                          "metadata": {"ns": 1}}))
    path = "/v1/documents/%s" % doc_id
    g = expect_ok(request("GET", path, _ml_headers()))
    eq(g["metadata"], {"ns": 1}, "GET /v1/documents/{d}")
    r = request("PUT", path, _ml_headers(ctype="application/json"), b'{"metadata":{"ns":2}}')
    eq(expect_ok(r)["metadata"], {"ns": 2}, "PUT /v1/documents/{d}")
    r = request("DELETE", path, _ml_headers())
    expect_error(r, 405, "MethodNotAllowedError")
    eq(sorted(x.strip() for x in r.header("Allow").split(",")), ["GET", "PATCH", "PUT"], "Allow")
