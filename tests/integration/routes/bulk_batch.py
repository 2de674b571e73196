# POST and DELETE /v1/collections/{c}/documents/batch (contract section
# 11): per-item results, filter mode, atomic, the guard rails. Loaded by
# test_api.py after bulk.py (its bulk(), small_collection() and
# metadata_of() in scope). Each test works in a collection of its own.


def batch(method, body, col, key=DEFAULT, headers=()):
    if key is DEFAULT:
        key = SEED["key_write"]
    h = [("X-Namespace", NS), ("Content-Type", "application/json")] + list(headers)
    if key:
        h.append(("Authorization", "Bearer " + key))
    return request(method, "/v1/collections/%s/documents/batch" % col, h, body)


def bupdate(body, col, **kw):
    return batch("POST", body, col, **kw)


def bdelete(body, col, **kw):
    return batch("DELETE", body, col, **kw)


def versions(cid, ids):
    return {d: version_of(get(d, col=cid)) for d in ids}


@test
def batch_update_items_report_each_in_order():
    cid, ids = small_collection(8)
    before = versions(cid, ids)
    src = expect_ok(get(ids[2], col=cid))
    expect_ok(patch(ids[5], {"metadata": {"deep": "a string"}}, col=cid))
    before[ids[5]] += 1
    r = bupdate({"updates": [
        {"document_id": ids[0], "update_data": {"metadata": {"s": 1}, "metadata.deep.b": 2}},
        {"document_id": "doc_missing", "update_data": {"metadata": {"s": 1}}},
        {"document_id": ids[1], "update_data": {"source_type": "bucket_changed"}},
        {"document_id": ids[2], "update_data": {"source_type": src.get("source_type"),
                                                "collection_id": cid, "tag": "new"}},
        {"document_id": ids[3], "update_data": {"metadata": {"i": 3}}},
        {"document_id": ids[5], "update_data": {"metadata.deep.z": 1}},
        {"document_id": ids[6], "update_data": {"metadata": 7}},
        {"document_id": ids[7], "update_data": {"obj.y": 5, "internal_metadata.k": None}},
    ]}, cid)
    b = expect_ok(r)
    eq(b["message"], "Batch update completed", "message")
    eq([x["document_id"] for x in b["results"]],
       [ids[0], "doc_missing", ids[1], ids[2], ids[3], ids[5], ids[6], ids[7]],
       "one result per item, in request order")
    eq([x["success"] for x in b["results"]], [True, False, False, True, True, False, False, True],
       "successes: %r" % b["results"])
    eq(b["results"][1]["error"], "Document not found", "a missing id fails its item")
    eq(b["results"][2]["error"], "Field 'source_type' is read-only", "a read-only change")
    check("not an object" in b["results"][5]["error"], "a path through a string: %r"
          % b["results"][5])
    check("metadata" in b["results"][6]["error"], "metadata not an object: %r" % b["results"][6])
    check("error" not in b["results"][0], "no error member on success")
    eq((b["updated_count"], b["failed_count"]), (4, 4), "counts")
    after = versions(cid, ids)
    eq(metadata_of(cid, ids[0])["metadata"]["deep"], {"a": 1, "b": 2}, "a dotted path applied")
    eq(metadata_of(cid, ids[2])["tag"], "new", "read-only fields sent with their value")
    eq(metadata_of(cid, ids[7])["obj"], {"x": 1, "y": 5}, "a path into a flat object")
    for i, d in enumerate(ids):
        want = before[d] + (1 if i in (0, 2, 7) else 0)
        eq(after[d], want, "version of item %d (an update that changes nothing keeps it)" % i)
    eq(metadata_of(cid, ids[1]).get("source_type"), src.get("source_type"),
       "a failed item is not written")


