# GET /v1/objects/{o}/documents and /v1/objects/{o}/decomposition-tree
# (contract section 13). Loaded by test_api.py after document_create.py
# and lineage.py: their helpers (create, create_body, derived) are in scope.


def objects(obj, query="", key=DEFAULT, ns=DEFAULT, route="documents", headers=()):
    if key is DEFAULT:
        key = SEED["key_read"]
    if ns is DEFAULT:
        ns = NS
    h = list(headers)
    if key is not None:
        h.append(("Authorization", "Bearer " + key))
    if ns is not None:
        h.append(("X-Namespace", ns))
    path = "/v1/objects/%s/%s" % (obj, route) + ("?" + query if query else "")
    return request("GET", path, h)


def new_object():
    return "obj_" + fresh_id()[4:]


def object_docs(obj):
    """Three documents in frames (from the bucket), two derived in articles."""
    frames, articles = SEED["col_frames"], SEED["col_articles"]
    roots = [expect_ok(create(dict(collection_id=frames, document_id=fresh_id(),
                                   source_type="bucket", root_object_id=obj,
                                   root_bucket_id="bkt_o"), col=frames))["document_id"]
             for _ in range(3)]
    kids = [derived(articles, roots[0], frames, root_object_id=obj) for _ in range(2)]
    return frames, articles, roots, kids


@test
def objects_documents_order_totals_and_cursor():
    obj = new_object()
    frames, articles, roots, kids = object_docs(obj)
    b = expect_ok(objects(obj, "include_total=true"))
    eq(b["object_id"], obj, "object_id")
    got = [(d["collection_id"], d["document_id"]) for d in b["documents"]]
    want = sorted([(frames, r) for r in roots] + [(articles, k) for k in kids])
    eq(sorted(got), want, "the object's documents")
    eq([c for c, _ in got], sorted(c for c, _ in got), "ordered by collection_id")
    eq(b["pagination"], {"has_more": False, "total": 5}, "pagination with a total")
    eq(b["by_collection"], {frames: 3, articles: 2}, "by_collection")
    # pages of two, by cursor: every document once
    seen, cursor, pages = [], None, 0
    while True:
        q = "limit=2" + ("&cursor=" + cursor if cursor else "")
        p = expect_ok(objects(obj, q))
        seen += [d["document_id"] for d in p["documents"]]
        pages += 1
        check("total" not in p["pagination"] and "by_collection" not in p,
              "no totals unless asked")
        if not p["pagination"]["has_more"]:
            check("next_cursor" not in p["pagination"], "no next_cursor on the last page")
            break
        cursor = p["pagination"]["next_cursor"]
        check(re.match(r"^[A-Za-z0-9_.-]+$", cursor), "cursor is URL-safe: %r" % cursor)
    eq(seen, [d for _, d in got], "cursor walk = one page")
    eq(pages, 3, "pages of 2 for 5 documents")
    # one collection, by name; documents keep the return_* flags
    a = expect_ok(objects(obj, "collection_ids=articles&return_vector_names=true",
                          headers=[("Prefer", "count=planned")]))
    eq(sorted(d["document_id"] for d in a["documents"]), sorted(kids), "collection_ids filter")
    eq(a["pagination"]["total"], 2, "Prefer: count=planned gives a total")
    eq(a["documents"][0]["_vectors"], [], "return_vector_names on listed documents")
    eq(expect_ok(objects("obj_nothing_here")),
       {"object_id": "obj_nothing_here", "documents": [], "pagination": {"has_more": False}},
       "an object without documents")


@test
def objects_cursor_refused_when_tampered_or_foreign():
    obj = new_object()
    object_docs(obj)
    cur = expect_ok(objects(obj, "limit=1"))["pagination"]["next_cursor"]
    head, sig = cur.split(".")
    flipped = head[:-1] + ("A" if head[-1] != "A" else "B")
    for bad in (flipped + "." + sig, head + "." + sig[::-1], "x", cur + "x", "", "." + sig):
        rejected(None, lambda: objects(obj, "cursor=" + urllib.parse.quote(bad)), 422,
                 locs=[("query", "cursor")])
    # bound to the object and to collection_ids
    rejected(None, lambda: objects(new_object(), "cursor=" + cur), 422, locs=[("query", "cursor")])
    rejected(None, lambda: objects(obj, "collection_ids=articles&cursor=" + cur), 422,
             locs=[("query", "cursor")])
    expect_ok(objects(obj, "limit=1&cursor=" + cur))


@test
def objects_refusals():
    obj = new_object()
    for q, loc in (("limit=0", ("query", "limit")), ("limit=1001", ("query", "limit")),
                   ("include_total=maybe", ("query", "include_total")),
                   ("return_vectors=2", ("query", "return_vectors"))):
        rejected(None, lambda: objects(obj, q), 422, locs=[loc])
    rejected(None, lambda: objects(obj, headers=[("Prefer", "count=lots")]), 422,
             locs=[("header", "Prefer")])
    rejected(None, lambda: objects(obj, "collection_ids=col_nope"), 404, "NotFoundError",
             {"resource": "collection", "id": "col_nope"})
    rejected(None, lambda: objects(obj, key=None), 401, "UnauthorizedError")
    rejected(None, lambda: objects(obj, "limit=0", key=None), 401, "UnauthorizedError")
    rejected(None, lambda: objects(obj, ns=None), 400, "BadRequestError")
    rejected(None, lambda: objects(obj, key=SEED["key_staging"]), 403, "ForbiddenError")
    # another organization's documents are not found, its namespace is not
    rejected(None, lambda: objects(obj, key=SEED["key_b"]), 404, "NotFoundError",
             {"resource": "namespace"})
    rejected(None, lambda: objects(obj, route="decomposition-tree",
                                   query="include_document_ids=x"), 422,
             locs=[("query", "include_document_ids")])


@test
def objects_decomposition_tree():
    obj = new_object()
    frames, articles, roots, kids = object_docs(obj)
    b = expect_ok(objects(obj, route="decomposition-tree"))
    eq(b, {"object_id": obj, "root_bucket_id": "bkt_o", "tree": [
        {"collection_id": frames, "document_count": 3, "children": [
            {"collection_id": articles, "document_count": 2, "children": []}]}]},
       "tree without document ids")
    t = expect_ok(objects(obj, route="decomposition-tree", query="include_document_ids=true"))
    top = t["tree"][0]
    eq(top["document_ids"], sorted(roots), "document_ids sorted")
    eq(top["children"][0]["document_ids"], sorted(kids), "children's document_ids")
    eq(expect_ok(objects("obj_nothing_here", route="decomposition-tree")),
       {"object_id": "obj_nothing_here", "tree": []}, "tree of an unknown object")
