# POST /v1/collections/{c}/documents/aggregate (contract section 12),
# checked against the same computation in Python over list.py's generated
# collection. Loaded by test_api.py after list.py (its helpers in scope).


def aggregate(body, col=None, key=DEFAULT):
    if key is DEFAULT:
        key = SEED["key_read"]
    h = [("X-Namespace", NS), ("Content-Type", "application/json")]
    if key:
        h.append(("Authorization", "Bearer " + key))
    return request("POST", "/v1/collections/%s/documents/aggregate" % (col or LIST_COL["id"]),
                   h, body)


def nums(vals):
    return [v for v in vals if jtype(v) == "number"]


@test
def aggregate_group_metrics_having_and_sort():
    col = list_collection()
    docs = sorted(col["docs"].values(), key=lambda d: (d["created_at"], d["document_id"]))
    body = {"group_by": [{"field": "source_type", "alias": "kind"}],
            "aggregations": [{"function": "count", "alias": "n"},
                             {"function": "count", "field": "metadata.n", "alias": "with_n"},
                             {"function": "sum", "field": "metadata.n", "alias": "total"},
                             {"function": "min", "field": "metadata.n", "alias": "lo"},
                             {"function": "max", "field": "metadata.title", "alias": "top"},
                             {"function": "count_distinct", "field": "cluster_id", "alias": "cl"},
                             {"function": "first", "field": "document_id", "alias": "first"},
                             {"function": "last", "field": "document_id", "alias": "last"}],
            "filters": {"field": "metadata.n", "operator": "exists", "value": True},
            "sort_by": "n", "sort_direction": "desc"}
    b = expect_ok(aggregate(body))
    sel = [d for d in docs if "n" in d["metadata"]]
    want = {}
    for d in sel:
        want.setdefault(d["source_type"], []).append(d)
    eq(b["total_groups"], len(want), "total_groups")
    eq(b["query_info"], {"collection_id": col["id"], "matched_documents": len(sel),
                         "truncated": False}, "query_info")
    counts = [g["metrics"]["n"] for g in b["results"]]
    eq(counts, sorted(counts, reverse=True), "sorted by n, desc")
    for g in b["results"]:
        rows = want[g["group"]["kind"]]
        vals = [r["metadata"]["n"] for r in rows]
        m = g["metrics"]
        eq(m["n"], len(rows), "count")
        eq(m["with_n"], sum(1 for x in vals if x is not None), "count of a field")
        check(abs(m["total"] - sum(nums(vals))) < 1e-9, "sum %r" % m["total"])
        eq(m["lo"], min(nums(vals)), "min of numbers")
        titles = [r["metadata"]["title"] for r in rows if isinstance(r["metadata"].get("title"), str)]
        eq(m["top"], max(titles) if titles else None, "max of strings")
        eq(m["cl"], len({json.dumps(r["cluster_id"]) for r in rows if "cluster_id" in r}),
           "count_distinct")
        eq((m["first"], m["last"]), (rows[0]["document_id"], rows[-1]["document_id"]),
           "first and last by created_at, document_id")
    # having, and a limit
    h = expect_ok(aggregate(dict(body, having=[{"field": "n", "operator": "gt",
                                                "value": min(counts)}], limit=1)))
    eq(len(h["results"]), 1, "limit")
    check(all(g["metrics"]["n"] > min(counts) for g in h["results"]), "having")


