// check_openapi.mjs - cgi/openapi.json is a valid OpenAPI 3.1 document and
// describes exactly the routes of cgi/router.c's table: every route is a
// path + method in the document, every path + method of the document is
// routed, so the two cannot drift apart.
//
//   node tests/docs/check_openapi.mjs [SRC_DIR]
//
// Prints "ok - ..." / "not ok - ..." lines (counted by tests/docs/run.sh);
// exit status 1 when one failed.
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";

const src = process.argv[2] || join(dirname(fileURLToPath(import.meta.url)), "../..");
let failed = 0;
function report(ok, what, detail) {
  console.log(`${ok ? "ok" : "not ok"} - ${what}${ok || !detail ? "" : "\n    " + detail}`);
  if (!ok) failed++;
}

const docPath = join(src, "cgi/openapi.json");
const doc = JSON.parse(readFileSync(docPath, "utf8"));

// 1. the OpenAPI 3.1 schema (the validator also resolves every $ref)
const validator = new Validator();
const res = await validator.validate(doc);
report(res.valid && validator.version === "3.1",
  `cgi/openapi.json is a valid OpenAPI 3.1 document (version ${validator.version})`,
  JSON.stringify(res.errors, null, 1));

// every internal $ref points at something
const refs = [];
(function walk(v) {
  if (Array.isArray(v)) v.forEach(walk);
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) k === "$ref" ? refs.push(x) : walk(x);
})(doc);
const dangling = refs.filter((r) => {
  if (!r.startsWith("#/")) return true;
  let node = doc;
  for (const part of r.slice(2).split("/"))
    node = node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  return node === undefined;
});
report(dangling.length === 0, `every $ref resolves (${refs.length} refs)`, dangling.join(", "));

// 2. the route table: rows { HTTP_GET | HTTP_PATCH, "/pattern/{}", handler, ...
const routerC = readFileSync(join(src, "cgi/router.c"), "utf8");
const table = routerC.match(/routes\[\]\s*=\s*\{([\s\S]*?)\n\};/);
report(!!table, "cgi/router.c has a routes[] table");
const routed = new Set();
if (table) {
  const row = /\{\s*((?:HTTP_[A-Z]+\s*\|\s*)*HTTP_[A-Z]+)\s*,\s*"([^"]*)"/g;
  for (const m of table[1].matchAll(row))
    for (const meth of m[1].split("|"))
      routed.add(`${meth.trim().replace(/^HTTP_/, "").toLowerCase()} ${m[2]}`);
  report(routed.size > 0, `routes[] parsed: ${[...routed].join(", ")}`);
}

// the document's operations, with {name} written as the table's {}
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const documented = new Set();
for (const [path, item] of Object.entries(doc.paths || {}))
  for (const meth of METHODS)
    if (item[meth]) documented.add(`${meth} ${path.replace(/\{[^}]*\}/g, "{}")}`);

for (const r of routed)
  report(documented.has(r), `routed ${r.toUpperCase().replace(/ .*/, "")} ${r.replace(/^\S+ /, "")} is in openapi.json`,
    "add it to cgi/openapi.json's paths");
for (const d of documented)
  report(routed.has(d), `documented ${d.toUpperCase().replace(/ .*/, "")} ${d.replace(/^\S+ /, "")} is in router.c's table`,
    "cgi/openapi.json describes a route docapi does not have");

// 3. what "Try it out" relies on: each operation that needs a key also
// needs the namespace scheme where the route checks X-Namespace, and every
// operation has an operationId and a 2xx response
for (const [path, item] of Object.entries(doc.paths || {}))
  for (const meth of METHODS.filter((m) => item[m])) {
    const op = item[meth];
    const codes = Object.keys(op.responses || {});
    report(!!op.operationId && codes.some((c) => /^2/.test(c)),
      `${meth.toUpperCase()} ${path}: operationId and a 2xx response`);
    const sec = op.security ?? doc.security ?? [];
    if (path.startsWith("/v1/collections/"))
      report(sec.some((s) => "bearerAuth" in s && "namespace" in s),
        `${meth.toUpperCase()} ${path}: needs bearerAuth and the X-Namespace scheme`);
  }
// Swagger UI fills a parameter with its example and sends it: an optional
// header with an example (If-Match "3", Prefer return=minimal) would make
// every "Try it out" a 412 or a 204.
const prefilled = Object.entries(doc.components?.parameters || {})
  .filter(([, p]) => p.in === "header" && !p.required && (p.example !== undefined || p.examples || p.schema?.example !== undefined || p.schema?.default !== undefined))
  .map(([n]) => n);
report(prefilled.length === 0, "no optional header parameter has an example or default (Try it out would send it)",
  prefilled.join(", "));

const ns = doc.components?.securitySchemes?.namespace;
report(ns?.type === "apiKey" && ns?.in === "header" && ns?.name === "X-Namespace",
  "securitySchemes.namespace is an apiKey in the X-Namespace header (entered once in Authorize)");

process.exit(failed ? 1 : 0);
