# GET /v1/collections/{c}/documents/{d}/lineage (contract section 13).
# Loaded by test_api.py into its own namespace after document_create.py:
# its helpers (create, create_body) and test_api.py's are in scope.


def lineage(doc, col=DEFAULT, key=DEFAULT, ns=DEFAULT):
    return api("GET", doc + "/lineage", col=col, key=key, ns=ns)


def derived(col, parent, parent_col, **extra):
    """Creates a document of col derived from parent (in parent_col)."""
    body = dict(collection_id=col, document_id=fresh_id(), source_type="collection",
                source_document_id=parent, source_collection_id=parent_col, **extra)
    return expect_ok(create(body, col=col))["document_id"]


@test
def lineage_chain_root_to_document_and_children():
    frames, articles = SEED["col_frames"], SEED["col_articles"]
    obj = "obj_" + fresh_id()[4:]
    root = expect_ok(create(dict(collection_id=frames, document_id=fresh_id(),
                                 source_type="bucket", root_object_id=obj,
                                 root_bucket_id="bkt_l", lineage_path="bkt_l/col_frames"),
                            col=frames))["document_id"]
    mid = derived(articles, root, frames, root_object_id=obj, root_bucket_id="bkt_l")
    # the parent named by its collection's name works too
    leaf = derived(articles, mid, "articles", root_object_id=obj)
    kids = sorted([derived(articles, leaf, articles), derived(frames, leaf, articles)])
    b = expect_ok(lineage(leaf))
    eq(b["document_id"], leaf, "document_id")
    eq(b["collection_id"], articles, "collection_id")
    eq(b["root_object_id"], obj, "root_object_id")
    eq(b["chain"], [{"object_id": obj},
                    {"document_id": root, "collection_id": frames, "found": True},
                    {"document_id": mid, "collection_id": articles, "found": True},
                    {"document_id": leaf, "collection_id": articles}], "chain")
    got = [(c["collection_id"], c["document_id"]) for c in b["children"]]
    eq(got, sorted(got), "children sorted")
    eq(sorted(c["document_id"] for c in b["children"]), kids, "children")
    r = expect_ok(lineage(root, col=frames))
    eq(r["chain"], [{"object_id": obj, "bucket_id": "bkt_l"},
                    {"document_id": root, "collection_id": frames}], "chain of a root")
    eq(r["lineage_path"], "bkt_l/col_frames", "lineage_path as stored")
    eq([c["document_id"] for c in r["children"]], [mid], "children of the root")


@test
def lineage_missing_ancestor_and_cycle_end_the_walk():
    a = SEED["col_articles"]
    orphan = derived(a, "doc_gone", a)
    b = expect_ok(lineage(orphan))
    eq(b["chain"], [{"document_id": "doc_gone", "collection_id": a, "found": False},
                    {"document_id": orphan, "collection_id": a}], "a missing ancestor")
    check("root_object_id" not in b, "absent members are omitted")
    x, y = fresh_id(), fresh_id()
    expect_ok(create(create_body(document_id=x, source_type="collection",
                                 source_document_id=y, source_collection_id=a)))
    expect_ok(create(create_body(document_id=y, source_type="collection",
                                 source_document_id=x, source_collection_id=a)))
    c = expect_ok(lineage(x))
    eq(c["chain"], [{"document_id": y, "collection_id": a, "found": True},
                    {"document_id": x, "collection_id": a}], "a cycle ends the walk")
    # a v1 document's chain is inside its lineage object
    eq(expect_ok(lineage("doc_seed1"))["lineage_chain"][0]["feature_extractor_id"],
       "text_extractor_v1", "v1 lineage_chain")


@test
def lineage_refusals():
    doc = new_doc()
    rejected(doc, lambda: lineage(doc, key=None), 401, "UnauthorizedError")
    rejected(doc, lambda: lineage(doc, ns=None), 400, "BadRequestError")
    rejected(doc, lambda: lineage(doc, key=SEED["key_staging"]), 403, "ForbiddenError")
    rejected(doc, lambda: lineage(doc, col="col_nope"), 404, "NotFoundError",
             {"resource": "collection", "id": "col_nope"})
    rejected(doc, lambda: lineage("doc_nope"), 404, "NotFoundError",
             {"resource": "document", "id": "doc_nope"})
    # another collection of the namespace does not hold it
    rejected(doc, lambda: lineage(doc, col=SEED["col_frames"]), 404, "NotFoundError",
             {"resource": "document", "id": doc})
    expect_ok(lineage(doc, key=SEED["key_read"]))
    r = api("DELETE", doc + "/lineage")
    expect_error(r, 405, "MethodNotAllowedError")