@test
def aggregate_dates_buckets_unwind_and_sets():
    col = list_collection()
    docs = list(col["docs"].values())
    b = expect_ok(aggregate({
        "group_by": [{"field": "created_at", "date_part": "dayOfWeek", "alias": "dow"}],
        "aggregations": [{"function": "count", "alias": "n"}]}))
    import datetime
    want = {}
    for d in docs:
        t = datetime.datetime.strptime(d["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        k = (t.isoweekday() % 7) + 1  # 1 = Sunday ... 7
        want[k] = want.get(k, 0) + 1
    eq({g["group"]["dow"]: g["metrics"]["n"] for g in b["results"]}, want, "dayOfWeek")
    eq([g["group"]["dow"] for g in b["results"]], sorted(want), "groups ascend by key")
    t = expect_ok(aggregate({
        "group_by": [{"field": "created_at", "date_trunc": "month", "alias": "m"}],
        "aggregations": [{"function": "count", "alias": "n"}]}))
    eq([g["group"]["m"] for g in t["results"]], ["2025-01-01T00:00:00Z"], "date_trunc month")
    rb = expect_ok(aggregate({
        "group_by": [{"field": "source_type"}],
        "range_buckets": [{"field": "metadata.n", "boundaries": [0, 10]}],
        "aggregations": [{"function": "count", "alias": "n"}]}))
    got = {}
    for g in rb["results"]:
        got[g["group"]["metadata.n"]] = got.get(g["group"]["metadata.n"], 0) + g["metrics"]["n"]
    exp = {}
    for d in docs:
        v = d["metadata"].get("n", None)
        k = ("other" if jtype(v) != "number" else "<0" if v <= 0 else "0-10" if v <= 10 else ">10")
        exp[k] = exp.get(k, 0) + 1
    eq(got, exp, "range buckets (a boundary value goes into the lower bucket)")
    u = expect_ok(aggregate({
        "unwind": "metadata.tags",
        "group_by": [{"field": "metadata.tags", "alias": "tag"}],
        "aggregations": [{"function": "count", "alias": "n"},
                         {"function": "add_to_set", "field": "source_type", "alias": "kinds"}]}))
    exp = {}
    for d in docs:
        for tag in d["metadata"].get("tags") or []:
            exp[tag] = exp.get(tag, 0) + 1
    eq({g["group"]["tag"]: g["metrics"]["n"] for g in u["results"]}, exp, "unwind")
    for g in u["results"]:
        eq(g["metrics"]["kinds"], sorted(g["metrics"]["kinds"]), "add_to_set sorted")


@test
def aggregate_refusals():
    list_collection()
    good_g = [{"field": "source_type"}]
    good_a = [{"function": "count", "alias": "n"}]
    cases = [
        ({"aggregations": good_a}, ("body", "group_by")),
        ({"group_by": good_g}, ("body", "aggregations")),
        ({"group_by": [{"field": "x"}] * 9, "aggregations": good_a}, ("body", "group_by")),
        ({"group_by": [{"field": "created_at", "date_trunc": "day", "date_part": "day"}],
          "aggregations": good_a}, ("body", "group_by")),
        ({"group_by": [{"field": "created_at", "date_trunc": "fortnight"}],
          "aggregations": good_a}, ("body", "group_by")),
        ({"group_by": good_g, "aggregations": [{"function": "median", "field": "x",
                                                "alias": "m"}]}, ("body", "aggregations")),
        ({"group_by": good_g, "aggregations": [{"function": "sum", "alias": "s"}]},
         ("body", "aggregations")),
        ({"group_by": good_g, "aggregations": [{"function": "count"}]}, ("body", "aggregations")),
        ({"group_by": [{"field": "source_type", "alias": "n"}], "aggregations": good_a},
         ("body", "aggregations")),
        ({"group_by": good_g, "aggregations": good_a,
          "having": [{"field": "nope", "operator": "gt", "value": 1}]}, ("body", "having")),
        ({"group_by": good_g, "aggregations": good_a, "sort_by": "nope"}, ("body", "sort_by")),
        ({"group_by": good_g, "aggregations": good_a, "limit": 0}, ("body", "limit")),
        ({"group_by": good_g, "aggregations": good_a,
          "range_buckets": [{"field": "metadata.n", "boundaries": [3, 1]}]},
         ("body", "range_buckets")),
        ({"group_by": good_g, "aggregations": good_a,
          "range_buckets": [{"field": "source_type", "boundaries": [1]}]},
         ("body", "range_buckets")),
        ({"group_by": good_g, "aggregations": good_a,
          "filters": {"created_at": {"$gte": "2024-01-01"}}}, ("body", "filters")),
        ({"group_by": [{"field": "vector"}], "aggregations": good_a}, ("body", "group_by")),
    ]
    for body, loc in cases:
        rejected(None, lambda: aggregate(body), 422, locs=[loc])
    rejected(None, lambda: aggregate({"aggregations": good_a}, key=None), 401, "UnauthorizedError")
    rejected(None, lambda: aggregate({"group_by": good_g, "aggregations": good_a},
                                     col="col_nope"), 404, "NotFoundError")
    rejected(None, lambda: aggregate({"aggregations": good_a}, col="col_nope"), 422,
             locs=[("body", "group_by")])


@test
def aggregate_null_and_missing_are_one_group():
    col = list_collection()
    b = expect_ok(aggregate({"group_by": [{"field": "metadata.flag", "alias": "f"}],
                             "aggregations": [{"function": "count", "alias": "n"}]}))
    keys = [json.dumps(g["group"]["f"]) for g in b["results"]]
    eq(len(keys), len(set(keys)), "one group per key: %r" % keys)
    want = sum(1 for d in col["docs"].values() if d["metadata"].get("flag") is None)
    got = next(g["metrics"]["n"] for g in b["results"] if g["group"]["f"] is None)
    eq(got, want, "documents with flag null or without it")
