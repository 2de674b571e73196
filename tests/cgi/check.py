#!/usr/bin/env python3
"""check.py - compares one CGI response with a case's expectations.

    check.py OUTPUT_FILE METHOD EXPECT_FILE SAVE_FILE
    check.py --serve        (the same for each tab-separated input line)

OUTPUT_FILE is what docapi.fcgi wrote on stdout (CGI headers, blank line,
body); METHOD the request method; EXPECT_FILE the case's expectation lines,
already ${VAR}-expanded by run.sh (format: see the top of run.sh). Values
asked for by "save" lines are written to SAVE_FILE as NAME<TAB>VALUE lines.

Prints one "# ..." line per difference and exits 1 when there is one, 0
when everything matched. Besides the case's own lines, every response is
held to the contract's rules that hold for all of them (API.md §1, §2, §6):
X-Request-Id on every response; the error body shape and error.type of
every non-2xx (422: FastAPI's detail list); WWW-Authenticate: Bearer on
401, Allow on 405, Retry-After on 503; no body for HEAD, 204 and 304; a
JSON body with Content-Type application/json; a Content-Length that is
the body's length.
"""
import json
import re
import sys

ERROR_TYPES = {
    400: "BadRequestError", 401: "UnauthorizedError", 403: "ForbiddenError",
    404: "NotFoundError", 405: "MethodNotAllowedError", 409: "ConflictError",
    412: "PreconditionFailedError", 413: "PayloadTooLargeError",
    415: "UnsupportedMediaTypeError", 500: "InternalServerError",
    503: "ServiceUnavailableError",
}
SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
PATH_TOKEN = re.compile(r'\.([A-Za-z_$][A-Za-z0-9_$-]*)|\[(-?\d+)\]|\["((?:[^"\\]|\\.)*)"\]')
MISSING = object()


class Response:
    def __init__(self, raw):
        self.raw = raw
        self.problems = []
        sep = raw.find(b"\r\n\r\n")
        seplen = 4
        lf = raw.find(b"\n\n")
        if sep < 0 or (0 <= lf < sep):
            sep, seplen = lf, 2
        if sep < 0:
            self.problems.append("no blank line after the CGI headers (output %r)" % raw[:200])
            head, self.body = raw, b""
        else:
            head, self.body = raw[:sep], raw[sep + seplen:]
        self.headers = []  # (name, value) in order
        for line in head.decode("latin-1").replace("\r\n", "\n").split("\n"):
            if not line:
                continue
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                self.problems.append("malformed header line %r" % line)
                continue
            self.headers.append((name, value.strip()))
        statuses = self.all("Status")
        self.status = 200
        if len(statuses) > 1:
            self.problems.append("%d Status headers" % len(statuses))
        if statuses:
            m = re.match(r"^(\d{3})( .*)?$", statuses[0])
            if not m:
                self.problems.append("bad Status header %r" % statuses[0])
            else:
                self.status = int(m.group(1))
        self._json = MISSING

    def all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def get(self, name):
        v = self.all(name)
        return v[0] if v else None

    def json(self):
        if self._json is MISSING:
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                self._json = e
        return self._json


def resolve(doc, path):
    """Value at a path such as .error.type, .detail[0].loc, .paths["/x"]."""
    if path == ".":
        return doc
    pos, cur = 0, doc
    while pos < len(path):
        m = PATH_TOKEN.match(path, pos)
        if not m:
            raise ValueError("bad JSON path %r at %r" % (path, path[pos:]))
        pos = m.end()
        if m.group(2) is not None:
            i = int(m.group(2))
            if not isinstance(cur, list) or not -len(cur) <= i < len(cur):
                return MISSING
            cur = cur[i]
        else:
            key = m.group(1) if m.group(1) is not None else json.loads('"%s"' % m.group(3))
            if not isinstance(cur, dict) or key not in cur:
                return MISSING
            cur = cur[key]
    return cur


def show(v):
    if v is MISSING:
        return "(absent)"
    return json.dumps(v, ensure_ascii=False)


