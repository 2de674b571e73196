#!/usr/bin/python3
"""Hostile input battery for docapi: real lighttpd, real PostgreSQL.

Started by tests/integration/run_hostile.sh (same environment as
test_api.py, whose HTTP, assertion and database helpers it imports).

Every case sends one hostile request (or a few) and asserts:
  * the EXACT status and error.type (contract section 2) or, for 422, the
    FastAPI-shaped detail with the loc and type the app must give;
  * that the database is unchanged: an md5 over every row of every table
    of the public schema, before and after. Cases that must succeed (a
    hostile-looking but valid patch) check instead that nothing but their
    own document changed, and what it now holds.

Some requests never reach the app: lighttpd answers malformed HTTP itself
(400 for bad syntax, 431 for an oversized header section, 501 for unknown
methods, ...). For those only the status is asserted (lighttpd's body is
not the contract's JSON), with a comment saying why it is right.

Decisions the contract leaves open are stated where they are tested
(look for "DECISION").

Usage: test_hostile.py [-k SUBSTRING]... [-v] [-x] [-l]
Prints "ok NAME" or "FAIL NAME: reason" per case and, last, exactly one
line "N passed, M failed". Standard library only.
"""

import json
import os
import re
import socket
import sys
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as T  # noqa: E402  (helpers: request, api, expect_*, psql, new_doc)

VERBOSE = False
TARGET = None          # the document every rejected PATCH aims at
BODY_LIMIT = 1048576   # run_hostile.sh keeps the default body_limit
MAX_DEPTH = 64         # and max_depth

SQL = "'; DROP TABLE documents; --"
SQL_VARIANTS = [
    SQL,
    "' OR '1'='1",
    "\" OR \"\"=\"",
    "1; SELECT pg_sleep(5)--",
    "%27",              # sent as the 3 characters % 2 7 (encoded as %2527 in paths)
    "\\\"",
    "$1",
    "doc_seed1' --",
    "doc_seed1\\",
    "E'\\x27'",
    "col_articles'||'",
    "'); TRUNCATE documents CASCADE; --",
]


# ------------------------------------------------------------- database

_TABLES = []


# Tables a request may write; every one must be in the checksum (it takes
# every table of the public schema, so tables a later migration adds are in
# it too; these must be).
_WRITTEN_TABLES = ("documents", "api_keys", "document_tombstones", "idempotency_keys")


def db_sum(except_doc=None):
    """md5 per table over every row (row_to_json), all tables of the public
    schema (sql/003_lifecycle.sql's document_tombstones and idempotency_keys
    included); documents may leave out one document_id."""
    if not _TABLES:
        names = T.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) "
                       "FROM pg_tables WHERE schemaname = 'public'")
        _TABLES.extend(n for n in names.split(",") if n)
        T.check(all(t in _TABLES for t in _WRITTEN_TABLES),
                "unexpected schema (want %r): %r" % (_WRITTEN_TABLES, _TABLES))
    parts = []
    for t in _TABLES:
        where = ""
        if t == "documents" and except_doc:
            T.check(T.ID_RE.match(except_doc), "bad id %r" % except_doc)
            where = " WHERE document_id <> '%s'" % except_doc
        parts.append("SELECT '%s:' || md5(coalesce(string_agg(row_to_json(x)::text, ',' "
                     "ORDER BY row_to_json(x)::text), '')) AS s FROM \"%s\" x%s" % (t, t, where))
    return T.psql("SELECT string_agg(s, ' ' ORDER BY s) FROM (%s) q" % " UNION ALL ".join(parts))


class db_unchanged:
    """Asserts every table is byte-for-byte the same afterwards (or, with
    except_doc, everything but that one document)."""

    def __init__(self, except_doc=None):
        self.except_doc = except_doc

    def __enter__(self):
        self.before = db_sum(self.except_doc)
        return self

    def __exit__(self, et, ev, tb):
        if et is None and db_sum(self.except_doc) != self.before:
            raise AssertionError("the database changed" + (
                " (beyond document %s)" % self.except_doc if self.except_doc else ""))
        return False


# ---------------------------------------------------------------- HTTP

def base_hostport(base=None):
    u = urllib.parse.urlsplit(base or T.BASE)
    return u.hostname, u.port, u.path


def raw(data, base=None, timeout=15, half_close=False, pause=None):
    """Sends raw bytes on a new connection and reads until the server closes
    (or timeout). Returns the first response as T.Resp and the bytes after
    it (further responses). pause=(n, seconds): send n bytes, wait, send
    the rest."""
    host, port, _ = base_hostport(base)
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        if pause:
            s.sendall(data[:pause[0]])
            time.sleep(pause[1])
            s.sendall(data[pause[0]:])
        else:
            s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not c:
                break
            chunks.append(c)
    finally:
        s.close()
    return parse_response(b"".join(chunks))


def parse_response(buf):
    head, sep, rest = buf.partition(b"\r\n\r\n")
    if not sep:
        raise AssertionError("no complete HTTP response: %r" % buf[:300])
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"^HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        raise AssertionError("bad status line %r" % lines[0])
    headers = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers.append((k.strip(), v.strip()))
    r = T.Resp(int(m.group(1)), headers, b"")
    cl = r.header("Content-Length")
    if cl is not None and cl.isdigit():
        r.body, rest = rest[:int(cl)], rest[int(cl):]
    elif (r.header("Transfer-Encoding") or "").lower() == "chunked":
        body = b""
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            n = int(size_line.split(b";")[0] or b"0", 16)
            if n == 0:
                rest = rest.partition(b"\r\n")[2]
                break
            body += rest[:n]
            rest = rest[n + 2:]
        r.body = body
    else:
        r.body, rest = rest, b""
    return r, rest


def doc_target(col=None, doc=None, query="", base=None):
    _, _, prefix = base_hostport(base)
    return (prefix + T.doc_path(col or T.SEED["col_articles"], doc or TARGET, query)).encode()


def raw_request(method=b"PATCH", target=None, headers=None, body=b"", auth=True, ns=True,
                ctype=b"application/json", clen=True, version=b"HTTP/1.1"):
    """Builds a request as bytes: our defaults plus `headers` (a list of
    (bytes, bytes) or raw header lines as bytes)."""
    host, port, _ = base_hostport()
    h = [b"Host: %s:%d" % (host.encode(), port), b"Connection: close"]
    if auth:
        h.append(b"Authorization: Bearer " + T.SEED["key_write"].encode())
    if ns:
        h.append(b"X-Namespace: production")
    if ctype:
        h.append(b"Content-Type: " + ctype)
    if clen:
        h.append(b"Content-Length: %d" % len(body))
    for x in headers or []:
        h.append(x if isinstance(x, bytes) else x[0] + b": " + x[1])
    return (method + b" " + (target or doc_target()) + b" " + version + b"\r\n" +
            b"\r\n".join(h) + b"\r\n\r\n" + body)


def patch(body, **kw):
    """PATCH of the target document (merge patch unless ctype given)."""
    kw.setdefault("doc", TARGET)
    doc = kw.pop("doc")
    if isinstance(body, str):
        body = body.encode("utf-8")
    return T.api("PATCH", doc, body=body, **kw)


def jpatch(ops, **kw):
    kw.setdefault("ctype", "application/json-patch+json")
    return patch(ops if isinstance(ops, (bytes, str)) else json.dumps(ops), **kw)


def get(doc=None, **kw):
    return T.api("GET", doc or TARGET, **kw)


# --------------------------------------------------------------- cases

CASES = []


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


def expect_422_type(r, loc, etype, msg_re=None):
    """422 with an item whose loc is exactly `loc` and whose type is etype."""
    detail = T.expect_422(r, loc)
    for item in detail:
        if item["loc"] == list(loc) and item["type"] == etype:
            if msg_re and not re.search(msg_re, item["msg"]):
                raise AssertionError("422 msg %r does not match %r" % (item["msg"], msg_re))
            return detail
    raise AssertionError("422 has no item loc=%r type=%r: %r" % (list(loc), etype, detail))


def add_reject(name, send, status, etype=None, loc=None, vtype=None, details=None, msg_re=None):
    """A case: send() must be refused with status (error.type etype, or for
    422 an item at loc with type vtype) and change nothing."""
    def run():
        with db_unchanged():
            r = send()
            if status == 422:
                if loc is not None:
                    expect_422_type(r, loc, vtype, msg_re)
                else:
                    T.expect_422(r)
            else:
                T.expect_error(r, status, etype, details)
    CASES.append((name, run))


def add_server_reject(name, data, status, **kw):
    """A case answered by lighttpd before the app: exact status, nothing
    written. (The body is lighttpd's, not the contract's JSON.) data: bytes,
    or a function returning them (built when the case runs)."""
    def run():
        with db_unchanged():
            d = data() if callable(data) else data
            r, _ = raw(d, **kw)
            T.eq(r.status, status, "status of %r" % d[:80])
    CASES.append((name, run))


def add_app_raw(name, data, status, etype=None, loc=None, vtype=None, **kw):
    """A raw request that lighttpd passes on: the app's exact answer."""
    def run():
        with db_unchanged():
            r, _ = raw(data() if callable(data) else data, **kw)
            if status == 422:
                expect_422_type(r, loc, vtype)
            else:
                T.expect_error(r, status, etype)
    CASES.append((name, run))


def add_accept(name, send, check=None, status=200):
    """A hostile-looking but valid request on a fresh document (TARGET
    while the case runs): status as given, nothing but that document may
    change, and check(resp) for what it must now hold."""
    def run():
        global TARGET
        saved, TARGET = TARGET, T.new_doc()
        try:
            with db_unchanged(except_doc=TARGET):
                r = send()
                if r.status != status:
                    raise AssertionError("expected %d, got %d: %r" % (status, r.status, r.body[:400]))
                if check:
                    check(r)
        finally:
            TARGET = saved
    CASES.append((name, run))


def add_status(name, send, status):
    """Exact status only (answered by lighttpd, whose body is not the
    contract's JSON); nothing written."""
    def run():
        with db_unchanged():
            T.eq(send().status, status, "status")
    CASES.append((name, run))


JDEC = "value_error.jsondecode"
BODY = ["body"]

# ---- 1. malformed JSON: 422 at loc ["body"], nothing written

MALFORMED = [
    ("brace_only", "{"),
    ("close_only", "}"),
    ("missing_value", '{"metadata":}'),
    ("missing_colon", '{"metadata" {}}'),
    ("double_colon", '{"metadata"::{}}'),
    ("trailing_comma_object", '{"metadata":{},}'),
    ("trailing_comma_array", '{"metadata":{"a":[1,]}}'),
    ("leading_comma", '{,"metadata":{}}'),
    ("single_quotes", "{'metadata':{}}"),
    ("single_quoted_value", '{"metadata":{"a":\'x\'}}'),
    ("unquoted_key", "{metadata:{}}"),
    ("unterminated_string", '{"metadata":{"a":"x}}'),
    ("unterminated_object", '{"metadata":{"a":1}'),
    ("bad_escape", '{"metadata":{"a":"\\x41"}}'),
    ("short_unicode_escape", '{"metadata":{"a":"\\u12"}}'),
    ("capital_true", '{"metadata":{"a":True}}'),
    ("partial_null", '{"metadata":{"a":nul}}'),
    ("python_none", '{"metadata":{"a":None}}'),
    ("two_values", '{"metadata":{}} {"metadata":{}}'),
    ("trailing_garbage", '{"metadata":{}}x'),
    ("trailing_formfeed", '{"metadata":{}}\f'),   # JSON whitespace is SP HT LF CR only
    ("leading_vtab", '\v{"metadata":{}}'),
    ("block_comment", '/* c */{"metadata":{}}'),
    ("line_comment", '{"metadata":{} // c\n}'),
    ("hex_number", '{"metadata":{"a":0x10}}'),
    ("leading_zero", '{"metadata":{"a":01}}'),
    ("negative_leading_zero", '{"metadata":{"a":-01}}'),
    ("dot_no_fraction", '{"metadata":{"a":1.}}'),
    ("fraction_no_int", '{"metadata":{"a":.5}}'),
    ("plus_sign", '{"metadata":{"a":+1}}'),
    ("exponent_no_digits", '{"metadata":{"a":1e}}'),
    ("minus_alone", '{"metadata":{"a":-}}'),
    ("minus_infinity", '{"metadata":{"a":-Infinity}}'),
    ("raw_tab_in_string", '{"metadata":{"a":"x\ty"}}'),
    ("raw_newline_in_key", '{"metadata":{"a\nb":1}}'),
    ("raw_escape_char", '{"metadata":{"a":"\x1b[31m"}}'),
    ("bom_prefix", '\ufeff{"metadata":{}}'),
    ("array_separator", '{"metadata":{"a":[1 2]}}'),
]
for _name, _body in MALFORMED:
    add_reject("malformed_" + _name, (lambda b: lambda: patch(b))(_body), 422, loc=BODY, vtype=JDEC)

add_reject("malformed_empty_body", lambda: patch(b""), 422, loc=BODY, vtype="value_error.missing")
# Whitespace only is "no JSON value": json-c reports it as incomplete.
add_reject("malformed_whitespace_only", lambda: patch(b"  \r\n\t "), 422, loc=BODY, vtype=JDEC)
# NaN / Infinity parse in json-c but JSON cannot carry them.
add_reject("number_nan", lambda: patch('{"metadata":{"a":NaN}}'), 422, loc=BODY,
           vtype="value_error.number")
add_reject("number_infinity", lambda: patch('{"metadata":{"a":Infinity}}'), 422, loc=BODY,
           vtype="value_error.number")

# ---- 2. numbers beyond what JSON/json-c/PostgreSQL carry (contract: 422)

for _name, _num in [("1e400", "1e400"), ("minus_1e400", "-1e400"), ("1e309", "1e309"),
                    ("1e20", "1e20"), ("2p63_double", "9223372036854775808.0"),
                    ("1e300", "1.5e300")]:
    add_reject("number_" + _name, (lambda n: lambda: patch('{"metadata":{"n":%s}}' % n))(_num),
               422, loc=BODY, vtype="value_error.number")
for _name, _num in [("huge_int", "123456789012345678901234567890"),
                    ("uint64_plus_1", "18446744073709551616"),
                    ("int64_minus_1", "-9223372036854775809")]:
    add_reject("number_" + _name, (lambda n: lambda: patch('{"metadata":{"n":%s}}' % n))(_num),
               422, loc=BODY, vtype=JDEC, msg_re="out of range")


def _num_roundtrip(text, want):
    def send():
        return patch('{"metadata":{"n":%s}}' % text)

    def check(r):
        got = r.json()["metadata"]["n"]
        T.eq(got, want, "patched number")
        d, _ = T.get_doc(TARGET)
        T.eq(d["metadata"]["n"], want, "number read back after storage")
    return send, check


for _name, _text, _want in [("int64_min", "-9223372036854775808", -9223372036854775808),
                            ("uint64_max", "18446744073709551615", 18446744073709551615),
                            ("tiny_double", "1.5e-300", 1.5e-300),
                            ("just_below_2p63", "9.2e18", 9.2e18),
                            ("negative_zero", "-0", 0)]:
    add_accept("number_ok_" + _name, *_num_roundtrip(_text, _want))

# ---- 2b. numbers PostgreSQL cannot store (1e-20000 overflows numeric: was a
# 500 after every check) or would store far larger than sent (jsonb writes
# numeric out in full: 1e-16000 is 16,002 characters). DECISION (cgi/body.h):
# at most 100 significant digits at places 1e-1000..1e1000, and the numbers
# of one body may grow it at most 8-fold (+64 KiB) as stored. 422
# value_error.number.not_storable at the number's own loc.

NOT_STORABLE = "value_error.number.not_storable"
_D100 = ("1234567890" * 10)
for _name, _body, _loc in [
        ("1e_minus_20000", '{"metadata":{"x":1e-20000}}', ["body", "metadata", "x"]),
        ("1e_minus_16000", '{"metadata":{"x":1e-16000}}', ["body", "metadata", "x"]),
        ("1e_minus_1001", '{"metadata":{"x":1e-1001}}', ["body", "metadata", "x"]),
        ("1e1001", '{"metadata":{"x":1e1001}}', ["body", "metadata", "x"]),
        ("zero_e_minus_20000", '{"metadata":{"x":0e-20000}}', ["body", "metadata", "x"]),
        ("zero_e_2e9", '{"metadata":{"x":0e2000000000}}', ["body", "metadata", "x"]),
        ("exponent_25_digits", '{"metadata":{"x":1e-9999999999999999999999999}}',
         ["body", "metadata", "x"]),
        ("20000_fraction_digits_flat", '{"score":0.%s1}' % ("0" * 19999), ["body", "score"]),
        ("20000_zeros", '{"metadata":{"x":0.%s}}' % ("0" * 20000), ["body", "metadata", "x"]),
        ("101_digits", '{"metadata":{"x":9.%s}}' % _D100, ["body", "metadata", "x"]),
        ("101_digits_trailing_zeros", '{"metadata":{"x":1.%s}}' % ("0" * 100),
         ["body", "metadata", "x"]),
        ("in_nested_array", '{"metadata":{"a":[0,"1e-5000",{"b":[1,1e-5000]}]}}',
         ["body", "metadata", "a", 2, "b", 1]),
        ("escaped_key", '{"metadata":{"k\\"e,y":1e-5000}}', ["body", "metadata", 'k"e,y']),
        ("in_blob", '{"document_blobs":[{"field":"f","url":"s3://b/k","size_bytes":1e-5000}]}',
         ["body", "document_blobs", 0, "size_bytes"]),
        ("4000_x_1e_minus_16000", '{"metadata":{"a":[%s]}}' % ",".join(["1e-16000"] * 4000),
         ["body", "metadata", "a", 0]),
        ("bare_value", '1e-20000', ["body"]),
]:
    add_reject("number_not_storable_" + _name, (lambda b: lambda: patch(b))(_body), 422,
               loc=_loc, vtype=NOT_STORABLE)
for _name, _ops, _loc in [
        ("add", '[{"op":"add","path":"/metadata/x","value":1e-20000}]', ["body", 0, "value"]),
        ("replace_deep", '[{"op":"test","path":"/metadata","value":{}},'
                         '{"op":"replace","path":"/metadata","value":{"a":[0.%s1]}}]' % ("0" * 20000),
         ["body", 1, "value", "a", 0]),
        ("test", '[{"op":"test","path":"/metadata/x","value":1e-20000}]', ["body", 0, "value"]),
]:
    add_reject("number_not_storable_jsonpatch_" + _name, (lambda o: lambda: jpatch(o))(_ops), 422,
               loc=_loc, vtype=NOT_STORABLE)


