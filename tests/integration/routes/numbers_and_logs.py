# Numbers PostgreSQL cannot store, the exact no-change check, and what a
# request can put in the log (README "Behaviour worth knowing"; cgi/body.h).
# Loaded by test_api.py into its own namespace: the helpers there are in
# scope. The log tests that need presigning are in test_presign.py
# (t_log_quoted_and_bounded): this suite runs without S3 credentials.

NOT_STORABLE = "value_error.number.not_storable"


def expect_not_storable(r, loc):
    """422 with an item at exactly loc of type value_error.number.not_storable."""
    detail = expect_422(r, loc)
    check(any(it["loc"] == list(loc) and it["type"] == NOT_STORABLE for it in detail),
          "no %s item at %r: %r" % (NOT_STORABLE, loc, detail[:3]))
    return detail


def jpatch(doc, ops, **kw):
    return patch(doc, ops if isinstance(ops, str) else json.dumps(ops),
                 ctype="application/json-patch+json", **kw)


@test
def number_1e_minus_20000_is_422_not_500():
    # was: 500, "value overflows numeric format" in the log
    doc = new_doc()
    r = rejected(doc, lambda: patch(doc, '{"metadata": {"x": 1e-20000}}'), 422)
    expect_not_storable(r, ["body", "metadata", "x"])


@test
def number_20000_digits_in_a_flat_field_is_422():
    doc = new_doc()
    body = '{"cluster_id": "c", "score": 0.%s1}' % ("0" * 19999)
    r = rejected(doc, lambda: patch(doc, body), 422)
    expect_not_storable(r, ["body", "score"])


@test
def number_in_a_json_patch_add_value_is_422():
    doc = new_doc()
    ops = ('[{"op": "test", "path": "/metadata/keep", "value": 1},'
           ' {"op": "add", "path": "/metadata/x", "value": {"deep": [1, 1e-20000]}}]')
    r = rejected(doc, lambda: jpatch(doc, ops), 422)
    expect_not_storable(r, ["body", 1, "value", "deep", 1])


@test
def number_4000_times_1e_minus_16000_is_422():
    # was: accepted, each stored as a 16,002-character decimal (a 64 MB GET)
    doc = new_doc()
    body = '{"metadata": {"a": [%s]}}' % ",".join(["1e-16000"] * 4000)
    check(len(body) < 40000, "the body is small")
    r = rejected(doc, lambda: patch(doc, body), 422)
    detail = expect_not_storable(r, ["body", "metadata", "a", 0])
    check(len(detail) <= 8, "the 422 lists a bounded number of items: %d" % len(detail))
    check("more numbers" in detail[-1]["msg"], "the last item counts the rest: %r" % detail[-1])


@test
def number_many_small_ones_that_would_multiply_the_body_is_422():
    # each within the bound (1e-999 is 1,001 characters stored), together
    # 32 KB sent and 4 MB stored
    doc = new_doc()
    body = '{"metadata": {"a": [%s]}}' % ",".join(["1e-999"] * 4000)
    r = rejected(doc, lambda: patch(doc, body), 422)
    detail = expect_422(r, ["body", "metadata", "a"])
    check(any(it["type"] == NOT_STORABLE for it in detail), "type: %r" % detail)


@test
def number_at_the_bound_is_stored_in_full():
    doc = new_doc()
    r = patch(doc, '{"metadata": {"x": 1e-1000, "y": 1.5e-300}}')
    expect_ok(r)
    row = db_row(doc)
    check('"x":0.' + "0" * 999 + "1" in row.replace(" ", ""), "1e-1000 stored in full")


@test
def number_change_beyond_double_precision_is_written():
    # was: 200 with the same ETag and nothing written (compared as doubles)
    doc = new_doc(metadata={"title": "n", "x": 0.1})
    before = get(doc)
    etag = etag_of(before)
    r = patch(doc, '{"metadata": {"x": 0.10000000000000000001}}')
    expect_ok(r)
    check(etag_of(r) != etag, "the ETag changed (was %s, now %s)" % (etag, etag_of(r)))
    check(b"0.10000000000000000001" in r.body, "the response holds the new value")
    check("0.10000000000000000001" in db_row(doc), "the row holds the new value")
    check(b"0.10000000000000000001" in get(doc).body, "GET returns the new value")


@test
def number_same_decimal_value_is_no_change():
    doc = new_doc(metadata={"title": "n", "x": 0.1, "n": 1})
    etag = etag_of(get(doc))
    with unchanged(doc):
        r = patch(doc, '{"metadata": {"x": 0.10, "n": 1.0e0}}')
        expect_ok(r)
    eq(etag_of(r), etag, "ETag of a patch that changes nothing")


@test
def number_json_patch_test_compares_exactly():
    doc = new_doc(metadata={"title": "n", "x": 0.1})
    rejected(doc, lambda: jpatch(doc, '[{"op": "test", "path": "/metadata/x",'
                                      ' "value": 0.10000000000000000001}]'),
             409, "ConflictError")
    r = jpatch(doc, '[{"op": "test", "path": "/metadata/x", "value": 1e-1},'
                    ' {"op": "replace", "path": "/metadata/title", "value": "t"}]')
    eq(expect_ok(r)["metadata"]["title"], "t", "title after a passing exact test")
