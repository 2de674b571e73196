# POST /v1/collections/{c}/documents/list (contract sections 9 and 10),
# checked against an independent evaluation of the same filters in Python
# over a generated collection. Loaded by test_api.py after
# document_create.py (create, create_body in scope).

LIST_COL = {}


def list_docs(body=None, col=None, query="", key=DEFAULT, headers=()):
    if key is DEFAULT:
        key = SEED["key_read"]
    h = [("Authorization", "Bearer " + key), ("X-Namespace", NS)] if key else [("X-Namespace", NS)]
    h += list(headers)
    if body is not None and body != "":
        h.append(("Content-Type", "application/json"))
    path = "/v1/collections/%s/documents/list" % (col or LIST_COL["id"])
    return request("POST", path + ("?" + query if query else ""), h, body)


WORDS = ["red", "Red", "blue", "green", "shoe", "Shoes", "a.b", "x'y", "", "z"]


def gen_doc(i, rnd):
    m = {}
    if rnd.random() < 0.8:
        m["n"] = rnd.choice([0, 1, 1.0, 2, 2.5, -3, 10, 100, rnd.randint(-50, 50)])
    if rnd.random() < 0.3:
        m["n"] = rnd.choice(["1", "10", "abc", None, True, [1, 2], {"k": 1}])
    if rnd.random() < 0.7:
        m["title"] = rnd.choice(WORDS) + rnd.choice(["", " shoes", " x"])
    if rnd.random() < 0.5:
        m["tags"] = rnd.sample(WORDS[:6], rnd.randint(0, 3))
    if rnd.random() < 0.4:
        m["flag"] = rnd.choice([True, False, None])
    if rnd.random() < 0.4:
        m["nested"] = {"v": rnd.choice([1, 2, "1", None]), "w": {"x": rnd.choice(["a", "b"])}}
    d = {"document_id": "doc_l%05d" % i, "metadata": m, "document_schema_version": "v2",
         "source_type": rnd.choice(["bucket", "collection"]),
         "created_at": "2025-01-%02dT%02d:00:00Z" % (1 + i % 28, i % 24)}
    if rnd.random() < 0.5:
        d["cluster_id"] = rnd.choice(["c1", "c2", "C1", 3])
    return d


def list_collection():
    if LIST_COL:
        return LIST_COL
    name = "listed" + fresh_id()[5:12].lower()
    LIST_COL["id"] = admin("create-collection", "--namespace", SEED["ns_prod"], name).strip()
    rnd = random.Random(20261203)
    docs = [gen_doc(i, rnd) for i in range(2000)]
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", dir=STACK_TMP or None,
                                     delete=False) as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
        fname = f.name
    try:
        eq(admin("import", "--collection", LIST_COL["id"], fname).strip(), "2000", "imported")
    finally:
        os.unlink(fname)
    LIST_COL["docs"] = {d["document_id"]: d for d in docs}
    return LIST_COL


# ---- the independent evaluation (section 9)

MISSING = object()
SYSTEM = ("document_id", "collection_id", "document_schema_version", "root_object_id",
          "root_bucket_id", "source_type", "source_object_id", "source_collection_id",
          "source_document_id", "lineage_path")


def jtype(x):
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "boolean"
    if isinstance(x, (int, float)):
        return "number"
    if isinstance(x, str):
        return "string"
    return "array" if isinstance(x, list) else "object"


def value_at(doc, field):
    parts = field.split(".")
    if parts[0] in SYSTEM:
        if parts[0] == "collection_id":
            return LIST_COL["id"]
        return doc.get(parts[0], MISSING)
    cur = doc.get("metadata", {}) if parts[0] == "metadata" else doc
    rest = parts[1:] if parts[0] == "metadata" else parts
    for p in rest:
        if not isinstance(cur, dict) or p not in cur:
            return MISSING
        cur = cur[p]
    return cur


def elems(v):
    if v is MISSING:
        return []
    return v if isinstance(v, list) else [v]