def _many_small():
    # each within the bound, together 32 KB sent and 4 MB stored
    r = patch('{"metadata":{"a":[%s]}}' % ",".join(["1e-999"] * 4000))
    detail = T.expect_422(r, ["body", "metadata", "a"])
    T.check([it["type"] for it in detail] == [NOT_STORABLE], "one not_storable item: %r" % detail)


def _run_many_small():
    with db_unchanged():
        _many_small()


CASES.append(("number_not_storable_growth_4000_x_1e_minus_999", _run_many_small))


def _stored_text_check(want):
    def check(r):
        T.check(want in T.db_row(TARGET).replace(" ", ""), "stored as %s..." % want[:40])
    return check


add_accept("number_ok_at_the_bound_1e_minus_1000",
           lambda: patch('{"metadata":{"n":1e-1000}}'),
           _stored_text_check('"n":0.' + "0" * 999 + "1"))
add_accept("number_ok_100_digits",
           lambda: patch('{"metadata":{"n":1.%s}}' % _D100[:99]),
           _stored_text_check('"n":1.' + _D100[:99]))
add_accept("number_ok_4000_small_floats",
           lambda: patch('{"metadata":{"a":[%s]}}' % ",".join(["1.234e-30"] * 4000)),
           _stored_text_check('"a":[0.000000000000000000000000000001234,'))

# ---- 3. invalid UTF-8 and NUL bytes: 422 value_error.unicode (or jsondecode
# for a \u0000 escape, which is valid UTF-8 text)

UTF8 = [
    ("latin1_e_acute", b'{"metadata":{"a":"caf\xe9"}}'),
    ("lone_continuation", b'{"metadata":{"a":"\x80"}}'),
    ("overlong_slash", b'{"metadata":{"a":"\xc0\xaf"}}'),
    ("overlong_nul", b'{"metadata":{"a":"\xc0\x80"}}'),
    ("utf8_surrogate", b'{"metadata":{"a":"\xed\xa0\x80"}}'),
    ("beyond_10ffff", b'{"metadata":{"a":"\xf4\x90\x80\x80"}}'),
    ("truncated_3byte", b'{"metadata":{"a":"\xe2\x82"}}'),
    ("byte_ff", b'{"metadata":{"a":"\xff"}}'),
    ("invalid_in_key", b'{"metadata":{"\xfe":1}}'),
    ("invalid_outside_string", b'{"metadata":{}}\xff'),
    ("raw_nul_in_string", b'{"metadata":{"a":"x\x00y"}}'),
    ("raw_nul_in_key", b'{"metadata":{"a\x00b":1}}'),
    ("raw_nul_after_value", b'{"metadata":{}}\x00'),
    ("utf16_body", '{"metadata":{}}'.encode("utf-16")),
]
for _name, _body in UTF8:
    add_reject("utf8_" + _name, (lambda b: lambda: patch(b))(_body), 422, loc=BODY,
               vtype="value_error.unicode")
for _name, _body in [("nul_escape_value", '{"metadata":{"a":"x\\u0000y"}}'),
                     ("nul_escape_key", '{"metadata":{"a\\u0000b":1}}'),
                     ("lone_high_surrogate", '{"metadata":{"a":"\\ud800"}}'),
                     ("lone_low_surrogate", '{"metadata":{"a":"\\udc00"}}'),
                     ("reversed_pair", '{"metadata":{"a":"\\udc00\\ud800"}}')]:
    add_reject("escape_" + _name, (lambda b: lambda: patch(b))(_body), 422, loc=BODY, vtype=JDEC)


def _unicode_ok():
    s = "\u00e9\u65e5\U0001F600\u202e\u200b\ufeff"
    return (lambda: patch(json.dumps({"metadata": {"u": s, "k\u00e9y": s}})),
            lambda r: T.eq(T.get_doc(TARGET)[0]["metadata"]["u"], s, "unicode round trip"))


add_accept("utf8_ok_astral_bidi_zero_width", *_unicode_ok())
add_accept("escape_ok_surrogate_pair",
           lambda: patch('{"metadata":{"e":"\\ud83d\\ude00"}}'),
           lambda r: T.eq(T.get_doc(TARGET)[0]["metadata"]["e"], "\U0001F600", "pair decoded"))

# ---- 4. wrong types: 422 naming the field

WRONG = [
    ("body_array", [], BODY, "type_error.dict"),
    ("body_string", "x", BODY, "type_error.dict"),
    ("body_number", 1, BODY, "type_error.dict"),
    ("body_true", True, BODY, "type_error.dict"),
    # JSON null is no body at all for every route that takes one
    ("body_null", None, BODY, "type_error.none.not_allowed"),
    ("metadata_array", {"metadata": [1]}, ["body", "metadata"], "type_error.dict"),
    ("metadata_string", {"metadata": "x"}, ["body", "metadata"], "type_error.dict"),
    ("metadata_number", {"metadata": 5}, ["body", "metadata"], "type_error.dict"),
    ("metadata_bool", {"metadata": False}, ["body", "metadata"], "type_error.dict"),
    ("blobs_object", {"document_blobs": {}}, ["body", "document_blobs"], "type_error.list"),
    ("blobs_string", {"document_blobs": "s3://b/k"}, ["body", "document_blobs"], "type_error.list"),
]
for _name, _body, _loc, _vt in WRONG:
    add_reject("type_" + _name, (lambda b: lambda: patch(json.dumps(b)))(_body), 422,
               loc=_loc, vtype=_vt)


def _blob_case(blob):
    return lambda: patch(json.dumps({"document_blobs": [blob]}))


# loc: ["body", "document_blobs", 0, <field>] (a prefix match)
for _name, _blob, _field in [
        ("not_object", 5, None),
        ("missing_field", {"url": "s3://b/k"}, "field"),
        ("missing_url", {"field": "f"}, "url"),
        ("field_number", {"field": 1, "url": "s3://b/k"}, "field"),
        ("url_ftp", {"field": "f", "url": "ftp://h/x"}, "url"),
        ("url_javascript", {"field": "f", "url": "javascript:alert(1)"}, "url"),
        ("url_file", {"field": "f", "url": "file:///etc/passwd"}, "url"),
        ("url_number", {"field": "f", "url": 7}, "url"),
        ("role_bad", {"field": "f", "url": "s3://b/k", "role": "'; DROP TABLE documents; --"}, "role"),
        ("type_bad", {"field": "f", "url": "s3://b/k", "type": "exe"}, "type"),
        ("size_negative", {"field": "f", "url": "s3://b/k", "size_bytes": -1}, "size_bytes"),
        ("size_string", {"field": "f", "url": "s3://b/k", "size_bytes": "10"}, "size_bytes"),
        ("size_fraction", {"field": "f", "url": "s3://b/k", "size_bytes": 1.5}, "size_bytes")]:
    def _blob_run(b=_blob, loc=["body", "document_blobs", 0] + ([_field] if _field else [])):
        with db_unchanged():
            T.expect_422(_blob_case(b)(), loc)
    CASES.append(("blob_" + _name, _blob_run))

# read-only fields: 422 naming the field (checked against the stored document)
for _field, _val in [("document_id", "doc_other"), ("collection_id", "col_other"),
                     ("created_at", "1970-01-01T00:00:00Z"), ("updated_at", SQL),
                     ("vector", [1, 2, 3]), ("lineage", {"root_object_id": SQL}),
                     ("internal_metadata", {"ingestion_status": "failed"}),
                     ("source_type", "collection"), ("document_schema_version", "v3"),
                     ("source_blobs", [{"blob_id": SQL}])]:
    add_reject("readonly_" + _field,
               (lambda f, v: lambda: patch(json.dumps({f: v})))(_field, _val), 422,
               loc=["body", _field], vtype="value_error.read_only")

# ---- 5. size and depth

def _big_body(n):
    head = b'{"metadata":{"big":"'
    tail = b'"}}'
    return head + b"x" * (n - len(head) - len(tail)) + tail


add_reject("size_limit_plus_one", lambda: patch(_big_body(BODY_LIMIT + 1)), 413,
           "PayloadTooLargeError")
# Far beyond body_limit, lighttpd's own server.max-request-size (2 MiB in
# the shipped configs) answers first, so the body is never spooled to disk.
add_status("size_16_mib", lambda: patch(_big_body(16 * BODY_LIMIT)), 413)


def _huge_content_length():
    # Content-Length: 2^40 and no body, then the client half-closes. lighttpd
    # buffers request bodies before it starts the app (its default
    # server.stream-request-body = 0, server.max-request-size 2 TiB), so
    # the request never reaches the app: the connection is closed without
    # a response, and nothing is written. (Deployments should set
    # server.max-request-size near body_limit so that lighttpd answers 413
    # at once instead of spooling the body to disk; then this gets a 413.)
    data = raw_request(body=b"", clen=False, headers=[(b"Content-Length", b"1099511627776")])
    with db_unchanged():
        try:
            r, _ = raw(data, half_close=True, timeout=10)
        except AssertionError as e:
            if "no complete HTTP response" in str(e):
                return
            raise
        T.eq(r.status, 413, "huge Content-Length answered")


CASES.append(("size_content_length_2p40_never_applied", _huge_content_length))
add_accept("size_exactly_limit", lambda: patch(_big_body(BODY_LIMIT)),
           lambda r: T.eq(len(r.json()["metadata"]["big"]), BODY_LIMIT - 23, "stored string"))


def nested(depth, leaf=1):
    v = leaf
    for _ in range(depth):
        v = {"a": v}
    return v


# depth counts every object/array level, the body's own braces included
add_reject("depth_65_objects", lambda: patch(json.dumps({"metadata": nested(MAX_DEPTH)})),
           422, loc=BODY, vtype="value_error.json.depth")
add_reject("depth_65_arrays", lambda: patch(b'{"metadata":{"a":' + b"[" * 63 + b"]" * 63 + b"}}"),
           422, loc=BODY, vtype="value_error.json.depth")
add_reject("depth_100k_brackets", lambda: patch(b"[" * 100000 + b"]" * 100000), 422, loc=BODY,
           vtype="value_error.json.depth")
add_reject("depth_100k_unclosed", lambda: patch(b'{"metadata":' + b"[" * 100000), 422, loc=BODY,
           vtype="value_error.json.depth")


def _deep_ok(depth):
    # depth levels in the body: {"metadata": {"a": ... {"a": 1}}}
    body = json.dumps({"metadata": nested(depth - 1)})

    def check(r):
        # contract: a 2xx means the change is durable, and the document
        # must stay readable (GET) and patchable afterwards
        d, _ = T.get_doc(TARGET)
        # the merge patch adds "a" next to the metadata keys already there
        T.check(json.dumps(d["metadata"].get("a")) == json.dumps(nested(depth - 1)["a"]),
                "deep metadata read back differs: " + json.dumps(d["metadata"])[:200])
        T.expect_ok(patch('{"metadata":{"after_deep":1}}'))
    return (lambda: patch(body)), check


add_accept("depth_64_accepted_and_readable", *_deep_ok(MAX_DEPTH))
add_accept("depth_40_accepted_and_readable", *_deep_ok(40))

# many members / long keys are fine within the size limit
add_accept("wide_object_20k_keys",
           lambda: patch(json.dumps({"metadata": {"k%d" % i: i for i in range(20000)}})),
           lambda r: T.eq(len(T.get_doc(TARGET)[0]["metadata"]), 20003,
                          "members stored (20000 + the template's 3)"))
add_accept("long_key_100k", lambda: patch(json.dumps({"metadata": {"k" * 100000: 1}})),
           lambda r: T.check("k" * 100000 in T.get_doc(TARGET)[0]["metadata"], "long key kept"))


# ---- 6. SQL metacharacters: path segments, headers, JSON keys and values

def _seg(s):
    return urllib.parse.quote(s, safe="")


for _i, _s in enumerate(SQL_VARIANTS):
    add_reject("sql_collection_%d" % _i,
               (lambda s: lambda: T.api("GET", "doc_seed1", col=_seg(s)))(_s), 404, "NotFoundError",
               details={"resource": "collection", "id": _s})
    add_reject("sql_document_%d" % _i,
               (lambda s: lambda: T.api("PATCH", _seg(s), body=b'{"metadata":{"x":1}}'))(_s), 404,
               "NotFoundError", details={"resource": "document", "id": _s})
    add_reject("sql_namespace_%d" % _i, (lambda s: lambda: get(ns=s))(_s), 404, "NotFoundError",
               details={"resource": "namespace", "id": _s})
for _i, _s in enumerate(SQL_VARIANTS[:6]):
    add_reject("sql_bearer_%d" % _i, (lambda s: lambda: get(key=s))(_s), 401, "UnauthorizedError")
    # a well-formed-looking key with SQL after the prefix is still just unknown
    add_reject("sql_bearer_prefixed_%d" % _i,
               (lambda s: lambda: get(key="sk_live_" + "A" * 32 + s))(_s), 401, "UnauthorizedError")
add_reject("sql_query_value", lambda: get(query="return_vectors=" + _seg(SQL)), 422,
           loc=["query", "return_vectors"], vtype="type_error.bool")
add_reject("sql_content_type", lambda: patch("{}", ctype=SQL), 415, "UnsupportedMediaTypeError")
add_reject("sql_if_match", lambda: patch('{"metadata":{"x":1}}', headers=[("If-Match", SQL)]),
           412, "PreconditionFailedError")


def _sql_key_value():
    body = {"metadata": {SQL: SQL, "k": "\\\"'`;--", "\\": "%27"}, SQL.replace(" ", "_"): 1}

    def check(r):
        d, _ = T.get_doc(TARGET)
        T.eq(d["metadata"].get(SQL), SQL, "SQL text stored verbatim as key and value")
        T.eq(d["metadata"].get("\\"), "%27", "backslash key")
        T.eq(d.get(SQL.replace(" ", "_")), 1, "SQL-looking flat field")
        T.check(T.psql("SELECT count(*) FROM documents") != "0", "documents table still there")
        T.expect_ok(patch(json.dumps({"metadata": {SQL: None, "k": None, "\\": None},
                                      SQL.replace(" ", "_"): None})))
    return (lambda: patch(json.dumps(body))), check


add_accept("sql_in_json_keys_and_values_stored_verbatim", *_sql_key_value())
add_accept("sql_in_json_patch_pointer",
           lambda: jpatch([{"op": "add", "path": "/metadata/" + SQL.replace("~", "~0").replace("/", "~1"),
                            "value": SQL}]),
           lambda r: T.eq(r.json()["metadata"].get(SQL), SQL, "pointer with SQL text"))
add_accept("sql_in_prefer_and_request_id_ignored",
           lambda: patch('{"metadata":{"p":1}}', headers=[("Prefer", SQL), ("X-Request-Id", SQL)]),
           lambda r: T.check(r.header("X-Request-Id") != SQL and
                             re.match(r"^[A-Za-z0-9._:-]{1,64}$", r.header("X-Request-Id") or ""),
                             "insane X-Request-Id must not be echoed: %r" % r.header("X-Request-Id")))

# ---- 7. percent-encoding tricks and path traversal in ids
#
# The app routes on REQUEST_URI as the client sent it, decodes each segment
# once, and refuses (404, no details) any path with an empty, "." or ".."
# segment, a bad escape, %00 or invalid UTF-8; everything else is an id,
# looked up verbatim (404 with details when it does not exist).

COL = None  # filled in main()


def _path_get(path, base=None):
    return lambda: T.request("GET", path, [("Authorization", "Bearer " + T.SEED["key_write"]),
                                           ("X-Namespace", "production")], base=base)


def _path_patch(path):
    return lambda: T.request("PATCH", path, [("Authorization", "Bearer " + T.SEED["key_write"]),
                                             ("X-Namespace", "production"),
                                             ("Content-Type", "application/json")],
                             b'{"metadata":{"traversal":1}}')


TRAVERSAL_ROUTE_404 = [
    # (name, path after /v1/collections/COL/documents/)
    ("encoded_dotdot", "%2e%2e"),
    ("encoded_dotdot_upper", "%2E%2E"),
    ("encoded_dot", "%2e"),
    ("mixed_dotdot", ".%2e"),
    ("bad_escape", "doc%zz"),
    ("truncated_escape", "doc%2"),
    ("encoded_surrogate", "%ed%a0%80"),
    ("trailing_slash", "doc_seed1/"),
    ("double_slash", "/doc_seed1"),
    ("extra_segment", "doc_seed1/lineage/x"),
    ("too_long_id", "d" * 257),
]
for _name, _tail in TRAVERSAL_ROUTE_404:
    add_reject("path_%s_patch" % _name, (lambda t: lambda: _path_patch(
        "/v1/collections/%s/documents/%s" % (T.SEED["col_articles"], t))())(_tail),
        404, "NotFoundError")
# the document id is what is left after one decoding: never found here
for _name, _tail, _id in [("encoded_slash", "doc_seed1%2Fx", "doc_seed1/x"),
                          ("encoded_slash_dotdot", "%2e%2e%2Fdoc_seed1", "../doc_seed1"),
                          ("double_encoded_dotdot", "%252e%252e", "%2e%2e"),
                          ("double_encoded_slash", "doc_seed1%252Fx", "doc_seed1%2Fx"),
                          ("encoded_backslash", "..%5Cdoc_seed1", "..\\doc_seed1"),
                          ("semicolon_param", "doc_seed1;x=1", "doc_seed1;x=1"),
                          ("plus_is_not_space", "doc+seed1", "doc+seed1"),
                          ("encoded_space", "doc%20seed1", "doc seed1"),
                          ("encoded_quote", "doc%22seed1", 'doc"seed1'),
                          ("unicode_id", "d%C3%B6c", "d\u00f6c"),
                          ("case_matters", "DOC_SEED1", "DOC_SEED1"),
                          ("max_len_id", "d" * 256, "d" * 256)]:
    add_reject("path_%s" % _name, (lambda t: lambda: _path_get(
        "/v1/collections/%s/documents/%s" % (T.SEED["col_articles"], t))())(_tail),
        404, "NotFoundError", details={"resource": "document", "id": _id})
