# PATCH /v1/collections/{c}/documents/bulk (contract section 11) with its
# guard rails. Loaded by test_api.py after document_create.py and list.py
# (their helpers in scope). Each test works in a collection of its own.


def bulk(body, col, key=DEFAULT, headers=()):
    if key is DEFAULT:
        key = SEED["key_write"]
    h = [("X-Namespace", NS), ("Content-Type", "application/json")] + list(headers)
    if key:
        h.append(("Authorization", "Bearer " + key))
    return request("PATCH", "/v1/collections/%s/documents/bulk" % col, h, body)


def small_collection(n=30):
    name = "bulk" + fresh_id()[5:12].lower()
    cid = admin("create-collection", "--namespace", SEED["ns_prod"], name).strip()
    ids = []
    for i in range(n):
        ids.append(expect_ok(create({"collection_id": cid, "document_id": "doc_k%03d" % i,
                                     "metadata": {"i": i, "even": i % 2 == 0,
                                                  "deep": {"a": 1}},
                                     "tag": "t%d" % (i % 3), "obj": {"x": 1}},
                                    col=cid))["document_id"])
    return cid, ids


def metadata_of(cid, doc):
    return expect_ok(get(doc, col=cid))


@test
def bulk_updates_every_match_in_one_statement():
    cid, ids = small_collection()
    before = {d: version_of(get(d, col=cid)) for d in ids}
    r = bulk({"filters": {"metadata.even": True},
              "update_data": {"metadata": {"status": "done"}, "metadata.deep.b": 2,
                              "obj.y": 3, "flag.z": "literal"}}, cid)
    eq(expect_ok(r), {"updated_count": 15, "message": "Documents updated successfully"}, "bulk")
    for i, d in enumerate(ids):
        doc = metadata_of(cid, d)
        if i % 2 == 0:
            eq(doc["metadata"]["status"], "done", "merged into metadata")
            eq(doc["metadata"]["deep"], {"a": 1, "b": 2}, "a dotted path into metadata")
            eq(doc["obj"], {"x": 1, "y": 3}, "a path into a flat field holding an object")
            eq(doc["flag.z"], "literal", "a dotted key naming no object is a flat field")
            eq(version_of(get(d, col=cid)), before[d] + 1, "version advances once")
        else:
            check("status" not in doc["metadata"], "non-matching documents untouched")
            eq(version_of(get(d, col=cid)), before[d], "non-matching keep their version")
    # the same update again changes nothing: no version moves
    r = bulk({"filters": {"metadata.even": True},
              "update_data": {"metadata": {"status": "done"}}}, cid)
    eq(expect_ok(r)["updated_count"], 0, "an update that changes nothing")
    eq(version_of(get(ids[0], col=cid)), before[ids[0]] + 1, "version unchanged")
    # null removes, "filters": {} is every document
    r = bulk({"filters": {}, "update_data": {"metadata.deep": None, "tag": None}}, cid)
    eq(expect_ok(r)["updated_count"], 30, "every document")
    check("deep" not in metadata_of(cid, ids[1])["metadata"], "null removes a path")
    check("tag" not in metadata_of(cid, ids[1]), "null removes a flat field")


