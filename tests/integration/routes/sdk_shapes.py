# What Mixpeek's generated Python SDK (M26) sends for each document method
# docapi serves, and how it reads the answer (research notes section 4):
# headers Authorization + X-Namespace, JSON bodies from
# model_dump(exclude_none=True), query parameters only when passed, booleans
# lower-case, list parameters as repeated keys; a 200 is deserialized into
# the method's model, any other 2xx gives data=None, and a non-2xx raises.
# Loaded by test_api.py after document_create.py (create_body in scope).


class SdkError(Exception):
    def __init__(self, status, body):
        Exception.__init__(self, "ApiException %d: %r" % (status, body[:200]))
        self.status = status


def sdk_call(method, path, query=(), body=None, key=None):
    """One SDK call; returns the parsed 200 body, the way
    api_client.response_deserialize does, or raises like ApiException."""
    h = [("Authorization", "Bearer " + (key or SEED["key_write"])), ("X-Namespace", NS),
         ("Accept", "application/json"), ("User-Agent", "OpenAPI-Generator/1.0.0/python")]
    if body is not None:
        h.append(("Content-Type", "application/json"))
        body = json.dumps({k: v for k, v in body.items() if v is not None})
    if query:
        path += "?" + urllib.parse.urlencode(
            [(k, str(v).lower() if isinstance(v, bool) else v) for k, v in query])
    r = request(method, path, h, body)
    if r.status >= 300 or r.status < 200:
        raise SdkError(r.status, r.body)
    if r.status != 200:
        return None  # a status missing from the method's map is not deserialized
    return r.json()


def document_response(d, what):
    """DocumentResponse.from_dict: document_id and collection_id required,
    _vectors a list of strings when present."""
    check(isinstance(d, dict), "%s: not an object" % what)
    for k in ("document_id", "collection_id"):
        check(isinstance(d.get(k), str) and d[k], "%s: %s missing" % (what, k))
    if "_vectors" in d:
        check(isinstance(d["_vectors"], list) and all(isinstance(x, str) for x in d["_vectors"]),
              "%s: _vectors is not a list of strings" % what)
    return d


@test
def sdk_every_served_document_method():
    col = SEED["col_articles"]
    base = "/v1/collections/%s/documents" % col
    # create_document: DocumentCreateRequest, 200
    created = document_response(sdk_call("POST", base, body={
        "collection_id": col, "root_object_id": "obj_sdk", "root_bucket_id": None,
        "source_type": "bucket", "metadata": {"title": "sdk"},
        "features": [{"feature_extractor_id": "text_v1", "payload": {"label": "x"},
                      "vectors": {"embedding": [0.1, 0.2]}}]}), "create_document")
    d = created["document_id"]
    # get_document with the M26 flags
    g = document_response(sdk_call("GET", "%s/%s" % (base, d), query=[
        ("return_presigned_urls", False), ("return_vectors", True),
        ("return_vector_names", True)]), "get_document")
    eq(g["_vectors"], ["embedding"], "get_document _vectors")
    eq(g["vector"], [0.1, 0.2], "get_document vector")
    # patch_document: a free-form object
    p = document_response(sdk_call("PATCH", "%s/%s" % (base, d),
                                   body={"metadata": {"status": "done"}}), "patch_document")
    eq(p["metadata"], {"title": "sdk", "status": "done"}, "patch_document metadata")
    # update_document: Dict[str, object], what it read back
    u = document_response(sdk_call("PUT", "%s/%s" % (base, d), body=dict(g, metadata={"v": 2})),
                          "update_document")
    eq(u["metadata"], {"v": 2}, "update_document metadata")
    # the namespace-scoped three
    document_response(sdk_call("GET", "/v1/documents/" + d,
                               query=[("return_vector_names", True)]), "get_document_ns")
    document_response(sdk_call("PATCH", "/v1/documents/" + d, body={"metadata": {"w": 3}}),
                      "patch_document_ns")
    document_response(sdk_call("PUT", "/v1/documents/" + d, body={"metadata": {"w": 4}}),
                      "update_document_ns")
    # get_document_lineage, get_documents_by_object, get_decomposition_tree_objects
    lin = sdk_call("GET", "%s/%s/lineage" % (base, d))
    eq(lin["chain"][-1], {"document_id": d, "collection_id": col}, "lineage chain ends here")
    objs = sdk_call("GET", "/v1/objects/obj_sdk/documents",
                    query=[("collection_ids", col), ("collection_ids", "frames")])
    check(d in [document_response(x, "by object")["document_id"] for x in objs["documents"]],
          "get_documents_by_object finds the document")
    tree = sdk_call("GET", "/v1/objects/obj_sdk/decomposition-tree",
                    query=[("include_document_ids", False)])
    check(isinstance(tree["tree"], list), "decomposition tree")
    # delete_document: GenericDeleteResponse
    eq(sdk_call("DELETE", "%s/%s" % (base, d)), {"message": "Successfully deleted",
                                                 "success": True}, "delete_document")
    # errors reach the SDK as exceptions with their status
    for method, path, body, status in (
            ("GET", "%s/%s" % (base, d), None, 404),
            ("POST", base, {"metadata": {}}, 422),
            ("GET", "/v1/documents/" + d, None, 404)):
        try:
            sdk_call(method, path, body=body)
        except SdkError as e:
            eq(e.status, status, "%s %s raises" % (method, path))
        else:
            raise AssertionError("%s %s did not raise" % (method, path))