# lighttpd itself refuses some encodings in the path before the app sees
# them (its url-normalize / url-ctrls-reject defaults): a decoded NUL or
# control byte, and bytes that cannot start UTF-8 (%ff, %c0). The app
# refuses them too (404, see tests/unit/test_http.c and the request fuzzer)
# for servers that pass them on.
for _name, _tail in [("encoded_nul", "doc_seed1%00"), ("invalid_utf8_ff", "doc%ff"),
                     ("overlong_utf8_dot", "%c0%ae%c0%ae"),
                     ("encoded_crlf", "doc%0d%0aSet-Cookie:x"), ("encoded_tab", "doc%09x")]:
    add_status("path_%s_lighttpd_400" % _name, (lambda t: lambda: _path_patch(
        "/v1/collections/%s/documents/%s" % (T.SEED["col_articles"], t))())(_tail), 400)

# traversal in the collection segment: the collection is never found
add_reject("path_col_traversal_encoded", _path_get(
    "/v1/collections/%2e%2e%2Fcol_x/documents/doc_seed1"), 404, "NotFoundError",
    details={"resource": "collection", "id": "../col_x"})
add_reject("path_literal_dotdot_raw", lambda: raw(raw_request(
    b"GET", b"/v1/collections/x/../../v1/collections/COL/documents/doc_seed1"
    .replace(b"COL", T.SEED["col_articles"].encode()), ctype=None, clen=False))[0],
    404, "NotFoundError")
add_reject("path_literal_dot_raw", lambda: raw(raw_request(
    b"GET", b"/v1/collections/./COL/documents/doc_seed1"
    .replace(b"COL", T.SEED["col_articles"].encode()), ctype=None, clen=False))[0],
    404, "NotFoundError")
add_reject("path_uppercase_v1", _path_get("/V1/collections/x/documents/doc_seed1"), 404,
           "NotFoundError")
add_reject("path_mount_prefix_escape", _path_get(
    "/api/../v1/collections/x/documents/doc_seed1", base=None), 404, "NotFoundError")


def _api_prefix_case(path):
    host, port, _ = base_hostport(T.API_BASE)
    return lambda: T.request("GET", path, [("Authorization", "Bearer " + T.SEED["key_write"]),
                                           ("X-Namespace", "production")],
                             base="http://%s:%d" % (host, port))


# the /api instance: the prefix must match exactly, raw
# lighttpd decodes %2e%2e and removes the dot segments for its own routing:
# the path is then /v1/..., outside the /api mount, so lighttpd serves its
# (empty) document root: 404 without reaching the app.
add_status("prefix_dotdot_out_of_mount",
           lambda: _api_prefix_case("/api/%2e%2e/v1/collections/x/documents/doc_seed1")(), 404)
add_reject("prefix_lookalike", lambda: _api_prefix_case("/api/../api/v1/collections/x/documents/d")(),
           404, "NotFoundError")
# a fragment in the request-target is not valid HTTP, but lighttpd passes
# it on; the app cuts the route at '#', so a fragment can never redirect the
# request to another document: doc_nope stays doc_nope.
add_app_raw("path_fragment_in_request_line_ignored",
            lambda: raw_request(b"PATCH", doc_target(doc="doc_nope").replace(b"doc_nope", b"doc_nope#/../" +
                                                                              TARGET.encode()),
                                body=b'{"metadata":{"fragment":1}}'),
            404, "NotFoundError")
# a raw space or control byte in the path is broken request syntax
add_server_reject("path_raw_ctrl_byte",
                  lambda: raw_request(b"GET", b"/v1/collections/c/documents/doc\x01x", ctype=None,
                              clen=False), 400)
# an overlong request line: lighttpd's header limit (8 KiB by default)
add_server_reject("path_request_line_64k",
                  lambda: raw_request(b"GET", b"/v1/collections/c/documents/" + b"d" * 65536, ctype=None,
                              clen=False), 431)

# ---- 8. duplicate JSON keys
#
# DECISION: duplicate member names are accepted and the LAST one wins, as in
# Python's json (FastAPI, which Mixpeek runs), JavaScript's JSON.parse and
# json-c. RFC 8259 says names SHOULD be unique and leaves the meaning to the
# implementation; rejecting them would break clients that concatenate
# objects. What matters is consistency: the same last-wins rule for every
# check (read-only fields, JSON Patch members) as for the values stored.

add_accept("dupkey_last_metadata_wins",
           lambda: patch('{"metadata":{"dup":"first"},"metadata":{"dup2":"second"}}'),
           lambda r: (T.eq(r.json()["metadata"].get("dup2"), "second", "last metadata"),
                      T.check("dup" not in r.json()["metadata"] or
                              r.json()["metadata"]["dup"] != "first", "first metadata ignored")))
add_accept("dupkey_inner_last_wins", lambda: patch('{"metadata":{"v":1,"v":2}}'),
           lambda r: T.eq(r.json()["metadata"]["v"], 2, "last inner value"))
# a read-only field named twice: the last value is what is checked
add_reject("dupkey_readonly_last_differs",
           lambda: patch('{"document_id":"%s","document_id":"doc_other"}' % TARGET), 422,
           loc=["body", "document_id"], vtype="value_error.read_only")
add_accept("dupkey_readonly_last_same",
           lambda: patch('{"document_id":"doc_other","document_id":"%s"}' % TARGET),
           lambda r: T.eq(r.json()["document_id"], TARGET, "document_id"))
# JSON Patch: {"op":"add",...,"op":"test"} is a test (last wins) -> 409
add_reject("dupkey_jsonpatch_op_last_is_test",
           lambda: jpatch('[{"op":"add","path":"/metadata/x","value":"nope","op":"test"}]'),
           409, "ConflictError")
add_reject("dupkey_jsonpatch_path_last_readonly",
           lambda: jpatch('[{"op":"replace","path":"/metadata","path":"/document_id",'
                          '"value":"doc_other"}]'),
           422, loc=["body", "document_id"], vtype="value_error.read_only")

# ---- 9. JSON Patch pointers that try to escape

def jp_reject(name, ops, status, loc=None, vtype="value_error.jsonpatch", etype=None):
    add_reject("jsonpatch_" + name, lambda: jpatch(ops), status, etype, loc=loc, vtype=vtype)


jp_reject("tilde2", [{"op": "add", "path": "/metadata/a~2b", "value": 1}], 422, ["body", 0])
jp_reject("tilde_at_end", [{"op": "add", "path": "/metadata/a~", "value": 1}], 422, ["body", 0])
jp_reject("tilde_in_from", [{"op": "copy", "from": "/metadata/~x", "path": "/metadata/y"}], 422,
          ["body", 0])
jp_reject("no_leading_slash", [{"op": "add", "path": "metadata/a", "value": 1}], 422, ["body", 0])
jp_reject("leading_zero_index", [{"op": "add", "path": "/document_blobs/00", "value": {}}], 422,
          ["body", 0])
jp_reject("leading_zero_index_01", [{"op": "replace", "path": "/metadata/tags/01", "value": 1}],
          422, ["body", 0])
jp_reject("negative_index", [{"op": "remove", "path": "/document_blobs/-1"}], 422, ["body", 0])
jp_reject("index_out_of_range", [{"op": "add", "path": "/document_blobs/99", "value": {}}], 422,
          ["body", 0])
jp_reject("index_2p64", [{"op": "remove", "path": "/document_blobs/18446744073709551616"}], 422,
          ["body", 0])
jp_reject("dash_replace", [{"op": "replace", "path": "/document_blobs/-", "value": {}}], 422,
          ["body", 0])
jp_reject("dash_remove", [{"op": "remove", "path": "/document_blobs/-"}], 422, ["body", 0])
jp_reject("dash_as_from", [{"op": "copy", "from": "/document_blobs/-", "path": "/metadata/x"}], 422,
          ["body", 0])
jp_reject("remove_missing", [{"op": "remove", "path": "/metadata/nope/deeper"}], 422, ["body", 0])
jp_reject("second_op_fails_first_not_applied",
          [{"op": "add", "path": "/metadata/first", "value": 1},
           {"op": "remove", "path": "/metadata/nope"}], 422, ["body", 1])
jp_reject("remove_root", [{"op": "remove", "path": ""}], 422, ["body", 0])
jp_reject("replace_root_array", [{"op": "replace", "path": "", "value": []}], 422, BODY,
          vtype="type_error.dict")
jp_reject("move_into_own_child", [{"op": "move", "from": "/metadata", "path": "/metadata/x"}],
          422, ["body", 0])
jp_reject("unknown_op", [{"op": "delete", "path": "/metadata/x"}], 422, ["body", 0])
jp_reject("op_number", [{"op": 1, "path": "/metadata/x"}], 422, ["body", 0])
jp_reject("path_number", [{"op": "remove", "path": 5}], 422, ["body", 0])
jp_reject("missing_value", [{"op": "add", "path": "/metadata/x"}], 422, ["body", 0])
jp_reject("missing_from", [{"op": "move", "path": "/metadata/x"}], 422, ["body", 0])
jp_reject("op_not_object", ["add"], 422, ["body", 0])
jp_reject("not_an_array", {"op": "add", "path": "/metadata/x", "value": 1}, 422, BODY)
jp_reject("nul_in_pointer", '[{"op":"add","path":"/metadata/a\\u0000","value":1}]', 422, BODY,
          vtype=JDEC)
# read-only fields reached through pointers
jp_reject("readonly_replace_document_id",
          [{"op": "replace", "path": "/document_id", "value": "doc_x"}], 422,
          ["body", "document_id"], vtype="value_error.read_only")
jp_reject("readonly_deep_lineage",
          [{"op": "replace", "path": "/lineage/root_object_id", "value": SQL}], 422,
          ["body", "lineage"], vtype="value_error.read_only")
jp_reject("readonly_vector_element", [{"op": "replace", "path": "/vector/0", "value": 9}], 422,
          ["body", "vector"], vtype="value_error.read_only")
jp_reject("readonly_remove_created_at", [{"op": "remove", "path": "/created_at"}], 422,
          ["body", "created_at"], vtype="value_error.read_only")
jp_reject("readonly_move_metadata_into_internal",
          [{"op": "move", "from": "/metadata", "path": "/internal_metadata/m"}], 422,
          ["body", "internal_metadata"], vtype="value_error.read_only")
jp_reject("remove_metadata", [{"op": "remove", "path": "/metadata"}], 422,
          ["body", "metadata"], vtype="type_error.dict")
jp_reject("copy_blobs_over_metadata",
          [{"op": "copy", "from": "/document_blobs", "path": "/metadata"}], 422,
          ["body", "metadata"], vtype="type_error.dict")
# failing tests: 409, nothing changes
jp_reject("test_escaped_pointer_mismatch",
          [{"op": "add", "path": "/metadata/x", "value": 1},
           {"op": "test", "path": "/metadata/a~1b", "value": 1}], 409, etype="ConflictError")
jp_reject("test_dash", [{"op": "test", "path": "/document_blobs/-", "value": None}], 409,
          etype="ConflictError")
jp_reject("test_int_vs_string", [{"op": "test", "path": "/metadata/title", "value": 1}], 409,
          etype="ConflictError")


def _pointer_ok():
    ops = [{"op": "add", "path": "/metadata/a~1b", "value": "slash"},
           {"op": "add", "path": "/metadata/m~0n", "value": "tilde"},
           {"op": "add", "path": "/metadata/~01", "value": "tilde-one"},
           {"op": "add", "path": "/metadata/..", "value": "dots"},
           {"op": "add", "path": "/metadata/", "value": "empty key"},
           {"op": "add", "path": "/metadata/%2e%2e", "value": "percent"},
           {"op": "add", "path": "/metadata/00", "value": "object key 00"},
           {"op": "test", "path": "/metadata/a~1b", "value": "slash"},
           {"op": "add", "path": "/document_blobs/-",
            "value": {"field": "new", "url": "https://x.example/a"}}]

    def check(r):
        m = r.json()["metadata"]
        for k, v in [("a/b", "slash"), ("m~n", "tilde"), ("~1", "tilde-one"), ("..", "dots"),
                     ("", "empty key"), ("%2e%2e", "percent"), ("00", "object key 00")]:
            T.eq(m.get(k), v, "metadata[%r]" % k)
        T.eq(r.json()["document_blobs"][-1]["field"], "new", "appended blob")
        T.eq(r.json()["document_blobs"][-1]["role"], "source", "blob default role")
        T.expect_ok(jpatch([{"op": "remove", "path": "/document_blobs/%d"
                             % (len(r.json()["document_blobs"]) - 1)}]))
    return (lambda: jpatch(ops)), check


add_accept("jsonpatch_escapes_resolve_inside_the_view", *_pointer_ok())
add_accept("jsonpatch_presigned_url_is_ignored",
           lambda: jpatch([{"op": "add", "path": "/presigned_url", "value": "https://evil/"}]),
           lambda r: T.check("presigned_url" not in r.json(), "presigned_url stays response-only"))

# ---- 10. conflicting Content-Length and other framing tricks (raw)

_B = b'{"metadata":{"framing":1}}'
# RFC 9112 6.3: differing Content-Length values must be rejected: lighttpd 400
add_server_reject("framing_two_content_lengths",
                  lambda: raw_request(body=_B, clen=False, headers=[(b"Content-Length", b"%d" % len(_B)),
                                                            (b"Content-Length", b"5")]), 400)
add_server_reject("framing_content_length_list",
                  lambda: raw_request(body=_B, clen=False,
                              headers=[(b"Content-Length", b"%d, 5" % len(_B))]), 400)
add_server_reject("framing_negative_content_length",
                  lambda: raw_request(body=_B, clen=False, headers=[(b"Content-Length", b"-1")]), 400)
add_server_reject("framing_plus_content_length",
                  lambda: raw_request(body=_B, clen=False, headers=[(b"Content-Length", b"+%d" % len(_B))]),
                  400)
add_server_reject("framing_alpha_content_length",
                  lambda: raw_request(body=_B, clen=False, headers=[(b"Content-Length", b"abc")]), 400)
# both Content-Length and Transfer-Encoding: request smuggling; lighttpd 400
add_server_reject("framing_cl_and_chunked",
                  lambda: raw_request(body=b"5\r\nhello\r\n0\r\n\r\n", clen=False,
                              headers=[(b"Content-Length", b"3"),
                                       (b"Transfer-Encoding", b"chunked")]), 400)
add_server_reject("framing_bad_chunk_size",
                  lambda: raw_request(body=b"zz\r\nhello\r\n0\r\n\r\n", clen=False,
                              headers=[(b"Transfer-Encoding", b"chunked")]), 400)
# unknown transfer coding: 501 Not Implemented (RFC 9112 6.1)
add_server_reject("framing_unknown_transfer_coding",
                  lambda: raw_request(body=_B, clen=False, headers=[(b"Transfer-Encoding", b"gzip")]), 501)


def _chunked_ok():
    body = b'{"metadata":{"chunked":"yes"}}'
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7])
                      for i in range(0, len(body), 7)) + b"0\r\n\r\n"

    def send():
        r, _ = raw(raw_request(body=chunks, clen=False,
                               headers=[(b"Transfer-Encoding", b"chunked")]))
        return r
    return send, lambda r: T.eq(r.json()["metadata"]["chunked"], "yes", "chunked body applied")


add_accept("framing_chunked_body_is_decoded", *_chunked_ok())


def _short_content_length():
    # Content-Length shorter than what follows: the body is cut there, so
    # the app sees invalid JSON (422); the leftover bytes are a second,
    # malformed request that lighttpd answers 400 itself.
    data = raw_request(body=_B, clen=False, headers=[(b"Content-Length", b"10")])
    with db_unchanged():
        r, rest = raw(data)
        expect_422_type(r, BODY, JDEC)


CASES.append(("framing_short_content_length_cuts_body", _short_content_length))


def _long_content_length():
    # Content-Length longer than the bytes sent, then the client half-closes:
    # the body is incomplete and must never be applied. lighttpd answers
    # 400 for the truncated request (or drops the connection without a
    # response); the app must not see a partial body.
    data = raw_request(body=_B, clen=False, headers=[(b"Content-Length", b"%d" % (len(_B) + 50))])
    with db_unchanged():
        try:
            r, _ = raw(data, half_close=True, timeout=10)
        except AssertionError as e:
            if "no complete HTTP response" in str(e):
                return  # connection closed without a response: nothing applied
            raise
        T.check(r.status in (400, 408), "incomplete body answered %d" % r.status)


CASES.append(("framing_long_content_length_never_applied", _long_content_length))


def _slow_body():
    # the body trickles in (headers, pause, rest): still one request
    data = raw_request(body=_B, clen=True)
    with db_unchanged(except_doc=TARGET):
        r, _ = raw(data, pause=(len(data) - 5, 1.0))
        T.eq(r.status, 200, "slow body status")


CASES.append(("framing_slow_body_is_one_request", _slow_body))

# ---- 11. headers: overlong, duplicated, malformed

add_reject("header_namespace_4k", lambda: get(ns="n" * 4096), 404, "NotFoundError",
           details={"resource": "namespace", "id": "n" * 4096})
add_reject("header_namespace_unicode", lambda: get(ns="pr\u00f6duction"), 404, "NotFoundError")


def _other_org_namespace():
    with db_unchanged():
        T.expect_error(get(ns=T.SEED["ns_b"]), 404, "NotFoundError",
                       {"resource": "namespace", "id": T.SEED["ns_b"]})
        # and its collection id / document id through our namespace: not found
        T.expect_error(T.api("GET", "doc_bee1", col=T.SEED["col_b"]), 404, "NotFoundError",
                       {"resource": "collection", "id": T.SEED["col_b"]})


CASES.append(("header_namespace_other_org_id", _other_org_namespace))
add_reject("header_namespace_twice", lambda: get(headers=[("X-Namespace", "staging")]), 400,
           "BadRequestError")
add_reject("header_namespace_comma_list", lambda: get(ns="production, staging"), 400,
           "BadRequestError")
add_reject("header_namespace_empty", lambda: get(ns=""), 400, "BadRequestError")
add_reject("header_bearer_4k", lambda: get(key="sk_live_" + "A" * 4096), 401, "UnauthorizedError")
add_reject("header_bearer_no_key", lambda: T.request("GET", T.doc_path(
    T.SEED["col_articles"], "doc_seed1"), [("Authorization", "Bearer"),
                                          ("X-Namespace", "production")]),
           401, "UnauthorizedError")
add_reject("header_basic_auth", lambda: T.request("GET", T.doc_path(
    T.SEED["col_articles"], "doc_seed1"), [("Authorization", "Basic YWRtaW46YWRtaW4="),
                                          ("X-Namespace", "production")]),
           401, "UnauthorizedError")
add_reject("header_bearer_key_with_nul_escape", lambda: get(key="sk_live_%00" + "A" * 40), 401,
           "UnauthorizedError")