@test
def bulk_guard_rails_write_nothing():
    cid, ids = small_collection(12)
    rejected(None, lambda: bulk({"update_data": {"metadata": {"x": 1}}}, cid), 422,
             locs=[("body", "filters")])
    rejected(None, lambda: bulk({"filters": None, "update_data": {"metadata": {"x": 1}}}, cid),
             422, locs=[("body", "filters")])
    rejected(None, lambda: bulk({"filters": {}}, cid), 422, locs=[("body", "update_data")])
    rejected(None, lambda: bulk({"filters": {}, "update_data": []}, cid), 422,
             locs=[("body", "update_data")])
    rejected(None, lambda: bulk({"filters": {}, "update_data": {"source_type": "bucket"}}, cid),
             422, locs=[("body", "update_data", "source_type")])
    rejected(None, lambda: bulk({"filters": {}, "update_data": {"internal_metadata.x": 1}}, cid),
             422, locs=[("body", "update_data")])
    rejected(None, lambda: bulk({"filters": {}, "update_data": {"metadata": 3}}, cid), 422,
             locs=[("body", "update_data", "metadata")])
    rejected(None, lambda: bulk({"filters": {"must": []}, "update_data": {"a": 1}}, cid), 422,
             locs=[("body", "filters")])
    # max-affected: more than N would change -> nothing is written
    r = rejected(None, lambda: bulk({"filters": {}, "update_data": {"metadata": {"x": 1}}}, cid,
                                    headers=[("Prefer", "max-affected=5")]), 422,
                 locs=[("header", "Prefer")])
    check("12 documents would be affected, more than max-affected=5" in r.body.decode(),
          "max-affected message: %r" % r.body[:200])
    expect_ok(bulk({"filters": {"metadata.i": 3}, "update_data": {"metadata": {"x": 1}}}, cid,
                   headers=[("Prefer", "max-affected=1")]))
    rejected(None, lambda: bulk({"filters": {}, "update_data": {"a": 1}}, cid,
                                headers=[("Prefer", "max-affected=x")]), 422,
             locs=[("header", "Prefer")])
    rejected(None, lambda: bulk({"filters": {}, "update_data": {"a": 1}}, cid,
                                headers=[("Prefer", "tx=maybe")]), 422,
             locs=[("header", "Prefer")])
    # a dry run: same answer, nothing written, nothing in the change feed
    seq = feed_last_seq(cid)
    with unchanged():
        r = bulk({"filters": {"metadata.even": True}, "update_data": {"metadata": {"dry": 1}}},
                 cid, headers=[("Prefer", "tx=rollback")])
        eq(expect_ok(r)["updated_count"], 6, "a dry run counts what it would update")
        eq(r.header("Preference-Applied"), "tx=rollback", "Preference-Applied")
    eq(feed_last_seq(cid), seq, "a dry run leaves no change in the feed")
    # one document that cannot take the update: 422 naming it, nothing written
    expect_ok(patch(ids[4], {"metadata": {"deep": "a string"}}, col=cid))
    r = rejected(None, lambda: bulk({"filters": {}, "update_data": {"metadata.deep.z": 1}}, cid),
                 422, locs=[("body", "update_data")])
    check(ids[4] in r.body.decode(), "the 422 names the document: %r" % r.body[:300])
    # the order of checks
    rejected(None, lambda: bulk({"update_data": {"a": 1}}, cid, key=None), 401,
             "UnauthorizedError")
    rejected(None, lambda: bulk({"filters": {}, "update_data": {"a": 1}}, cid,
                                key=SEED["key_read"]), 403, "ForbiddenError")
    rejected(None, lambda: bulk({"filters": {}, "update_data": {"a": 1}}, "col_nope"), 404,
             "NotFoundError")


def race_single_patches(cid, ids, many_write, rounds=5):
    """Five single PATCHes on each of ids[:6] from their own threads while
    many_write(k) runs rounds times (k = 0..rounds-1, each adding
    metadata.b<k> to the documents it names): afterwards every PATCH and
    every many-document write has landed on ids[:6]."""
    errors = []

    def patcher(d):
        for j in range(5):
            r = patch(d, {"metadata": {"p%d" % j: j}}, col=cid)
            if r.status != 200:
                errors.append(r.status)

    threads = [threading.Thread(target=patcher, args=(d,)) for d in ids[:6]]
    for t in threads:
        t.start()
    for k in range(rounds):
        many_write(k)
    for t in threads:
        t.join()
    eq(errors, [], "single PATCHes during the many-document writes")
    for d in ids[:6]:
        m = metadata_of(cid, d)["metadata"]
        eq(sorted(k for k in m if k[0] in "pb" and k[1:].isdigit()),
           sorted(["p%d" % j for j in range(5)] + ["b%d" % k for k in range(rounds)]),
           "every PATCH and every many-document write of %s landed" % d)


@test
def bulk_with_concurrent_patches_loses_nothing():
    cid, ids = small_collection(20)
    race_single_patches(cid, ids, lambda k: expect_ok(
        bulk({"filters": {}, "update_data": {"metadata.b%d" % k: k}}, cid)))