def members(v):
    return sorted(x.strip() for x in v.split(",") if x.strip())


def invariants(r, method, out):
    """The contract's rules for every response."""
    rid = r.get("X-Request-Id")
    if rid is None:
        out.append("no X-Request-Id header (API.md §2: every response carries one)")
    elif not SANE_ID.match(rid):
        out.append("X-Request-Id %r is not a sane id" % rid)
    no_body = method == "HEAD" or r.status in (204, 304)
    if no_body and r.body:
        out.append("%s %d has a body of %d bytes" % (method, r.status, len(r.body)))
    clen = r.get("Content-Length")
    if clen is not None and not no_body and clen != str(len(r.body)):
        out.append("Content-Length %s but the body has %d bytes" % (clen, len(r.body)))
    if r.status == 401 and not (r.get("WWW-Authenticate") or "").startswith("Bearer"):
        out.append("401 without WWW-Authenticate: Bearer")
    if r.status == 405 and not r.get("Allow"):
        out.append("405 without an Allow header")
    if r.status == 503 and not re.match(r"^\d+$", r.get("Retry-After") or ""):
        out.append("503 without a Retry-After of whole seconds")
    if no_body:
        return
    ctype = r.get("Content-Type") or ""
    if not re.match(r"^application/json\s*(;|$)", ctype):
        out.append("Content-Type %r, expected application/json" % ctype)
    doc = r.json()
    if isinstance(doc, Exception):
        out.append("body is not JSON (%s): %r" % (doc, r.body[:200]))
        return
    if r.status == 422:
        detail = doc.get("detail") if isinstance(doc, dict) else None
        if not isinstance(detail, list) or not detail:
            out.append("422 body has no non-empty detail list (API.md §2)")
            return
        for i, d in enumerate(detail):
            ok = (isinstance(d, dict) and isinstance(d.get("loc"), list) and d["loc"]
                  and d["loc"][0] in ("body", "query", "path", "header")
                  and isinstance(d.get("msg"), str) and isinstance(d.get("type"), str))
            if not ok:
                out.append("422 detail[%d] is not {loc: [body|query|path|header, ...], "
                           "msg, type}: %s" % (i, show(d)))
    elif r.status >= 300:
        err = doc.get("error") if isinstance(doc, dict) else None
        want_type = ERROR_TYPES.get(r.status)
        if not isinstance(doc, dict) or doc.get("success") is not False \
                or doc.get("status") != r.status or not isinstance(err, dict) \
                or not isinstance(err.get("message"), str) or not err["message"] \
                or (want_type and err.get("type") != want_type):
            out.append("error body is not the contract's shape {success:false, status:%d, "
                       "error:{message, type:%s}}: %s"
                       % (r.status, want_type, r.body[:300].decode("utf-8", "replace")))