add_reject("header_bearer_key_twice", lambda: T.request("GET", T.doc_path(
    T.SEED["col_articles"], TARGET), [("Authorization", "Bearer " + T.SEED["key_read"]),
                                     ("Authorization", "Bearer " + T.SEED["key_write"]),
                                     ("X-Namespace", "production")]),
           401, "UnauthorizedError")
add_reject("header_if_match_garbage_4k",
           lambda: patch('{"metadata":{"x":1}}', headers=[("If-Match", '"' + "9" * 4096 + '"')]),
           412, "PreconditionFailedError")
add_reject("header_if_match_weak_never_matches", lambda: patch(
    '{"metadata":{"x":1}}', headers=[("If-Match", 'W/"%d"' % T.version_of(get()))]),
    412, "PreconditionFailedError")
# RFC 9110 preconditions: a malformed or non-matching condition never lets a write through.
add_reject("header_if_match_star_junk", lambda: patch(
    '{"metadata":{"x":1}}', headers=[("If-Match", "*junk")]), 412, "PreconditionFailedError")
add_reject("header_if_match_tag_then_star", lambda: patch(
    '{"metadata":{"x":1}}', headers=[("If-Match", '"x", *')]), 412, "PreconditionFailedError")
add_reject("header_if_match_unterminated", lambda: patch(
    '{"metadata":{"x":1}}', headers=[("If-Match", '"%d' % T.version_of(get()))]),
    412, "PreconditionFailedError")
add_reject("header_if_none_match_star_on_patch", lambda: patch(
    '{"metadata":{"x":1}}', headers=[("If-None-Match", "*")]), 412, "PreconditionFailedError")
add_reject("header_if_none_match_current_on_json_patch", lambda: patch(
    '[{"op":"add","path":"/metadata/x","value":1}]', ctype="application/json-patch+json",
    headers=[("If-None-Match", '"%d"' % T.version_of(get()))]), 412, "PreconditionFailedError")
add_reject("header_if_match_on_delete_old", lambda: T.api(
    "DELETE", TARGET, headers=[("If-Match", '"%d"' % (T.version_of(get()) + 7))]),
    412, "PreconditionFailedError")
add_reject("header_if_none_match_star_on_delete", lambda: T.api(
    "DELETE", TARGET, headers=[("If-None-Match", "*")]), 412, "PreconditionFailedError")
add_reject("header_content_type_json_prefix", lambda: patch("{}", ctype="application/jsonp"), 415,
           "UnsupportedMediaTypeError")
add_reject("header_content_type_xml", lambda: patch("<a/>", ctype="application/xml"), 415,
           "UnsupportedMediaTypeError")
add_reject("header_content_type_form", lambda: patch("metadata=1",
                                                     ctype="application/x-www-form-urlencoded"),
           415, "UnsupportedMediaTypeError")
add_reject("header_no_content_type_with_body", lambda: patch("{}", ctype=None), 415,
           "UnsupportedMediaTypeError")
# content type is checked before the body size (contract order: 415 -> 413)
add_reject("header_bad_type_and_too_large", lambda: patch(_big_body(BODY_LIMIT + 10),
                                                          ctype="text/plain"),
           415, "UnsupportedMediaTypeError")
# a read key may not PATCH, whatever the body holds (403 before 422)
add_reject("header_read_key_malformed_body", lambda: patch(b"{", key=T.SEED["key_read"]), 403,
           "ForbiddenError")
# no key: 401 before anything about the body
add_reject("header_no_key_hostile_body", lambda: patch(b"\xff\x00{", key=None), 401,
           "UnauthorizedError")


def _request_id_cases():
    def run():
        with db_unchanged():
            ok = "a" * 64
            r = get(headers=[("X-Request-Id", ok)])
            T.eq(r.header("X-Request-Id"), ok, "64-char sane id echoed")
            for bad in ["a" * 65, "<script>alert(1)</script>", "id with spaces", "\u00e9",
                        "a;b", "a\tb", SQL]:
                r = get(headers=[("X-Request-Id", bad)])
                rid = r.header("X-Request-Id") or ""
                T.check(rid != bad and re.match(r"^[A-Za-z0-9._:-]{1,64}$", rid),
                        "X-Request-Id %r answered with %r" % (bad, rid))
    return run


CASES.append(("header_request_id_only_sane_ids_echoed", _request_id_cases()))
# lighttpd: header section over its limit (8 KiB default) -> 431
add_server_reject("header_section_64k",
                  lambda: raw_request(headers=[(b"X-Junk", b"j" * 65536)], body=_B), 431)
add_server_reject("header_namespace_64k",
                  lambda: raw_request(ns=False, headers=[(b"X-Namespace", b"n" * 65536)], body=_B), 431)
# bad header syntax: lighttpd 400 (never reaches the app)
add_server_reject("header_space_before_colon", lambda: raw_request(headers=[b"X-Namespace : staging"],
                                                           body=_B), 400)
# obs-fold: lighttpd unfolds the continuation line into the value (RFC
# 9112 5.2 allows replacing it by SP), so the namespace becomes
# "prod uction": not found. Folding cannot smuggle a second header in.
add_app_raw("header_obs_fold_stays_one_value",
            lambda: raw_request(ns=False, headers=[b"X-Namespace: prod", b" uction"], body=_B),
            404, "NotFoundError")
add_server_reject("header_nul_in_value", lambda: raw_request(headers=[b"X-Foo: a\x00b"], body=_B), 400)
add_server_reject("header_bare_cr_in_value", lambda: raw_request(headers=[b"X-Foo: a\rb"], body=_B), 400)
add_server_reject("header_no_colon", lambda: raw_request(headers=[b"NoColonHere"], body=_B), 400)
add_server_reject("header_ctrl_in_name", lambda: raw_request(headers=[b"X-F\x01oo: a"], body=_B), 400)
add_server_reject("request_no_host_http11", lambda: raw_request(body=_B).replace(
    b"Host: ", b"X-Not-Host: "), 400)
add_server_reject("request_bad_version", lambda: raw_request(body=_B, version=b"HTTP/9.9"), 505)
add_server_reject("request_lowercase_method", lambda: raw_request(b"patch", body=_B), 501)
add_server_reject("request_garbage_line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 64,
                  400)
# X_Namespace (underscore) is folded by lighttpd into HTTP_X_NAMESPACE, so
# with X-Namespace it counts as sent twice: 400 (never the wrong tenant).
add_app_raw("header_underscore_namespace_counts_twice",
            lambda: raw_request(b"GET", ctype=None, clen=False, headers=[b"X_Namespace: staging"]),
            400, "BadRequestError")

# ---- 12. methods and query strings

add_reject("delete_with_read_key_403", lambda: T.api("DELETE", TARGET, key=T.SEED["key_read"]), 403, "ForbiddenError")
add_reject("method_post_override_off_405", lambda: T.api(
    "POST", TARGET, body=b'{"metadata":{"x":1}}', headers=[("X-HTTP-Method-Override", "PATCH")]),
    405, "MethodNotAllowedError")
# PUT replaces the writable view: refused bodies change nothing
add_reject("put_with_read_key_403", lambda: T.api(
    "PUT", TARGET, body=b'{"metadata":{}}', ctype="application/json", key=T.SEED["key_read"]),
    403, "ForbiddenError")
add_reject("put_merge_patch_type_415", lambda: T.api(
    "PUT", TARGET, body=b'{"metadata":{}}', ctype="application/merge-patch+json"),
    415, "UnsupportedMediaTypeError")
add_reject("put_changes_read_only_422", lambda: T.api(
    "PUT", TARGET, body=b'{"metadata":{},"collection_id":"col_other"}', ctype="application/json"),
    422, loc=["body", "collection_id"], vtype="value_error.read_only")
add_reject("put_metadata_not_object_422", lambda: T.api(
    "PUT", TARGET, body=b'{"metadata":"x"}', ctype="application/json"), 422, loc=["body", "metadata"],
    vtype="type_error.dict")
add_reject("put_array_body_422", lambda: T.api(
    "PUT", TARGET, body=b'[{"metadata":{}}]', ctype="application/json"), 422)
add_reject("method_options_405", lambda: T.api("OPTIONS", TARGET), 405, "MethodNotAllowedError")
# methods lighttpd does not know: 501 from lighttpd itself
add_status("method_unknown_purge_lighttpd_501", lambda: T.api("PURGE", TARGET), 501)
# TRACE would echo the request (cross-site tracing): the app answers 405
add_app_raw("method_trace_405", lambda: raw_request(b"TRACE", ctype=None, clen=False), 405,
            "MethodNotAllowedError")

for _name, _q, _param in [("bool_sql", "return_vectors=" + _seg(SQL), "return_vectors"),
                          ("bool_empty", "return_vectors=", "return_vectors"),
                          ("bool_flag_only", "return_vectors", "return_vectors"),
                          ("bool_plus_space", "return_vectors=+true", "return_vectors"),
                          ("bool_long", "return_vectors=" + "1" * 5000, "return_vectors"),
                          ("bool_last_wins_bad", "return_vectors=1&return_vectors=maybe",
                           "return_vectors"),
                          ("bool_alias_bad", "return_presigned_urls=yes", "return_presigned_urls"),
                          ("bool_bad_escape", "return_url=%zz", "return_url")]:
    add_reject("query_" + _name, (lambda q: lambda: get(query=q))(_q), 422,
               loc=["query", _param], vtype="type_error.bool")
    add_reject("query_patch_" + _name,
               (lambda q: lambda: patch('{"metadata":{"q":1}}', query=q))(_q), 422,
               loc=["query", _param], vtype="type_error.bool")


# %00 and %ff in the query: lighttpd answers 400 itself (the app would say
# 422 for them, see http_query_param and the request fuzzer)
for _name, _q in [("bool_nul", "return_vectors=%00"), ("bool_ff", "return_vectors=%ff")]:
    add_status("query_%s_lighttpd_400" % _name, (lambda q: lambda: get(query=q))(_q), 400)
    add_status("query_patch_%s_lighttpd_400" % _name,
               (lambda q: lambda: patch('{"metadata":{"q":1}}', query=q))(_q), 400)


def _query_ok(q, want_vector):
    def run():
        with db_unchanged():
            d = T.expect_ok(get(query=q))
            T.eq("vector" in d, want_vector, "vector present for %r" % q)
    return run


for _name, _q, _want in [("encoded_true", "return_vectors=%74rue", True),
                         ("mixed_case", "return_vectors=TrUe", True),
                         ("last_wins_good", "return_vectors=maybe&return_vectors=1", True),
                         ("array_syntax_ignored", "return_vectors[]=1", False),
                         ("unknown_param_ignored", "x=%27%3B--&" + _seg(SQL) + "=1", False),
                         ("fragment_like", "return_vectors=0%23x", None)]:
    if _want is None:
        add_reject("query_" + _name, (lambda q: lambda: get(query=q))(_q), 422,
                   loc=["query", "return_vectors"], vtype="type_error.bool")
    else:
        CASES.append(("query_" + _name, _query_ok(_q, _want)))


# ---- 13. order of checks under combined hostility (contract section 4)

add_reject("order_unknown_route_beats_everything",
           lambda: T.request("PATCH", "/v1/collections/%27/documnts/x",
                             [("Content-Type", "text/plain")], b"\xff"), 404, "NotFoundError")
add_reject("order_bad_key_beats_bad_namespace_and_body",
           lambda: patch(b"\xff", key="sk_live_" + "Z" * 40, ns=SQL), 401, "UnauthorizedError")
add_reject("order_namespace_beats_media_type",
           lambda: patch(b"x", ns=SQL, ctype="text/plain"), 404, "NotFoundError")
add_reject("order_media_type_beats_size",
           lambda: patch(_big_body(BODY_LIMIT * 2), ctype="application/xml"), 415,
           "UnsupportedMediaTypeError")
add_reject("order_size_beats_syntax",
           lambda: patch(b"\xff" * (BODY_LIMIT + 1)), 413, "PayloadTooLargeError")
add_reject("order_syntax_beats_missing_collection",
           lambda: T.api("PATCH", "doc_seed1", col=_seg(SQL), body=b"{"), 422)
add_reject("order_syntax_beats_missing_document",
           lambda: T.api("PATCH", _seg(SQL), body=b'{"metadata":[]}'), 422)
add_reject("order_precondition_beats_readonly",
           lambda: patch('{"document_id":"doc_x"}', headers=[("If-Match", '"0"')]), 412,
           "PreconditionFailedError")


# ---- 14. create: POST /v1/collections/{c}/documents (contract section 8)
#
# Every refused create writes nothing: no document, no tombstone removed,
# no Idempotency-Key remembered (db_sum covers every public table, the
# tables of sql/003_lifecycle.sql included; the change feed's sequence is
# not a table: a refused create may leave a gap in it, which the feed
# allows). Bodies are built when the case runs (C: the articles
# collection's col_ id).

def create(body, col=None, key=T.DEFAULT, ns=T.DEFAULT, ctype="application/json", headers=(),
           query=""):
    """POST of a create body (a JSON value, or bytes/str sent as they are)."""
    h = []
    key = T.SEED["key_write"] if key is T.DEFAULT else key
    ns = "production" if ns is T.DEFAULT else ns
    if key is not None:
        h.append(("Authorization", "Bearer " + key))
    if ns is not None:
        h.append(("X-Namespace", ns))
    if ctype is not None:
        h.append(("Content-Type", ctype))
    h.extend(headers)
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    path = "/v1/collections/%s/documents" % (col or T.SEED["col_articles"])
    return T.request("POST", path + ("?" + query if query else ""), h, body)


def cbody(**extra):
    """A valid create body for the articles collection, plus extra."""
    b = {"collection_id": T.SEED["col_articles"], "metadata": {"title": "hostile create"}}
    b.update(extra)
    return b


def feature(fe, vectors=None, payload=None):
    f = {"feature_extractor_id": fe}
    if vectors is not None:
        f["vectors"] = vectors
    if payload is not None:
        f["payload"] = payload
    return f


def add_create_reject(name, make, status, etype=None, loc=None, vtype=None, details=None, **kw):
    """make(): the body (called when the case runs); kw: create()'s."""
    add_reject("create_" + name, lambda: create(make(), **kw), status, etype, loc=loc,
               vtype=vtype, details=details)


def _feat_loc(i):
    return ["body", "features", i, "vectors"]


# not an object (JSON null is no body at all, as on every route)
add_create_reject("body_array", lambda: [], 422, loc=BODY, vtype="type_error.dict")
add_create_reject("body_array_of_body", lambda: [cbody()], 422, loc=BODY, vtype="type_error.dict")
add_create_reject("body_string", lambda: '"x"', 422, loc=BODY, vtype="type_error.dict")
add_create_reject("body_number", lambda: 1, 422, loc=BODY, vtype="type_error.dict")
add_create_reject("body_null", lambda: None, 422, loc=BODY, vtype="type_error.none.not_allowed")
add_create_reject("body_empty", lambda: b"", 422, loc=BODY, vtype="value_error.missing")
add_create_reject("body_malformed", lambda: b'{"collection_id":', 422, loc=BODY, vtype=JDEC)

# collection_id: required, the path's collection
add_create_reject("collection_id_missing", lambda: {"metadata": {}}, 422,
                  loc=["body", "collection_id"], vtype="value_error.missing")
add_create_reject("collection_id_number", lambda: cbody(collection_id=7), 422,
                  loc=["body", "collection_id"], vtype="type_error.str")
add_create_reject("collection_id_null", lambda: cbody(collection_id=None), 422,
                  loc=["body", "collection_id"], vtype="type_error.str")
for _name, _cid in [("other_namespace", lambda: T.SEED["col_staging"]),
                    ("other_organization", lambda: T.SEED["col_b"]),
                    ("unknown", lambda: "col_nope"),
                    ("sql", lambda: SQL),
                    ("case_differs", lambda: T.SEED["col_articles"].upper()),
                    ("name_with_space", lambda: "articles ")]:
    add_create_reject("collection_id_" + _name,
                      (lambda f: lambda: cbody(collection_id=f()))(_cid), 422,
                      loc=["body", "collection_id"], vtype="value_error.collection_id")

# document_id: ^doc_[A-Za-z0-9_]{1,100}$
for _name, _id in [("101_chars", "doc_" + "a" * 101), ("x", "x"), ("dash", "doc_a-b"),
                   ("prefix_only", "doc_"), ("uppercase_prefix", "DOC_a"),
                   ("space", "doc_a b"), ("sql", "doc_" + SQL), ("slash", "doc_a/b"),
                   ("unicode", "doc_\u00e9"), ("number", 5), ("null", None),
                   ("4k", "doc_" + "a" * 4096)]:
    add_create_reject("document_id_" + _name, (lambda d: lambda: cbody(document_id=d))(_id),
                      422, loc=["body", "document_id"], vtype="value_error.str.regex")
# an id that exists: 409, and the existing document stays as it was
add_create_reject("document_id_exists_409", lambda: cbody(document_id="doc_seed1"), 409,
                  "ConflictError", details={"resource": "document", "id": "doc_seed1"})

# fields the server sets: 422 naming each
for _field, _val in [("vector", [0.1, 0.2]), ("lineage", {"root_object_id": "obj_x"}),
                     ("created_at", "2025-10-18T10:30:00Z"), ("updated_at", SQL)]:
    add_create_reject("read_only_" + _field, (lambda f, v: lambda: cbody(**{f: v}))(_field, _val),
                      422, loc=["body", _field], vtype="value_error.read_only")


def _all_read_only():
    r = create(cbody(vector=[1], lineage={}, created_at="x", updated_at="y"))
    detail = T.expect_422(r, ["body", "vector"], ["body", "lineage"], ["body", "created_at"],
                          ["body", "updated_at"])
    T.eq(len(detail), 4, "one problem per read-only field: %r" % detail)


def _run_all_read_only():
    with db_unchanged():
        _all_read_only()


CASES.append(("create_read_only_all_four_listed", _run_all_read_only))

