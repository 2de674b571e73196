# Conditional requests (RFC 9110 section 13) on GET, PATCH and DELETE of one
# document, as a table. Loaded by test_api.py into its namespace.
#
# Each row: (method, If-Match, If-None-Match, expected status). "{v}" is the
# document's current ETag value, "{o}" an older one. PATCH rows are sent
# both as a merge patch of metadata (one statement in PostgreSQL) and as a
# JSON Patch (the stored document is read and patched by docapi): both must
# agree. A refused write changes nothing; an accepted one bumps the version.

COND_ROWS = [
    # GET
    ("GET", None, None, 200),
    ("GET", '"{v}"', None, 200),
    ("GET", '"{o}"', None, 412),          # If-Match that does not match: 412, not 200
    ("GET", '*', None, 200),
    ("GET", 'W/"{v}"', None, 412),        # If-Match compares strongly
    ("GET", None, '"{v}"', 304),
    ("GET", None, 'W/"{v}"', 304),        # If-None-Match compares weakly
    ("GET", None, '*', 304),
    ("GET", None, '"{o}"', 200),
    ("GET", None, '"{o}", "{v}"', 304),
    ("GET", '"{o}"', '"{v}"', 412),       # If-Match is evaluated first
    ("GET", '"{v}"', '"{v}"', 304),
    ("GET", '"{v}"', '"{o}"', 200),
    # PATCH
    ("PATCH", '"{v}"', None, 200),
    ("PATCH", '"{o}"', None, 412),
    ("PATCH", '"{o}", "{v}"', None, 200),  # a list: any member
    ("PATCH", '*', None, 200),
    ("PATCH", 'W/"{v}"', None, 412),
    ("PATCH", '*junk', None, 412),         # malformed: never taken as *
    ("PATCH", '"x", *', None, 412),
    ("PATCH", '{v}', None, 412),           # unquoted
    ("PATCH", None, '*', 412),             # If-None-Match on a write: 412, not applied
    ("PATCH", None, '"{v}"', 412),
    ("PATCH", None, 'W/"{v}"', 412),
    ("PATCH", None, '"{o}"', 200),
    ("PATCH", '"{v}"', '"{v}"', 412),
    ("PATCH", '"{v}"', '"{o}"', 200),
    ("PATCH", '"{o}"', '"{o}"', 412),
    # DELETE (each on a fresh document)
    ("DELETE", '"{o}"', None, 412),
    ("DELETE", '*junk', None, 412),
    ("DELETE", None, '*', 412),
    ("DELETE", None, '"{o}"', 200),
    ("DELETE", '"{v}"', None, 200),
]


def _cond_headers(im, inm, cur, old):
    h = []
    if im is not None:
        h.append(("If-Match", im.format(v=cur, o=old)))
    if inm is not None:
        h.append(("If-None-Match", inm.format(v=cur, o=old)))
    return h


def _cond_doc():
    doc = new_doc()
    expect_ok(patch(doc, {"metadata": {"bump": 1}}))   # version 2: "1" is an older one
    r = get(doc)
    return doc, version_of(r)


def _cond_case(method, im, inm, want, body=None, ctype=DEFAULT):
    doc, cur = _cond_doc()
    h = _cond_headers(im, inm, cur, cur - 1)
    what = "%s If-Match=%r If-None-Match=%r" % (method, im, inm)
    if want in (304, 412) or method == "GET":
        with unchanged(doc):
            r = api(method, doc, body=body, ctype=ctype, headers=h)
    else:
        r = api(method, doc, body=body, ctype=ctype, headers=h)
    if r.status != want:
        raise AssertionError("%s: expected %d, got %d: %r" % (what, want, r.status, r.body[:300]))
    if want == 412:
        expect_error(r, 412, "PreconditionFailedError")
        eq(r.header("ETag"), '"%d"' % cur, "%s: ETag of the 412" % what)
    elif want == 304:
        eq(r.body, b"", "%s: body of the 304" % what)
        eq(r.header("ETag"), '"%d"' % cur, "%s: ETag of the 304" % what)
    elif method == "PATCH":
        eq(version_of(r), cur + 1, "%s: version after the write" % what)
    elif method == "DELETE":
        eq(db_row(doc), "", "%s: row after DELETE" % what)


@test
def conditional_requests_table_merge_patch():
    for method, im, inm, want in COND_ROWS:
        body = {"metadata": {"cond": random.random()}} if method == "PATCH" else None
        _cond_case(method, im, inm, want, body=body)


@test
def conditional_requests_table_json_patch():
    for method, im, inm, want in COND_ROWS:
        if method != "PATCH":
            continue
        body = [{"op": "add", "path": "/metadata/cond", "value": random.random()}]
        _cond_case(method, im, inm, want, body=body, ctype="application/json-patch+json")


@test
def prefer_return_minimal_only():
    doc = new_doc()
    for prefer, want in (("return=minimal", 204), ("return=minimalist", 200),
                         ("xreturn=minimal", 200), ("return=representation", 200),
                         ("handling=lenient, return=minimal", 204),
                         ('return="minimal"', 204)):
        r = patch(doc, {"metadata": {"p": random.random()}}, headers=[("Prefer", prefer)])
        eq(r.status, want, "PATCH with Prefer: %s" % prefer)
        if want == 204:
            eq(r.header("Preference-Applied"), "return=minimal", "Preference-Applied")
            check(r.header("ETag"), "ETag on the 204")
        else:
            eq(r.header("Preference-Applied"), None, "Preference-Applied for %r" % prefer)
