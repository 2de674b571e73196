# POST …/documents/list and POST /v1/documents/list through the web server
# in front (run_matrix.sh runs this suite behind lighttpd, Apache mod_fcgid,
# mod_proxy_fcgi, plain CGI and nginx): what a server could get wrong on
# these routes - the POST body and its absence, a cursor in the query
# string and in the body, next_page under the mount prefix - over a few
# documents created here (through the server) in a collection of their
# own, so that every answer is known exactly. Loaded by test_api.py into
# its own namespace; every name here starts with matrix_list_ so that it
# shadows nothing of the other routes/*.py files.

matrix_list_state = {}


def matrix_list_headers(key=None, ctype="application/json"):
    h = [("Authorization", "Bearer " + (key or SEED["key_read"])), ("X-Namespace", NS)]
    if ctype:
        h.append(("Content-Type", ctype))
    return h


def matrix_list_collection():
    """A fresh collection with seven documents created through the server
    at BASE: metadata n = 0..6, kind even/odd. matrix_list_state["by_n"][n] is
    the id of the document with that n."""
    if matrix_list_state:
        return matrix_list_state
    name = "mlist" + fresh_id()[5:13].lower()
    col = admin("create-collection", "--namespace", SEED["ns_prod"], name).strip()
    by_n = {}
    for n in range(7):
        doc_id = fresh_id()
        body = {"collection_id": col, "document_id": doc_id,
                "metadata": {"n": n, "kind": "odd" if n % 2 else "even",
                             "title": "listed through %s, %d" % (SERVER or "lighttpd", n)}}
        r = request("POST", "/v1/collections/%s/documents" % col,
                    matrix_list_headers(SEED["key_write"]), json.dumps(body))
        eq(expect_ok(r)["document_id"], doc_id, "created id")
        by_n[n] = doc_id
    matrix_list_state.update(id=col, name=name, by_n=by_n)
    return matrix_list_state


def matrix_list_post(body=None, query="", base=None, path=None, ctype="application/json"):
    """POST of a list (body: a JSON value, or bytes sent as they are)."""
    col = matrix_list_collection()
    if path is None:
        path = "/v1/collections/%s/documents/list" % col["id"]
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body)
    return request("POST", path + ("?" + query if query else ""),
                   matrix_list_headers(ctype=ctype), body, base)


def matrix_list_root(base):
    """(root base URL, mount prefix) of a base such as http://h:p/api."""
    u = urllib.parse.urlsplit(base or BASE)
    return "%s://%s" % (u.scheme, u.netloc), u.path.rstrip("/")


def matrix_list_ids(b):
    check(isinstance(b.get("results"), list), "results: %r" % str(b)[:300])
    return [d["document_id"] for d in b["results"]]