# vectors: Mixpeek's four shapes, checked
VBAD = "value_error.vector"
VSPARSE = "value_error.sparse_vector"
VNAME = "value_error.vector_name"
for _name, _feats, _i, _vt in [
        ("empty_array", [feature("fe", {"e": []})], 0, VBAD),
        ("mixed_types", [feature("fe", {"e": [0.1, "0.2"]})], 0, VBAD),
        ("mixed_bool", [feature("fe", {"e": [0.1, True]})], 0, VBAD),
        ("null_element", [feature("fe", {"e": [None]})], 0, VBAD),
        ("string_elements", [feature("fe", {"e": ["a", "b"]})], 0, VBAD),
        ("object_element", [feature("fe", {"e": [{"x": 1}]})], 0, VBAD),
        ("scalar", [feature("fe", {"e": 0.5})], 0, VBAD),
        ("ragged_multi_dense", [feature("fe", {"m": [[0.1, 0.2], [0.3]]})], 0, VBAD),
        ("multi_dense_empty_row", [feature("fe", {"m": [[], []]})], 0, VBAD),
        ("multi_dense_mixed_rows", [feature("fe", {"m": [[0.1], 0.2]})], 0, VBAD),
        ("multi_dense_row_of_strings", [feature("fe", {"m": [[0.1], ["x"]]})], 0, VBAD),
        ("three_levels", [feature("fe", {"m": [[[0.1]]]})], 0, VBAD),
        ("sparse_duplicate_indices", [feature("fe", {"indices": [3, 3], "values": [0.1, 0.2]})],
         0, VSPARSE),
        ("sparse_negative_index", [feature("fe", {"indices": [-1], "values": [0.1]})], 0, VSPARSE),
        ("sparse_fraction_index", [feature("fe", {"indices": [1.5], "values": [0.1]})], 0, VSPARSE),
        ("sparse_string_index", [feature("fe", {"indices": ["1"], "values": [0.1]})], 0, VSPARSE),
        ("sparse_lengths_differ", [feature("fe", {"indices": [0, 1], "values": [0.1]})], 0,
         VSPARSE),
        ("sparse_empty", [feature("fe", {"indices": [], "values": []})], 0, VSPARSE),
        ("sparse_string_value", [feature("fe", {"indices": [0], "values": ["x"]})], 0, VSPARSE),
        ("name_with_dash", [feature("fe", {"a-b": [0.1]})], 0, VNAME),
        ("name_with_space", [feature("fe", {"a b": [0.1]})], 0, VNAME),
        ("name_sql", [feature("fe", {SQL: [0.1]})], 0, VNAME),
        ("name_empty", [feature("fe", {"": [0.1]})], 0, VNAME),
        ("name_129_chars", [feature("fe", {"v" * 129: [0.1]})], 0, VNAME),
        ("name_unicode", [feature("fe", {"v\u00e9": [0.1]})], 0, VNAME),
        ("name_is_metadata", [feature("fe", {"metadata": [0.1]})], 0, VNAME),
        ("name_is_vector", [feature("fe", {"vector": [0.1]})], 0, VNAME),
        ("name_is_document_id", [feature("fe", {"document_id": [0.1]})], 0, VNAME),
        ("name_is_response_only_vectors", [feature("fe", {"_vectors": [0.1]})], 0, VNAME),
        ("name_is_presigned_url", [feature("fe", {"presigned_url": [0.1]})], 0, VNAME),
        # a sparse vector is named after its feature extractor
        ("sparse_name_bad", [feature("fe-x", {"indices": [0], "values": [0.1]})], 0, VNAME),
        ("sparse_name_is_field", [feature("created_at", {"indices": [0], "values": [0.1]})], 0,
         VNAME),
        ("name_twice_in_two_features", [feature("fe1", {"e": [0.1]}),
                                        feature("fe2", {"e": [0.2]})], 1, VNAME),
        ("name_twice_dense_and_multi", [feature("fe1", {"e": [0.1]}),
                                        feature("fe2", {"e": [[0.2]]})], 1, VNAME),
        ("sparse_name_twice", [feature("fe1", {"indices": [0], "values": [0.1]}),
                               feature("fe1", {"indices": [1], "values": [0.2]})], 1, VNAME),
        ("sparse_name_is_a_dense_name", [feature("fe1", {"fe2": [0.1]}),
                                         feature("fe2", {"indices": [1], "values": [0.2]})], 1,
         VNAME)]:
    add_create_reject("vector_" + _name, (lambda f: lambda: cbody(features=f))(_feats), 422,
                      loc=_feat_loc(_i), vtype=_vt)
add_create_reject("vectors_not_object",
                  lambda: cbody(features=[feature("fe", [0.1, 0.2])]), 422,
                  loc=_feat_loc(0), vtype="type_error.dict")
add_create_reject("features_not_array", lambda: cbody(features={"fe": 1}), 422,
                  loc=["body", "features"], vtype="type_error.list")
add_create_reject("feature_not_object", lambda: cbody(features=["fe"]), 422,
                  loc=["body", "features", 0], vtype="type_error.dict")
add_create_reject("feature_without_extractor", lambda: cbody(features=[{"vectors": {"e": [1]}}]),
                  422, loc=["body", "features", 0, "feature_extractor_id"],
                  vtype="value_error.missing")
# numbers a vector cannot hold: JSON has no NaN/Infinity, 1e400 is no double
for _name, _text in [("nan", "NaN"), ("infinity", "Infinity"), ("1e400", "1e400")]:
    add_create_reject("vector_number_" + _name, (lambda t: lambda: (
        '{"collection_id":"%s","features":[{"feature_extractor_id":"fe",'
        '"vectors":{"e":[0.1,%s]}}]}' % (T.SEED["col_articles"], t)))(_text), 422, loc=BODY,
        vtype="value_error.number")

# payload keys become flat fields: a key set twice is refused
add_create_reject("payload_key_in_two_features", lambda: cbody(features=[
    feature("fe1", payload={"label": "a"}), feature("fe2", payload={"label": "b"})]), 422,
    loc=["body", "features", 1, "payload"], vtype="value_error.duplicate")
add_create_reject("payload_key_also_top_level", lambda: cbody(label="top", features=[
    feature("fe1", payload={"label": "a"})]), 422,
    loc=["body", "features", 0, "payload"], vtype="value_error.duplicate")
add_create_reject("payload_key_is_metadata", lambda: cbody(features=[
    feature("fe1", payload={"metadata": {"a": 1}})]), 422,
    loc=["body", "features", 0, "payload"], vtype="value_error.reserved")
add_create_reject("payload_key_is_collection_id", lambda: cbody(features=[
    feature("fe1", payload={"collection_id": "col_x"})]), 422,
    loc=["body", "features", 0, "payload"], vtype="value_error.reserved")
add_create_reject("payload_not_object", lambda: cbody(features=[feature("fe1", payload=[1])]),
                  422, loc=["body", "features", 0, "payload"], vtype="type_error.dict")

# lineage_chain steps: {collection_id*, feature_extractor_id*, document_id?, timestamp?}
_STEP = {"collection_id": "col_a", "feature_extractor_id": "fe_a",
         "timestamp": "2025-10-18T10:30:00Z"}
for _name, _step, _field, _vt in [
        ("no_feature_extractor_id", {"collection_id": "col_a"}, "feature_extractor_id",
         "value_error.missing"),
        ("no_collection_id", {"feature_extractor_id": "fe_a"}, "collection_id",
         "value_error.missing"),
        ("feature_extractor_id_number", dict(_STEP, feature_extractor_id=1),
         "feature_extractor_id", "value_error.missing"),
        ("document_id_number", dict(_STEP, document_id=1), "document_id", "type_error.str"),
        ("timestamp_words", dict(_STEP, timestamp="yesterday"), "timestamp",
         "value_error.datetime"),
        ("timestamp_no_zone", dict(_STEP, timestamp="2025-10-18T10:30:00"), "timestamp",
         "value_error.datetime"),
        ("timestamp_date_only", dict(_STEP, timestamp="2025-10-18"), "timestamp",
         "value_error.datetime"),
        ("timestamp_epoch_number", dict(_STEP, timestamp=1760783400), "timestamp",
         "value_error.datetime"),
        ("timestamp_sql", dict(_STEP, timestamp=SQL), "timestamp", "value_error.datetime"),
        ("timestamp_trailing_junk", dict(_STEP, timestamp="2025-10-18T10:30:00Z'--"),
         "timestamp", "value_error.datetime"),
        ("timestamp_month_13", dict(_STEP, timestamp="2025-13-18T10:30:00Z"), "timestamp",
         "value_error.datetime"),
        ("timestamp_hour_25", dict(_STEP, timestamp="2025-10-18T25:30:00Z"), "timestamp",
         "value_error.datetime"),
        ("timestamp_feb_30", dict(_STEP, timestamp="2025-02-30T10:30:00Z"), "timestamp",
         "value_error.datetime"),
        ("timestamp_offset_99", dict(_STEP, timestamp="2025-10-18T10:30:00+99:00"), "timestamp",
         "value_error.datetime"),
        ("timestamp_feb_29_not_leap", dict(_STEP, timestamp="2023-02-29T10:30:00Z"), "timestamp",
         "value_error.datetime"),
        ("timestamp_second_61", dict(_STEP, timestamp="2025-10-18T10:30:61Z"), "timestamp",
         "value_error.datetime"),
        ("timestamp_day_00", dict(_STEP, timestamp="2025-10-00T10:30:00Z"), "timestamp",
         "value_error.datetime")]:
    add_create_reject("lineage_step_" + _name,
                      (lambda s: lambda: cbody(lineage_chain=[_STEP, s]))(_step), 422,
                      loc=["body", "lineage_chain", 1, _field], vtype=_vt)
add_create_reject("lineage_chain_not_array", lambda: cbody(lineage_chain={"a": 1}), 422,
                  loc=["body", "lineage_chain"], vtype="type_error.list")
add_create_reject("lineage_step_not_object", lambda: cbody(lineage_chain=["step"]), 422,
                  loc=["body", "lineage_chain", 0], vtype="type_error.dict")

# the other typed members
for _name, _extra, _loc, _vt in [
        ("schema_version_v3", {"document_schema_version": "v3"}, "document_schema_version",
         "type_error.enum"),
        ("schema_version_upper", {"document_schema_version": "V2"}, "document_schema_version",
         "type_error.enum"),
        ("schema_version_number", {"document_schema_version": 2}, "document_schema_version",
         "type_error.enum"),
        ("source_type_s3", {"source_type": "s3"}, "source_type", "type_error.enum"),
        ("root_object_id_number", {"root_object_id": 1}, "root_object_id", "type_error.str"),
        ("lineage_path_object", {"lineage_path": {}}, "lineage_path", "type_error.str"),
        ("metadata_array", {"metadata": []}, "metadata", "type_error.dict"),
        ("metadata_null", {"metadata": None}, "metadata", "type_error.dict"),
        ("internal_metadata_string", {"internal_metadata": "x"}, "internal_metadata",
         "type_error.dict"),
        ("source_blobs_of_strings", {"source_blobs": ["b"]}, "source_blobs", "type_error.list"),
        ("document_blobs_object", {"document_blobs": {}}, "document_blobs", "type_error.list")]:
    add_create_reject("field_" + _name, (lambda e: lambda: cbody(**e))(_extra), 422,
                      loc=["body", _loc], vtype=_vt)

def _blob_url_case():
    with db_unchanged():
        T.expect_422(create(cbody(document_blobs=[{"field": "f", "url": "javascript:alert(1)"}])),
                     ["body", "document_blobs", 0, "url"])


CASES.append(("create_field_blob_url_javascript", _blob_url_case))

# Idempotency-Key: 1..255 visible ASCII characters
IDEM = ["header", "Idempotency-Key"]
for _name, _k in [("256_chars", "k" * 256), ("inner_space", "a b"), ("non_ascii", "k\u00e9y"),
                  ("tab", "a\tb"), ("4k", "k" * 4096)]:
    add_create_reject("idempotency_key_" + _name, lambda: cbody(), 422, loc=IDEM,
                      vtype="value_error.idempotency_key",
                      headers=[("Idempotency-Key", _k)])


def _idem_blank():
    # lighttpd drops a header whose value is blank, so the app never sees
    # the key: a create without one (200), nothing remembered. (The app
    # itself refuses an empty value: doc_create_idempotency_key_ok.)
    doc_id = T.fresh_id()
    before = T.psql("SELECT count(*) FROM idempotency_keys")
    with db_unchanged(except_doc=doc_id):
        T.expect_ok(create(cbody(document_id=doc_id), headers=[("Idempotency-Key", " ")]))
    T.eq(T.psql("SELECT count(*) FROM idempotency_keys"), before, "no key remembered")


CASES.append(("create_idempotency_key_blank_is_dropped_by_lighttpd", _idem_blank))
# a DEL byte in a header value: lighttpd refuses the request itself (400)
add_status("create_idempotency_key_del_byte_lighttpd_400",
           lambda: create(cbody(), headers=[("Idempotency-Key", "a\x7fb")]), 400)
# the key's problem and the body's are listed together
add_reject("create_idempotency_key_and_body_both_listed",
           lambda: create(cbody(vector=[1]), headers=[("Idempotency-Key", "a b")]), 422,
           loc=IDEM, vtype="value_error.idempotency_key")

# media type, size, conditions, role, collection
add_create_reject("content_type_text_plain", lambda: json.dumps(cbody()), 415,
                  "UnsupportedMediaTypeError", ctype="text/plain")
add_create_reject("content_type_merge_patch", lambda: json.dumps(cbody()), 415,
                  "UnsupportedMediaTypeError", ctype="application/merge-patch+json")
add_create_reject("content_type_json_patch", lambda: "[]", 415,
                  "UnsupportedMediaTypeError", ctype="application/json-patch+json")
add_create_reject("content_type_missing", lambda: json.dumps(cbody()), 415,
                  "UnsupportedMediaTypeError", ctype=None)


def _big_create(n):
    head = ('{"collection_id":"%s","metadata":{"big":"' % T.SEED["col_articles"]).encode()
    tail = b'"}}'
    return head + b"x" * (n - len(head) - len(tail)) + tail


add_create_reject("size_limit_plus_one", lambda: _big_create(BODY_LIMIT + 1), 413,
                  "PayloadTooLargeError")
add_create_reject("if_match_version", lambda: cbody(), 412, "PreconditionFailedError",
                  headers=[("If-Match", '"1"')])
add_create_reject("if_match_star", lambda: cbody(), 412, "PreconditionFailedError",
                  headers=[("If-Match", "*")])
add_create_reject("if_match_existing_id", lambda: cbody(document_id="doc_seed1"), 412,
                  "PreconditionFailedError", headers=[("If-Match", "*")])
add_reject("create_read_key_403", lambda: create(cbody(), key=T.SEED["key_read"]), 403,
           "ForbiddenError")
add_reject("create_key_limited_to_staging_403", lambda: create(cbody(), key=T.SEED["key_staging"]),
           403, "ForbiddenError")
add_reject("create_other_org_key_namespace_404", lambda: create(cbody(), key=T.SEED["key_b"]),
           404, "NotFoundError", details={"resource": "namespace", "id": "production"})
add_reject("create_no_key_401", lambda: create(cbody(), key=None), 401, "UnauthorizedError")
add_reject("create_no_namespace_400", lambda: create(cbody(), ns=None), 400, "BadRequestError")
add_reject("create_unknown_collection_404",
           lambda: create(cbody(collection_id="col_nope"), col="col_nope"), 404,
           "NotFoundError", details={"resource": "collection", "id": "col_nope"})
add_reject("create_other_org_collection_404",
           lambda: create(cbody(collection_id=T.SEED["col_b"]), col=T.SEED["col_b"]), 404,
           "NotFoundError", details={"resource": "collection"})
add_reject("create_sql_collection_404",
           lambda: create(cbody(collection_id=SQL), col=_seg(SQL)), 404,
           "NotFoundError", details={"resource": "collection", "id": SQL})

# order of checks (contract section 4 / 6): auth -> namespace -> role ->
# media type -> size -> syntax (422) -> collection (404) -> preconditions (412)
add_reject("create_order_no_key_beats_bad_body",
           lambda: create(b"\xff{", key=None, ctype="text/plain"), 401, "UnauthorizedError")
add_reject("create_order_read_key_beats_bad_body",
           lambda: create(b"{", key=T.SEED["key_read"]), 403, "ForbiddenError")
add_reject("create_order_media_type_beats_size",
           lambda: create(_big_create(BODY_LIMIT + 10), ctype="text/plain"), 415,
           "UnsupportedMediaTypeError")
add_reject("create_order_size_beats_syntax",
           lambda: create(b"\xff" * (BODY_LIMIT + 1)), 413, "PayloadTooLargeError")
add_reject("create_order_syntax_beats_unknown_collection",
           lambda: create({"metadata": []}, col="col_nope"), 422,
           loc=["body", "collection_id"], vtype="value_error.missing")
add_reject("create_order_syntax_beats_if_match",
           lambda: create(cbody(vector=[1]), headers=[("If-Match", "*")]), 422,
           loc=["body", "vector"], vtype="value_error.read_only")
add_reject("create_order_unknown_collection_beats_if_match",
           lambda: create(cbody(collection_id="col_nope"), col="col_nope",
                          headers=[("If-Match", "*")]), 404, "NotFoundError",
           details={"resource": "collection", "id": "col_nope"})
add_reject("create_order_bad_idempotency_key_beats_unknown_collection",
           lambda: create(cbody(collection_id="col_nope"), col="col_nope",
                          headers=[("Idempotency-Key", "a b")]), 422, loc=IDEM,
           vtype="value_error.idempotency_key")


# hostile strings that are valid: the document is created (200) and holds
# exactly what was sent; the ones JSON text cannot carry into PostgreSQL
# (\u0000, lone surrogates) are 422 and nothing is written.

# members of a create body that are not flat user fields (section 8)
_CREATE_MEMBERS = ("collection_id", "document_id", "document_schema_version", "root_object_id",
                   "root_bucket_id", "source_type", "source_object_id", "source_collection_id",
                   "source_document_id", "lineage_path", "lineage_chain", "metadata", "features",
                   "document_blobs", "source_blobs", "internal_metadata")


def add_create_accept(name, make_extra, check=None):
    """A create that must succeed: a fresh document_id, 200, nothing but
    that document written, and metadata and flat fields read back (GET and
    the row) exactly as sent."""
    def run():
        doc_id = T.fresh_id()
        extra = make_extra()
        body = cbody(document_id=doc_id, **extra)
        with db_unchanged(except_doc=doc_id):
            r = create(body)
            d = T.expect_ok(r)
            T.eq(d.get("document_id"), doc_id, "created id")
            got, _ = T.get_doc(doc_id)
            T.eq(got["metadata"], body["metadata"], "metadata read back")
            row = json.loads(T.db_row(doc_id))
            T.eq(row["metadata"], body["metadata"], "metadata as stored")
            flat = {k: v for k, v in extra.items() if k not in _CREATE_MEMBERS}
            for f in extra.get("features", []):
                flat.update(f.get("payload", {}))
            for k, v in flat.items():
                T.eq(got.get(k), v, "flat field %r read back" % k)
            T.eq(row["fields"], flat, "flat fields as stored")
            if check:
                check(d, got, row)
            T.check(T.psql("SELECT count(*) FROM documents") != "0", "documents still there")
    CASES.append(("create_" + name, run))