def json_eq(a, b):
    if jtype(a) != jtype(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(json_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_eq(a[k], b[k]) for k in a)
    return a == b


def elem_eq(x, val, ci):
    if ci and isinstance(val, str):
        return isinstance(x, str) and x.lower() == val.lower()
    return json_eq(x, val)


def holds_eq(v, val, ci):
    if isinstance(val, (list, dict)):
        return v is not MISSING and json_eq(v, val)
    return any(elem_eq(x, val, ci) for x in elems(v))


def holds(doc, field, op, val, ci):
    v = value_at(doc, field)
    if op == "eq":
        return holds_eq(v, val, ci)
    if op == "ne":
        return not holds_eq(v, val, ci)
    if op == "in":
        return any(holds_eq(v, m, ci) for m in val)
    if op == "nin":
        return not any(holds_eq(v, m, ci) for m in val)
    if op in ("gt", "gte", "lt", "lte"):
        t = jtype(val)
        cmp = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
               "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}[op]
        return any(jtype(x) == t and cmp(x, val) for x in elems(v))
    if op == "contains":
        if jtype(v) == "array":
            return any(elem_eq(x, val, ci) for x in v)
        if jtype(v) == "string" and isinstance(val, str):
            return (val.lower() in v.lower()) if ci else (val in v)
        return False
    if op in ("starts_with", "ends_with"):
        f = (lambda s, p: s.startswith(p)) if op == "starts_with" else (lambda s, p: s.endswith(p))
        return any(isinstance(x, str) and (f(x.lower(), val.lower()) if ci else f(x, val))
                   for x in elems(v))
    if op == "regex":
        flags = re.I if ci else 0
        return any(isinstance(x, str) and re.search(val, x, flags) for x in elems(v))
    if op == "exists":
        return (v is not MISSING) == val
    if op == "is_null":
        return (v is None) == val
    raise AssertionError("evaluator has no operator " + op)


def matches(doc, node, ci=True):
    if "field" in node:
        return holds(doc, node["field"], node.get("operator", "eq"), node["value"],
                     not node["case_sensitive"] if "case_sensitive" in node else ci)
    if "case_sensitive" in node:
        ci = not node["case_sensitive"]
    for k, v in node.items():
        if k == "case_sensitive":
            continue
        if k == "AND":
            ok = all(matches(doc, m, ci) for m in v)
        elif k == "OR":
            ok = any(matches(doc, m, ci) for m in v)
        elif k == "NOT":
            ok = not any(matches(doc, m, ci) for m in (v if isinstance(v, list) else [v]))
        else:
            ok = holds(doc, k, "eq", v, ci)
        if not ok:
            return False
    return True


def all_ids(body, page=1000):
    """Every document the filter lists, through cursor pages."""
    got, cursor = [], None
    while True:
        b = dict(body, limit=page)
        if cursor:
            b["cursor"] = cursor
        r = expect_ok(list_docs(b))
        got += [d["document_id"] for d in r["results"]]
        cursor = r["pagination"].get("next_cursor")
        if not r["pagination"]["has_more"]:
            return got
        check(cursor, "has_more without next_cursor")


def random_condition(rnd):
    field = rnd.choice(["metadata.n", "metadata.title", "metadata.tags", "metadata.flag",
                        "metadata.nested.v", "metadata.nested.w.x", "cluster_id",
                        "source_type", "document_id", "metadata.missing"])
    op = rnd.choice(["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "contains",
                     "starts_with", "ends_with", "exists", "is_null", "regex"])
    pool = [0, 1, 2, 2.5, 10, -3, "1", "red", "Red", "shoes", "a", "c1", "bucket", True, None,
            [1, 2], "doc_l0001"]
    if op in ("gt", "gte", "lt", "lte"):
        val = rnd.choice([0, 1, 2, 10, -3, "1", "b", "red", "doc_l01"])
    elif op in ("in", "nin"):
        val = rnd.sample(pool, rnd.randint(0, 4))
    elif op in ("starts_with", "ends_with"):
        val = rnd.choice(["re", "R", "s", "es", "doc_l00", "", "x"])
    elif op == "regex":
        val = rnd.choice(["^re", "e.s$", "[0-9]", "o+"])
    elif op in ("exists", "is_null"):
        val = rnd.choice([True, False])
    elif op == "contains":
        val = rnd.choice(["re", "Red", "shoe", 1, "c"])
    else:
        val = rnd.choice(pool)
    c = {"field": field, "operator": op, "value": val}
    if rnd.random() < 0.3:
        c["case_sensitive"] = rnd.choice([True, False])
    return c


def random_filter(rnd, depth=0):
    if depth > 2 or rnd.random() < 0.4:
        c = random_condition(rnd)
        if rnd.random() < 0.2 and c["operator"] == "eq":
            return {c["field"]: c["value"]}  # the shorthand
        return c
    key = rnd.choice(["AND", "OR", "NOT"])
    node = {key: [random_filter(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]}
    if rnd.random() < 0.2:
        node["case_sensitive"] = rnd.choice([True, False])
    return node


@test
def list_filters_agree_with_an_independent_evaluation():
    col = list_collection()
    rnd = random.Random(7)
    for i in range(120):
        flt = random_filter(rnd)
        want = sorted(d for d, doc in col["docs"].items() if matches(doc, flt))
        got = all_ids({"filters": flt, "sort": {"field": "document_id"}})
        if got != want:
            raise AssertionError("filter %s: %d listed, %d expected; first differences %r"
                                 % (json.dumps(flt), len(got), len(want),
                                    sorted(set(got) ^ set(want))[:5]))


@test
def list_default_order_offset_pages_and_totals():
    col = list_collection()
    by_time = sorted(col["docs"].values(), key=lambda d: (d["created_at"], d["document_id"]))
    r = list_docs({"limit": 7, "offset": 14}, query="include_total=true")
    b = expect_ok(r)
    eq([d["document_id"] for d in b["results"]], [d["document_id"] for d in by_time[14:21]],
       "created_at asc, then document_id")
    p = b["pagination"]
    eq((p["total"], p["total_pages"], p["page"], p["page_size"], p["has_more"]),
       (2000, 286, 3, 7, True), "pagination")
    check(p["next_page"].endswith("offset=21&limit=7") and "include_total=true" in p["next_page"],
          "next_page %r" % p["next_page"])
    check(p["previous_page"].endswith("offset=7&limit=7"), "previous_page %r" % p["previous_page"])
    eq(b["total_documents"], 2000, "total_documents")
    eq(b["stats"], {"total_documents": 2000, "avg_blobs_per_document": 0}, "stats")
    # the query's limit wins over the body's; page_size is taken without limit
    eq(len(expect_ok(list_docs({"limit": 5}, query="limit=3"))["results"]), 3, "query limit wins")
    eq(len(expect_ok(list_docs({"page_size": 4}))["results"]), 4, "page_size")
    eq(len(expect_ok(list_docs(""))["results"]), 10, "no body: 10 documents")
    h = [("Authorization", "Bearer " + SEED["key_read"]), ("X-Namespace", NS),
         ("Content-Type", "application/json")]
    eq(len(expect_ok(request("POST", "/v1/collections/%s/documents/list" % col["id"], h,
                             ""))["results"]), 10, "an empty JSON body is {}")
    check("total" not in expect_ok(list_docs({}))["pagination"], "no total unless asked")
    eq(expect_ok(list_docs({}, headers=[("Prefer", "count=exact")]))["pagination"]["total"],
       2000, "Prefer: count=exact")
    # the planner's estimate: near, cheap, without stats
    r = list_docs({"filters": {"field": "metadata.n", "operator": "gte", "value": 0}},
                  headers=[("Prefer", "count=planned")])
    b = expect_ok(r)
    check(0 < b["pagination"]["total"] <= 2000, "an estimate in range: %r" % b["pagination"])
    eq(b["total_documents"], b["pagination"]["total"], "total_documents is the estimate")
    check("stats" not in b, "no stats with an estimate")
    eq(r.header("Preference-Applied"), "count=planned", "Preference-Applied")
    both = list_docs({}, query="include_total=true", headers=[("Prefer", "count=planned")])
    eq(expect_ok(both)["pagination"]["total"], 2000, "exact wins when both are asked")
    eq(both.header("Preference-Applied"), "count=exact", "Preference-Applied when exact wins")


def sort_key(v, desc=False):
    t = jtype(v) if v is not MISSING else "null"
    rank = {"number": 0, "string": 1, "boolean": 2, "null": 4}.get(t, 3)
    return (rank, v if t == "number" else 0, v if t == "string" else "",
            json.dumps(v, sort_keys=True) if rank in (2, 3) else "")


@test
def list_sort_on_nested_fields_with_ties():
    col = list_collection()
    for field, direction in (("metadata.n", "asc"), ("metadata.n", "desc"),
                             ("metadata.title", "asc"), ("cluster_id", "desc")):
        ids = all_ids({"sort": {"field": field, "direction": direction}}, page=333)
        eq(len(ids), 2000, "every document listed once (%s %s)" % (field, direction))
        eq(len(set(ids)), 2000, "no document twice (%s %s)" % (field, direction))
        keys = [(sort_key(value_at(col["docs"][d], field)), d) for d in ids]
        # booleans and objects order as PostgreSQL's jsonb does: compare only
        # numbers, strings and missing/null here
        simple = [(k, d) for k, d in keys if k[0] in (0, 1, 4)]
        want = sorted(simple, reverse=direction == "desc")
        got = [d for _, d in simple]
        bad = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b[1]), None)
        check(bad is None, "order by %s %s: at %s listed %r, expected %r" % (
            field, direction, bad, [(d, value_at(col["docs"][d], field)) for d in got[bad:bad + 3]]
            if bad is not None else None,
            [(d, value_at(col["docs"][d], field)) for _, d in want[bad:bad + 3]]
            if bad is not None else None))


