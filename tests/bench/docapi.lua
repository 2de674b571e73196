-- docapi.lua - wrk script of the docapi benchmark.
--
-- The scenario comes from the environment (run.sh sets it):
--   BENCH_MODE    patch_random | patch_hot | get | get_url | create |
--                 delete | changes
--   BENCH_KEY     bearer API key          BENCH_NS   X-Namespace value
--   BENCH_COL     collection (name or id)
--   BENCH_NDOCS   documents are doc_1 .. doc_NDOCS, picked uniformly
--   BENCH_HOT     the index of the hot document (patch_hot)
-- patch_*: a merge patch of one metadata key ({"metadata":{"counter":N}},
-- N unique per request, so every PATCH really writes).
-- get_url: GET ?return_url=true (presigned URLs for every s3:// blob).
-- create: POST /v1/collections/COL/documents with a small body
--   ({"collection_id":"COL","metadata":{"counter":N}}, N unique per
--   request; docapi picks the document id).
-- delete: DELETE of a different document every request: thread t's k-th
--   request deletes doc_(BENCH_DEL_BASE + (t-1)*BENCH_DEL_STRIDE + k), so
--   the caller loads doc_(BASE+1) .. doc_(BASE + threads*STRIDE) first
--   (tests/bench/lifecycle.sh). Past the stride it would get 404s (non2xx).
-- changes: GET .../documents/changes?since=S&limit=BENCH_LIMIT, S cycling
--   through the comma-separated BENCH_SINCE (page boundaries of the feed).
-- done() prints one machine-readable line for run.sh:
--   RESULT requests=.. duration_us=.. rps=.. p50_us=.. p99_us=.. p999_us=..
--          errors=.. non2xx=..

local mode   = os.getenv("BENCH_MODE") or "get"
local key    = os.getenv("BENCH_KEY") or ""
local ns     = os.getenv("BENCH_NS") or "bench"
local col    = os.getenv("BENCH_COL") or "bench"
local ndocs  = tonumber(os.getenv("BENCH_NDOCS") or "100000")
local hot    = tonumber(os.getenv("BENCH_HOT") or "1")
local del_base   = tonumber(os.getenv("BENCH_DEL_BASE") or "0")
local del_stride = tonumber(os.getenv("BENCH_DEL_STRIDE") or "1000000")
local limit  = os.getenv("BENCH_LIMIT") or "1000"
local since  = {}
for v in string.gmatch(os.getenv("BENCH_SINCE") or "0", "[^,]+") do
   table.insert(since, v)
end

local threads = {}
local counter = 0
local base = "/v1/collections/" .. col .. "/documents/doc_"
local headers = { ["Authorization"] = "Bearer " .. key, ["X-Namespace"] = ns }
local is_patch = mode == "patch_random" or mode == "patch_hot"
local suffix = mode == "get_url" and "?return_url=true" or ""
if is_patch then
   headers["Content-Type"] = "application/merge-patch+json"
elseif mode == "create" then
   headers["Content-Type"] = "application/json"
end
local create_path = "/v1/collections/" .. col .. "/documents"
local create_body = '{"collection_id":"' .. col .. '","metadata":{"counter":'
local changes_path = "/v1/collections/" .. col .. "/documents/changes?limit=" .. limit .. "&since="

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
   counter = (mode == "delete") and 0 or (tid or 0) * 1000000000
end

function request()
   if mode == "create" then
      counter = counter + 1
      return wrk.format("POST", create_path, headers, create_body .. counter .. '}}')
   elseif mode == "delete" then
      counter = counter + 1
      return wrk.format("DELETE", base .. (del_base + ((tid or 1) - 1) * del_stride + counter), headers)
   elseif mode == "changes" then
      counter = counter + 1
      return wrk.format("GET", changes_path .. since[(counter % #since) + 1], headers)
   end
   local i = (mode == "patch_hot") and hot or math.random(1, ndocs)
   local path = base .. i .. suffix
   if is_patch then
      counter = counter + 1
      return wrk.format("PATCH", path, headers,
                        '{"metadata":{"counter":' .. counter .. '}}')
   end
   return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d p999_us=%d errors=%d non2xx=%d\n",
      summary.requests, summary.duration,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
      e.connect + e.read + e.write + e.timeout, e.status))
end