_UNI = "\u00e9\u65e5\U0001F600\u202e\u200b\ufeff"
add_create_accept("sql_in_metadata_keys_and_values",
                  lambda: {"metadata": {SQL: SQL, "k": "\\\"'`;--", "\\": "%27", "$1": "E'\\x27'"}})
add_create_accept("sql_variants_in_metadata_values",
                  lambda: {"metadata": {"v%d" % i: s for i, s in enumerate(SQL_VARIANTS)}})
add_create_accept("sql_as_flat_field_name",
                  lambda: {"metadata": {}, SQL: SQL, "'); TRUNCATE documents CASCADE; --": 1})
add_create_accept("unicode_in_metadata_and_flat_fields",
                  lambda: {"metadata": {"u": _UNI, "k\u00e9y" + _UNI: _UNI}, "f\u00e9" + _UNI: _UNI})
add_create_accept("odd_flat_field_names",
                  lambda: {"metadata": {}, "": "empty name", "a.b": 1, "$where": "1", "__proto__": {},
                           "a/b": [1], "%2e%2e": None, "k" * 10000: "long name"})
add_create_accept("sql_in_payload_and_vector_names_ok",
                  lambda: {"metadata": {"m": SQL}, "features": [
                      feature("fe_text", {"embedding": [0.1, 0.2]}, payload={SQL: "p"})]},
                  lambda d, got, row: T.eq(got.get(SQL), "p", "payload key as a flat field"))
add_create_accept("sql_in_lineage_strings_stored_as_given",
                  lambda: {"metadata": {}, "root_object_id": SQL, "lineage_path": SQL + "/x",
                           "lineage_chain": [dict(_STEP, document_id=SQL)]},
                  lambda d, got, row: (T.eq(got.get("root_object_id"), SQL, "root_object_id"),
                                       T.eq(got["lineage_chain"][0]["document_id"], SQL,
                                            "step document_id")))
add_create_accept("lineage_timestamps_at_their_bounds",
                  lambda: {"metadata": {}, "lineage_chain": [
                      dict(_STEP, timestamp=ts) for ts in (
                          "2024-02-29T23:59:60.123456789+23:59", "2000-02-29t00:00:00z",
                          "2025-12-31T23:59:59-00:00", "0001-01-01T00:00:00Z")]},
                  lambda d, got, row: T.eq(len(got["lineage_chain"]), 4, "steps stored"))
for _name, _body in [
        ("nul_in_metadata_value", '{"collection_id":"C","metadata":{"a":"x\\u0000y"}}'),
        ("nul_in_metadata_key", '{"collection_id":"C","metadata":{"a\\u0000b":1}}'),
        ("nul_in_flat_field_name", '{"collection_id":"C","a\\u0000b":1}'),
        ("nul_in_flat_field_value", '{"collection_id":"C","f":"\\u0000"}'),
        ("nul_in_payload_key", '{"collection_id":"C","features":[{"feature_extractor_id":"fe",'
                               '"payload":{"\\u0000":1}}]}'),
        ("nul_in_vector_name", '{"collection_id":"C","features":[{"feature_extractor_id":"fe",'
                               '"vectors":{"e\\u0000":[1]}}]}'),
        ("nul_in_collection_id", '{"collection_id":"C\\u0000"}'),
        ("lone_surrogate_in_flat_field", '{"collection_id":"C","f":"\\ud800"}')]:
    add_create_reject(name=_name, make=(lambda b: lambda: b.replace(
        '"C', '"' + T.SEED["col_articles"], 1))(_body), status=422, loc=BODY, vtype=JDEC)
for _name, _body in [("invalid_utf8_flat_field_name", b'{"collection_id":"C","\xff":1}'),
                     ("raw_nul_in_metadata", b'{"collection_id":"C","metadata":{"a":"\x00"}}')]:
    add_create_reject(name=_name, make=(lambda b: lambda: b.replace(
        b'"C"', b'"' + T.SEED["col_articles"].encode() + b'"', 1))(_body), status=422, loc=BODY,
        vtype="value_error.unicode")


# ---- 15. the change feed: GET /v1/collections/{c}/documents/changes (section 14)

def changes(query="", col=None, key=T.DEFAULT, ns=T.DEFAULT, method="GET", body=None,
            headers=()):
    h = []
    key = T.SEED["key_write"] if key is T.DEFAULT else key
    ns = "production" if ns is T.DEFAULT else ns
    if key is not None:
        h.append(("Authorization", "Bearer " + key))
    if ns is not None:
        h.append(("X-Namespace", ns))
    h.extend(headers)
    path = "/v1/collections/%s/documents/changes" % (col or T.SEED["col_articles"])
    return T.request(method, path + ("?" + query if query else ""), h, body)


FEED_BAD = [("since_negative", "since=-1", "since"),
            ("since_word", "since=abc", "since"),
            ("since_exponent", "since=1e3", "since"),
            ("since_fraction", "since=1.5", "since"),
            ("since_plus", "since=%2B1", "since"),
            ("since_space", "since=%201", "since"),
            ("since_hex", "since=0x10", "since"),
            ("since_empty", "since=", "since"),
            ("since_overflow", "since=99999999999999999999", "since"),
            ("since_sql", "since=" + _seg(SQL), "since"),
            ("limit_zero", "limit=0", "limit"),
            ("limit_1001", "limit=1001", "limit"),
            ("limit_word", "limit=x", "limit"),
            ("limit_negative", "limit=-5", "limit"),
            ("limit_huge", "limit=" + "9" * 40, "limit"),
            ("limit_last_wins_bad", "limit=5&limit=0", "limit")]
for _name, _q, _param in FEED_BAD:
    add_reject("changes_" + _name, (lambda q: lambda: changes(q))(_q), 422,
               loc=["query", _param], vtype="type_error.integer")
    # after authentication: without a key the same request is a 401
    add_reject("changes_%s_no_key_401" % _name, (lambda q: lambda: changes(q, key=None))(_q),
               401, "UnauthorizedError")
    # a read key may read the feed: still the 422
    add_reject("changes_%s_read_key" % _name,
               (lambda q: lambda: changes(q, key=T.SEED["key_read"]))(_q), 422,
               loc=["query", _param], vtype="type_error.integer")


def _feed_both_listed():
    with db_unchanged():
        T.expect_422(changes("since=-1&limit=0"), ["query", "since"], ["query", "limit"])


CASES.append(("changes_since_and_limit_both_listed", _feed_both_listed))
add_reject("changes_bad_key_beats_bad_query", lambda: changes("since=-1", key="sk_live_" + "Z" * 40),
           401, "UnauthorizedError")
add_reject("changes_no_namespace_beats_bad_query", lambda: changes("limit=0", ns=None), 400,
           "BadRequestError")
add_reject("changes_unknown_namespace_beats_bad_query", lambda: changes("limit=0", ns=SQL), 404,
           "NotFoundError", details={"resource": "namespace", "id": SQL})
add_reject("changes_staging_key_403_beats_bad_query",
           lambda: changes("limit=0", key=T.SEED["key_staging"]), 403, "ForbiddenError")
add_reject("changes_bad_query_beats_unknown_collection",
           lambda: changes("limit=0", col="col_nope"), 422, loc=["query", "limit"],
           vtype="type_error.integer")
add_reject("changes_unknown_collection_404", lambda: changes(col="col_nope"), 404,
           "NotFoundError", details={"resource": "collection", "id": "col_nope"})
add_reject("changes_sql_collection_404", lambda: changes(col=_seg(SQL)), 404,
           "NotFoundError", details={"resource": "collection", "id": SQL})
add_reject("changes_other_org_collection_404", lambda: changes(col=T.SEED["col_b"]), 404,
           "NotFoundError")
add_reject("changes_post_405", lambda: changes(method="POST", body=b"{}"), 405,
           "MethodNotAllowedError")
add_reject("changes_delete_405", lambda: changes(method="DELETE"), 405, "MethodNotAllowedError")
add_reject("changes_lineage_is_404", lambda: T.request(
    "GET", "/v1/collections/%s/documents/changes/lineage" % T.SEED["col_articles"],
    [("Authorization", "Bearer " + T.SEED["key_write"]), ("X-Namespace", "production")]),
    404, "NotFoundError")


def _feed_ok(q):
    def run():
        with db_unchanged():
            b = T.expect_ok(changes(q))
            T.check(isinstance(b.get("results"), list), "results: %r" % b)
            T.check(isinstance(b.get("last_seq"), int), "last_seq: %r" % b)
            T.check(isinstance(b.get("has_more"), bool), "has_more: %r" % b)
    return run


# valid but odd queries answer 200 and write nothing
for _name, _q in [("since_leading_zeros", "since=007"),
                  ("limit_bounds", "limit=1&limit=1000"), ("since_18_digits", "since=" + "9" * 18), ("unknown_params", "x=%27%3B--&cursor=1"),
                  ("encoded_digits", "since=%30&limit=%31")]:
    CASES.append(("changes_ok_" + _name, _feed_ok(_q)))


# ---- 16. list: POST /v1/collections/{c}/documents/list (contract sections 9, 10)
#
# A collection of its own (made once, before the first list case and outside
# its checksum) holds four documents whose names and values are SQL
# metacharacters, quotes, backslashes, unicode and very long strings. Every
# list case writes nothing (db_unchanged: every public table); a filter made
# of those names and values answers 200 with exactly the documents it names
# (never a 500: names and values are parameters, contract section 9); every
# refusal has its exact status and loc / error type. L: that collection.

L = {}
L_UNI = "\u00e9\u65e5\U0001F600\u202e\u200b\ufeff"
L_LONG = "k" * 10000
L_QUOTES = "\\\"'`;--"


def list_collection():
    """The hostile collection's id and its documents a, b, c, d (by key)."""
    if L:
        return L
    name = "hostile_list_" + T.fresh_id()[5:].lower()
    L["id"] = T.admin("create-collection", "--namespace", T.SEED["ns_prod"], name).strip()
    docs = {
        "a": {"metadata": {SQL: SQL, "k": L_QUOTES, "\\": "%27", "$1": "E'\\x27'",
                           "title": "alpha", "n": 1, "tags": ["red", SQL]},
              SQL: "flat", "uni" + L_UNI: L_UNI},
        "b": {"metadata": {"title": SQL, "n": 2, L_LONG: "long", "quote": "' OR '1'='1"},
              "cluster_id": "$1"},
        "c": {"metadata": {"title": "\u00e9t\u00e9 " + L_UNI, "n": 3, "a'b\"c": {"d;e": "--"}},
              "cluster_id": "\\"},
        "d": {"metadata": {"title": "x" * 5000, "n": "3"}},
    }
    lines = []
    for i, (k, extra) in enumerate(sorted(docs.items())):
        d = T.doc_template("doc_hl%d_%s" % (i, T.fresh_id()[5:]))
        for drop in ("taxonomy_products_label", "cluster_id"):
            d.pop(drop)
        d.update(extra)
        d["created_at"] = d["updated_at"] = "2025-10-18T10:3%d:00Z" % i
        L[k] = d["document_id"]
        lines.append(json.dumps(d))
    path = os.path.join(T.STACK_TMP or "/tmp", "hostile-list.ndjson")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        T.eq(T.admin("import", "--collection", L["id"], path).strip(), "4", "imported")
    finally:
        os.unlink(path)
    # and one of two small documents, for the largest filters (a document
    # whose metadata PostgreSQL keeps out of line, TOASTed, is read again
    # for every containment tested: 512,000 of them take a while)
    L["small"] = T.admin("create-collection", "--namespace", T.SEED["ns_prod"],
                         name + "_small").strip()
    L["s1"] = T.new_doc(col=L["small"], metadata={"n": 1})
    L["s2"] = T.new_doc(col=L["small"], metadata={"n": 2})
    return L


def lst(body=None, col=None, query="", key=T.DEFAULT, ns=T.DEFAULT, ctype="application/json",
        headers=(), path=None):
    """POST …/documents/list of the hostile collection (col: another one;
    path: another route). body: a JSON value, or bytes/str sent as they
    are; None: no body at all (and no Content-Type)."""
    h = []
    key = T.SEED["key_read"] if key is T.DEFAULT else key
    ns = "production" if ns is T.DEFAULT else ns
    if key is not None:
        h.append(("Authorization", "Bearer " + key))
    if ns is not None:
        h.append(("X-Namespace", ns))
    if body is not None and ctype is not None:
        h.append(("Content-Type", ctype))
    h.extend(headers)
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if path is None:
        path = "/v1/collections/%s/documents/list" % (col or list_collection()["id"])
    return T.request("POST", path + ("?" + query if query else ""), h, body)


def add_list_reject(name, make, status, etype=None, loc=None, vtype=None, details=None,
                    msg_re=None, **kw):
    """make(): the body (called when the case runs, the collection made);
    kw: lst()'s (values may be functions, called then too)."""
    def send():
        list_collection()
        args = {k: (v() if callable(v) else v) for k, v in kw.items()}
        return lst(make(), **args)
    add_reject("list_" + name, send, status, etype, loc=loc, vtype=vtype, details=details,
               msg_re=msg_re)


def add_list_match(name, make, want, query="", check=None, **kw):
    """A list that must answer 200 with exactly the documents want (keys of
    L, in any order, or a list in order when check is "order") and write
    nothing."""
    def run():
        col = list_collection()
        with db_unchanged():
            b = T.expect_ok(lst(make(), query=query, **kw))
            T.check(isinstance(b.get("results"), list), "results: %r" % str(b)[:300])
            got = [d["document_id"] for d in b["results"]]
            ids = [col[k] for k in want]
            if check == "order":
                T.eq(got, ids, "documents in order")
            else:
                T.eq(sorted(got), sorted(ids), "documents listed")
            if callable(check):
                check(b)
    CASES.append(("list_" + name, run))


def _flt(f):
    return lambda: {"filters": f() if callable(f) else f}


def _cond(field, op, value, **kw):
    return dict({"field": field, "operator": op, "value": value}, **kw)


# hostile names and values, valid: 200 and exactly the documents they name
for _name, _f, _want in [
        ("sql_metadata_key_and_value", {"metadata." + SQL: SQL}, "a"),
        ("sql_flat_field_name", {SQL: "flat"}, "a"),
        ("sql_flat_field_name_other_value", {SQL: SQL}, ""),
        ("quotes_backslash_value", _cond("metadata.k", "eq", L_QUOTES), "a"),
        ("backslash_key", {"metadata.\\": "%27"}, "a"),
        ("dollar_key", {"metadata.$1": "E'\\x27'"}, "a"),
        ("dollar_value", {"cluster_id": "$1"}, "b"),
        ("dollar_field_and_value", _cond("$1", "eq", "$2"), ""),
        ("backslash_value", {"cluster_id": "\\"}, "c"),
        ("sql_value_of_system_field", {"document_id": SQL}, ""),
        ("sql_value_ne", _cond("metadata.title", "ne", SQL), "acd"),
        ("in_sql_members", _cond("metadata.title", "in", [SQL, "alpha", "$1", "\\", "'"]), "ab"),
        ("nin_sql_members", _cond("metadata.title", "nin", [SQL, "alpha"]), "cd"),
        ("contains_sql_element", _cond("metadata.tags", "contains", SQL), "a"),
        ("contains_sql_substring", _cond("metadata.title", "contains", "drop TABLE"), "b"),
        ("starts_with_quote", _cond("metadata.title", "starts_with", "'; "), "b"),
        ("ends_with_dashes", _cond("metadata.title", "ends_with", "; --"), "b"),
        ("regex_sql_text", _cond("metadata.title", "regex", SQL), "b"),
        ("regex_anchored_quotes", _cond("metadata.quote", "regex", "^' OR '1'='1$"), "b"),
        ("nested_key_with_quotes", {"metadata.a'b\"c.d;e": "--"}, "c"),
        ("unicode_flat_field", {"uni" + L_UNI: L_UNI}, "a"),
        ("unicode_starts_with", _cond("metadata.title", "starts_with", "\u00e9t\u00e9 \u00e9\u65e5",
                                      case_sensitive=True), "c"),
        ("very_long_key", {"metadata." + L_LONG: "long"}, "b"),
        ("very_long_value", {"metadata.title": "x" * 5000}, "d"),
        ("very_long_value_no_match", {"metadata.title": "y" * 100000}, ""),
        ("very_long_unknown_field", {"metadata." + "z" * 50000: 1}, ""),
        ("text_sql", _cond("metadata", "text", SQL), "ab"),
        ("or_of_hostile", {"OR": [{"metadata." + SQL: SQL}, {"cluster_id": "\\"},
                                  {"NOT": {"metadata.n": {"k": SQL}}, "metadata.n": 2}]}, "abc"),
]:
    add_list_match("hostile_" + _name, _flt(_f), list(_want))
add_list_match("hostile_search_sql", lambda: {"search": SQL}, list("ab"))
add_list_match("hostile_sort_on_sql_field_desc",
               lambda: {"sort": {"field": "metadata." + SQL, "direction": "desc"}},
               list("dcba"), check="order")  # missing first in desc, then by id desc
add_list_match("hostile_sort_on_long_field",
               lambda: {"sort": {"field": "metadata." + L_LONG}}, list("bacd"), check="order")


def _select_check(b):
    d = b["results"][0]
    T.eq(d.get("metadata"), {SQL: SQL}, "selected metadata path")
    T.eq(d.get(SQL), "flat", "selected flat field")
    T.check("lineage" not in d and "title" not in d.get("metadata", {}), "only what was selected")


add_list_match("hostile_select_sql_paths",
               lambda: {"filters": {"metadata.n": 1}, "select": ["metadata." + SQL, SQL, "x'y"]},
               ["a"], check=_select_check)


def _group_check(b):
    keys = sorted(json.dumps(g["group_key"]) for g in b["groups"])
    T.eq(keys, sorted([json.dumps(SQL), "null"]), "group keys")


def _run_group():
    list_collection()
    with db_unchanged():
        b = T.expect_ok(lst({"group_by": "metadata." + SQL}))
        _group_check(b)
        T.eq(b.get("group_by_field"), "metadata." + SQL, "group_by_field")


CASES.append(("list_hostile_group_by_sql_field", _run_group))