def big_collection():
    """10,000 documents of their own, for walks while others write."""
    if "big" in LIST_COL:
        return LIST_COL["big"]
    name = "big" + fresh_id()[5:12].lower()
    cid = admin("create-collection", "--namespace", SEED["ns_prod"], name).strip()
    rnd = random.Random(10000)
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", dir=STACK_TMP or None,
                                     delete=False) as f:
        for i in range(10000):
            d = gen_doc(i, rnd)
            d["document_id"] = "doc_b%05d" % i
            f.write(json.dumps(d) + "\n")
        fname = f.name
    try:
        eq(admin("import", "--collection", cid, fname).strip(), "10000", "imported")
    finally:
        os.unlink(fname)
    LIST_COL["big"] = cid
    return cid


@test
def list_cursor_walk_under_concurrent_writers():
    cid = big_collection()
    original = {"doc_b%05d" % i for i in range(10000)}
    stop = [False]
    made = []

    def writer():
        rnd = random.Random(3)
        while not stop[0]:
            d = expect_ok(create({"collection_id": cid, "metadata": {"n": rnd.randint(0, 9)}},
                                 col=cid))
            made.append(d["document_id"])
            if len(made) % 3 == 0:
                expect_ok(api("DELETE", made.pop(0), col=cid))

    for sort in ({"field": "document_id"}, None):  # a field, then the default order
        stop[0] = False
        t = threading.Thread(target=writer)
        t.start()
        try:
            got, cursor = [], None
            while True:
                body = {"limit": 500}
                if sort:
                    body["sort"] = sort
                if cursor:
                    body["cursor"] = cursor
                r = expect_ok(list_docs(body, col=cid))
                got += [d["document_id"] for d in r["results"]]
                cursor = r["pagination"].get("next_cursor")
                if not r["pagination"]["has_more"]:
                    break
        finally:
            stop[0] = True
            t.join()
        eq(len(got), len(set(got)), "no document twice while others write (%s)" % sort)
        eq(sorted(original - set(got))[:5], [],
           "every document that existed throughout is listed (%s)" % sort)
        check(len(made) > 0, "the writer wrote during the walk")
    for d in made:
        api("DELETE", d, col=cid)


