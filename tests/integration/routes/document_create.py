# POST /v1/collections/{c}/documents (contract section 8), the change
# feed (section 14) and return_vector_names (section 7). Loaded by
# test_api.py into its own namespace: the helpers there are in scope.


def create(body, col=DEFAULT, key=DEFAULT, ns=DEFAULT, headers=(), query="",
           ctype="application/json"):
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
    if ctype is not None:
        h.append(("Content-Type", ctype))
    h.extend(headers)
    path = "/v1/collections/%s/documents" % col + ("?" + query if query else "")
    return request("POST", path, h, body)


def create_body(**extra):
    b = {"collection_id": SEED["col_articles"], "metadata": {"title": "Created"}}
    b.update(extra)
    return b


def changes(col=DEFAULT, query="", key=DEFAULT):
    if col is DEFAULT:
        col = SEED["col_articles"]
    if key is DEFAULT:
        key = SEED["key_read"]
    h = [("X-Namespace", NS)]
    if key is not None:
        h.append(("Authorization", "Bearer " + key))
    path = "/v1/collections/%s/documents/changes" % col + ("?" + query if query else "")
    return request("GET", path, h)


def feed_last_seq(col=DEFAULT):
    """The feed's current end: walks it from 0 (tests share one database)."""
    since = 0
    while True:
        b = expect_ok(changes(col, "since=%d&limit=1000" % since))
        since = b["last_seq"]
        if not b["has_more"]:
            return since


@test
def create_minimal_generates_an_id():
    r = create({"collection_id": SEED["col_articles"]})
    d = expect_ok(r)
    check(re.match(r"^doc_[0-9a-f]{24}$", d["document_id"]), "generated id %r" % d["document_id"])
    eq(d["collection_id"], SEED["col_articles"], "collection_id")
    eq(d["metadata"], {}, "metadata default")
    eq(d["document_blobs"], [], "document_blobs default")
    eq(d["source_blobs"], [], "source_blobs default")
    eq(d["document_schema_version"], "v2", "default schema version")
    eq(version_of(r), 1, "version of a new document")
    check(RFC3339_Z.match(d["created_at"]), "created_at %r" % d["created_at"])
    eq(r.header("Location"), "/v1/collections/%s/documents/%s"
       % (SEED["col_articles"], d["document_id"]), "Location")
    eq(r.header("Idempotent-Replayed"), None, "Idempotent-Replayed on a first create")
    g = expect_ok(get(d["document_id"]))
    eq(g, d, "GET of the created document")


@test
def create_by_collection_name_full_v1_document():
    body = {
        "collection_id": "articles", "document_id": fresh_id(),
        "document_schema_version": "v1",
        "root_object_id": "obj_c1", "root_bucket_id": "bkt_c", "source_type": "bucket",
        "source_object_id": "obj_c1", "lineage_path": "bkt_c/col_articles",
        "lineage_chain": [{"collection_id": "col_articles", "feature_extractor_id": "text_v1",
                           "timestamp": "2025-10-18T10:30:00Z"}],
        "metadata": {"title": "Full", "n": 3},
        "document_blobs": [{"field": "video", "url": "s3://media-bucket/a.mp4"}],
        "internal_metadata": {"ingestion_status": "completed"},
        "taxonomy_products_label": "shoes",
        "presigned_url": "ignored", "_vectors": ["ignored"],
    }
    r = create(body, col="articles")
    d = expect_ok(r)
    eq(d["document_id"], body["document_id"], "client-chosen id")
    eq(d["collection_id"], SEED["col_articles"], "collection_id is the col_ id")
    eq(d["lineage"], {"root_object_id": "obj_c1", "root_bucket_id": "bkt_c",
                      "source_type": "bucket", "source_object_id": "obj_c1",
                      "lineage_chain": body["lineage_chain"]}, "v1 lineage object")
    check("lineage_chain" not in d, "a v1 document keeps the chain inside lineage")
    eq(d["taxonomy_products_label"], "shoes", "flat user field")
    eq(d["document_blobs"], [{"field": "video", "url": "s3://media-bucket/a.mp4",
                              "role": "source", "type": "other"}], "blob defaults")
    check("presigned_url" not in d and "_vectors" not in d, "response-only keys ignored")
    keys = [k for k, _ in r.json(ordered=True)]
    eq(keys, sorted(keys, key=order_rank), "key order of a created document")