@test
def batch_update_shape_errors_write_nothing():
    cid, ids = small_collection(3)
    ok_item = {"document_id": ids[0], "update_data": {"metadata": {"x": 1}}}
    cases = [
        ({}, ("body", "updates")),
        ({"filters": {}}, ("body", "updates")),
        ({"updates": [ok_item], "filters": {}}, ("body", "updates")),
        ({"updates": [ok_item], "update_data": {"a": 1}}, ("body", "updates")),
        ({"updates": []}, ("body", "updates")),
        ({"updates": {"document_id": ids[0]}}, ("body", "updates")),
        ({"updates": [ok_item] * 1001}, ("body", "updates")),
        ({"updates": [ok_item, ok_item]}, ("body", "updates", 1, "document_id")),
        ({"updates": [{"document_id": 7, "update_data": {}}]}, ("body", "updates", 0, "document_id")),
        ({"updates": [{"document_id": ids[0]}]}, ("body", "updates", 0, "update_data")),
        ({"updates": [{"document_id": ids[0], "update_data": [1]}]},
         ("body", "updates", 0, "update_data")),
        ({"updates": ["x"]}, ("body", "updates", 0)),
        ({"update_data": {"a": 1}}, ("body", "filters")),
        ({"filters": None, "update_data": {"a": 1}}, ("body", "filters")),
        ({"filters": {}, "update_data": 3}, ("body", "update_data")),
        ({"filters": {"must": []}, "update_data": {"a": 1}}, ("body", "filters")),
        ({"updates": [ok_item], "atomic": "yes"}, ("body", "atomic")),
        ([ok_item], ("body",)),
    ]
    for body, loc in cases:
        rejected(None, lambda: bupdate(body, cid), 422, locs=[loc])
    r = rejected(None, lambda: bupdate({"update_data": {"a": 1}}, cid), 422,
                 locs=[("body", "filters")])
    check('send \\"filters\\": {} to update every document' in r.body.decode(),
          "the filters message: %r" % r.body[:300])
    # the order of checks
    rejected(None, lambda: bupdate({"updates": [ok_item]}, cid, key=None), 401,
             "UnauthorizedError")
    rejected(None, lambda: bupdate({"updates": [ok_item]}, cid, key=SEED["key_read"]), 403,
             "ForbiddenError")
    rejected(None, lambda: bupdate({"updates": [ok_item]}, "col_nope"), 404, "NotFoundError")
    rejected(None, lambda: bupdate({"updates": []}, "col_nope"), 422, locs=[("body", "updates")])


@test
def batch_update_filter_mode():
    cid, ids = small_collection(10)
    before = versions(cid, ids)
    r = bupdate({"filters": {"metadata.even": True}, "update_data": {"metadata.f": "yes"}}, cid)
    eq(expect_ok(r), {"updated_count": 5, "failed_count": 0, "results": [],
                      "message": "Batch update completed"}, "filter mode answer")
    for i, d in enumerate(ids):
        eq(metadata_of(cid, d)["metadata"].get("f"), "yes" if i % 2 == 0 else None, "filter")
        eq(version_of(get(d, col=cid)), before[d] + (i % 2 == 0), "versions")
    # a per-document failure in filter mode lists only the failed ones
    expect_ok(patch(ids[3], {"obj": "flat"}, col=cid))
    b = expect_ok(bupdate({"filters": {}, "update_data": {"obj.z": 1}}, cid))
    # obj is not an object in ids[3] any more: a dotted flat key then names a field literally
    eq((b["updated_count"], b["failed_count"], b["results"]), (10, 0, []), "flat literal")
    b = expect_ok(bupdate({"filters": {}, "update_data": {"source_type": "other"}}, cid))
    eq((b["updated_count"], b["failed_count"]), (0, 10), "read-only in filter mode fails per doc")
    eq(sorted(x["document_id"] for x in b["results"]), sorted(ids), "the failed ones listed")
    check(all(x["error"] == "Field 'source_type' is read-only" for x in b["results"]),
          "their error")


@test
def batch_atomic_all_or_nothing():
    cid, ids = small_collection(4)
    items = [{"document_id": d, "update_data": {"metadata": {"at": 1}}} for d in ids]
    items.append({"document_id": "doc_absent", "update_data": {"metadata": {"at": 1}}})
    with unchanged():
        r = bupdate({"updates": items, "atomic": True}, cid)
        expect_error(r, 409, "ConflictError")
        body = json.loads(r.body)
        eq(body["error"]["message"], "Batch not applied: 1 item(s) failed", "409 message")
        eq(body["error"]["details"], {"failed_count": 1, "results": [
            {"document_id": "doc_absent", "success": False, "error": "Document not found"}]},
           "409 details")
    b = expect_ok(bupdate({"updates": items[:4], "atomic": True}, cid))
    eq(b["updated_count"], 4, "atomic and all good")
    with unchanged():
        r = bdelete({"document_ids": ids + ["doc_absent"], "atomic": True}, cid)
        expect_error(r, 409, "ConflictError")
    eq(bupdate({"updates": items}, cid).status, 200, "non-atomic with a failing item")