@test
def list_select_search_and_flags():
    col = list_collection()
    doc = next(d for d in col["docs"].values() if "title" in d["metadata"] and "n" in d["metadata"])
    b = expect_ok(list_docs({"filters": {"document_id": doc["document_id"]},
                             "select": ["metadata.title", "source_type"],
                             "return_vector_names": True}))
    eq(b["results"], [{"document_id": doc["document_id"], "collection_id": col["id"],
                       "source_type": doc["source_type"],
                       "metadata": {"title": doc["metadata"]["title"]}, "_vectors": []}],
       "select keeps the ids, the paths and what the flags add")
    # full text over metadata and flat fields
    got = sorted(d["document_id"] for d in
                 expect_ok(list_docs({"search": "shoes", "limit": 1000}))["results"])
    want = sorted(d for d, x in col["docs"].items()
                  if re.search(r"\bshoe", json.dumps(x["metadata"]).lower()))
    eq(got, want, "search 'shoes'")
    eq(expect_ok(list_docs({"search": "   ", "limit": 5}))["results"], [],
       "a search without terms matches nothing")


@test
def list_refusals():
    col = list_collection()
    cases = [
        ({"filters": []}, ("body", "filters")),
        ({"filters": {"must": []}}, ("body", "filters", "must")),
        ({"filters": {"field": "metadata.a", "operator": "nope", "value": 1}},
         ("body", "filters", "operator")),
        ({"filters": {"field": "vector", "value": 1}}, ("body", "filters", "field")),
        ({"filters": {"field": "metadata.a", "operator": "regex", "value": "("}},
         ("body", "filters")),
        ({"sort": {"field": "lineage"}}, ("body", "sort")),
        ({"sort": {"field": "metadata.n", "direction": "up"}}, ("body", "sort")),
        ({"limit": 0}, ("body", "limit")),
        ({"offset": 10001}, ("body", "offset")),
        ({"select": "metadata"}, ("body", "select")),
        ({"search": 1}, ("body", "search")),
        ({"cursor": "bogus"}, ("query", "cursor")),
        ({"return_vectors": "yes"}, ("body", "return_vectors")),
    ]
    for body, loc in cases:
        rejected(None, lambda: list_docs(body), 422, locs=[loc])
    rejected(None, lambda: list_docs({}, query="limit=1001"), 422, locs=[("query", "limit")])
    rejected(None, lambda: list_docs({}, headers=[("Prefer", "count=some")]), 422,
             locs=[("header", "Prefer")])
    # a cursor is bound to its query
    cur = expect_ok(list_docs({"limit": 1}))["pagination"]["next_cursor"]
    rejected(None, lambda: list_docs({"cursor": cur, "filters": {"metadata.n": 1}}), 422,
             locs=[("query", "cursor")])
    rejected(None, lambda: list_docs({"cursor": cur}, col=SEED["col_articles"]), 422,
             locs=[("query", "cursor")])
    expect_ok(list_docs({"cursor": cur}))
    # the order of checks
    rejected(None, lambda: list_docs({"limit": 0}, key=None), 401, "UnauthorizedError")
    rejected(None, lambda: list_docs({"filters": {"field": "metadata.a", "operator": "regex",
                                                  "value": "("}}, key=None), 401,
             "UnauthorizedError")
    rejected(None, lambda: list_docs({"limit": 0}, col="col_nope"), 422, locs=[("body", "limit")])
    rejected(None, lambda: list_docs({}, col="col_nope"), 404, "NotFoundError",
             {"resource": "collection", "id": "col_nope"})
    rejected(None, lambda: list_docs("x", headers=[]), 422)
    r = request("GET", "/v1/collections/%s/documents/list" % col["id"],
                [("Authorization", "Bearer " + SEED["key_read"]), ("X-Namespace", NS)])
    expect_error(r, 405, "MethodNotAllowedError")
    eq(allow_set(r) - {"HEAD"}, {"POST"}, "Allow of the list route")