@test
def create_v2_keeps_lineage_flat():
    chain = [{"collection_id": "col_frames", "feature_extractor_id": "f1",
              "document_id": "doc_parent"}]
    d = expect_ok(create(create_body(document_schema_version="v2", source_type="collection",
                                     source_collection_id=SEED["col_frames"],
                                     source_document_id="doc_parent", lineage_chain=chain)))
    eq(d["lineage_chain"], chain, "v2 lineage_chain")
    check("lineage" not in d, "a v2 document has no lineage object")
    eq(psql("SELECT source_document_id || ' ' || source_collection_id FROM documents"
            " WHERE document_id = '%s'" % d["document_id"]),
       "doc_parent " + SEED["col_frames"], "lineage columns copied from the document")


@test
def create_features_all_four_vector_shapes():
    body = create_body(features=[
        {"feature_extractor_id": "text_v1", "payload": {"caption": "hi"},
         "vectors": {"embedding": [0.1, 0.2]}},
        {"feature_extractor_id": "img_v1", "vectors": {"a": [1, 2], "b": [0.5]}},
        {"feature_extractor_id": "colbert_v1", "vectors": {"colbert": [[0.1, 0.2], [0.3, 0.4]]}},
        {"feature_extractor_id": "splade", "vectors": {"indices": [7, 0], "values": [0.5, 0.2]},
         "other": "ignored"},
    ])
    r = create(body, query="return_vectors=true&return_vector_names=true")
    d = expect_ok(r)
    eq(d["caption"], "hi", "payload key becomes a flat field")
    eq(d["vector"], [0.1, 0.2], "vector is the first dense vector")
    eq(d["_vectors"], ["a", "b", "colbert", "embedding", "splade"], "_vectors sorted")
    check("other" not in d and "features" not in d, "feature's other keys are not stored")
    stored = json.loads(psql("SELECT vectors::text FROM documents WHERE document_id = '%s'"
                             % d["document_id"]))
    eq(stored["splade"], {"type": "sparse", "indices": [7, 0], "values": [0.5, 0.2]}, "sparse")
    eq(stored["colbert"], {"type": "multi", "vectors": [[0.1, 0.2], [0.3, 0.4]]}, "multi-dense")
    eq(stored["a"], {"type": "dense", "vector": [1, 2]}, "named dense")
    g = expect_ok(get(d["document_id"], query="return_vector_names=true"))
    eq(g["_vectors"], d["_vectors"], "GET _vectors")
    check("vector" not in g, "no vector without return_vectors")
    keys = [k for k, _ in r.json(ordered=True)]
    check(keys.index("vector") < keys.index("_vectors") < keys.index("document_blobs"),
          "_vectors sits between vector and document_blobs: %r" % keys)


@test
def return_vector_names_on_documents_without_vectors_and_patch():
    d = expect_ok(create(create_body()))
    eq(expect_ok(get(d["document_id"], query="return_vector_names=true"))["_vectors"], [],
       "_vectors of a document without vectors")
    check("_vectors" not in expect_ok(get(d["document_id"])), "no _vectors unless asked")
    p = expect_ok(patch(d["document_id"], {"metadata": {"x": 1}},
                        query="return_vector_names=1"))
    eq(p["_vectors"], [], "PATCH answers with _vectors when asked")
    # the seed's imported vector is the dense vector named "default"
    eq(expect_ok(get("doc_seed1", query="return_vector_names=true"))["_vectors"], ["default"],
       "_vectors of an imported vector")
    rejected(None, lambda: get(d["document_id"], query="return_vector_names=maybe"), 422,
             locs=[("query", "return_vector_names")])