def _run_ns_wide():
    col = list_collection()
    with db_unchanged():
        b = T.expect_ok(lst({"collection_ids": [col["id"]], "filters": {"metadata." + SQL: SQL}},
                            path="/v1/documents/list"))
        T.eq([d["document_id"] for d in b["results"]], [col["a"]], "namespace-wide")


CASES.append(("list_hostile_namespace_wide", _run_ns_wide))
add_list_reject("hostile_namespace_wide_sql_collection", lambda: {"collection_ids": [SQL]}, 404,
                "NotFoundError", details={"resource": "collection", "id": SQL},
                path="/v1/documents/list")
add_list_reject("hostile_sql_collection_in_path", lambda: {"filters": {"metadata." + SQL: SQL}},
                404, "NotFoundError", details={"resource": "collection", "id": SQL}, col=_seg(SQL))
# the largest filters the contract allows: 1000 members, 256 conditions, 16
# levels, a regex of 1000 characters
add_list_match("bound_in_1000_members",
               _flt(lambda: _cond("metadata.n", "in", list(range(3, 1003)))), "c")
add_list_match("bound_256_conditions",
               _flt(lambda: {"AND": [_cond("metadata.k%d" % i, "exists", False) for i in range(255)] +
                             [{"metadata.title": "alpha"}]}), "a")
# PostgreSQL takes at most 65535 parameters in one statement: 33 lists of
# 1000 members (66,000 values), and the most the contract allows, 256 lists
# of 1000 (256,000 values, 512 KB of body), are valid filters all the same
add_list_match("bound_33_in_lists_of_1000",
               _flt(lambda: {"OR": [_cond("metadata.n", "in", list(range(1000 * i + 10, 1000 * i + 1010)))
                                    for i in range(33)] + [{"metadata.n": 2}]}), "b")
def _largest_filter():
    col = list_collection()
    with db_unchanged():
        body = json.dumps({"filters": {"AND": [_cond("metadata.n", "nin", [7] * 999 + [2])] * 256}},
                          separators=(",", ":"))
        T.check(len(body) < BODY_LIMIT, "the largest filter fits in a body")
        b = T.expect_ok(lst(body, col=col["small"]))
        T.eq([d["document_id"] for d in b["results"]], [col["s1"]], "256 nin lists of 1000")


CASES.append(("list_bound_256_nin_lists_of_1000", _largest_filter))
add_list_match("bound_256_timestamp_in_lists_of_100",
               _flt(lambda: {"OR": [_cond("created_at", "in", ["2025-10-18T10:3%d:00Z" % (i % 10)] * 100)
                                    for i in range(256) if i % 10 != 1]}), "acd")


def _nest(depth, leaf):
    """depth levels of LogicalOperator (the top level is 1) around leaf."""
    v = leaf
    for _ in range(depth - 1):
        v = {"AND": [v]}
    return v


add_list_match("bound_16_levels", _flt(lambda: _nest(16, {"metadata.n": 2})), "b")
add_list_match("bound_regex_1000", _flt(lambda: _cond("metadata.title", "regex", "x" * 1000)), "d")
add_list_match("bound_regex_1000_multibyte",
               _flt(lambda: _cond("metadata.title", "regex", "\u00e9" * 1000)), "")

# ---- 16b. the 422s of section 9, each at its loc
F = ["body", "filters"]
for _name, _f, _loc, _vt in [
        ("must", {"must": [{"key": "metadata.n", "match": {"value": 1}}]}, F + ["must"],
         "value_error.filter"),
        ("should_nested", {"AND": [{"should": []}]}, F + ["AND.0", "should"], "value_error.filter"),
        ("must_not_in_condition", _cond("metadata.n", "eq", 1, must_not=[]), F + ["must_not"],
         "value_error.filter"),
        ("dynamic_value", _cond("metadata.n", "eq", {"type": "dynamic", "field": "x"}),
         F + ["value"], "value_error.dynamic"),
        ("dynamic_shorthand", {"metadata.n": {"type": "dynamic", "field": "x"}},
         F + ["metadata.n", "value"], "value_error.dynamic"),
        ("gt_shorthand", {"metadata.n": {"$gt": 1}}, F + ["metadata.n"], "value_error.filter"),
        ("sql_dollar_shorthand", {"metadata.n": {"$where": SQL}}, F + ["metadata.n"],
         "value_error.filter"),
        ("unknown_operator", _cond("metadata.n", "near", 1), F + ["operator"], "value_error.operator"),
        ("sql_operator", _cond("metadata.n", SQL, 1), F + ["operator"], "value_error.operator"),
        ("operator_number", _cond("metadata.n", 5, 1), F + ["operator"], "value_error.operator"),
        ("in_not_array", _cond("metadata.n", "in", 1), F + ["value"], "type_error.list"),
        ("nin_object", _cond("metadata.n", "nin", {"a": 1}), F + ["value"], "type_error.list"),
        ("gt_bool", _cond("metadata.n", "gt", True), F + ["value"], "type_error"),
        ("lte_array", _cond("metadata.n", "lte", [1]), F + ["value"], "type_error"),
        ("exists_string", _cond("metadata.n", "exists", "yes"), F + ["value"], "type_error.bool"),
        ("is_null_number", _cond("metadata.n", "is_null", 1), F + ["value"], "type_error.bool"),
        ("contains_array", _cond("metadata.tags", "contains", [SQL]), F + ["value"], "type_error"),
        ("starts_with_number", _cond("metadata.title", "starts_with", 1), F + ["value"],
         "type_error.str"),
        ("regex_null", _cond("metadata.title", "regex", None), F + ["value"], "type_error.str"),
        ("text_object", _cond("metadata", "text", {"q": SQL}), F + ["value"], "type_error.str"),
        ("regex_1001", _cond("metadata.title", "regex", "x" * 1001), F + ["value"], "type_error.str"),
        ("in_1001_members", _cond("metadata.n", "in", list(range(1001))), F + ["value"],
         "type_error.list"),
        ("case_sensitive_string", _cond("metadata.n", "eq", 1, case_sensitive="yes"),
         F + ["case_sensitive"], "type_error.bool"),
        ("case_sensitive_top_string", {"case_sensitive": "no"}, F + ["case_sensitive"],
         "type_error.bool"),
        ("field_number", {"field": 3, "value": 1}, F + ["field"], "type_error.str"),
        ("value_missing", {"field": "metadata.n"}, F + ["value"], "value_error.missing"),
        ("and_not_array", {"AND": {"metadata.n": 1}}, F + ["AND"], "type_error.list"),
        ("or_member_not_object", {"OR": [SQL]}, F + ["OR.0"], "type_error.dict"),
        ("filters_array", [], F, "type_error.dict"),
        ("filters_sql_string", SQL, F, "type_error.dict"),
        ("timestamp_words", _cond("created_at", "gte", SQL), F + ["value"], "value_error.datetime"),
        ("timestamp_shorthand", {"updated_at": "yesterday"}, F + ["updated_at", "value"],
         "value_error.datetime"),
        ("timestamp_in_bad_member", _cond("created_at", "in", ["2025-10-18T10:30:00Z", 5]),
         F + ["value"], "value_error.datetime"),
        ("timestamp_contains", _cond("created_at", "contains", "2025"), F + ["operator"],
         "value_error.operator"),
        ("timestamp_member", _cond("created_at.x", "eq", 1), F + ["field"], "value_error.field"),
        ("metadata_itself", _cond("metadata", "eq", {}), F + ["field"], "value_error.field"),
        ("empty_segment", _cond("metadata..n", "eq", 1), F + ["field"], "value_error.field"),
        ("system_field_member", _cond("document_id.x", "eq", 1), F + ["field"], "value_error.field"),
]:
    add_list_reject("filter_" + _name, _flt(_f), 422, loc=_loc, vtype=_vt)
# unknown or unfilterable system fields, as a condition and as shorthand
for _field in ("vector", "lineage", "lineage.root_object_id", "lineage_chain", "source_blobs",
               "document_blobs", "presigned_url", "presigned_urls", "_x", "_internal.y",
               "__fully_enriched", "_vectors"):
    add_list_reject("filter_field_%s" % _field.replace(".", "_"), _flt(_cond(_field, "eq", 1)),
                    422, loc=F + ["field"], vtype="value_error.field")
    add_list_reject("filter_shorthand_%s" % _field.replace(".", "_"), _flt({_field: 1}), 422,
                    loc=F + [_field, "field"], vtype="value_error.field")
add_list_reject("filter_257_conditions",
                _flt(lambda: {"AND": [{"metadata.k%d" % i: i} for i in range(257)]}), 422, loc=F,
                vtype="value_error.filter", msg_re="256")
add_list_reject("filter_257_conditions_shorthand_in_one_object",
                _flt(lambda: {"metadata.k%d" % i: i for i in range(257)}), 422, loc=F,
                vtype="value_error.filter", msg_re="256")
add_list_reject("filter_nesting_17", _flt(lambda: _nest(17, {"metadata.n": 2})), 422,
                loc=F + [".".join(["AND.0"] * 16)], vtype="value_error.filter", msg_re="16")
add_list_reject("filter_nesting_17_not_objects",
                _flt(lambda: {"NOT": _nest(16, {"metadata.n": 2})}), 422,
                loc=F + ["NOT." + ".".join(["AND.0"] * 15)], vtype="value_error.filter")
# an invalid regular expression: 422 from PostgreSQL's own parser, whether
# or not any document has the field
for _name, _field in [("on_a_string_field", "metadata.title"), ("on_a_missing_field", "metadata.nope"),
                      ("on_a_number_field", "metadata.n")]:
    add_list_reject("filter_invalid_regex_" + _name,
                    _flt(_cond(_field, "regex", "(")), 422, loc=F, vtype="value_error",
                    msg_re="regular expression")
add_list_reject("filter_invalid_regex_after_a_false_condition",
                _flt({"AND": [{"metadata.n": 999}, _cond("metadata.title", "regex", "a{2,1}")]}),
                422, loc=F, vtype="value_error", msg_re="regular expression")


def _all_listed():
    list_collection()
    with db_unchanged():
        r = lst({"filters": {"AND": [{"must": []}, _cond("vector", "eq", 1),
                                      _cond("metadata.n", "near", 1)]},
                 "sort": {"field": "lineage"}, "limit": 0})
        T.expect_422(r, F + ["AND.0", "must"], F + ["AND.1", "field"], F + ["AND.2", "operator"],
                     ["body", "limit"])


CASES.append(("list_filter_every_problem_listed", _all_listed))

# ---- 16c. sort, page, cursor, Prefer
for _name, _body, _loc, _vt in [
        ("sort_vector", {"sort": {"field": "vector"}}, ["body", "sort", "field"], "value_error.field"),
        ("sort_lineage", {"sort": {"field": "lineage"}}, ["body", "sort", "field"],
         "value_error.field"),
        ("sort_underscore", {"sort": {"field": "_internal"}}, ["body", "sort", "field"],
         "value_error.field"),
        ("sort_metadata_itself", {"sort": {"field": "metadata"}}, ["body", "sort", "field"],
         "value_error.field"),
        ("sort_empty_segment", {"sort": {"field": "metadata."}}, ["body", "sort", "field"],
         "value_error.field"),
        ("sort_string", {"sort": "metadata.n"}, ["body", "sort"], "type_error.dict"),
        ("sort_no_field", {"sort": {"direction": "asc"}}, ["body", "sort"], "type_error.dict"),
        ("sort_direction_sql", {"sort": {"field": "metadata.n", "direction": SQL}},
         ["body", "sort", "direction"], "type_error.enum"),
        ("group_by_vector", {"group_by": "vector"}, ["body", "group_by"], "value_error.field"),
        ("group_by_number", {"group_by": 1}, ["body", "group_by"], "type_error.str"),
        ("search_number", {"search": 1}, ["body", "search"], "type_error.str"),
        ("select_string", {"select": SQL}, ["body", "select"], "type_error.list"),
        ("select_101", {"select": ["metadata.k%d" % i for i in range(101)]}, ["body", "select"],
         "type_error.list"),
        ("limit_0", {"limit": 0}, ["body", "limit"], "type_error.integer"),
        ("limit_1001", {"limit": 1001}, ["body", "limit"], "type_error.integer"),
        ("limit_negative", {"limit": -1}, ["body", "limit"], "type_error.integer"),
        ("limit_string", {"limit": "10"}, ["body", "limit"], "type_error.integer"),
        ("limit_fraction", {"limit": 1.5}, ["body", "limit"], "type_error.integer"),
        ("limit_huge", {"limit": 2 ** 63}, ["body", "limit"], "type_error.integer"),
        ("offset_negative", {"offset": -1}, ["body", "offset"], "type_error.integer"),
        ("offset_10001", {"offset": 10001}, ["body", "offset"], "type_error.integer"),
        ("offset_sql", {"offset": SQL}, ["body", "offset"], "type_error.integer"),
        ("page_size_0", {"page_size": 0}, ["body", "page_size"], "type_error.integer"),
        ("return_vectors_string", {"return_vectors": "yes"}, ["body", "return_vectors"],
         "type_error.bool"),
        ("cursor_bogus_in_body", {"cursor": "bogus"}, ["query", "cursor"], "value_error.cursor"),
        ("cursor_sql_in_body", {"cursor": SQL}, ["query", "cursor"], "value_error.cursor"),
        ("cursor_number_in_body", {"cursor": 5}, ["query", "cursor"], "value_error.cursor"),
]:
    add_list_reject(_name, (lambda b: lambda: b)(_body), 422, loc=_loc, vtype=_vt)
for _name, _q, _param, _vt in [
        ("limit_0", "limit=0", "limit", "type_error.integer"),
        ("limit_1001", "limit=1001", "limit", "type_error.integer"),
        ("limit_word", "limit=ten", "limit", "type_error.integer"),
        ("limit_sql", "limit=" + _seg(SQL), "limit", "type_error.integer"),
        ("limit_huge", "limit=" + "9" * 40, "limit", "type_error.integer"),
        ("offset_negative", "offset=-1", "offset", "type_error.integer"),
        ("offset_10001", "offset=10001", "offset", "type_error.integer"),
        ("offset_fraction", "offset=1.5", "offset", "type_error.integer"),
        ("include_total_maybe", "include_total=maybe", "include_total", "type_error.bool"),
        ("cursor_bogus", "cursor=bogus", "cursor", "value_error.cursor"),
        ("cursor_sql", "cursor=" + _seg(SQL), "cursor", "value_error.cursor"),
        ("cursor_empty", "cursor=", "cursor", "value_error.cursor"),
        ("cursor_very_long", "cursor=" + "A" * 5000, "cursor", "value_error.cursor"),
]:
    add_list_reject("query_" + _name, lambda: {}, 422, loc=["query", _param], vtype=_vt, query=_q)
    # after authentication: the same request without a key is a 401
    add_list_reject("query_%s_no_key_401" % _name, lambda: {}, 401, "UnauthorizedError",
                    query=_q, key=None)
# the query's limit wins over the body's, but a bad one is still a 422
add_list_reject("query_limit_bad_body_limit_good", lambda: {"limit": 5}, 422,
                loc=["query", "limit"], vtype="type_error.integer", query="limit=0")
add_list_reject("prefer_count_bogus", lambda: {}, 422, loc=["header", "Prefer"],
                vtype="value_error.prefer", headers=[("Prefer", "count=bogus")])
add_list_reject("prefer_count_sql_quoted", lambda: {}, 422, loc=["header", "Prefer"],
                vtype="value_error.prefer", headers=[("Prefer", 'count="%s"' % SQL)])
# DECISION (cgi/prefer.h): a preference that is not well-formed (junk after
# its value) is skipped as if absent, as RFC 7240 ignores what it cannot
# parse: count=' DROP... is no count preference at all, and the list is 200
add_list_match("prefer_count_malformed_element_ignored", lambda: {}, list("abcd"),
               headers=[("Prefer", "count=" + SQL)])


def _a_cursor(body=None, col=None):
    """The next_cursor of a first page of one document."""
    b = T.expect_ok(lst(dict(body or {}, limit=1), col=col))
    c = b["pagination"].get("next_cursor")
    T.check(c, "a first page of one has a next_cursor: %r" % b["pagination"])
    return c


def _tampered():
    c = _a_cursor()
    i = len(c) // 2
    return c[:i] + ("A" if c[i] != "A" else "B") + c[i + 1:]


for _name, _make_q, _make_body, _col in [
        ("tampered", lambda: "cursor=" + _tampered(), lambda: {}, None),
        ("truncated", lambda: "cursor=" + _a_cursor()[:-2], lambda: {}, None),
        ("other_collection", lambda: "cursor=" + _a_cursor(col=T.SEED["col_articles"]),
         lambda: {}, None),
        ("used_on_other_collection", lambda: "cursor=" + _a_cursor(), lambda: {},
         lambda: T.SEED["col_articles"]),
        ("other_filters", lambda: "cursor=" + _a_cursor(), lambda: {"filters": {"metadata.n": 1}},
         None),
        ("other_sort", lambda: "cursor=" + _a_cursor(),
         lambda: {"sort": {"field": "created_at", "direction": "desc"}}, None),
        ("other_search", lambda: "cursor=" + _a_cursor({"search": "drop"}), lambda: {}, None),
        ("namespace_wide_on_collection", lambda: "cursor=" + T.expect_ok(lst(
            {"limit": 1}, path="/v1/documents/list"))["pagination"]["next_cursor"],
         lambda: {}, None),
]:
    add_list_reject("cursor_" + _name, _make_body, 422, loc=["query", "cursor"],
                    vtype="value_error.cursor", msg_re="^invalid cursor$", query=_make_q,
                    **({"col": _col} if _col else {}))


def _cursor_in_body_ok():
    col = list_collection()
    with db_unchanged():
        c = _a_cursor({"sort": {"field": "document_id"}})
        b = T.expect_ok(lst({"cursor": c, "limit": 1000, "sort": {"field": "document_id"}}))
        T.eq([d["document_id"] for d in b["results"]], sorted(col[k] for k in "abcd")[1:],
             "the page after the cursor (from the body)")


CASES.append(("list_cursor_in_body_ok", _cursor_in_body_ok))

# ---- 16d. order of checks (route -> auth -> namespace -> role -> media type
# -> size -> syntax (422) -> collection (404))
_BAD_REGEX = {"filters": _cond("metadata.title", "regex", "(")}
add_list_reject("order_no_key_beats_invalid_regex", lambda: _BAD_REGEX, 401, "UnauthorizedError",
                key=None)
add_list_reject("order_no_key_beats_bad_body", lambda: b"\xff{", 401, "UnauthorizedError",
                key=None, ctype="text/plain")