def ns_list(body=None, query=""):
    h = [("Authorization", "Bearer " + SEED["key_read"]), ("X-Namespace", NS),
         ("Content-Type", "application/json")]
    return request("POST", "/v1/documents/list" + ("?" + query if query else ""), h, body)


@test
def list_across_the_namespace():
    col = list_collection()
    flt = {"field": "metadata.title", "operator": "starts_with", "value": "red"}
    want = sorted(d for d, x in col["docs"].items() if matches(x, flt))
    b = expect_ok(ns_list({"filters": flt, "collection_ids": [col["id"]], "limit": 1000,
                           "sort": {"field": "document_id"}}))
    eq([d["document_id"] for d in b["results"]], want, "one collection by id")
    by_name = expect_ok(ns_list({"filters": flt, "limit": 1000, "sort": {"field": "document_id"},
                                 "collection_ids": [col["id"], "articles"]}))
    ids = [d["document_id"] for d in by_name["results"]]
    check(set(want) <= set(ids), "ids and names mix")
    check({d["collection_id"] for d in by_name["results"]} <= {col["id"], SEED["col_articles"]},
          "only the collections asked for")
    everything = expect_ok(ns_list({"limit": 1}, query="include_total=true"))
    check(everything["pagination"]["total"] >= 2000 + 2, "every collection of the namespace")
    # a cursor walk across collections
    walked, cursor = [], None
    while True:
        body = {"collection_ids": [col["id"], "frames"], "limit": 400}
        if cursor:
            body["cursor"] = cursor
        p = expect_ok(ns_list(body))
        walked += [d["document_id"] for d in p["results"]]
        cursor = p["pagination"].get("next_cursor")
        if not p["pagination"]["has_more"]:
            break
    eq(len(walked), len(set(walked)), "no document twice across pages")
    check(set(col["docs"]) <= set(walked), "the walk lists the collection")
    rejected(None, lambda: ns_list({"collection_ids": ["col_nope", col["id"]]}), 404,
             "NotFoundError", {"resource": "collection", "id": "col_nope"})
    rejected(None, lambda: ns_list({"collection_ids": "x"}), 422,
             locs=[("body", "collection_ids")])
    cur = expect_ok(ns_list({"limit": 1}))["pagination"]["next_cursor"]
    rejected(None, lambda: ns_list({"cursor": cur, "collection_ids": [col["id"]]}), 422,
             locs=[("query", "cursor")])
    rejected(None, lambda: list_docs({"cursor": cur}), 422, locs=[("query", "cursor")])