@test
def create_refusals_write_nothing():
    c = SEED["col_articles"]
    cases = [
        ([], ("body",)),
        ({"metadata": {}}, ("body", "collection_id")),
        ({"collection_id": 7}, ("body", "collection_id")),
        (create_body(document_id="doc_" + "a" * 101), ("body", "document_id")),
        (create_body(document_id="doc_a-b"), ("body", "document_id")),
        (create_body(document_schema_version="v3"), ("body", "document_schema_version")),
        (create_body(metadata=[1]), ("body", "metadata")),
        (create_body(vector=[1.0]), ("body", "vector")),
        (create_body(created_at="2025-01-01T00:00:00Z"), ("body", "created_at")),
        (create_body(lineage={}), ("body", "lineage")),
        (create_body(source_type="tape"), ("body", "source_type")),
        (create_body(root_object_id=5), ("body", "root_object_id")),
        (create_body(lineage_chain=[{"collection_id": "c"}]), ("body", "lineage_chain")),
        (create_body(lineage_chain=[{"collection_id": "c", "feature_extractor_id": "f",
                                     "timestamp": "yesterday"}]), ("body", "lineage_chain")),
        (create_body(document_blobs=[{"field": "v"}]), ("body", "document_blobs")),
        (create_body(features=[{"vectors": {"e": [1]}}]), ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f", "vectors": {"e": []}}]),
         ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f", "vectors": {"e": [1, "x"]}}]),
         ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f",
                                "vectors": {"m": [[1, 2], [3]]}}]), ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f",
                                "vectors": {"indices": [1, 1], "values": [0.1, 0.2]}}]),
         ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f",
                                "vectors": {"indices": [-1], "values": [0.1]}}]),
         ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f",
                                "vectors": {"indices": [1, 2], "values": [0.1]}}]),
         ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f", "vectors": {"a-b": [1]}}]),
         ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f", "vectors": {"metadata": [1]}}]),
         ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f", "vectors": {"e": [1]}},
                               {"feature_extractor_id": "g", "vectors": {"e": [2]}}]),
         ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f", "payload": {"k": 1}},
                               {"feature_extractor_id": "g", "payload": {"k": 2}}]),
         ("body", "features")),
        (create_body(k=0, features=[{"feature_extractor_id": "f", "payload": {"k": 1}}]),
         ("body", "features")),
        (create_body(features=[{"feature_extractor_id": "f", "payload": {"metadata": 1}}]),
         ("body", "features")),
    ]
    for body, loc in cases:
        rejected(None, lambda: create(body), 422, locs=[loc])
    # every problem is listed, not only the first
    detail = rejected(None, lambda: create({"metadata": 1, "vector": []}), 422,
                      locs=[("body", "collection_id"), ("body", "metadata"), ("body", "vector")])
    check(len(detail.json()["detail"]) >= 3, "all problems listed")
    rejected(None, lambda: create(create_body(collection_id=SEED["col_frames"])), 422,
             locs=[("body", "collection_id")])
    rejected(None, lambda: create("{", ctype="application/json"), 422)
    rejected(None, lambda: create(create_body(), ctype="text/plain"), 415,
             "UnsupportedMediaTypeError")
    rejected(None, lambda: create(create_body(), ctype="application/merge-patch+json"), 415,
             "UnsupportedMediaTypeError")
    rejected(None, lambda: create(create_body(pad="x" * BODY_LIMIT)), 413, "PayloadTooLargeError")
    rejected(None, lambda: create(create_body(), headers=[("If-Match", '"1"')]), 412,
             "PreconditionFailedError")
    for bad in ("x" * 256, "with space", "caf\u00e9"):
        rejected(None, lambda: create(create_body(), headers=[("Idempotency-Key", bad)]),
                 422, locs=[("header", "Idempotency-Key")])


