#!/usr/bin/env python3
"""fake_imds.py - a loopback test double of the EC2 instance metadata
service (IMDSv2) and of the ECS container credentials endpoint, speaking the
real protocols (Python 3 stdlib only).

    fake_imds.py --port PORT --keys KEYS.json [--ecs-token TOKEN]

Several independent "instances" are served at once: a path that starts with
/i/NAME is served by instance NAME with its own tokens, counters and
settings (so one process serves every docapi instance of a test run; point
s3_imds_endpoint at http://127.0.0.1:PORT/i/NAME). Without the prefix the
instance is "default".

IMDSv2 (as on EC2):
  PUT /latest/api/token
      needs X-aws-ec2-metadata-token-ttl-seconds (1..21600), else 400;
      refuses X-Forwarded-For (403) like the real service; answers the token
      as text/plain and echoes the TTL header.
  GET /latest/meta-data/iam/security-credentials/
      needs a valid X-aws-ec2-metadata-token (else 401); answers the role
      name.
  GET /latest/meta-data/iam/security-credentials/<role>
      same token rule; answers {Code, LastUpdated, Type, AccessKeyId,
      SecretAccessKey, Token, Expiration}; 404 for another role.
ECS container credentials:
  GET /ecs/<anything>, GET /v2/credentials/<anything>
      answers {AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn};
      when --ecs-token is given, requires Authorization: <that token>
      (else 401).

Every credentials answer uses the next key pair of KEYS.json (so each fetch
hands out different credentials) and a session token that contains '/', '+'
and '='. Expiration = now + the instance's lifetime (default 3600 s).

Test control (not part of the real protocols), per instance:
  GET /i/NAME/__control/set?lifetime=N&fail=none|token|creds&expire_tokens=1
  GET /i/NAME/__control/state   -> JSON {counts, requests, issued}
The state lists, per request, method, path and whether the token /
Authorization header was valid, and every credential set handed out.
"""
import argparse
import datetime
import json
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = "docapi-test-role"
LOCK = threading.Lock()
KEYS = []
NEXT_KEY = [0]
ECS_TOKEN = None


class Instance:
    def __init__(self):
        self.tokens = {}          # token -> expiry (epoch seconds)
        self.lifetime = 3600
        self.fail = "none"
        self.counts = {}
        self.requests = []
        self.issued = []


INSTANCES = {}


def instance(name):
    if name not in INSTANCES:
        INSTANCES[name] = Instance()
    return INSTANCES[name]


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def issue(inst, kind):
    """The next credential set, recorded in inst.issued."""
    ak, sk = KEYS[NEXT_KEY[0] % len(KEYS)]
    NEXT_KEY[0] += 1
    token = "FwoGZXIvYXdzE/%s+%s==" % (kind, secrets.token_urlsafe(24))
    exp = now() + datetime.timedelta(seconds=inst.lifetime)
    rec = {"kind": kind, "AccessKeyId": ak, "SecretAccessKey": sk, "Token": token,
           "Expiration": iso(exp), "expires_epoch": int(exp.timestamp())}
    inst.issued.append(rec)
    return rec


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EC2ws"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    def reply(self, status, body, ctype="text/plain", extra=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def split(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        name = "default"
        if path.startswith("/i/"):
            rest = path[3:]
            name, _, tail = rest.partition("/")
            path = "/" + tail
        return name, path, urllib.parse.parse_qs(url.query)

    def record(self, inst, what, ok):
        inst.counts[what] = inst.counts.get(what, 0) + 1
        inst.requests.append({"method": self.command, "path": self.path, "what": what,
                              "ok": ok})

    def token_ok(self, inst):
        tok = self.headers.get("X-aws-ec2-metadata-token")
        exp = inst.tokens.get(tok) if tok else None
        return exp is not None and exp > now().timestamp()

    def do_PUT(self):
        with LOCK:
            name, path, _ = self.split()
            inst = instance(name)
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            if path != "/latest/api/token":
                self.record(inst, "other", False)
                return self.reply(404, "Not Found")
            if self.headers.get("X-Forwarded-For"):
                self.record(inst, "token", False)
                return self.reply(403, "Forbidden")
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                self.record(inst, "token", False)
                return self.reply(400, "Bad Request")
            if inst.fail == "token":
                self.record(inst, "token", False)
                return self.reply(500, "Internal Server Error")
            tok = "AQAEA" + secrets.token_urlsafe(40)
            inst.tokens[tok] = now().timestamp() + int(ttl)
            self.record(inst, "token", True)
            return self.reply(200, tok, extra=[("X-aws-ec2-metadata-token-ttl-seconds", ttl)])

    def do_GET(self):
        with LOCK:
            name, path, q = self.split()
            inst = instance(name)
            if path == "/__control/set":
                if "lifetime" in q:
                    inst.lifetime = int(q["lifetime"][0])
                if "fail" in q:
                    inst.fail = q["fail"][0]
                if q.get("expire_tokens"):
                    inst.tokens.clear()
                return self.reply(200, "ok")
            if path == "/__control/state":
                return self.reply(200, json.dumps({"counts": inst.counts,
                                                   "requests": inst.requests,
                                                   "issued": inst.issued}),
                                  "application/json")
            base = "/latest/meta-data/iam/security-credentials/"
            if path == base:
                ok = self.token_ok(inst)
                self.record(inst, "role", ok)
                if not ok:
                    return self.reply(401, "Unauthorized")
                return self.reply(200, ROLE)
            if path.startswith(base):
                ok = self.token_ok(inst)
                self.record(inst, "creds", ok)
                if not ok:
                    return self.reply(401, "Unauthorized")
                if path[len(base):] != ROLE:
                    return self.reply(404, "Not Found")
                if inst.fail == "creds":
                    return self.reply(500, "Internal Server Error")
                c = issue(inst, "imds")
                body = {"Code": "Success", "LastUpdated": iso(now()), "Type": "AWS-HMAC",
                        "AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"],
                        "Token": c["Token"], "Expiration": c["Expiration"]}
                return self.reply(200, json.dumps(body, indent=2))
            if path.startswith("/ecs/") or path.startswith("/v2/credentials/"):
                ok = ECS_TOKEN is None or self.headers.get("Authorization") == ECS_TOKEN
                self.record(inst, "ecs", ok)
                if not ok:
                    return self.reply(401, json.dumps({"code": "AccessDenied"}),
                                      "application/json")
                if inst.fail == "creds":
                    return self.reply(500, "{}", "application/json")
                c = issue(inst, "ecs")
                body = {"RoleArn": "arn:aws:iam::123456789012:role/" + ROLE,
                        "AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"],
                        "Token": c["Token"], "Expiration": c["Expiration"]}
                return self.reply(200, json.dumps(body), "application/json")
            self.record(inst, "other", False)
            return self.reply(404, "Not Found")


def main():
    global ECS_TOKEN
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--ecs-token")
    a = ap.parse_args()
    with open(a.keys) as f:
        KEYS.extend(tuple(k) for k in json.load(f))
    ECS_TOKEN = a.ecs_token
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    print("fake IMDS listening on 127.0.0.1:%d" % a.port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