def group_rank(v):
    t = jtype(v) if v is not MISSING else "null"
    rank = {"number": 0, "string": 1, "boolean": 2, "null": 4}.get(t, 3)
    return (rank, v if t == "number" else 0, v if t == "string" else "")


@test
def list_group_by():
    col = list_collection()
    docs = col["docs"]
    flt = {"field": "metadata.n", "operator": "exists", "value": True}
    groups, cursor, pages = [], None, 0
    while True:
        body = {"filters": flt, "group_by": "metadata.flag", "limit": 2,
                "sort": {"field": "document_id", "direction": "desc"}}
        if cursor:
            body["cursor"] = cursor
        b = expect_ok(list_docs(body, query="include_total=true" if not cursor else ""))
        eq(b["group_by_field"], "metadata.flag", "group_by_field")
        check("results" not in b, "groups instead of results")
        if not cursor:
            first = b
            first_cursor = b["pagination"].get("next_cursor")
        groups += b["groups"]
        pages += 1
        cursor = b["pagination"].get("next_cursor")
        if not b["pagination"]["has_more"]:
            break
    want = {}
    for d, x in docs.items():
        if matches(x, flt):
            v = value_at(x, "metadata.flag")
            want.setdefault(json.dumps(None if v is MISSING else v), []).append(d)
    eq(sorted(json.dumps(g["group_key"]) for g in groups), sorted(want), "group keys")
    eq([group_rank(g["group_key"]) for g in groups],
       sorted(group_rank(g["group_key"]) for g in groups), "groups ascending by key")
    for g in groups:
        ids = want[json.dumps(g["group_key"])]
        eq(g["count"], len(ids), "count of group %r" % g["group_key"])
        eq([d["document_id"] for d in g["documents"]], sorted(ids, reverse=True)[:2],
           "the group's first documents in the list's order")
    eq(first["pagination"]["total"], len(want), "total counts groups")
    eq(first["total_documents"], sum(len(v) for v in want.values()),
       "total_documents counts documents")
    st = first["stats"]
    eq((st["total_groups"], st["total_documents"]),
       (len(want), sum(len(v) for v in want.values())), "stats of groups")
    rejected(None, lambda: list_docs({"group_by": "vector"}), 422, locs=[("body", "group_by")])
    rejected(None, lambda: list_docs({"group_by": 3}), 422, locs=[("body", "group_by")])
    # a cursor of the grouped list is not one of the plain list
    check(first_cursor, "a grouped page with more has a cursor")
    rejected(None, lambda: list_docs({"filters": flt, "cursor": first_cursor}), 422,
             locs=[("query", "cursor")])