add_list_reject("order_bad_key_beats_invalid_regex", lambda: _BAD_REGEX, 401, "UnauthorizedError",
                key="sk_live_" + "Z" * 40)
add_list_reject("order_bad_key_beats_bad_filter", lambda: {"filters": {"must": []}}, 401,
                "UnauthorizedError", key="sk_live_" + "Z" * 40)
add_list_reject("order_no_namespace_beats_bad_filter", lambda: {"filters": {"must": []}}, 400,
                "BadRequestError", ns=None)
add_list_reject("order_unknown_namespace_beats_bad_filter", lambda: {"filters": {"must": []}},
                404, "NotFoundError", details={"resource": "namespace", "id": SQL}, ns=SQL)
add_list_reject("order_other_org_key_beats_invalid_regex", lambda: _BAD_REGEX, 404,
                "NotFoundError", details={"resource": "namespace", "id": "production"},
                key=lambda: T.SEED["key_b"])
add_list_reject("order_staging_key_403_beats_invalid_regex", lambda: _BAD_REGEX, 403,
                "ForbiddenError", key=lambda: T.SEED["key_staging"])
add_list_reject("order_staging_key_403_beats_bad_filter", lambda: {"filters": {"must": []}}, 403,
                "ForbiddenError", key=lambda: T.SEED["key_staging"])
add_list_reject("order_media_type_beats_size", lambda: b"x" * (BODY_LIMIT + 10), 415,
                "UnsupportedMediaTypeError", ctype="text/plain")
add_list_reject("order_size_beats_syntax", lambda: b"\xff" * (BODY_LIMIT + 1), 413,
                "PayloadTooLargeError")
add_list_reject("order_bad_body_beats_unknown_collection", lambda: {"limit": 0}, 422,
                loc=["body", "limit"], vtype="type_error.integer", col="col_nope")
add_list_reject("order_bad_filter_beats_unknown_collection", lambda: {"filters": {"must": []}},
                422, loc=F + ["must"], vtype="value_error.filter", col="col_nope")
add_list_reject("order_invalid_regex_beats_unknown_collection", lambda: _BAD_REGEX, 422,
                loc=F, vtype="value_error", col="col_nope")
add_list_reject("order_bad_cursor_beats_unknown_collection", lambda: {}, 422,
                loc=["query", "cursor"], vtype="value_error.cursor", col="col_nope",
                query="cursor=bogus")
add_list_reject("order_bad_prefer_beats_unknown_collection", lambda: {}, 422,
                loc=["header", "Prefer"], vtype="value_error.prefer", col="col_nope",
                headers=[("Prefer", "count=bogus")])
add_list_reject("unknown_collection_404", lambda: {}, 404, "NotFoundError",
                details={"resource": "collection", "id": "col_nope"}, col="col_nope")
add_list_reject("other_org_collection_404", lambda: {}, 404, "NotFoundError",
                details={"resource": "collection"}, col=lambda: T.SEED["col_b"])
add_list_reject("other_namespace_collection_404", lambda: {}, 404, "NotFoundError",
                details={"resource": "collection"}, col=lambda: T.SEED["col_staging"])

# ---- 16e. the body itself
for _name, _body, _vt in [("array", [], "type_error.dict"), ("string", '"x"', "type_error.dict"),
                          ("number", "1", "type_error.dict"), ("true", "true", "type_error.dict"),
                          ("array_of_body", [{"filters": {}}], "type_error.dict"),
                          ("malformed", b'{"filters":', JDEC),
                          ("sql", SQL.encode(), JDEC)]:
    add_list_reject("body_" + _name, (lambda b: lambda: b)(_body), 422, loc=BODY, vtype=_vt)
# JSON null is refused as on every route with a body (section 4's
# none.not_allowed); no body at all is {} (below)
add_list_reject("body_null", lambda: "null", 422, loc=BODY, vtype="type_error.none.not_allowed")
# the namespace-wide list: collection_ids is a list of up to 100 ids or names
for _name, _ids in [("string", SQL), ("101", ["c%d" % i for i in range(101)]),
                    ("empty_name", ["articles", ""]), ("number", [1])]:
    add_list_reject("namespace_wide_collection_ids_" + _name,
                    (lambda i: lambda: {"collection_ids": i})(_ids), 422,
                    loc=["body", "collection_ids"], vtype="type_error.list",
                    path="/v1/documents/list")
add_list_reject("namespace_wide_bad_filter", lambda: {"filters": {"vector": 1}}, 422,
                loc=F + ["vector", "field"], vtype="value_error.field", path="/v1/documents/list")
add_list_reject("namespace_wide_no_key_beats_invalid_regex", lambda: _BAD_REGEX, 401,
                "UnauthorizedError", key=None, path="/v1/documents/list")
add_list_reject("body_deeper_than_64", lambda: b'{"filters":' + b"[" * 70 + b"]" * 70 + b"}",
                422, loc=BODY, vtype="value_error.json.depth")
add_list_reject("body_invalid_utf8", lambda: b'{"filters":{"metadata.t":"\xff"}}', 422, loc=BODY,
                vtype="value_error.unicode")
add_list_reject("content_type_text_plain", lambda: "{}", 415, "UnsupportedMediaTypeError",
                ctype="text/plain")
add_list_reject("content_type_form", lambda: "filters=x", 415, "UnsupportedMediaTypeError",
                ctype="application/x-www-form-urlencoded")
add_list_reject("content_type_merge_patch", lambda: "{}", 415, "UnsupportedMediaTypeError",
                ctype="application/merge-patch+json")
add_list_reject("content_type_missing_with_body", lambda: "{}", 415,
                "UnsupportedMediaTypeError", ctype=None)


def _big_list(n):
    head, tail = b'{"filters":{"metadata.title":"', b'"}}'
    return head + b"x" * (n - len(head) - len(tail)) + tail


add_list_reject("size_limit_plus_one", lambda: _big_list(BODY_LIMIT + 1), 413,
                "PayloadTooLargeError")
add_list_match("size_exactly_limit", lambda: _big_list(BODY_LIMIT), "")
add_list_match("no_body_at_all", lambda: b"", list("abcd"), check="order", ctype=None)
add_list_match("empty_json_body_is_no_body", lambda: b"", list("abcd"), check="order")
# A POST without Content-Length (and not chunked) is answered by lighttpd
# itself: 411, before the app (its body is the shipped conf's JSON page)
add_status("list_no_content_length_411_by_lighttpd", lambda: lst(None), 411)
add_list_match("json_null_filters_is_no_filter", lambda: {"filters": None}, list("abcd"))
add_list_match("read_key_may_list", lambda: {"filters": {"metadata.n": 3}}, "c")
add_list_match("unknown_keys_ignored", lambda: {SQL: SQL, "where": "1=1", "filters": {}},
               list("abcd"))


# ---- 17. batch and bulk: POST/DELETE …/documents/batch, PATCH …/documents/bulk
# (contract section 11). Every refusal writes nothing (db_unchanged); the
# hostile ids and field names that are valid shapes are per-item failures or
# changes to the hostile list collection's documents only where asked.

def many(method, body, route="batch", col=None, key=T.DEFAULT, ns=T.DEFAULT,
         ctype="application/json", headers=()):
    """A batch or bulk request to the hostile list collection (col: another);
    body a JSON value, or bytes/str sent as they are."""
    h = []
    key = T.SEED["key_write"] if key is T.DEFAULT else key
    ns = "production" if ns is T.DEFAULT else ns
    if key is not None:
        h.append(("Authorization", "Bearer " + key))
    if ns is not None:
        h.append(("X-Namespace", ns))
    if ctype is not None:
        h.append(("Content-Type", ctype))
    h.extend(headers)
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    path = "/v1/collections/%s/documents/%s" % (col or list_collection()["id"], route)
    return T.request(method, path, h, body)


def add_many_reject(name, method, make, status, etype=None, loc=None, vtype=None, msg_re=None,
                    **kw):
    def send():
        list_collection()
        args = {k: (v() if callable(v) else v) for k, v in kw.items()}
        return many(method, make(), **args)
    add_reject("many_" + name, send, status, etype, loc=loc, vtype=vtype, msg_re=msg_re)


# the collection is made before the first case's checksum
CASES.append(("many_setup_collection", lambda: list_collection() and None))
_ITEM = {"document_id": "doc_x", "update_data": {"metadata": {"x": 1}}}
_BU = ("POST", {})
_BD = ("DELETE", {})
_BK = ("PATCH", {"route": "bulk"})
for _name, (_m, _kw), _body, _loc, _vt in [
        ("update_both_modes", _BU, {"updates": [_ITEM], "filters": {}}, ["body", "updates"],
         "value_error.batch_mode"),
        ("update_neither", _BU, {SQL: SQL}, ["body", "updates"], "value_error.missing"),
        ("update_sql_list", _BU, {"updates": SQL}, ["body", "updates"], "value_error.list"),
        ("update_1001", _BU, {"updates": [dict(_ITEM, document_id="d%d" % i) for i in range(1001)]},
         ["body", "updates"], "value_error.list"),
        ("update_repeated_sql_id", _BU, {"updates": [dict(_ITEM, document_id=SQL)] * 2},
         ["body", "updates", 1, "document_id"], "value_error.duplicate"),
        ("update_id_object", _BU, {"updates": [dict(_ITEM, document_id={"$ne": 1})]},
         ["body", "updates", 0, "document_id"], "type_error.str"),
        ("update_data_string", _BU, {"updates": [dict(_ITEM, update_data=SQL)]},
         ["body", "updates", 0, "update_data"], "type_error.dict"),
        ("update_filter_mode_no_filters", _BU, {"update_data": {SQL: 1}}, ["body", "filters"],
         "value_error.missing"),
        ("update_filter_sql_operator", _BU, {"filters": {"field": "metadata.a", "operator": SQL,
                                                      "value": 1}, "update_data": {"a": 1}},
         F + ["operator"], "value_error.operator"),
        ("update_atomic_sql", _BU, {"updates": [_ITEM], "atomic": SQL}, ["body", "atomic"],
         "type_error.bool"),
        ("delete_no_filters", _BD, {"document_ids": None}, ["body", "filters"],
         "value_error.missing"),
        ("delete_both_modes", _BD, {"document_ids": [SQL], "filters": {}}, ["body", "document_ids"],
         "value_error.batch_mode"),
        ("delete_ids_nested", _BD, {"document_ids": [[SQL]]}, ["body", "document_ids", 0],
         "type_error.str"),
        ("delete_ids_empty", _BD, {"document_ids": []}, ["body", "document_ids"],
         "value_error.list"),
        ("delete_bad_regex", _BD, {"filters": {"field": "metadata.k", "operator": "regex",
                                              "value": "(?<"}}, F, "value_error"),
        ("bulk_no_filters", _BK, {"update_data": {"a": 1}}, ["body", "filters"],
         "value_error.missing"),
        ("bulk_read_only_sql_path", _BK, {"filters": {}, "update_data": {"lineage." + SQL: 1}},
         ["body", "update_data", "lineage." + SQL], "value_error.read_only"),
        ("bulk_update_data_array", _BK, {"filters": {}, "update_data": [SQL]},
         ["body", "update_data"], "type_error.dict"),
        ("bulk_blob_sql", _BK, {"filters": {}, "update_data": {"document_blobs": [SQL]}},
         ["body", "update_data", "document_blobs", 0], "type_error.dict"),
        ("bulk_blob_no_url", _BK, {"filters": {}, "update_data": {"document_blobs": [
            {"field": SQL}]}}, ["body", "update_data", "document_blobs", 0],
         "value_error.missing")]:
    add_many_reject(_name, _m, (lambda b: lambda: b)(_body), 422, loc=_loc, vtype=_vt, **_kw)
for _name, (_m, _kw) in [("update", _BU), ("delete", _BD), ("bulk", _BK)]:
    add_many_reject(_name + "_max_affected_sql", _m, lambda: {"filters": {}, "update_data": {"a": 1}},
                    422, loc=["header", "Prefer"], vtype="value_error.prefer",
                    headers=[("Prefer", "max-affected=" + SQL.replace(" ", ""))], **_kw)
    add_many_reject(_name + "_max_affected_0", _m, lambda: {"filters": {}, "update_data": {"a": 1}},
                    422, loc=["header", "Prefer"], vtype="value_error.max_affected",
                    headers=[("Prefer", "max-affected=0")], **_kw)
    add_many_reject(_name + "_tx_sql", _m, lambda: {"filters": {}, "update_data": {"a": 1}}, 422,
                    loc=["header", "Prefer"], vtype="value_error.prefer",
                    headers=[("Prefer", "tx=" + SQL.replace(" ", ""))], **_kw)
    add_many_reject(_name + "_read_key_403", _m, lambda: {"filters": {SQL: 1}}, 403,
                    "ForbiddenError", key=lambda: T.SEED["key_read"], **_kw)
    add_many_reject(_name + "_no_key_401", _m, lambda: b"\xff{", 401, "UnauthorizedError",
                    key=None, **_kw)
    add_many_reject(_name + "_text_plain_415", _m, lambda: "{}", 415,
                    "UnsupportedMediaTypeError", ctype="text/plain", **_kw)
    add_many_reject(_name + "_too_large_413", _m, lambda: b"{" + b" " * (BODY_LIMIT + 1) + b"}",
                    413, "PayloadTooLargeError", **_kw)
    add_many_reject(_name + "_malformed_422", _m, lambda: SQL, 422, loc=BODY, vtype=JDEC, **_kw)
    add_many_reject(_name + "_array_422", _m, lambda: [{"filters": {}}], 422, loc=BODY,
                    vtype="type_error.dict", **_kw)
    add_many_reject(_name + "_unknown_collection_404", _m,
                    lambda: {"filters": {}, "document_ids": None, "update_data": {"a": 1}}, 404,
                    "NotFoundError", col="col_nope", **_kw)
    add_many_reject(_name + "_sql_collection_404", _m, lambda: {"filters": {}, "update_data": {}},
                    404, "NotFoundError", col=urllib.parse.quote(SQL, safe=""), **_kw)
    add_many_reject(_name + "_tx_rollback_writes_nothing", _m,
                    lambda: {"filters": {}, "update_data": {"metadata.x": SQL}}, 422,
                    loc=["header", "Prefer"], vtype="value_error.max_affected",
                    headers=[("Prefer", "tx=rollback, max-affected=1")], **_kw)


def _many_hostile_ids_fail_per_item():
    list_collection()
    with db_unchanged():
        ids = [SQL, L_QUOTES, L_UNI, "doc_" + L_LONG[:500], "%27", "doc_a\\0"]
        b = T.expect_ok(many("DELETE", {"document_ids": ids}))
        T.eq((b["deleted_count"], b["failed_count"]), (0, len(ids)), "hostile ids are no documents")
        T.eq([x["document_id"] for x in b["results"]], ids, "each id echoed back exactly")
        b = T.expect_ok(many("POST", {"updates": [{"document_id": i, "update_data": {SQL: SQL}}
                                                  for i in ids]}))
        T.eq(b["failed_count"], len(ids), "hostile ids fail per item")


def _many_hostile_filter_dry_run():
    col = list_collection()
    with db_unchanged():
        b = T.expect_ok(many("POST", {"filters": {"metadata." + SQL: SQL},
                                      "update_data": {"metadata." + SQL: L_QUOTES, SQL: L_UNI}},
                             headers=[("Prefer", "tx=rollback")]))
        T.eq((b["updated_count"], b["failed_count"]), (1, 0), "the hostile filter names a")
        b = T.expect_ok(many("DELETE", {"filters": {"metadata.title": SQL}},
                             headers=[("Prefer", "tx=rollback")]))
        T.eq(b["deleted_count"], 1, "a dry-run delete of b")
    T.eq(T.get(col["b"], col=col["id"]).status, 200, "b is still there")


CASES.append(("many_hostile_ids_fail_per_item", _many_hostile_ids_fail_per_item))
CASES.append(("many_hostile_filter_dry_run", _many_hostile_filter_dry_run))


# ------------------------------------------------------------------ runner

def main(argv):
    global VERBOSE, TARGET
    filters = []
    stop_first = False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "-k" and args:
            filters.append(args.pop(0))
        elif a == "-v":
            VERBOSE = True
        elif a == "-x":
            stop_first = True
        elif a in ("-l", "--list"):
            for name, _ in CASES:
                print(name)
            print("%d cases" % len(CASES))
            return 0
        else:
            print("usage: test_hostile.py [-k SUBSTRING]... [-v] [-x] [-l]", file=sys.stderr)
            return 2
    if not T.BASE or not os.environ.get("DOCAPI_TEST_SEED"):
        print("test_hostile.py: run me through tests/integration/run_hostile.sh", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    with open(os.environ["DOCAPI_TEST_SEED"]) as f:
        T.SEED.update(json.load(f))
    TARGET = T.new_doc()
    passed = failed = 0
    failures = []
    names = set()
    for name, fn in CASES:
        if name in names:
            raise SystemExit("duplicate case name %s" % name)
        names.add(name)
        if filters and not any(f in name for f in filters):
            continue
        t0 = time.time()
        try:
            fn()
        except Exception as e:  # noqa: a test runner reports everything
            failed += 1
            reason = str(e) if isinstance(e, AssertionError) else "%s: %s" % (type(e).__name__, e)
            print("FAIL %s: %s" % (name, reason.replace("\n", "\n    ")[:1500]), flush=True)
            if VERBOSE or not isinstance(e, AssertionError):
                traceback.print_exc(file=sys.stdout)
            failures.append(name)
            if stop_first:
                break
            # a case that wrongly wrote may have broken the shared target:
            # the next cases get a fresh one, so one failure stays one
            TARGET = T.new_doc()
            continue
        passed += 1
        print("ok %s (%.2fs)" % (name, time.time() - t0) if VERBOSE else "ok %s" % name, flush=True)
    # the stack must still be healthy after all that
    try:
        T.expect_ok(T.request("GET", "/healthz"))
        T.expect_ok(get("doc_seed1"))
        passed += 1
        print("ok still_healthy_afterwards", flush=True)
    except Exception as e:  # noqa
        failed += 1
        failures.append("still_healthy_afterwards")
        print("FAIL still_healthy_afterwards: %s" % e, flush=True)
    if failures:
        print("failed: " + " ".join(failures))
    summary = "%d passed, %d failed" % (passed, failed)
    if T.STACK_TMP:
        try:
            with open(os.path.join(T.STACK_TMP, "summary"), "w") as f:
                f.write(summary + "\n")
        except OSError:
            pass
    print(summary, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