def matrix_list_walk(base):
    """A filter, a sort and a cursor walk (the cursor in the query string,
    then in the body), pages of 1, through the server at base."""
    col = matrix_list_collection()
    by_n = col["by_n"]
    body = {"filters": {"AND": [{"metadata.kind": "odd"},
                                {"field": "metadata.n", "operator": "lte", "value": 5}]},
            "sort": {"field": "metadata.n", "direction": "desc"}, "limit": 1}
    want = [by_n[5], by_n[3], by_n[1]]
    seen, cursor, pages = [], None, 0
    while True:
        pages += 1
        check(pages <= len(want), "the walk does not end: %r" % seen)
        if cursor and pages % 2 == 0:
            b = expect_ok(matrix_list_post(body, "cursor=" + urllib.parse.quote(cursor, safe=""),
                                           base))
        elif cursor:
            b = expect_ok(matrix_list_post(dict(body, cursor=cursor), base=base))
        else:
            b = expect_ok(matrix_list_post(body, base=base))
        p = b["pagination"]
        seen += matrix_list_ids(b)
        eq(p["page_size"], 1, "page_size")
        eq(p["has_more"], len(seen) < len(want), "has_more after %d" % len(seen))
        if not p["has_more"]:
            check("next_cursor" not in p, "no next_cursor on the last page: %r" % p)
            break
        cursor = p.get("next_cursor")
        check(cursor, "a page with more has a next_cursor: %r" % p)
    eq(seen, want, "filtered, sorted and walked by cursor")

    # offset mode with totals: next_page is the request's own path, mount
    # prefix included, and leads to the next page through the same server
    b = expect_ok(matrix_list_post({"filters": {"metadata.kind": "even"},
                                    "sort": {"field": "metadata.n"}},
                                   "limit=2&include_total=true", base))
    eq(matrix_list_ids(b), [by_n[0], by_n[2]], "first page of evens")
    p = b["pagination"]
    eq((p["total"], p["total_pages"], p["page"], p["has_more"]), (4, 2, 1, True), "pagination")
    eq(b.get("total_documents"), 4, "total_documents")
    root, prefix = matrix_list_root(base)
    want_path = "%s/v1/collections/%s/documents/list?" % (prefix, col["id"])
    check(p.get("next_page", "").startswith(want_path),
          "next_page %r under the mount prefix (%r)" % (p.get("next_page"), want_path))
    r = request("POST", p["next_page"], matrix_list_headers(),
                json.dumps({"filters": {"metadata.kind": "even"}, "sort": {"field": "metadata.n"}}),
                root)
    b2 = expect_ok(r)
    eq(matrix_list_ids(b2), [by_n[4], by_n[6]], "the next_page")
    eq((b2["pagination"]["page"], b2["pagination"]["has_more"]), (2, False), "second page")
    check(b2["pagination"].get("previous_page", "").startswith(want_path),
          "previous_page %r" % b2["pagination"].get("previous_page"))


@test
def matrix_list_filter_sort_and_cursor_walk():
    matrix_list_walk(BASE)


@test
def matrix_list_filter_sort_and_cursor_walk_under_prefix():
    check(API_BASE, "no DOCAPI_TEST_API_BASE")
    matrix_list_walk(API_BASE)


@test
def matrix_list_across_the_namespace():
    col = matrix_list_collection()
    by_n = col["by_n"]
    for base in (BASE, API_BASE):
        for ids in ([col["id"]], [col["name"]]):
            b = expect_ok(matrix_list_post(
                {"collection_ids": ids, "filters": {"field": "metadata.n", "operator": "gte",
                                                    "value": 4},
                 "sort": {"field": "document_id"}}, base=base, path="/v1/documents/list"))
            eq(matrix_list_ids(b), sorted([by_n[4], by_n[5], by_n[6]]),
               "POST /v1/documents/list over %r" % ids)
            check(all(d["collection_id"] == col["id"] for d in b["results"]),
                  "the collection asked for only")
        expect_error(matrix_list_post({"collection_ids": ["col_nope"]}, base=base,
                                      path="/v1/documents/list"),
                     404, "NotFoundError", {"resource": "collection", "id": "col_nope"})
        expect_422(matrix_list_post({"filters": {"vector": 1}}, base=base,
                                    path="/v1/documents/list"), ["body", "filters"])


@test
def matrix_list_without_a_body():
    """No body at all (Content-Length: 0, no Content-Type) is {}: every
    document, oldest first; an empty body with application/json too."""
    col = matrix_list_collection()
    want = [col["by_n"][n] for n in range(7)]
    for base in (BASE, API_BASE):
        for ctype in (None, "application/json"):
            r = matrix_list_post(b"", base=base, ctype=ctype)
            b = expect_ok(r)
            eq(matrix_list_ids(b), want, "a list without a body (Content-Type %r)" % ctype)
            eq((b["pagination"]["page"], b["pagination"]["page_size"],
                b["pagination"]["has_more"]), (1, 10, False), "default page")
        # the query still counts without a body
        b = expect_ok(matrix_list_post(b"", "limit=3&offset=3", base=base, ctype=None))
        eq(matrix_list_ids(b), want[3:6], "limit and offset in the query, no body")
        expect_422(matrix_list_post(b"", "limit=0", base=base, ctype=None), ["query", "limit"])
        # a body that is not JSON still needs its media type
        expect_error(matrix_list_post(b"{}", base=base, ctype="text/plain"), 415,
                     "UnsupportedMediaTypeError")