@test
def create_refused_in_contract_order():
    bad = {"metadata": 1}  # 422 once the scope checks pass
    rejected(None, lambda: create(bad, key=None), 401, "UnauthorizedError")
    rejected(None, lambda: create(bad, ns=None), 400, "BadRequestError")
    rejected(None, lambda: create(bad, ns="ns_nope"), 404, "NotFoundError",
             {"resource": "namespace"})
    rejected(None, lambda: create(bad, key=SEED["key_read"]), 403, "ForbiddenError")
    rejected(None, lambda: create(bad, key=SEED["key_staging"]), 403, "ForbiddenError")
    rejected(None, lambda: create(bad, ctype="text/plain"), 415, "UnsupportedMediaTypeError")
    # 422 comes before the collection's 404 ...
    rejected(None, lambda: create(bad, col="col_nope"), 422, locs=[("body", "metadata")])
    # ... which comes before 412 and the body's collection_id check
    rejected(None, lambda: create(create_body(), col="col_nope"), 404, "NotFoundError",
             {"resource": "collection", "id": "col_nope"})
    rejected(None, lambda: create(create_body(), col="col_nope",
                                  headers=[("If-Match", "*")]), 404, "NotFoundError")


@test
def create_existing_id_409_and_deleted_id_continues_versions():
    doc = new_doc()
    rejected(doc, lambda: create(create_body(document_id=doc)), 409, "ConflictError",
             {"resource": "document", "id": doc})
    v = version_of(get(doc))
    expect_ok(api("DELETE", doc))
    r = create(create_body(document_id=doc))
    expect_ok(r)
    check(version_of(r) > v + 1, "a re-created id continues its versions (%d after %d)"
          % (version_of(r), v))
    eq(psql("SELECT count(*) FROM document_tombstones WHERE document_id = '%s'" % doc), "0",
       "the tombstone is gone once the id lives again")


@test
def create_prefer_minimal_204():
    r = create(create_body(), headers=[("Prefer", "return=minimal")])
    expect_ok(r, 204)
    eq(version_of(r), 1, "ETag of a 204 create")
    loc = r.header("Location")
    check(loc and loc.startswith("/v1/collections/%s/documents/doc_" % SEED["col_articles"]),
          "Location %r" % loc)
    eq(r.header("Preference-Applied"), "return=minimal", "Preference-Applied")


@test
def create_idempotency_key_replays_the_first_answer():
    key = "idem-" + fresh_id()
    body = json.dumps(create_body(metadata={"n": 1}))
    r1 = create(body, headers=[("Idempotency-Key", key)])
    d1 = expect_ok(r1)
    n = psql("SELECT count(*) FROM documents")
    # the document changes afterwards: the replay is still the first answer
    expect_ok(patch(d1["document_id"], {"metadata": {"n": 2}}))
    r2 = create(body, headers=[("Idempotency-Key", key)])
    eq(expect_ok(r2), d1, "replayed body")
    eq(r2.header("ETag"), r1.header("ETag"), "replayed ETag")
    eq(r2.header("Location"), r1.header("Location"), "replayed Location")
    eq(r2.header("Idempotent-Replayed"), "true", "Idempotent-Replayed")
    eq(psql("SELECT count(*) FROM documents"), n, "a replay creates nothing")
    # same key, another body or collection: 422, nothing written
    rejected(None, lambda: create(create_body(metadata={"n": 3}),
                                  headers=[("Idempotency-Key", key)]), 422,
             locs=[("header", "Idempotency-Key")])
    rejected(None, lambda: create(dict(json.loads(body), collection_id=SEED["col_frames"]),
                                  col=SEED["col_frames"],
                                  headers=[("Idempotency-Key", key)]), 422,
             locs=[("header", "Idempotency-Key")])


@test
def create_idempotency_key_failure_is_not_remembered():
    key = "idem-" + fresh_id()
    doc = new_doc()
    rejected(None, lambda: create(create_body(document_id=doc),
                                  headers=[("Idempotency-Key", key)]), 409, "ConflictError")
    # the key is free again: another body may use it
    d = expect_ok(create(create_body(), headers=[("Idempotency-Key", key)]))
    check(d["document_id"] != doc, "the key created a new document")