def check_line(r, line, saved, out):
    word, _, rest = line.partition(" ")
    rest = rest.strip()
    if word == "status":
        if r.status != int(rest):
            out.append("status: expected %s, got %d" % (rest, r.status))
    elif word in ("header", "header-list", "header-has"):
        m = re.match(r"^([A-Za-z0-9-]+)(?:(:)\s?(.*)|\s+(!=|~)\s+(.*))?$", rest)
        if not m:
            raise ValueError("bad header expectation %r" % line)
        name, colon, value, op, arg = m.groups()
        got = r.get(name)
        if got is None:
            out.append("header %s: expected %s, absent" %
                       (name, repr(value) if colon else "present"))
            return
        if colon and word == "header" and got != value:
            out.append("header %s: expected %r, got %r" % (name, value, got))
        elif colon and word == "header-list" and members(got) != members(value):
            out.append("header %s: expected the members %s (any order), got %r"
                       % (name, members(value), got))
        elif colon and word == "header-has" and not set(members(value)) <= set(members(got)):
            out.append("header %s: expected to list %s, got %r" % (name, members(value), got))
        elif op == "!=" and got == arg:
            out.append("header %s: expected anything but %r" % (name, arg))
        elif op == "~" and not re.search(arg, got):
            out.append("header %s: %r does not match /%s/" % (name, got, arg))
    elif word == "no-header":
        if r.get(rest) is not None:
            out.append("header %s: expected absent, got %r" % (rest, r.get(rest)))
    elif word == "body-empty":
        if r.body:
            out.append("body: expected empty, got %d bytes" % len(r.body))
    elif word == "json":
        doc = r.json()
        if isinstance(doc, Exception):
            out.append("json %s: body is not JSON (%s)" % (rest, doc))
            return
        m = re.match(r"^(\S+)\s+(==|!=|~|exists|absent|length)\s*(.*)$", rest)
        if not m:
            raise ValueError("bad json expectation %r" % line)
        path, op, arg = m.groups()
        got = resolve(doc, path)
        if op == "exists":
            if got is MISSING:
                out.append("json %s: expected present, absent" % path)
        elif op == "absent":
            if got is not MISSING:
                out.append("json %s: expected absent, got %s" % (path, show(got)))
        elif op == "length":
            if not isinstance(got, (list, dict, str)) or len(got) != int(arg):
                out.append("json %s: expected length %s, got %s" % (path, arg, show(got)))
        elif op == "~":
            if not isinstance(got, str) or not re.search(arg, got):
                out.append("json %s: %s does not match /%s/" % (path, show(got), arg))
        else:
            want = json.loads(arg)
            same = got is not MISSING and got == want and type(got) is type(want)
            if op == "==" and not same:
                out.append("json %s: expected %s, got %s" % (path, show(want), show(got)))
            elif op == "!=" and same:
                out.append("json %s: expected anything but %s" % (path, show(want)))
    elif word == "save":
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s+(header|json)\s+(\S+)$", rest)
        if not m:
            raise ValueError("bad save line %r" % line)
        var, kind, what = m.groups()
        if kind == "header":
            v = r.get(what)
        else:
            doc = r.json()
            v = None if isinstance(doc, Exception) else resolve(doc, what)
            v = None if v is MISSING else (v if isinstance(v, str) else json.dumps(v))
        if v is None or "\t" in v or "\n" in v:
            out.append("save %s: %s %s is absent or not one line" % (var, kind, what))
        else:
            saved.append((var, v))
    else:
        raise ValueError("unknown expectation %r" % line)


def check(outfile, method, expfile, savefile):
    """Returns (exit code, lines to print) for one case."""
    with open(outfile, "rb") as f:
        r = Response(f.read())
    problems = list(r.problems)
    saved = []
    with open(expfile, encoding="utf-8", errors="surrogateescape") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    try:
        for line in lines:
            check_line(r, line, saved, problems)
    except (ValueError, re.error) as e:
        return 2, ["# case file error: %s" % e]
    invariants(r, method, problems)
    with open(savefile, "w", encoding="utf-8") as f:
        for var, v in saved:
            f.write("%s\t%s\n" % (var, v))
    out = ["# " + p for p in problems]
    if problems:
        head = r.raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").replace("\r\n", " | ")
        out.append("#   got: %s" % head[:400])
        if r.body:
            out.append("#   body: %s" % r.body[:400].decode("utf-8", "replace"))
        return 1, out
    return 0, out


def main():
    if sys.argv[1:] == ["--serve"]:
        # One process for a whole run (Python starts slowly): each input
        # line is OUTPUT_FILE<TAB>METHOD<TAB>EXPECT_FILE<TAB>SAVE_FILE; the
        # answer is the lines to print, then "@@done RC".
        for req in sys.stdin:
            try:
                rc, out = check(*req.rstrip("\n").split("\t"))
            except Exception as e:  # a bad request must not hang run.sh
                rc, out = 2, ["# check.py: %s: %s" % (type(e).__name__, e)]
            for l in out:
                print(l)
            print("@@done %d" % rc, flush=True)
        return 0
    rc, out = check(*sys.argv[1:5])
    for l in out:
        print(l)
    return rc


if __name__ == "__main__":
    sys.exit(main())
