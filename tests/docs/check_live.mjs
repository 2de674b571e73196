// check_live.mjs - the OpenAPI document describes what the running server
// answers: each request below (one per documented answer: success, the
// conditional requests, Prefer, every error the routes return) gets the
// expected status; that status is documented for the operation; the body
// validates against the documented schema (ajv, JSON Schema 2020-12, as
// OpenAPI 3.1 uses); the headers the document promises are there. Also:
// every example in the document validates against its own schema.
//
//   node check_live.mjs SRC_DIR BASE_URL KEY NAMESPACE COLLECTION DOC_A DOC_B
//
// DOC_A is listed, read, patched and then deleted with Prefer: return=minimal;
// DOC_B is deleted. DUMP=1 prints each real answer (to take examples from).
// Prints "ok - ..." / "not ok - ..." lines; exit status 1 when one failed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [src, base, key, ns, col, docA, docB] = process.argv.slice(2);
if (!docB) {
  console.error("usage: node check_live.mjs SRC_DIR BASE_URL KEY NAMESPACE COLLECTION DOC_A DOC_B");
  process.exit(2);
}
const doc = JSON.parse(readFileSync(join(src, "cgi/openapi.json"), "utf8"));
let failed = 0;
function report(ok, what, detail) {
  console.log(`${ok ? "ok" : "not ok"} - ${what}${ok || !detail ? "" : "\n    " + detail}`);
  if (!ok) failed++;
}

