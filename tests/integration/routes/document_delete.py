# DELETE /v1/collections/{c}/documents/{d} (contract section 7). Loaded by
# test_api.py into its own namespace: the helpers there are in scope.


def delete(doc, **kw):
    return api("DELETE", doc, **kw)


@test
def delete_document_200_then_404():
    doc = new_doc()
    r = delete(doc)
    eq(expect_ok(r), {"message": "Successfully deleted", "success": True}, "DELETE body")
    eq(r.header("ETag"), None, "ETag after DELETE")
    eq(db_row(doc), "", "row after DELETE")
    expect_error(get(doc), 404, "NotFoundError", {"resource": "document", "id": doc})
    rejected(None, lambda: delete(doc), 404, "NotFoundError", {"resource": "document", "id": doc})


@test
def delete_by_collection_name_and_minimal():
    doc = new_doc()
    r = delete(doc, col="articles", headers=[("Prefer", "return=minimal")])
    expect_ok(r, 204)
    eq(r.header("ETag"), None, "ETag of a 204 after DELETE")
    eq(db_row(doc), "", "row after DELETE")


@test
def delete_if_match():
    doc = new_doc()
    etag = get(doc).header("ETag")
    rejected(doc, lambda: delete(doc, headers=[("If-Match", '"999"')]), 412,
             "PreconditionFailedError")
    r = delete(doc, headers=[("If-Match", etag)])
    expect_ok(r)
    eq(db_row(doc), "", "row after DELETE with a matching If-Match")


@test
def delete_refused_in_contract_order():
    doc = new_doc()
    rejected(doc, lambda: delete(doc, key=None), 401, "UnauthorizedError")
    rejected(doc, lambda: delete(doc, ns=None), 400, "BadRequestError")
    rejected(doc, lambda: delete(doc, key=SEED["key_read"]), 403, "ForbiddenError")
    rejected(doc, lambda: delete(doc, key=SEED["key_staging"]), 403, "ForbiddenError")
    rejected(doc, lambda: delete(doc, col="col_nope"), 404, "NotFoundError",
             {"resource": "collection", "id": "col_nope"})
    # another collection of the namespace does not hold it
    rejected(doc, lambda: delete(doc, col=SEED["col_frames"]), 404, "NotFoundError",
             {"resource": "document", "id": doc})
    # a body is ignored, whatever its type
    r = delete(doc, body="not json", ctype="text/plain")
    expect_ok(r)


@test
def delete_concurrent_exactly_one_wins():
    doc = new_doc()
    results = []

    def one():
        results.append(delete(doc).status)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(sorted(results), [200] + [404] * 7, "statuses of 8 concurrent DELETEs")


@test
def delete_allowed_methods_listed():
    doc = new_doc()
    with unchanged(doc):
        r = api("POST", doc, body="{}", ctype="application/json")
    expect_error(r, 405, "MethodNotAllowedError")
    check({"GET", "PATCH", "DELETE"} <= allow_set(r), "Allow %r" % r.header("Allow"))
