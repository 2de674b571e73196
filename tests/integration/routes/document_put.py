# PUT /v1/collections/{c}/documents/{d} (contract section 7): the body
# replaces the writable view. Loaded by test_api.py into its namespace.


def put(doc, body, **kw):
    kw.setdefault("ctype", "application/json")
    return api("PUT", doc, body=body, **kw)


@test
def put_replaces_the_writable_view():
    doc = new_doc()
    before, r0 = get_doc(doc)
    r = put(doc, {"metadata": {"only": 1}, "new_flat": "x"})
    d = expect_ok(r)
    eq(d["metadata"], {"only": 1}, "metadata replaced, not merged")
    eq(d.get("new_flat"), "x", "flat field set")
    readonly = ("document_id", "collection_id", "document_schema_version", "root_object_id",
                "root_bucket_id", "source_type", "source_object_id", "source_collection_id",
                "source_document_id", "lineage_path", "lineage", "lineage_chain",
                "source_blobs", "internal_metadata", "created_at")
    for k in readonly:
        eq(d.get(k), before.get(k), "read-only %s after PUT" % k)
    check("cluster_id" not in d, "a stored flat field absent from the body is removed")
    eq(d["document_blobs"], [], "document_blobs absent -> []")
    eq(version_of(r), version_of(r0) + 1, "version after PUT")
    again = expect_ok(get(doc))
    eq(again["metadata"], {"only": 1}, "GET after PUT")
    eq(again.get("new_flat"), "x", "flat field after PUT")


@test
def put_back_what_get_returned_changes_nothing():
    doc = new_doc()
    d, r = get_doc(doc)
    r2 = put(doc, d)
    eq(expect_ok(r2), d, "PUT of the GET body answers the same document")
    eq(r2.header("ETag"), r.header("ETag"), "no change: same version")


@test
def put_flat_fields_absent_are_removed():
    doc = new_doc(cluster_id="cl_1", taxonomy_products_label="shoes")
    d = expect_ok(put(doc, {"metadata": {}, "cluster_id": "cl_2"}))
    eq(d.get("cluster_id"), "cl_2", "flat field replaced")
    check("taxonomy_products_label" not in d, "a stored flat field absent from the body remains")


@test
def put_refusals_change_nothing():
    doc = new_doc()
    d, _ = get_doc(doc)
    rejected(doc, lambda: put(doc, {"metadata": [1]}), 422, locs=[["body", "metadata"]])
    rejected(doc, lambda: put(doc, {"document_id": "doc_other"}), 422,
             locs=[["body", "document_id"]])
    rejected(doc, lambda: put(doc, {"root_object_id": "obj_changed"}), 422,
             locs=[["body", "root_object_id"]])
    rejected(doc, lambda: put(doc, {"document_blobs": [{"url": "s3://b/k"}]}), 422)
    rejected(doc, lambda: put(doc, "[1, 2]"), 422)
    rejected(doc, lambda: put(doc, "{", ctype="application/json"), 422)
    rejected(doc, lambda: put(doc, {"metadata": {}}, ctype="application/merge-patch+json"),
             415, "UnsupportedMediaTypeError")
    rejected(doc, lambda: put(doc, {"metadata": {}}, key=SEED["key_read"]), 403, "ForbiddenError")
    rejected(doc, lambda: put(doc, {"metadata": {}}, headers=[("If-Match", '"999"')]), 412,
             "PreconditionFailedError")
    rejected(None, lambda: put("doc_absent1", {"metadata": {}}), 404, "NotFoundError",
             {"resource": "document", "id": "doc_absent1"})
    # a read-only field with its stored value is allowed and ignored
    r = put(doc, {"metadata": {"k": 1}, "root_object_id": d["root_object_id"]})
    expect_ok(r)


@test
def put_if_match_and_minimal():
    doc = new_doc()
    etag = get(doc).header("ETag")
    r = put(doc, {"metadata": {"m": 1}}, headers=[("If-Match", etag), ("Prefer", "return=minimal")])
    expect_ok(r, 204)
    eq(r.header("Preference-Applied"), "return=minimal", "Preference-Applied")
    eq(version_of(r), int(etag.strip('"')) + 1, "ETag of the 204")


@test
def put_concurrent_with_patch_no_lost_update():
    doc = new_doc()
    results = []

    def one(i):
        if i % 2:
            r = patch(doc, {"metadata": {"p%d" % i: i}})
        else:
            r = put(doc, {"metadata": {"put%d" % i: i}})
        results.append(r.status)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(sorted(set(results)), [200], "statuses")
    v = version_of(get(doc))
    eq(v, 1 + 12, "every PUT and PATCH wrote exactly once")
