#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<harness>/.

Small, meaningful inputs for each harness; run again after changing it
(files are rewritten, stale ones removed). Standard library only.
"""
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "sk_live_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0"


def write(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def reset(harness):
    shutil.rmtree(os.path.join(HERE, "corpus", harness), ignore_errors=True)


# ---- request: flags byte, NAME=value\0 ..., body
def req(flags, env, body=b""):
    out = bytes([flags])
    for k, v in env:
        out += ("%s=%s" % (k, v)).encode("utf-8", "surrogateescape") + b"\0"
    return out + (body if isinstance(body, bytes) else body.encode())


def doc_env(method, uri, ctype=None, extra=()):
    q = uri.split("?", 1)[1] if "?" in uri else ""
    env = [("REQUEST_METHOD", method), ("REQUEST_URI", uri), ("QUERY_STRING", q),
           ("HTTP_AUTHORIZATION", "Bearer " + KEY), ("HTTP_X_NAMESPACE", "production")]
    if ctype:
        env.append(("CONTENT_TYPE", ctype))
    return env + list(extra)


P = "/v1/collections/col_articles/documents/doc_seed1"
reset("request")
write("request", "get", req(0, doc_env("GET", P)))
write("request", "get_query", req(0, doc_env("GET", P + "?return_url=true&return_vectors=0")))
write("request", "get_bad_bool", req(0, doc_env("GET", P + "?return_vectors=yes")))
write("request", "patch_merge", req(0, doc_env("PATCH", P, "application/merge-patch+json",
                                              [("CONTENT_LENGTH", "34")]),
                                    '{"metadata":{"title":"x","d":null}}'))
write("request", "patch_jsonpatch", req(0, doc_env(
    "PATCH", P, "application/json-patch+json"),
    '[{"op":"test","path":"/metadata/title","value":"x"},'
    '{"op":"add","path":"/document_blobs/-","value":{"field":"f","url":"s3://b/k"}}]'))
write("request", "patch_blobs", req(0, doc_env("PATCH", P, "application/json"),
                                    '{"document_blobs":[{"field":"v","url":"ftp://x","role":"nope",'
                                    '"size_bytes":-1}]}'))
write("request", "patch_415", req(0, doc_env("PATCH", P, "text/plain"), "hello"))
write("request", "patch_413", req(0x40, doc_env("PATCH", P, "application/json",
                                                [("CONTENT_LENGTH", "100")]), "{}" * 50))
write("request", "patch_deep", req(0, doc_env("PATCH", P, "application/json"),
                                   '{"metadata":' + "[" * 70 + "]" * 70 + "}"))
write("request", "patch_utf8", req(0, doc_env("PATCH", P, "application/json"),
                                   b'{"metadata":{"t":"\xc3\xa9\xed\xa0\x80"}}'))
write("request", "patch_nul", req(0, doc_env("PATCH", P, "application/json"),
                                  '{"metadata":{"t":"a\\u0000b"}}'))
write("request", "api_prefix", req(1, doc_env("PATCH", "/api" + P, "application/json"), "{}"))
write("request", "encoded", req(0, doc_env("GET", "/v1/collections/col%5Fa%20b/documents/%2e%2e")))
write("request", "encoded_slash", req(0, doc_env("GET", "/v1/collections/c/documents/a%2Fb")))
write("request", "traversal", req(0, doc_env("GET", "/v1/collections/../documents/./x")))
write("request", "absolute_uri", req(0, doc_env("GET", "http://host:80" + P)))
write("request", "healthz", req(0, [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/healthz")]))
write("request", "method_405", req(0, [("REQUEST_METHOD", "DELETE"), ("REQUEST_URI", P)]))
write("request", "override", req(4, doc_env("POST", P, "application/json",
                                            [("HTTP_X_HTTP_METHOD_OVERRIDE", "PATCH")]), "{}"))
write("request", "no_uri", req(0, [("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", "/v1"),
                                   ("PATH_INFO", "/collections/c/documents/d")]))
write("request", "request_id", req(0, doc_env("GET", P, extra=[
    ("HTTP_X_REQUEST_ID", "abc-123:x.y_z"), ("HTTP_IF_NONE_MATCH", 'W/"1", "2"'),
    ("HTTP_IF_MATCH", '"3"'), ("HTTP_PREFER", "return=minimal")])))
write("request", "bad_request_id", req(0, doc_env("GET", P, extra=[
    ("HTTP_X_REQUEST_ID", "a\r\nSet-Cookie: x=1")])))
write("request", "two_namespaces", req(0, doc_env("GET", P, extra=[
    ("HTTP_X_NAMESPACE", "staging")])))
write("request", "sql", req(0, doc_env("GET", "/v1/collections/%27%3B%20DROP%20TABLE%20documents%3B"
                                       "--/documents/doc%22x?return_url=%27")))
write("request", "clen_huge", req(0, doc_env("PATCH", P, "application/json",
                                             [("CONTENT_LENGTH", "18446744073709551616")]), "{}"))

# ---- jsonpatch: DOC \0 PATCH, or just PATCH (applied to a fixed document)
reset("jsonpatch")
view = {"metadata": {"title": "t", "tags": ["a", "b"], "n": 1}, "document_blobs": [
    {"field": "v", "url": "s3://b/k", "role": "source", "type": "video"}], "cluster_id": "c"}
V = json.dumps(view)
jp = {
    "rfc6902_add": '[{"op":"add","path":"/metadata/x","value":{"y":[1,2]}}]',
    "all_ops": json.dumps([
        {"op": "test", "path": "/metadata/title", "value": "t"},
        {"op": "add", "path": "/metadata/tags/-", "value": "c"},
        {"op": "replace", "path": "/metadata/n", "value": 2.0},
        {"op": "move", "from": "/metadata/tags", "path": "/metadata/t2"},
        {"op": "copy", "from": "/metadata/t2", "path": "/metadata/t3"},
        {"op": "remove", "path": "/cluster_id"}]),
    "escapes": '[{"op":"add","path":"/metadata/a~1b~0c","value":1},'
               '{"op":"test","path":"/metadata/a~1b~0c","value":1.0}]',
    "bad_escape": '[{"op":"add","path":"/metadata/a~2","value":1}]',
    "leading_zero": '[{"op":"add","path":"/document_blobs/01","value":1}]',
    "dash_replace": '[{"op":"replace","path":"/document_blobs/-","value":1}]',
    "move_into_child": '[{"op":"move","from":"/metadata","path":"/metadata/x"}]',
    "remove_root": '[{"op":"remove","path":""}]',
    "replace_root": '[{"op":"replace","path":"","value":[]}]',
    "test_missing": '[{"op":"test","path":"/nope","value":null}]',
    "no_op": '[{"path":"/x"}]',
    "dup_keys": '[{"op":"add","path":"/a","value":1,"op":"remove"}]',
    "merge_object": '{"metadata":{"title":null,"new":{"a":[1]}},"cluster_id":null}',
    "merge_scalar": '"just a string"',
    "merge_null": 'null',
    "merge_array": '[1,2,3]',
}
for name, patch_text in jp.items():
    write("jsonpatch", name, patch_text)
write("jsonpatch", "doc_and_patch", V + "\0" + jp["all_ops"])
write("jsonpatch", "rfc7396_example", '{"a":"b","c":{"d":"e","f":"g"}}\0{"a":"z","c":{"f":null}}')
write("jsonpatch", "array_doc", '[1,[2,3],{"a":4}]\0[{"op":"copy","from":"/1","path":"/2/b"}]')
write("jsonpatch", "numbers", '{"a":1}\0[{"op":"test","path":"/a","value":1.0},'
                              '{"op":"add","path":"/b","value":9223372036854775807}]')

# ---- s3presign: 8 option bytes, then URL\0region\0endpoint\0token\0name\0value
reset("s3presign")


def s3(opts, *fields):
    return bytes(opts) + b"\0".join(f.encode("utf-8") if isinstance(f, str) else f
                                    for f in fields)


write("s3presign", "aws_virtual", s3([0, 0, 0, 0, 0, 1, 0, 0], "s3://examplebucket/test.txt",
                                     "us-east-1"))
write("s3presign", "aws_region", s3([0, 6, 3, 0, 1, 1, 0, 0], "s3://media-bucket/videos/one.mp4",
                                    "eu-west-1", "", "", "versionId", "3"))
write("s3presign", "path_style_dots", s3([0, 0, 0, 2, 0, 1, 0, 0], "s3://my.bucket.name/a b+c",
                                         "us-west-2"))
write("s3presign", "endpoint", s3([2, 0, 0, 0, 0, 0, 0, 0], "s3://bkt/k/%2F/?x#y",
                                  "auto", "http://LocalHost:9000/", "tok/en=="))
write("s3presign", "virtual_custom", s3([1, 0, 0, 0, 2, 2, 0, 0], "s3://bkt/k",
                                        "auto", "https://r2.example.com:443",
                                        "", "response-content-disposition",
                                        'attachment; filename="x y.mp4"'))
write("s3presign", "ipv6", s3([1, 0, 0, 0, 0, 0, 0, 0], "s3://bkt/k", "auto", "http://[::1]:9000"))
write("s3presign", "dot_segments", s3([0, 0, 0, 0, 0, 1, 0, 0], "s3://bkt/a/../b", "us-east-1"))
write("s3presign", "empty_segments", s3([0, 0, 0, 0, 0, 1, 0, 0], "s3://bkt//a//b/", "us-east-1"))
write("s3presign", "unicode", s3([0, 0, 0, 0, 0, 1, 0, 0], "S3://bkt/\u00e9t\u00e9/\u65e5\u672c.txt",
                                 "us-east-1"))
write("s3presign", "cn_region", s3([0, 0, 0, 0, 0, 1, 0, 0], "s3://bkt/k", "cn-north-1"))
write("s3presign", "year_limits", s3([0, 3, 0, 7, 0, 1, 0, 0], "s3://bkt/k", "us-east-1"))
write("s3presign", "bad_url", s3([0, 0, 0, 0, 0, 1, 0, 0], "s3:///k", "us-east-1"))
write("s3presign", "bad_param", s3([0, 0, 0, 0, 1, 1, 0, 0], "s3://bkt/k", "us-east-1", "", "",
                                   "X-Amz-Signature", "x"))
write("s3presign", "no_secret", s3([0, 0, 0, 0, 0, 1, 1, 0], "s3://bkt/k", "us-east-1"))

# ---- config
reset("config")
write("config", "example", """# docapi.conf
database_url = host=/tmp port=5432 dbname=docapi user=docapi
mount_prefix = /api
body_limit = 1048576
max_depth = 64
log_level = debug
sql_dir = /usr/share/docapi/sql
retry_after = 2
method_override = 1
s3_region = eu-west-1
s3_endpoint = http://127.0.0.1:9000
s3_access_key_id = AKIDEXAMPLE
s3_secret_access_key = secret
presign_expires = 900
s3_addressing = path
s3_credentials = config env
s3_bucket.media.region = us-east-1
s3_bucket.media.endpoint = aws
s3_bucket.my.dotted.bucket.addressing = virtual
""")
write("config", "bad_key", "nope = 1\n")
write("config", "bad_value", "body_limit = 1k\n")
write("config", "range", "max_depth = 100000\n")
write("config", "no_equals", "\n\n   # comment\nbody_limit\n")
write("config", "crlf", "log_level = info\r\nretry_after = 5\r\n")
write("config", "bucket_bad", "s3_bucket..region = x\ns3_bucket.b.nope = y\n")
write("config", "overflow", "body_limit = 99999999999999999999999\n")

# ---- import: NDJSON
reset("import")
seed = {"document_id": "doc_seed1", "document_schema_version": "v1", "root_object_id": "obj_1",
        "root_bucket_id": "bkt_m", "source_type": "bucket", "source_object_id": "obj_1",
        "lineage_path": "bkt_m/col_a", "lineage": {"root_object_id": "obj_1", "lineage_chain": []},
        "source_blobs": [{"blob_id": "b1", "blob_property": "video", "blob_type": "video"}],
        "internal_metadata": {"ingestion_status": "completed"}, "metadata": {"title": "One"},
        "cluster_id": "cl_7", "vector": [0.5, 0.25, -1.0],
        "document_blobs": [{"field": "video", "url": "s3://b/one.mp4", "role": "source",
                            "type": "video", "size_bytes": 1024},
                           {"field": "t", "url": "https://cdn/x.jpg", "presigned_url": "x"}],
        "created_at": "2025-10-18T10:30:00Z", "updated_at": "2025-10-18T10:30:00Z"}
write("import", "seed_line", json.dumps(seed) + "\n")
write("import", "two_lines_crlf", json.dumps(seed) + "\r\n" + '{"metadata":{}}\r\n\n')
write("import", "no_id", '{"metadata":{"a":1},"document_blobs":[]}\n')
write("import", "bad_id", '{"document_id":"x_1"}\n{"document_id":5}\n{"document_id":"doc_"}\n')
write("import", "bad_blobs", '{"document_blobs":[{"url":"ftp://x","role":"r","type":"t",'
                             '"size_bytes":-5,"field":7},3]}\n')
write("import", "bad_types", '{"metadata":[1],"vector":"v","document_blobs":{}}\n')
write("import", "not_object", '[1,2]\n"x"\nnull\n')
write("import", "long_id", '{"document_id":"doc_' + "a" * 200 + '"}\n')
write("import", "nul_and_utf8", b'{"metadata":{"t":"\xc3\xa9"}}\n{"a":"\x00"}\n{"b":"\xff"}\n')

# ---- jsontext: stored JSON text (document_blobs, objects), walked as text
reset("jsontext")
write("jsontext", "blobs", '[{"field":"a","url":"s3://b/k","role":"source","object_key":"k"}]')
write("jsontext", "escaped", '[{"field": "t", "url": "s3:\\/\\/b\\/x y", "role": "thumbnail"}, '
                             '{"url":"https://x/y"}, {}]')
write("jsontext", "object", '{"a": [1, {"b": "}"}], "c\\"d": null, "e": -1.5e3}')
write("jsontext", "mixed", '[[],{},"x",1,true,null]')

# ---- create: the body of POST /v1/collections/{c}/documents
reset("create")
C = "col_articles"
step = {"collection_id": C, "feature_extractor_id": "fe_text", "document_id": "doc_p",
        "timestamp": "2025-10-18T10:30:00Z"}
create = {
    "minimal": {"collection_id": C},
    "dense": {"collection_id": C, "features": [
        {"feature_extractor_id": "fe_text", "vectors": {"embedding": [0.1, 0.2]}}]},
    "named_dense": {"collection_id": C, "features": [
        {"feature_extractor_id": "fe_multi", "vectors": {"a": [0.1], "b": [0.2]}}]},
    "multi_dense": {"collection_id": C, "features": [
        {"feature_extractor_id": "fe_colbert",
         "vectors": {"colbert": [[0.1, 0.2], [0.3, 0.4]]}}]},
    "sparse": {"collection_id": C, "features": [
        {"feature_extractor_id": "fe_splade",
         "vectors": {"indices": [0, 7], "values": [0.5, 0.2]}}]},
    "all_shapes": {
        "collection_id": C, "document_id": "doc_seed_1", "document_schema_version": "v2",
        "root_object_id": "obj_1", "root_bucket_id": "bkt_m", "source_type": "bucket",
        "source_object_id": "obj_1", "lineage_path": "bkt_m/col_articles",
        "lineage_chain": [step], "metadata": {"title": "One", "tags": ["a", "b"]},
        "document_blobs": [{"field": "video", "url": "s3://b/one.mp4", "role": "source",
                            "type": "video", "size_bytes": 1024}],
        "source_blobs": [{"blob_id": "b1", "blob_property": "video", "blob_type": "video"}],
        "internal_metadata": {"ingestion_status": "completed"},
        "cluster_id": "cl_7", "presigned_url": "ignored",
        "features": [
            {"feature_extractor_id": "fe_text", "payload": {"label": "x"},
             "vectors": {"embedding": [0.1, 0.2]}},
            {"feature_extractor_id": "fe_multi", "vectors": {"a": [0.1], "b": [0.2]}},
            {"feature_extractor_id": "fe_colbert",
             "vectors": {"colbert": [[0.1, 0.2], [0.3, 0.4]]}},
            {"feature_extractor_id": "fe_splade",
             "vectors": {"indices": [0, 7], "values": [0.5, 0.2]}}]},
    "v1_lineage": {"collection_id": C, "document_schema_version": "v1",
                   "root_object_id": "obj_1", "source_type": "collection",
                   "source_collection_id": "col_x", "source_document_id": "doc_y",
                   "lineage_chain": [step, {"collection_id": C, "feature_extractor_id": "f",
                                            "timestamp": "2025-10-18T10:30:00.25+02:00"}]},
    # refused: each a 422
    "read_only": {"collection_id": C, "vector": [1], "lineage": {}, "created_at": "x"},
    "bad_shapes": {"collection_id": C, "features": [
        {"feature_extractor_id": "f1", "vectors": {"e": []}},
        {"feature_extractor_id": "f2", "vectors": {"m": [[1, 2], [3]]}},
        {"feature_extractor_id": "f3", "vectors": {"x": [1, "a"], "y": [None], "z": ["s"]}},
        {"feature_extractor_id": "f4", "vectors": {"indices": [1, 1], "values": [1, 2]}},
        {"feature_extractor_id": "f5", "vectors": {"indices": [-1], "values": [1]}},
        {"feature_extractor_id": "f6", "vectors": {"indices": [0, 1], "values": [1]}},
        {"feature_extractor_id": "f7", "vectors": {"a-b": [1], "metadata": [1]}}]},
    "dup_names": {"collection_id": C, "cluster_id": 1, "features": [
        {"feature_extractor_id": "f1", "payload": {"cluster_id": 2, "k": 1},
         "vectors": {"e": [1]}},
        {"feature_extractor_id": "f2", "payload": {"k": 2}, "vectors": {"e": [2]}}]},
    "bad_fixed": {"document_id": "doc_a-b", "document_schema_version": "v3",
                  "source_type": "s3", "metadata": [], "lineage_chain": [
                      {"collection_id": C, "timestamp": "yesterday"}, 1]},
}
for name, body in create.items():
    write("create", name, json.dumps(body))
write("create", "not_object", "[]")
write("create", "long_id", json.dumps({"collection_id": C, "document_id": "doc_" + "a" * 101}))
write("create", "hostile", json.dumps({"collection_id": C, "metadata": {
    "'; DROP TABLE documents;--": "\u65e5\u672c", "k": "a\u0000b"}}))

# ---- filter: a filter object (contract section 9), with the list's sort,
# search, group_by, limit, offset, collection_ids and a keyset position
# ("after") read from the same object (see fuzz_filter.c)
reset("filter")
HOSTILE = "'; DROP TABLE documents; --"
cond = lambda f, op, v, **kw: dict({"field": f, "operator": op, "value": v}, **kw)
filters = {
    "empty": {},
    "sdk_empty": {"case_sensitive": False},
    "shorthand": {"metadata.title": "Seed one", "cluster_id": "cl_7", "metadata.tags": "a"},
    "bare_condition": cond("metadata.n", "gte", 2.5),
    "all_operators": {"AND": [
        cond("metadata.a", "eq", {"k": [1, 2]}), cond("metadata.b", "ne", None),
        cond("metadata.n", "gt", 1), cond("metadata.n", "lt", "z"),
        cond("metadata.n", "lte", -1.5e3), cond("x.y", "in", [1, "a", True, None, [1], {"k": 1}]),
        cond("x", "nin", ["A", "b"], case_sensitive=True), cond("metadata.tags", "contains", "red"),
        cond("metadata.t", "starts_with", "re"), cond("metadata.t", "ends_with", "ed"),
        cond("metadata.t", "regex", "^r[a-z]+$"), cond("metadata.t", "exists", True),
        cond("metadata.t", "is_null", False), cond("metadata", "text", "red shoes"),
        cond("internal_metadata.ingestion_status", "eq", "completed")]},
    "logic": {"OR": [{"metadata.n": 1}, {"NOT": {"metadata.n": 2}},
                     {"AND": [{"NOT": [{"metadata.x": "y"}, {"case_sensitive": True, "z": "Z"}]}]}],
              "case_sensitive": True},
    "system_fields": {"AND": [
        cond("document_id", "in", ["doc_seed1", "doc_x"]), cond("collection_id", "eq", "col_a"),
        cond("source_type", "ne", "bucket"), cond("lineage_path", "starts_with", "bkt_"),
        cond("document_schema_version", "eq", "v1"), cond("root_object_id", "exists", True)]},
    "timestamps": {"AND": [
        cond("created_at", "gte", "2025-10-18T10:30:00Z"),
        cond("updated_at", "in", ["2025-10-18T10:30:00.5+02:00", "2000-02-29t00:00:00z"]),
        cond("created_at", "exists", True), cond("updated_at", "is_null", False)]},
    "hostile": {HOSTILE: HOSTILE, "metadata." + HOSTILE: "' OR '1'='1", "$1": "\\'",
                "a\"b": "--", "OR": [cond("metadata.k'", "regex", "';--"),
                                      cond("x;y", "text", "'; --")]},
    "unicode": {"metadata.\u00e9\u65e5": "\U0001F600", "f\u202e": ["\u200b"]},
    # refused: each a 422
    "qdrant": {"must": [{"key": "a", "match": {"value": 1}}], "should": []},
    "mongo": {"metadata.n": {"$gt": 1}},
    "dynamic": cond("metadata.a", "eq", {"type": "dynamic", "field": "x"}),
    "bad_operator": cond("metadata.a", "nope", 1),
    "bad_values": {"AND": [cond("metadata.a", "in", 1), cond("metadata.a", "gt", True),
                           cond("metadata.a", "exists", "yes"), cond("created_at", "contains", "x"),
                           cond("created_at", "eq", "yesterday"), cond("metadata.a", "regex", "x" * 1001)]},
    "bad_fields": {"AND": [cond("vector", "eq", 1), cond("lineage.x", "eq", 1), cond("_x", "eq", 1),
                           cond("metadata..a", "eq", 1), cond("metadata", "eq", 1),
                           cond("document_id.x", "eq", 1), cond(7, "eq", 1)]},
    "deep": {"AND": [{"AND": [{"AND": [{"AND": [{"NOT": {"OR": [{"metadata.n": 1}]}}]}]}]}]},
    # with the list's members
    "list_sorted": {"metadata.n": 1, "sort": {"field": "metadata.n", "direction": "desc"},
                    "search": "red", "limit": 5, "offset": 20},
    "list_keyset": {"sort": "metadata.n", "after": [1, 2.5, "", 2.5, "doc_x"]},
    "list_keyset_time": {"sort": "created_at", "after": [1760783400000000, "doc_x"]},
    "list_group_by": {"group_by": "metadata.flag", "after": [4, 0, "", None], "limit": 2},
    "list_bad_sort": {"sort": {"field": "lineage"}, "group_by": "vector"},
    "list_ns_wide": {"collection_ids": ["col_a", HOSTILE, "a\"b"], "sort": "document_id"},
}
for name, body in filters.items():
    write("filter", name, json.dumps(body))
write("filter", "not_object", "[1]")
write("filter", "null", "null")
write("filter", "in_1001", json.dumps(cond("metadata.n", "in", list(range(1001)))))
write("filter", "nest_17", "".join('{"AND":[' for _ in range(16)) + '{"a":1}' + "]}" * 16)
# a key longer than the 256-byte buffer the loc was once built in, cut
# inside a UTF-8 sequence: the 422 was not UTF-8
write("filter", "long_utf8_key", json.dumps({"__" + "\u00e9" * 200: 1}, ensure_ascii=False))

# ---- batch: the bodies of POST/DELETE .../documents/batch and PATCH .../bulk
# (fuzz_batch.c reads each as all three)
reset("batch")
batch = {
    "updates": {"updates": [
        {"document_id": "doc_a", "update_data": {"metadata": {"s": 1, "x": None},
                                                 "metadata.deep.b": 2, "obj.y": 3}},
        {"document_id": "doc_b", "update_data": {"source_type": "bucket", "internal_metadata.k": 1,
                                                 "document_blobs": [{"property": "p", "type": "image",
                                                                     "url": "s3://b/k"}]}},
        {"document_id": "doc_c", "update_data": {"metadata": 7}}], "atomic": True},
    "filter_mode": {"filters": {"metadata.even": True}, "update_data": {"metadata.f": "yes"}},
    "every": {"filters": {}, "update_data": {"tag": None}},
    "delete_ids": {"document_ids": ["doc_a", "doc_b", HOSTILE], "atomic": False},
    "delete_filter": {"filters": {"OR": [cond("metadata.n", "gt", 1), {"metadata.t": HOSTILE}]}},
    "both": {"updates": [{"document_id": "doc_a", "update_data": {}}], "filters": {},
             "document_ids": ["doc_a"], "update_data": {"a": 1}},
    "repeated": {"updates": [{"document_id": "d", "update_data": {}}] * 2,
                 "document_ids": ["d", "d"]},
    "hostile": {"updates": [{"document_id": HOSTILE, "update_data": {
        "metadata." + HOSTILE: HOSTILE, HOSTILE + ".x": "$1", "lineage.'": 1}}],
        "filters": {HOSTILE: "--"}, "update_data": {"a\"b": "';"}},
    "bad_shapes": {"updates": [1, {"document_id": 2}, {"document_id": "x", "update_data": []}],
                   "atomic": "yes"},
}
for name, body in batch.items():
    write("batch", name, json.dumps(body))
write("batch", "not_object", "[]")
write("batch", "updates_1001", json.dumps({"updates": [{"document_id": "d%d" % i, "update_data": {}}
                                                      for i in range(1001)]}))