@test
def batch_guards_max_affected_and_dry_run():
    cid, ids = small_collection(6)
    items = [{"document_id": d, "update_data": {"metadata": {"g": 1}}} for d in ids]
    r = rejected(None, lambda: bupdate({"updates": items}, cid,
                                       headers=[("Prefer", "max-affected=5")]), 422,
                 locs=[("header", "Prefer")])
    check("6 documents would be affected, more than max-affected=5" in r.body.decode(),
          "max-affected message %r" % r.body[:200])
    rejected(None, lambda: bdelete({"filters": {}}, cid, headers=[("Prefer", "max-affected=2")]),
             422, locs=[("header", "Prefer")])
    rejected(None, lambda: bdelete({"filters": {}}, cid, headers=[("Prefer", "max-affected=-1")]),
             422, locs=[("header", "Prefer")])
    rejected(None, lambda: bdelete({"filters": {}}, cid, headers=[("Prefer", "tx=later")]),
             422, locs=[("header", "Prefer")])
    # a dry run: the same answer as the real one, nothing written or in the feed
    seq = feed_last_seq(cid)
    items[0] = {"document_id": "doc_gone", "update_data": {"metadata": {"g": 1}}}
    with unchanged():
        dry = bupdate({"updates": items}, cid, headers=[("Prefer", "tx=rollback, max-affected=9")])
        eq(dry.header("Preference-Applied"), "max-affected=9, tx=rollback", "Preference-Applied")
        dry_del = bdelete({"document_ids": ids[:3] + ["doc_gone"]}, cid,
                          headers=[("Prefer", "tx=rollback")])
        eq(expect_ok(dry_del)["deleted_count"], 3, "a dry delete counts")
    eq(feed_last_seq(cid), seq, "a dry run leaves nothing in the change feed")
    real = bupdate({"updates": items}, cid)
    eq(expect_ok(dry), expect_ok(real), "the dry run answered as the real run")
    eq(real.header("Preference-Applied"), None, "no Preference-Applied without guards")


@test
def batch_delete_ids_and_filters():
    cid, ids = small_collection(8)
    seq = feed_last_seq(cid)
    r = bdelete({"document_ids": [ids[0], "doc_never", ids[1]]}, cid)
    eq(expect_ok(r), {"deleted_count": 2, "failed_count": 1, "results": [
        {"document_id": ids[0], "success": True},
        {"document_id": "doc_never", "success": False, "error": "Document not found"},
        {"document_id": ids[1], "success": True}], "message": "Batch delete completed"},
       "by ids")
    eq(get(ids[0], col=cid).status, 404, "deleted")
    ch = expect_ok(changes(cid, "since=%d" % seq))["results"]
    eq(sorted((x["document_id"], x["deleted"]) for x in ch),
       sorted([(ids[0], True), (ids[1], True)]), "tombstones in the change feed")
    # deleting again: both missing now
    b = expect_ok(bdelete({"document_ids": [ids[0], ids[1]]}, cid))
    eq((b["deleted_count"], b["failed_count"]), (0, 2), "already deleted")
    # filter mode
    b = expect_ok(bdelete({"filters": {"metadata.even": True}}, cid))
    eq((b["deleted_count"], b["failed_count"], b["results"]), (3, 0, []), "filter mode")
    for case, loc in (({}, ("body", "filters")), ({"filters": None}, ("body", "filters")),
                      ({"document_ids": []}, ("body", "document_ids")),
                      ({"document_ids": [ids[3], ids[3]]}, ("body", "document_ids", 1)),
                      ({"document_ids": [3]}, ("body", "document_ids", 0)),
                      ({"document_ids": [ids[3]], "filters": {}}, ("body", "document_ids")),
                      ({"document_ids": ["x"] * 1001}, ("body", "document_ids"))):
        rejected(None, lambda: bdelete(case, cid), 422, locs=[loc])
    r = rejected(None, lambda: bdelete({}, cid), 422, locs=[("body", "filters")])
    check("to delete every document" in r.body.decode(), "delete's message")
    rejected(None, lambda: bdelete({"filters": {}}, cid, key=SEED["key_read"]), 403,
             "ForbiddenError")
    b = expect_ok(bdelete({"filters": {}}, cid))
    eq(b["deleted_count"], 3, "filters {} deletes every document left")


@test
def batch_routes_methods():
    cid = SEED["col_articles"]
    r = batch("GET", None, cid)
    expect_error(r, 405, "MethodNotAllowedError")
    eq(r.header("Allow"), "POST, DELETE", "Allow of batch")
    eq(batch("PATCH", {}, cid).status, 405, "PATCH batch")


@test
def batch_of_1000_is_one_request():
    cid, ids = small_collection(5)
    items = [{"document_id": ids[i % 5] if i < 5 else "doc_x%04d" % i,
              "update_data": {"metadata": {"n": i}}} for i in range(1000)]
    b = expect_ok(bupdate({"updates": items}, cid))
    eq((b["updated_count"], b["failed_count"], len(b["results"])), (5, 995, 1000), "1000 items")


@test
def batch_with_concurrent_patches_loses_nothing():
    cid, ids = small_collection(12)
    race_single_patches(cid, ids, lambda k: expect_ok(bupdate({"updates": [
        {"document_id": d, "update_data": {"metadata.b%d" % k: k}} for d in ids]}, cid)))
    for d in ids[6:]:
        eq(version_of(get(d, col=cid)), 1 + 5, "one version per batch that changed it")
