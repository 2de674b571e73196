# Batch update, batch delete and bulk update through the web server in
# front (run_matrix.sh runs every routes/*.py behind lighttpd, Apache
# mod_fcgid, mod_proxy_fcgi, plain CGI and nginx): what a server could get
# wrong here is the DELETE's JSON body (sized and chunked) and the routes
# under the mount prefix. Uses matrix_lifecycle.py's _ml_ helpers; names
# start with _mm_ / matrix_.


def _mm_make(n, base=None):
    ids = []
    for i in range(n):
        r = _ml_create({"collection_id": SEED["col_articles"], "document_id": fresh_id(),
                        "metadata": {"mm": i}}, base=base)
        ids.append(expect_ok(r)["document_id"])
    return ids


def _mm_many(base):
    ids = _mm_make(3, base)
    path = _ml_docs() + "/batch"
    h = _ml_headers(ctype="application/json")
    b = expect_ok(request("POST", path, h, json.dumps({"updates": [
        {"document_id": d, "update_data": {"metadata.tagged": True}} for d in ids]}), base))
    eq((b["updated_count"], b["failed_count"]), (3, 0), "batch update through the server")
    b = expect_ok(request("PATCH", _ml_docs() + "/bulk", h, json.dumps(
        {"filters": {"document_id": ids[0]}, "update_data": {"metadata.bulk": 1}}), base))
    eq(b["updated_count"], 1, "bulk through the server")
    eq(expect_ok(get(ids[0]))["metadata"], {"mm": 0, "tagged": True, "bulk": 1}, "both landed")
    since = _ml_feed_end(base)
    r = request("DELETE", path, h, json.dumps({"document_ids": ids[:2] + ["doc_nothere"]}), base)
    b = expect_ok(r)
    eq([x["success"] for x in b["results"]], [True, True, False], "the DELETE's body reached the app")
    for d in ids[:2]:
        eq(get(d).status, 404, "deleted")
        check(_ml_feed_entry(since, d, base)["deleted"], "tombstone of %s" % d)
    eq(get(ids[2]).status, 200, "not named, not deleted")
    return ids[2]


@test
def matrix_batch_and_bulk():
    _mm_many(BASE)


@test
def matrix_batch_and_bulk_under_api_prefix():
    _mm_many(API_BASE)


@test
def matrix_batch_delete_with_a_chunked_body():
    ids = _mm_make(2)
    body = json.dumps({"document_ids": ids + ["doc_" + "\u00e9" * 40]}).encode()
    r = _ml_chunked_post(_ml_docs() + "/batch", _ml_headers(ctype="application/json"), body,
                         method="DELETE")
    b = expect_ok(r)
    eq((b["deleted_count"], b["failed_count"]), (2, 1), "a chunked DELETE body")
    for d in ids:
        eq(get(d).status, 404, "deleted")