// The document's schemas, addressable as openapi.json#/components/schemas/X.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...doc, $id: "openapi.json" });
const deref = (o) => {
  while (o && o.$ref) {
    let n = doc;
    for (const p of o.$ref.slice(2).split("/")) n = n[p.replace(/~1/g, "/").replace(/~0/g, "~")];
    o = n;
  }
  return o;
};
// a schema of the document, its $refs made absolute
const absolute = (s) => JSON.parse(JSON.stringify(s).replace(/"\$ref":"#\//g, '"$ref":"openapi.json#/'));
function validate(schema, value) {
  const v = ajv.compile(absolute(schema));
  return v(value) ? null : ajv.errorsText(v.errors);
}

// 1. every example validates against its schema
let nex = 0;
const bad = [];
(function walk(node, path) {
  if (Array.isArray(node)) return node.forEach((x, i) => walk(x, `${path}/${i}`));
  if (!node || typeof node !== "object") return;
  if (node.schema && (node.example !== undefined || node.examples)) {
    const list = node.example !== undefined ? [["example", node.example]]
      : Object.entries(node.examples).map(([k, e]) => [k, deref(e).value]);
    for (const [name, value] of list) {
      nex++;
      const err = validate(node.schema, value);
      if (err) bad.push(`${path} ${name}: ${err}`);
    }
  }
  for (const [k, x] of Object.entries(node)) if (k !== "schema") walk(x, `${path}/${k}`);
})(doc.paths, "#/paths");
(function walk(node, path) {
  if (!node || typeof node !== "object") return;
  for (const [k, x] of Object.entries(node)) {
    if (k === "schema" || !x || typeof x !== "object") continue;
    if (x.content) walk(x.content, `${path}/${k}/content`);
    if (x.schema && (x.example !== undefined || x.examples)) {
      const list = x.example !== undefined ? [["example", x.example]]
        : Object.entries(x.examples).map(([n, e]) => [n, deref(e).value]);
      for (const [name, value] of list) {
        nex++;
        const err = validate(x.schema, value);
        if (err) bad.push(`${path}/${k} ${name}: ${err}`);
      }
    }
  }
})(doc.components.responses, "#/components/responses");
report(bad.length === 0, `every example of a body or parameter validates against its schema (${nex} examples)`,
  bad.join("\n    "));

// 2. the live answers
const docPath = (id) => `/v1/collections/${col}/documents/${id}`;
const auth = { Authorization: `Bearer ${key}`, "X-Namespace": ns };
const ITEM = "/v1/collections/{collection_identifier}/documents/{document_id}";
let etag = null;

async function call(what, { method = "GET", path, op, headers = {}, body, status, check }) {
  const init = { method, headers, redirect: "manual" };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  let r, text;
  try {
    r = await fetch(base + path, init);
    text = await r.text();
  } catch (e) {
    return report(false, what, String(e));
  }
  const json = text ? (() => { try { return JSON.parse(text); } catch { return undefined; } })() : undefined;
  if (process.env.DUMP)
    console.error(`### ${what}\n${r.status} ${[...r.headers].filter(([h]) => /etag|preference|allow|www-auth|accept-patch|retry/i.test(h)).map(([h, v]) => `${h}: ${v}`).join("; ")}\n${text}\n`);
  const problems = [];
  if (r.status !== status) problems.push(`status ${r.status}, expected ${status}: ${text.slice(0, 200)}`);
  const [tpl, meth] = op;
  const operation = doc.paths[tpl]?.[meth];
  const resp = operation && deref(operation.responses?.[String(r.status)]);
  if (!operation) problems.push(`no operation ${meth} ${tpl} in the document`);
  else if (!resp) problems.push(`status ${r.status} is not documented for ${meth.toUpperCase()} ${tpl}`);
  else {
    const media = resp.content?.["application/json"];
    if (media?.schema) {
      if (json === undefined) problems.push(`body is not JSON: ${text.slice(0, 200)}`);
      else {
        const err = validate(media.schema, json);
        if (err) problems.push(`body does not match the documented schema: ${err}`);
      }
    } else if (text.length) problems.push(`documented without a body, got ${text.slice(0, 100)}`);
    for (const h of Object.keys(resp.headers || {}))
      if (!r.headers.has(h)) problems.push(`documented header ${h} missing`);
  }
  if (!problems.length && check) {
    const p = check(r, json);
    if (p) problems.push(p);
  }
  report(problems.length === 0, `${what}: ${method} ${path.replace(base, "")} -> ${r.status}`, problems.join("\n    "));
  return r;
}

const G = [ITEM, "get"], P = [ITEM, "patch"], D = [ITEM, "delete"];
await call("health", { path: "/healthz", op: ["/healthz", "get"], status: 200 });
await call("the document describes itself", {
  path: "/v1/openapi.json", op: ["/v1/openapi.json", "get"], status: 200,
  check: (r, j) => (JSON.stringify(j) === JSON.stringify(doc) ? null : "served document differs from cgi/openapi.json"),
});
const got = await call("GET a document", {
  path: docPath(docA), op: G, headers: auth, status: 200,
  check: (r, j) => (j.document_id === docA ? null : `document_id ${j.document_id}`),
});
etag = got?.headers?.get("etag");
await call("GET, If-None-Match the current ETag", { path: docPath(docA), op: G, headers: { ...auth, "If-None-Match": etag }, status: 304 });
await call("GET, If-Match another ETag", { path: docPath(docA), op: G, headers: { ...auth, "If-Match": '"999"' }, status: 412 });
await call("GET, If-Match the current ETag", { path: docPath(docA), op: G, headers: { ...auth, "If-Match": etag }, status: 200 });
await call("GET without a key", { path: docPath(docA), op: G, headers: { "X-Namespace": ns }, status: 401 });
await call("GET with an unknown key", {
  path: docPath(docA), op: G, status: 401,
  headers: { Authorization: "Bearer sk_live_" + "0".repeat(40), "X-Namespace": ns },
});
await call("GET without X-Namespace", { path: docPath(docA), op: G, headers: { Authorization: auth.Authorization }, status: 400 });
await call("GET in an unknown namespace", { path: docPath(docA), op: G, headers: { ...auth, "X-Namespace": "nowhere" }, status: 404 });
await call("GET in an unknown collection", {
  path: `/v1/collections/nope/documents/${docA}`, op: G, headers: auth, status: 404,
});
await call("GET an unknown document", { path: docPath("doc_missing"), op: G, headers: auth, status: 404 });
await call("GET, a query boolean that is not one", { path: docPath(docA) + "?return_vectors=maybe", op: G, headers: auth, status: 422 });
await call("GET, presigned URLs asked for, presigning not configured", {
  path: docPath(docA) + "?return_url=true", op: G, headers: auth, status: 503,
});
await call("POST is not a method of the path", {
  method: "POST", path: docPath(docA), op: G, headers: { ...auth, "Content-Type": "application/json" }, body: {},
  status: 405, check: (r) => {
    const allow = r.headers.get("allow") || "";
    return ["GET", "PATCH", "PUT", "DELETE"].every((m) => allow.includes(m)) ? null : `Allow: ${allow}`;
  },
});

// an object's documents and tree: the seed's obj_root1 has one document
// (DOC_A's neighbour, never deleted), made from the bucket
const OBJ = ["/v1/objects/{object_id}/documents", "get"];
const TREE = ["/v1/objects/{object_id}/decomposition-tree", "get"];
await call("an object's documents, with totals", {
  path: "/v1/objects/obj_root1/documents?include_total=true", op: OBJ, headers: auth, status: 200,
  check: (r, j) => (j.documents?.length === 1 && j.pagination?.total === 1 && j.pagination.has_more === false &&
    JSON.stringify(Object.values(j.by_collection || {})) === "[1]" ? null : `answer ${JSON.stringify(j).slice(0, 300)}`),
});
await call("an object's documents, Prefer: count=planned", {
  path: `/v1/objects/obj_root1/documents?collection_ids=${col}&limit=1`, op: OBJ,
  headers: { ...auth, Prefer: "count=planned" }, status: 200,
  check: (r) => (r.headers.get("preference-applied") === "count=exact" ? null : `Preference-Applied: ${r.headers.get("preference-applied")}`),
});
await call("an object no document comes from", { path: "/v1/objects/obj_none/documents", op: OBJ, headers: auth, status: 200 });
await call("an object's documents, a cursor the server did not issue", {
  path: "/v1/objects/obj_root1/documents?cursor=x.y", op: OBJ, headers: auth, status: 422,
});
await call("an object's documents, Prefer: count=lots", {
  path: "/v1/objects/obj_root1/documents", op: OBJ, headers: { ...auth, Prefer: "count=lots" }, status: 422,
});
await call("an object's documents in an unknown collection", {
  path: "/v1/objects/obj_root1/documents?collection_ids=nope", op: OBJ, headers: auth, status: 404,
});
await call("an object's documents without a key", { path: "/v1/objects/obj_root1/documents", op: OBJ, headers: { "X-Namespace": ns }, status: 401 });
await call("an object's documents, presigned URLs asked for, presigning not configured", {
  path: "/v1/objects/obj_root1/documents?return_url=true", op: OBJ, headers: auth, status: 503,
});
await call("an object's decomposition tree, with document ids", {
  path: "/v1/objects/obj_root1/decomposition-tree?include_document_ids=true", op: TREE, headers: auth, status: 200,
  check: (r, j) => (JSON.stringify(j.tree?.map((n) => [n.document_count, n.document_ids, n.children])) ===
    JSON.stringify([[1, ["doc_docs1"], []]]) && j.root_bucket_id === "bkt_marketing" ? null : `answer ${JSON.stringify(j)}`),
});
await call("the tree of an object no document comes from", {
  path: "/v1/objects/obj_none/decomposition-tree", op: TREE, headers: auth, status: 200,
  check: (r, j) => (JSON.stringify(j) === '{"object_id":"obj_none","tree":[]}' ? null : `answer ${JSON.stringify(j)}`),
});
await call("the tree, include_document_ids not a boolean", {
  path: "/v1/objects/obj_root1/decomposition-tree?include_document_ids=yes", op: TREE, headers: auth, status: 422,
});
await call("the tree in an unknown namespace", {
  path: "/v1/objects/obj_root1/decomposition-tree", op: TREE, headers: { ...auth, "X-Namespace": "nowhere" }, status: 404,
});

// the lists: the seed's three documents (none deleted yet), Seed one with
// tags, created 10:30, 10:31, 10:32
const LIST = ["/v1/collections/{collection_identifier}/documents/list", "post"];
const NSLIST = ["/v1/documents/list", "post"];
const listPath = `/v1/collections/${col}/documents/list`;
const json = { ...auth, "Content-Type": "application/json" };
const ids = (j) => JSON.stringify((j.results || []).map((d) => d.document_id));
await call("list, a filter, a sort, select and totals", {
  method: "POST", path: listPath + "?include_total=true", op: LIST, headers: json, status: 200,
  body: { filters: { OR: [{ field: "metadata.tags", operator: "contains", value: "A" }, { "metadata.title": "SEED TWO" }] },
    sort: { field: "metadata.title", direction: "desc" }, select: ["metadata.title"] },
  check: (r, j) => (ids(j) === JSON.stringify([docA, "doc_docs1"]) && j.pagination.total === 2 && j.total_documents === 2 &&
    j.stats?.total_documents === 2 && JSON.stringify(Object.keys(j.results[0]).sort()) === '["collection_id","document_id","metadata"]'
    ? null : `answer ${JSON.stringify(j).slice(0, 400)}`),
});
let firstPage = null;
await call("list, one per page", {
  method: "POST", path: listPath + "?limit=1", op: LIST, headers: json, body: {}, status: 200,
  check: (r, j) => {
    firstPage = j;
    return ids(j) === '["doc_docs1"]' && j.pagination.has_more && j.pagination.next_cursor &&
      j.pagination.page === 1 && j.pagination.next_page ? null : `answer ${JSON.stringify(j).slice(0, 400)}`;
  },
});
await call("list, the next page by cursor (in the body)", {
  method: "POST", path: listPath + "?limit=1", op: LIST, headers: json, status: 200,
  body: { cursor: firstPage?.pagination?.next_cursor },
  check: (r, j) => (ids(j) === JSON.stringify([docA]) && j.pagination.has_more && !("page" in j.pagination)
    ? null : `answer ${JSON.stringify(j).slice(0, 400)}`),
});
await call("list, that cursor with other filters", {
  method: "POST", path: listPath + "?limit=1", op: LIST, headers: json, status: 422,
  body: { cursor: firstPage?.pagination?.next_cursor, filters: { "metadata.draft": true } },
});
await call("list without a body", {
  method: "POST", path: listPath, op: LIST, headers: auth, status: 200,
  check: (r, j) => (j.results?.length === 3 && j.pagination.has_more === false ? null : `answer ${JSON.stringify(j).slice(0, 300)}`),
});
await call("list, Prefer: count=planned", {
  method: "POST", path: listPath + "?limit=1", op: LIST, headers: { ...json, Prefer: "count=planned" }, body: {}, status: 200,
  check: (r, j) => (r.headers.get("preference-applied") === "count=planned" && Number.isInteger(j.pagination.total)
    ? null : `Preference-Applied: ${r.headers.get("preference-applied")}, total ${j.pagination.total}`),
});
await call("list, grouped", {
  method: "POST", path: listPath, op: LIST, headers: json, status: 200,
  body: { group_by: "metadata.draft", select: ["metadata.title"] },
  check: (r, j) => (JSON.stringify(j.groups?.map((g) => [g.group_key, g.count])) === "[[true,1],[null,2]]" &&
    j.group_by_field === "metadata.draft" ? null : `answer ${JSON.stringify(j).slice(0, 400)}`),
});
await call("list, an unknown operator", {
  method: "POST", path: listPath, op: LIST, headers: json, status: 422,
  body: { filters: { field: "metadata.title", operator: "between", value: [1, 2] } },
});
await call("list, a Qdrant filter", { method: "POST", path: listPath, op: LIST, headers: json, status: 422, body: { filters: { must: [] } } });
await call("list, a cursor the server did not issue", { method: "POST", path: listPath + "?cursor=x.y", op: LIST, headers: json, body: {}, status: 422 });
await call("list, a body that is not an object", { method: "POST", path: listPath, op: LIST, headers: json, body: "[]", status: 422 });
await call("list, text/plain", { method: "POST", path: listPath, op: LIST, headers: { ...auth, "Content-Type": "text/plain" }, body: "{}", status: 415 });
await call("list without a key", { method: "POST", path: listPath, op: LIST, headers: { "X-Namespace": ns, "Content-Type": "application/json" }, body: {}, status: 401 });
await call("list in an unknown collection", {
  method: "POST", path: "/v1/collections/nope/documents/list", op: LIST, headers: json, body: {}, status: 404,
});
await call("list, presigned URLs asked for in the body, presigning not configured", {
  method: "POST", path: listPath, op: LIST, headers: json, body: { return_url: true }, status: 503,
});
await call("GET is not a method of the list", {
  path: listPath, op: LIST, headers: auth, status: 405,
  check: (r) => (r.headers.get("allow")?.includes("POST") ? null : `Allow: ${r.headers.get("allow")}`),
});
if (process.env.DOCS_READ_KEY)
  await call("list with a read-only key", {
    method: "POST", path: listPath + "?limit=1", op: LIST, body: {}, status: 200,
    headers: { ...json, Authorization: `Bearer ${process.env.DOCS_READ_KEY}` },
  });
await call("list across the namespace, one collection by name", {
  method: "POST", path: "/v1/documents/list?include_total=true", op: NSLIST, headers: json, status: 200,
  body: { collection_ids: [col], filters: { field: "metadata.title", operator: "starts_with", value: "seed t" } },
  check: (r, j) => (ids(j) === JSON.stringify([docA, docB]) && j.pagination.total === 2 ? null : `answer ${JSON.stringify(j).slice(0, 400)}`),
});
await call("list across the namespace, an unknown collection", {
  method: "POST", path: "/v1/documents/list", op: NSLIST, headers: json, body: { collection_ids: [col, "nope"] }, status: 404,
});
await call("list across the namespace, collection_ids not a list", {
  method: "POST", path: "/v1/documents/list", op: NSLIST, headers: json, body: { collection_ids: col }, status: 422,
});

// aggregate: reads only, over the same three documents
const AGG = ["/v1/collections/{collection_identifier}/documents/aggregate", "post"];
const aggPath = `/v1/collections/${col}/documents/aggregate`;
const rows = (j) => JSON.stringify((j.results || []).map((g) => [g.group, g.metrics]));
await call("aggregate, by source_type with push", {
  method: "POST", path: aggPath, op: AGG, headers: json, status: 200,
  body: { group_by: [{ field: "source_type", alias: "kind" }],
    aggregations: [{ function: "count", alias: "n" }, { function: "push", field: "document_id", alias: "ids" }] },
  check: (r, j) => (rows(j) === JSON.stringify([[{ kind: "bucket" }, { n: 2, ids: ["doc_docs1", docB] }],
    [{ kind: "collection" }, { n: 1, ids: [docA] }]]) && j.total_groups === 2 &&
    j.query_info?.matched_documents === 3 && j.query_info.truncated === false && j.query_info.collection_id?.startsWith("col_")
    ? null : `answer ${JSON.stringify(j).slice(0, 400)}`),
});
await call("aggregate, unwind, date_trunc, having, sort_by", {
  method: "POST", path: aggPath, op: AGG, headers: json, status: 200,
  body: { unwind: "metadata.tags", group_by: [{ field: "metadata.tags", alias: "tag" }, { field: "created_at", date_trunc: "day", alias: "day" }],
    aggregations: [{ function: "count", alias: "n" }], having: [{ field: "n", operator: "gte", value: 1 }], sort_by: "tag", sort_direction: "desc" },
  check: (r, j) => (rows(j) === JSON.stringify([[{ tag: "b", day: "2025-10-18T00:00:00Z" }, { n: 1 }],
    [{ tag: "a", day: "2025-10-18T00:00:00Z" }, { n: 1 }]]) ? null : `answer ${JSON.stringify(j).slice(0, 400)}`),
});
await call("aggregate, range buckets, a limit", {
  method: "POST", path: aggPath, op: AGG, headers: json, status: 200,
  body: { group_by: [{ field: "document_schema_version", alias: "v" }], range_buckets: [{ field: "metadata.n", boundaries: [1] }],
    aggregations: [{ function: "count", alias: "n" }], limit: 1 },
  check: (r, j) => (rows(j) === JSON.stringify([[{ v: "v1", "metadata.n": "other" }, { n: 1 }]]) && j.total_groups === 1
    ? null : `answer ${JSON.stringify(j).slice(0, 400)}`),
});
await call("aggregate without group_by and aggregations", { method: "POST", path: aggPath, op: AGG, headers: json, body: {}, status: 422 });
await call("aggregate, an unknown function and sort_by", {
  method: "POST", path: aggPath, op: AGG, headers: json, status: 422,
  body: { group_by: [{ field: "source_type" }], aggregations: [{ function: "median", field: "metadata.n", alias: "m" }], sort_by: "nope" },
});
await call("aggregate, a Mongo-style filter", {
  method: "POST", path: aggPath, op: AGG, headers: json, status: 422,
  body: { group_by: [{ field: "source_type" }], aggregations: [{ function: "count", alias: "n" }], filters: { created_at: { $gte: "2024-01-01" } } },
});
await call("aggregate in an unknown collection", {
  method: "POST", path: "/v1/collections/nope/documents/aggregate", op: AGG, headers: json, status: 404,
  body: { group_by: [{ field: "source_type" }], aggregations: [{ function: "count", alias: "n" }] },
});
await call("aggregate, text/plain", { method: "POST", path: aggPath, op: AGG, headers: { ...auth, "Content-Type": "text/plain" }, body: "{}", status: 415 });
await call("aggregate without a key", { method: "POST", path: aggPath, op: AGG, headers: { "X-Namespace": ns, "Content-Type": "application/json" }, body: {}, status: 401 });
await call("GET is not a method of aggregate", {
  path: aggPath, op: AGG, headers: auth, status: 405,
  check: (r) => (r.headers.get("allow") === "POST" ? null : `Allow: ${r.headers.get("allow")}`),
});
if (process.env.DOCS_READ_KEY)
  await call("aggregate with a read-only key", {
    method: "POST", path: aggPath, op: AGG, status: 200,
    body: { group_by: [{ field: "source_type" }], aggregations: [{ function: "count", alias: "n" }] },
    headers: { ...json, Authorization: `Bearer ${process.env.DOCS_READ_KEY}` },
  });

// bulk: dry runs and refusals write nothing (DOC_A keeps its ETag, checked
// by a 304); the one real write is to doc_docs1
const BULK = ["/v1/collections/{collection_identifier}/documents/bulk", "patch"];
const bulkPath = `/v1/collections/${col}/documents/bulk`;
await call("bulk, a dry run over every document", {
  method: "PATCH", path: bulkPath, op: BULK, headers: { ...json, Prefer: "tx=rollback" }, status: 200,
  body: { filters: {}, update_data: { "metadata.checked": true } },
  check: (r, j) => (j.updated_count === 3 && r.headers.get("preference-applied") === "tx=rollback"
    ? null : `Preference-Applied: ${r.headers.get("preference-applied")}, answer ${JSON.stringify(j)}`),
});
await call("GET after the dry run: the same version", { path: docPath(docA), op: G, headers: { ...auth, "If-None-Match": etag }, status: 304 });
await call("bulk, more matches than max-affected", {
  method: "PATCH", path: bulkPath, op: BULK, headers: { ...json, Prefer: "max-affected=2" }, status: 422,
  body: { filters: {}, update_data: { "metadata.checked": true } },
  check: (r, j) => (j.detail?.[0]?.msg === "3 documents would be affected, more than max-affected=2" &&
    JSON.stringify(j.detail[0].loc) === '["header","Prefer"]' ? null : `answer ${JSON.stringify(j)}`),
});
await call("bulk without filters", {
  method: "PATCH", path: bulkPath, op: BULK, headers: json, status: 422, body: { update_data: { "metadata.checked": true } },
  check: (r, j) => (JSON.stringify(j.detail?.[0]?.loc) === '["body","filters"]' ? null : `answer ${JSON.stringify(j)}`),
});
await call("bulk, a read-only field", {
  method: "PATCH", path: bulkPath, op: BULK, headers: json, status: 422, body: { filters: {}, update_data: { source_type: "bucket" } },
});
await call("bulk, a document that cannot take the update", {
  method: "PATCH", path: bulkPath, op: BULK, headers: json, status: 422,
  body: { filters: { document_id: "doc_docs1" }, update_data: { "metadata.title.x": 1 } },
  check: (r, j) => (j.detail?.[0]?.msg?.includes("doc_docs1") ? null : `answer ${JSON.stringify(j)}`),
});
await call("bulk, Prefer: tx=maybe", {
  method: "PATCH", path: bulkPath, op: BULK, headers: { ...json, Prefer: "tx=maybe" }, status: 422, body: { filters: {}, update_data: { a: 1 } },
});
await call("bulk, a merge-patch media type", {
  method: "PATCH", path: bulkPath, op: BULK, headers: { ...auth, "Content-Type": "application/merge-patch+json" }, status: 415, body: { filters: {}, update_data: { a: 1 } },
});
await call("bulk in an unknown collection", {
  method: "PATCH", path: "/v1/collections/nope/documents/bulk", op: BULK, headers: json, status: 404, body: { filters: {}, update_data: { a: 1 } },
});
await call("GET is not a method of bulk", {
  path: bulkPath, op: BULK, headers: auth, status: 405,
  check: (r) => (r.headers.get("allow") === "PATCH" ? null : `Allow: ${r.headers.get("allow")}`),
});
if (process.env.DOCS_READ_KEY)
  await call("bulk with a read-only key", {
    method: "PATCH", path: bulkPath, op: BULK, status: 403, body: { filters: {}, update_data: { a: 1 } },
    headers: { ...json, Authorization: `Bearer ${process.env.DOCS_READ_KEY}` },
  });
await call("bulk, one document, max-affected=1", {
  method: "PATCH", path: bulkPath, op: BULK, headers: { ...json, Prefer: "max-affected=1" }, status: 200,
  body: { filters: { document_id: "doc_docs1" }, update_data: { "metadata.reviewed_by": "docs suite" } },
  check: (r, j) => (j.updated_count === 1 && r.headers.get("preference-applied") === "max-affected=1"
    ? null : `Preference-Applied: ${r.headers.get("preference-applied")}, answer ${JSON.stringify(j)}`),
});

// batch: dry runs, refusals and failed items write nothing (DOC_A keeps its
// ETag, checked by a 304; DOC_B is still there); the real writes are an
// update of doc_docs1 and the delete of a document made here for it
const BATCH = "/v1/collections/{collection_identifier}/documents/batch";
const BU = [BATCH, "post"], BD = [BATCH, "delete"];
const batchPath = `/v1/collections/${col}/documents/batch`;
const res = (j) => JSON.stringify((j.results || []).map((x) => [x.document_id, x.success, x.error ?? null]));
const pa = (r) => r.headers.get("preference-applied");
await call("batch update, a dry run: one result per item, in request order", {
  method: "POST", path: batchPath, op: BU, headers: { ...json, Prefer: "tx=rollback" }, status: 200,
  body: { updates: [{ document_id: docA, update_data: { "metadata.batch": 1 } }, { document_id: "doc_missing", update_data: { "metadata.batch": 1 } },
    { document_id: "doc_docs1", update_data: { metadata: { batch: 1 } } }] },
  check: (r, j) => (res(j) === JSON.stringify([[docA, true, null], ["doc_missing", false, "Document not found"], ["doc_docs1", true, null]]) &&
    j.updated_count === 2 && j.failed_count === 1 && j.message === "Batch update completed" && pa(r) === "tx=rollback"
    ? null : `Preference-Applied: ${pa(r)}, answer ${JSON.stringify(j)}`),
});
await call("batch update, atomic, one document missing", {
  method: "POST", path: batchPath, op: BU, headers: json, status: 409,
  body: { atomic: true, updates: [{ document_id: docA, update_data: { "metadata.batch": 1 } }, { document_id: "doc_missing", update_data: { "metadata.batch": 1 } }] },
  check: (r, j) => (j.error?.message === "Batch not applied: 1 item(s) failed" &&
    JSON.stringify(j.error.details) === '{"failed_count":1,"results":[{"document_id":"doc_missing","success":false,"error":"Document not found"}]}'
    ? null : `answer ${JSON.stringify(j)}`),
});
await call("batch update, a read-only field changed: that item fails", {
  method: "POST", path: batchPath, op: BU, headers: json, status: 200,
  body: { updates: [{ document_id: docA, update_data: { source_type: "bucket", "metadata.batch": 1 } }] },
  check: (r, j) => (res(j) === JSON.stringify([[docA, false, "Field 'source_type' is read-only"]]) && j.updated_count === 0
    ? null : `answer ${JSON.stringify(j)}`),
});
await call("GET after the batch dry run and the failed items: the same version", { path: docPath(docA), op: G, headers: { ...auth, "If-None-Match": etag }, status: 304 });
await call("batch update, filter mode, a dry run over every document", {
  method: "POST", path: batchPath, op: BU, headers: { ...json, Prefer: "tx=rollback, max-affected=3" }, status: 200,
  body: { filters: {}, update_data: { "metadata.checked": true } },
  check: (r, j) => (j.updated_count === 3 && j.failed_count === 0 && res(j) === "[]" && pa(r) === "max-affected=3, tx=rollback"
    ? null : `Preference-Applied: ${pa(r)}, answer ${JSON.stringify(j)}`),
});
await call("batch update, more items than max-affected", {
  method: "POST", path: batchPath, op: BU, headers: { ...json, Prefer: "max-affected=1" }, status: 422,
  body: { updates: [{ document_id: docA, update_data: { "metadata.batch": 1 } }, { document_id: "doc_docs1", update_data: { "metadata.batch": 1 } }] },
  check: (r, j) => (j.detail?.[0]?.msg === "2 documents would be affected, more than max-affected=1" &&
    JSON.stringify(j.detail[0].loc) === '["header","Prefer"]' ? null : `answer ${JSON.stringify(j)}`),
});
await call("batch update, filter mode without filters", {
  method: "POST", path: batchPath, op: BU, headers: json, status: 422, body: { update_data: { "metadata.checked": true } },
  check: (r, j) => (JSON.stringify(j.detail?.[0]?.loc) === '["body","filters"]' &&
    j.detail[0].msg === 'filters is required; send "filters": {} to update every document' ? null : `answer ${JSON.stringify(j)}`),
});
await call("batch update, updates and filters", {
  method: "POST", path: batchPath, op: BU, headers: json, status: 422,
  body: { updates: [{ document_id: docA, update_data: {} }], filters: {} },
});
await call("batch update, a document_id repeated", {
  method: "POST", path: batchPath, op: BU, headers: json, status: 422,
  body: { updates: [{ document_id: docA, update_data: {} }, { document_id: docA, update_data: {} }] },
  check: (r, j) => (JSON.stringify(j.detail?.[0]?.loc) === '["body","updates",1,"document_id"]' ? null : `answer ${JSON.stringify(j)}`),
});
await call("batch update, atomic not a boolean", {
  method: "POST", path: batchPath, op: BU, headers: json, status: 422, body: { atomic: "yes", updates: [{ document_id: docA, update_data: {} }] },
});
await call("batch update, text/plain", { method: "POST", path: batchPath, op: BU, headers: { ...auth, "Content-Type": "text/plain" }, body: "{}", status: 415 });
await call("batch update in an unknown collection", {
  method: "POST", path: "/v1/collections/nope/documents/batch", op: BU, headers: json, status: 404,
  body: { updates: [{ document_id: docA, update_data: {} }] },
});
await call("batch update without a key", {
  method: "POST", path: batchPath, op: BU, headers: { "X-Namespace": ns, "Content-Type": "application/json" }, body: {}, status: 401,
});
await call("GET is not a method of batch", {
  path: batchPath, op: BU, headers: auth, status: 405,
  check: (r) => (r.headers.get("allow") === "POST, DELETE" ? null : `Allow: ${r.headers.get("allow")}`),
});
if (process.env.DOCS_READ_KEY) {
  await call("batch update with a read-only key", {
    method: "POST", path: batchPath, op: BU, status: 403, body: { updates: [{ document_id: docA, update_data: {} }] },
    headers: { ...json, Authorization: `Bearer ${process.env.DOCS_READ_KEY}` },
  });
  await call("batch delete with a read-only key", {
    method: "DELETE", path: batchPath, op: BD, status: 403, body: { document_ids: [docB] },
    headers: { ...json, Authorization: `Bearer ${process.env.DOCS_READ_KEY}` },
  });
}
await call("batch update, one document, max-affected=1", {
  method: "POST", path: batchPath, op: BU, headers: { ...json, Prefer: "max-affected=1" }, status: 200,
  body: { updates: [{ document_id: "doc_docs1", update_data: { "metadata.batch_checked": true } }] },
  check: (r, j) => (res(j) === '[["doc_docs1",true,null]]' && j.updated_count === 1 && pa(r) === "max-affected=1"
    ? null : `Preference-Applied: ${pa(r)}, answer ${JSON.stringify(j)}`),
});
await call("batch delete, a dry run", {
  method: "DELETE", path: batchPath, op: BD, headers: { ...json, Prefer: "tx=rollback" }, status: 200,
  body: { document_ids: [docB, "doc_missing"] },
  check: (r, j) => (res(j) === JSON.stringify([[docB, true, null], ["doc_missing", false, "Document not found"]]) &&
    j.deleted_count === 1 && j.failed_count === 1 && j.message === "Batch delete completed" && pa(r) === "tx=rollback"
    ? null : `Preference-Applied: ${pa(r)}, answer ${JSON.stringify(j)}`),
});
await call("batch delete, atomic, one document missing", {
  method: "DELETE", path: batchPath, op: BD, headers: json, status: 409, body: { document_ids: [docB, "doc_missing"], atomic: true },
});
await call("GET after the batch delete dry run: still there", { path: docPath(docB), op: G, headers: auth, status: 200 });
await call("batch delete without filters", {
  method: "DELETE", path: batchPath, op: BD, headers: json, status: 422, body: {},
  check: (r, j) => (JSON.stringify(j.detail?.[0]?.loc) === '["body","filters"]' &&
    j.detail[0].msg === 'filters is required; send "filters": {} to delete every document' ? null : `answer ${JSON.stringify(j)}`),
});
await call("batch delete of every document, more than max-affected", {
  method: "DELETE", path: batchPath, op: BD, headers: { ...json, Prefer: "max-affected=1" }, status: 422, body: { filters: {} },
  check: (r, j) => (j.detail?.[0]?.msg === "3 documents would be affected, more than max-affected=1" ? null : `answer ${JSON.stringify(j)}`),
});
await call("batch delete, an id repeated", {
  method: "DELETE", path: batchPath, op: BD, headers: json, status: 422, body: { document_ids: [docB, docB] },
  check: (r, j) => (JSON.stringify(j.detail?.[0]?.loc) === '["body","document_ids",1]' ? null : `answer ${JSON.stringify(j)}`),
});
await call("batch delete, document_ids and filters", {
  method: "DELETE", path: batchPath, op: BD, headers: json, status: 422, body: { document_ids: [docB], filters: {} },
});
await call("batch delete without a body", { method: "DELETE", path: batchPath, op: BD, headers: json, status: 422 });
await call("batch delete in an unknown collection", {
  method: "DELETE", path: "/v1/collections/nope/documents/batch", op: BD, headers: json, status: 404, body: { document_ids: [docB] },
});
const made = await fetch(`${base}/v1/collections/${col}/documents`, {
  method: "POST", headers: json, body: JSON.stringify({ collection_id: col, document_id: "doc_docs_batch", metadata: { title: "Deleted by batch" } }),
}).then((r) => r.status, (e) => String(e));
report(made === 200, `a document to delete by batch: POST ${col}/documents -> ${made}`);
await call("batch delete, by id", {
  method: "DELETE", path: batchPath, op: BD, headers: { ...json, Prefer: "max-affected=1" }, status: 200,
  body: { document_ids: ["doc_docs_batch"] },
  check: (r, j) => (res(j) === '[["doc_docs_batch",true,null]]' && j.deleted_count === 1 && pa(r) === "max-affected=1"
    ? null : `Preference-Applied: ${pa(r)}, answer ${JSON.stringify(j)}`),
});
await call("GET after the batch delete", { path: docPath("doc_docs_batch"), op: G, headers: auth, status: 404 });

const merge = { ...auth, "Content-Type": "application/merge-patch+json" };
await call("PATCH with a text/plain body", {
  method: "PATCH", path: docPath(docA), op: P, headers: { ...auth, "Content-Type": "text/plain" }, body: "x", status: 415,
});
await call("PATCH with malformed JSON", { method: "PATCH", path: docPath(docA), op: P, headers: merge, body: "{", status: 422 });
await call("PATCH changing a read-only field", {
  method: "PATCH", path: docPath(docA), op: P, headers: merge, body: { collection_id: "col_other" }, status: 422,
});
await call("PATCH over the body limit", {
  method: "PATCH", path: docPath(docA), op: P, headers: merge,
  body: { metadata: { big: "x".repeat(1100000) } }, status: 413,
});
await call("PATCH, If-Match another ETag", {
  method: "PATCH", path: docPath(docA), op: P, headers: { ...merge, "If-Match": '"999"' }, body: { metadata: { a: 1 } }, status: 412,
});
await call("PATCH, If-None-Match the current ETag", {
  method: "PATCH", path: docPath(docA), op: P, headers: { ...merge, "If-None-Match": etag }, body: { metadata: { a: 1 } }, status: 412,
});
await call("PATCH, a JSON Patch test that fails", {
  method: "PATCH", path: docPath(docA), op: P, headers: { ...auth, "Content-Type": "application/json-patch+json" },
  body: [{ op: "test", path: "/metadata/title", value: "not the title" }, { op: "remove", path: "/metadata/title" }],
  status: 409,
});
const patched = await call("PATCH, If-Match the current ETag, a merge patch", {
  method: "PATCH", path: docPath(docA), op: P, headers: { ...merge, "If-Match": etag },
  body: { metadata: { title: "Checked against openapi.json", draft: null } }, status: 200,
  check: (r, j) => (j.metadata?.title === "Checked against openapi.json" && !("draft" in j.metadata) ? null : `metadata ${JSON.stringify(j.metadata)}`),
});
const newTag = patched?.headers?.get("etag");
report(!!newTag && newTag !== etag, `the PATCH gave a new ETag (${etag} -> ${newTag})`);
await call("PATCH with Prefer: return=minimal", {
  method: "PATCH", path: docPath(docA), op: P, headers: { ...merge, Prefer: "return=minimal" },
  body: { metadata: { minimal: true } }, status: 204,
  check: (r) => (r.headers.get("preference-applied") === "return=minimal" ? null : `Preference-Applied: ${r.headers.get("preference-applied")}`),
});
await call("PATCH, a JSON Patch", {
  method: "PATCH", path: docPath(docA), op: P, headers: { ...auth, "Content-Type": "application/json-patch+json" },
  body: [{ op: "test", path: "/metadata/title", value: "Checked against openapi.json" }, { op: "add", path: "/metadata/tags", value: ["x"] }],
  status: 200,
});

if (process.env.DOCS_READ_KEY)
  await call("PATCH with a read-only key", {
    method: "PATCH", path: docPath(docA), op: P, body: { metadata: { a: 1 } }, status: 403,
    headers: { ...merge, Authorization: `Bearer ${process.env.DOCS_READ_KEY}` },
  });
await call("DELETE, If-None-Match the current ETag", {
  method: "DELETE", path: docPath(docB), op: D, headers: { ...auth, "If-None-Match": "*" }, status: 412,
});
await call("DELETE, If-Match another ETag", { method: "DELETE", path: docPath(docB), op: D, headers: { ...auth, "If-Match": '"999"' }, status: 412 });
await call("DELETE", { method: "DELETE", path: docPath(docB), op: D, headers: auth, status: 200 });
await call("DELETE again", { method: "DELETE", path: docPath(docB), op: D, headers: auth, status: 404 });
await call("DELETE with Prefer: return=minimal", {
  method: "DELETE", path: docPath(docA), op: D, headers: { ...auth, Prefer: "return=minimal" }, status: 204,
});

process.exit(failed ? 1 : 0);