@test
def list_return_vector_names_as_a_list():
    col = list_collection()
    d = expect_ok(create({"collection_id": col["id"], "vec": "flat field", "keep": 1,
                          "features": [{"feature_extractor_id": "f",
                                        "vectors": {"vec": [0.5, 1.5], "other": [1.0]}},
                                       {"feature_extractor_id": "sp",
                                        "vectors": {"indices": [3], "values": [0.25]}}]},
                         col=col["id"]))["document_id"]
    b = expect_ok(list_docs({"filters": {"document_id": d},
                             "return_vector_names": ["vec", "sp", "missing", "vec"]}))
    doc = b["results"][0]
    eq(doc["_vectors"], ["sp", "vec"], "the names asked for that the document has, sorted")
    eq(doc["vec"], [0.5, 1.5], "a named vector replaces the flat field of that name")
    eq(doc["sp"], {"indices": [3], "values": [0.25]}, "a sparse vector")
    check("other" not in doc and doc["keep"] == 1, "other vectors stay out, fields stay")
    keys = list(doc.keys())
    check(keys.index("_vectors") < keys.index("sp") < keys.index("document_blobs"),
          "_vectors and the vectors sit before document_blobs: %r" % keys)
    s = expect_ok(list_docs({"filters": {"document_id": d}, "select": ["keep"],
                             "return_vector_names": ["vec"]}))["results"][0]
    eq(sorted(s), ["_vectors", "collection_id", "document_id", "keep", "vec"], "with select")
    rejected(None, lambda: list_docs({"return_vector_names": [1]}), 422,
             locs=[("body", "return_vector_names")])
    expect_ok(api("DELETE", d, col=col["id"]))


@test
def list_across_the_namespace_breaks_ties_by_collection():
    twin = fresh_id()
    for col in (SEED["col_articles"], SEED["col_frames"]):
        expect_ok(create({"collection_id": col, "document_id": twin,
                          "metadata": {"twin_rank": 1}}, col=col))
    body = {"filters": {"field": "metadata.twin_rank", "operator": "eq", "value": 1},
            "sort": {"field": "metadata.twin_rank"}, "limit": 1}
    seen, cursor = [], None
    while True:
        b = expect_ok(ns_list(dict(body, cursor=cursor) if cursor else body))
        seen += [(d["collection_id"], d["document_id"]) for d in b["results"]]
        cursor = b["pagination"].get("next_cursor")
        if not b["pagination"]["has_more"]:
            break
    eq(sorted(seen), sorted([(SEED["col_articles"], twin), (SEED["col_frames"], twin)]),
       "one id in two collections, one sort value: both listed, one page each")