@test
def create_32_clients_one_idempotency_key_one_document():
    key = "idem-" + fresh_id()
    body = json.dumps(create_body(metadata={"race": key}))
    results = []

    def one():
        r = create(body, headers=[("Idempotency-Key", key)])
        results.append((r.status, r.json().get("document_id") if r.status == 200 else r.body))

    threads = [threading.Thread(target=one) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(sorted(set(s for s, _ in results)), [200], "statuses of 32 concurrent creates: %r"
       % results[:3])
    eq(len(set(i for _, i in results)), 1, "one document id for all 32 answers")
    eq(psql("SELECT count(*) FROM documents WHERE metadata->>'race' = '%s'" % key), "1",
       "documents created by 32 clients with one Idempotency-Key")


@test
def create_edge_bodies_are_422_or_200_never_500():
    deep = {}
    cur = deep
    for _ in range(61):
        cur["d"] = {}
        cur = cur["d"]
    big = {"k%d" % i: "v" * 100 for i in range(9000)}  # ~1 MB of metadata
    bodies = [
        create_body(metadata=deep),
        create_body(metadata=big),
        create_body(metadata={"\u00e9t\u00e9 \U0001F600": "\u65e5\u672c", "": 1}),
        create_body(metadata={"big": 1e308, "small": 5e-324, "int": 9223372036854775807,
                              "neg": -9223372036854775808}),
        create_body(metadata={"x": "'; DROP TABLE documents; --"},
                    **{"f'\"; --": "$1"}),
    ]
    for b in bodies:
        r = create(b)
        check(r.status in (200, 413, 422), "edge body answered %d: %r" % (r.status, r.body[:200]))
        if r.status == 200:
            d = r.json()
            eq(expect_ok(get(d["document_id"]))["metadata"], b["metadata"],
               "stored metadata equals what was sent")


@test
def create_then_sdk_shapes():
    # What Mixpeek's generated Python SDK sends for create_document:
    # model_dump(exclude_none=True) of DocumentCreateRequest, 200 only.
    body = {"collection_id": SEED["col_articles"], "metadata": {"title": "sdk"},
            "features": [{"feature_extractor_id": "text_v1",
                          "vectors": {"embedding": [0.1]}, "payload": {"label": "x"}}]}
    d = expect_ok(create(body))
    check(isinstance(d["document_id"], str) and isinstance(d["collection_id"], str),
          "document_id and collection_id always present")
    # get_document / update / patch across the namespace, as the SDK calls them
    h = [("Authorization", "Bearer " + SEED["key_write"]), ("X-Namespace", NS),
         ("Content-Type", "application/json")]
    r = request("GET", "/v1/documents/%s?return_vector_names=true" % d["document_id"], h)
    g = expect_ok(r)
    eq(g["_vectors"], ["embedding"], "_vectors is a list of strings")
    r = request("PATCH", "/v1/documents/%s" % d["document_id"], h, {"metadata": {"p": 1}})
    eq(expect_ok(r)["metadata"], {"title": "sdk", "p": 1}, "PATCH /v1/documents/{d}")
    r = request("PUT", "/v1/documents/%s" % d["document_id"], h, {"metadata": {"q": 2}})
    p = expect_ok(r)
    eq(p["metadata"], {"q": 2}, "PUT /v1/documents/{d}")
    check("label" not in p, "PUT removes flat fields absent from the body")
    r = request("DELETE", doc_path(SEED["col_articles"], d["document_id"]), h)
    eq(list(expect_ok(r).keys()), ["message", "success"], "GenericDeleteResponse order")


@test
def ns_document_404_409_and_order():
    h = [("Authorization", "Bearer " + SEED["key_write"]), ("X-Namespace", NS)]
    expect_error(request("GET", "/v1/documents/doc_nope", h), 404, "NotFoundError",
                 {"resource": "document", "id": "doc_nope"})
    shared = fresh_id()
    expect_ok(create(create_body(document_id=shared)))
    expect_ok(create(dict(create_body(document_id=shared), collection_id=SEED["col_frames"]),
                     col=SEED["col_frames"]))
    b = expect_error(request("GET", "/v1/documents/" + shared, h), 409, "ConflictError",
                     {"document_id": shared,
                      "collection_ids": sorted([SEED["col_articles"], SEED["col_frames"]])})
    eq(b["error"]["message"], "Document id is not unique in this namespace", "409 message")
    rejected(None, lambda: request("PATCH", "/v1/documents/" + shared,
                                   h + [("Content-Type", "application/json")],
                                   {"metadata": {"x": 1}}), 409, "ConflictError")
    # the checks before the lookup, in order
    rejected(None, lambda: request("GET", "/v1/documents/" + shared, h[1:]), 401,
             "UnauthorizedError")
    rejected(None, lambda: request("GET", "/v1/documents/" + shared, h[:1]), 400,
             "BadRequestError")
    rejected(None, lambda: request("PATCH", "/v1/documents/" + shared,
                                   [("Authorization", "Bearer " + SEED["key_read"]),
                                    ("X-Namespace", NS), ("Content-Type", "application/json")],
                                   {"metadata": {}}), 403, "ForbiddenError")
    rejected(None, lambda: request("PATCH", "/v1/documents/doc_nope",
                                   h + [("Content-Type", "application/json")],
                                   {"metadata": 1}), 422, locs=[("body", "metadata")])
    r = request("DELETE", "/v1/documents/" + shared, h)
    expect_error(r, 405, "MethodNotAllowedError")
    check({"GET", "PATCH", "PUT"} <= allow_set(r) and "DELETE" not in allow_set(r),
          "Allow of /v1/documents/{d}: %r" % r.header("Allow"))
    # another organization's key does not see it
    hb = [("Authorization", "Bearer " + SEED["key_b"]), ("X-Namespace", NS)]
    expect_error(request("GET", "/v1/documents/" + shared, hb), 404, "NotFoundError",
                 {"resource": "namespace"})


@test
def ns_document_get_if_none_match_and_put_if_match():
    d = expect_ok(create(create_body()))
    h = [("Authorization", "Bearer " + SEED["key_write"]), ("X-Namespace", NS)]
    r = request("GET", "/v1/documents/" + d["document_id"], h)
    eq(expect_ok(r), d, "GET /v1/documents/{d}")
    expect_ok(request("GET", "/v1/documents/" + d["document_id"],
                      h + [("If-None-Match", r.header("ETag"))]), 304)
    rejected(d["document_id"], lambda: request(
        "PUT", "/v1/documents/" + d["document_id"],
        h + [("Content-Type", "application/json"), ("If-Match", '"99"')], {"metadata": {}}),
        412, "PreconditionFailedError")


# ---- the change feed

@test
def changes_shape_and_order():
    start = feed_last_seq()
    a = expect_ok(create(create_body()))["document_id"]
    b = expect_ok(create(create_body()))["document_id"]
    expect_ok(patch(a, {"metadata": {"v": 2}}))
    expect_ok(api("DELETE", b))
    body = expect_ok(changes(query="since=%d" % start))
    res = body["results"]
    eq([(x["document_id"], x["deleted"]) for x in res], [(a, False), (b, True)],
       "each document once, with its latest change, in seq order")
    eq(res[0]["version"], 2, "version of the patched document")
    eq(res[1]["version"], 2, "a tombstone carries the next version")
    check(res[0]["seq"] < res[1]["seq"] and res[0]["seq"] > start, "ascending seq")
    eq(body["last_seq"], res[-1]["seq"], "last_seq")
    eq(body["has_more"], False, "has_more")
    eq(list(res[0].keys()), ["seq", "document_id", "deleted", "version"], "result key order")
    empty = expect_ok(changes(query="since=%d" % body["last_seq"]))
    eq(empty, {"results": [], "last_seq": body["last_seq"], "has_more": False},
       "a poll with nothing new")
    # a no-op PATCH is not a change
    expect_ok(patch(a, {"metadata": {"v": 2}}))
    eq(expect_ok(changes(query="since=%d" % body["last_seq"]))["results"], [], "no-op PATCH")


@test
def changes_limit_and_paging():
    start = feed_last_seq()
    ids = [expect_ok(create(create_body()))["document_id"] for _ in range(5)]
    got, since, pages = [], start, 0
    while True:
        b = expect_ok(changes(query="since=%d&limit=2" % since))
        check(len(b["results"]) <= 2, "limit honoured")
        got += [x["document_id"] for x in b["results"]]
        since = b["last_seq"]
        pages += 1
        if not b["has_more"]:
            break
    eq(got, ids, "paging through the feed")
    eq(pages, 3, "pages of 2 for 5 changes")


@test
def changes_refusals():
    for q, name in (("since=-1", "since"), ("since=abc", "since"), ("since=1e3", "since"),
                    ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit")):
        rejected(None, lambda: changes(query=q), 422, locs=[("query", name)])
    rejected(None, lambda: changes(query="limit=0", key=None), 401, "UnauthorizedError")
    rejected(None, lambda: changes(col="col_nope", query="limit=0"), 422,
             locs=[("query", "limit")])
    rejected(None, lambda: changes(col="col_nope"), 404, "NotFoundError",
             {"resource": "collection", "id": "col_nope"})
    r = request("POST", "/v1/collections/%s/documents/changes" % SEED["col_articles"],
                [("Authorization", "Bearer " + SEED["key_write"]), ("X-Namespace", NS)], "")
    expect_error(r, 405, "MethodNotAllowedError")
    eq(allow_set(r) - {"HEAD"}, {"GET"}, "Allow of the change feed")


@test
def changes_under_concurrent_writers_miss_nothing():
    start = feed_last_seq()
    acked = {}
    lock = threading.Lock()
    stop = [False]

    def writer(n):
        for i in range(15):
            d = expect_ok(create(create_body(metadata={"w": n, "i": i})))
            ver = 1
            if i % 3 == 0:
                ver = version_of(patch(d["document_id"], {"metadata": {"p": i}}))
            with lock:
                acked[d["document_id"]] = ver

    seen = {}
    seqs = []

    def poller():
        since = start
        while True:
            done = stop[0]
            b = expect_ok(changes(query="since=%d&limit=7" % since))
            for x in b["results"]:
                seqs.append(x["seq"])
                seen[x["document_id"]] = x["version"]
            since = b["last_seq"]
            if done and not b["has_more"]:
                return

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    p = threading.Thread(target=poller)
    p.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop[0] = True
    p.join()
    eq(len(seqs), len(set(seqs)), "no change seen twice")
    check(seqs == sorted(seqs), "changes arrive in seq order")
    missing = [d for d in acked if d not in seen]
    eq(missing, [], "acknowledged writes missing from the feed")
    wrong = [(d, v, seen[d]) for d, v in acked.items() if seen[d] < v]
    eq(wrong, [], "feed shows an older version than acknowledged")


@test
def create_idempotency_keys_expire():
    key = "idem-" + fresh_id()
    d1 = expect_ok(create(create_body(), headers=[("Idempotency-Key", key)]))
    # the key's time is up (as if idempotency_ttl had passed)
    psql("UPDATE idempotency_keys SET created_at = now() - interval '2 days'"
         " WHERE key = '%s'" % key)
    d2 = expect_ok(create(create_body(), headers=[("Idempotency-Key", key)]))
    check(d2["document_id"] != d1["document_id"], "an expired key creates again")
    # expired keys of others are removed by later keyed creates
    psql("UPDATE idempotency_keys SET created_at = now() - interval '2 days'"
         " WHERE key <> '%s'" % key)
    expired = int(psql("SELECT count(*) FROM idempotency_keys"
                       " WHERE created_at < now() - interval '1 day'"))
    for _ in range(expired // 8 + 1):  # each keyed create removes up to 8
        expect_ok(create(create_body(), headers=[("Idempotency-Key", "idem-" + fresh_id())]))
    eq(psql("SELECT count(*) FROM idempotency_keys WHERE created_at < now() - interval '1 day'"),
       "0", "expired keys left after later keyed creates")
