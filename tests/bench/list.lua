-- list.lua - wrk script of tests/bench/list.sh (the list route, issue 14).
--
-- The scenario comes from the environment (list.sh sets it):
--   BENCH_MODE    get | filter | page | cursor
--   BENCH_KEY     bearer API key          BENCH_NS   X-Namespace value
--   BENCH_COL     collection (name or id)
--   BENCH_NDOCS   get: documents are doc_1 .. doc_NDOCS, picked uniformly
--   BENCH_NCATS   filter: metadata.category is a number in 0 .. NCATS-1,
--                 picked uniformly per request
--   BENCH_LIMIT   page size of filter, page and cursor (default 10)
--   BENCH_OFFSET  page: the body's offset (default: none)
--   BENCH_QUERY   query string appended to the list path (e.g.
--                 "return_url=true"; default none)
--   BENCH_CURSORS cursor: comma-separated next_cursor values, cycled
-- get:    GET /v1/collections/COL/documents/doc_<i> (the reference)
-- filter: POST .../documents/list {"filters": {"field":
--         "metadata.category", "operator": "eq", "value": <n>}, "limit": L}
-- page:   POST .../documents/list {"limit": L[, "offset": O]}
-- cursor: POST .../documents/list {"limit": L, "cursor": <c>}
-- done() prints one machine-readable line for list.sh:
--   RESULT requests=.. duration_us=.. rps=.. p50_us=.. p99_us=.. p999_us=..
--          errors=.. non2xx=..

local mode   = os.getenv("BENCH_MODE") or "get"
local key    = os.getenv("BENCH_KEY") or ""
local ns     = os.getenv("BENCH_NS") or "bench"
local col    = os.getenv("BENCH_COL") or "bench"
local ndocs  = tonumber(os.getenv("BENCH_NDOCS") or "100000")
local ncats  = tonumber(os.getenv("BENCH_NCATS") or "1000")
local limit  = os.getenv("BENCH_LIMIT") or "10"
local offset = os.getenv("BENCH_OFFSET") or ""
local query  = os.getenv("BENCH_QUERY") or ""
local cursors = {}
for v in string.gmatch(os.getenv("BENCH_CURSORS") or "", "[^,]+") do
   table.insert(cursors, v)
end

local threads = {}
local counter = 0
local get_base = "/v1/collections/" .. col .. "/documents/doc_"
local list_path = "/v1/collections/" .. col .. "/documents/list" ..
   (query ~= "" and ("?" .. query) or "")
local headers = { ["Authorization"] = "Bearer " .. key, ["X-Namespace"] = ns }
if mode ~= "get" then
   headers["Content-Type"] = "application/json"
end
local page_body = '{"limit":' .. limit .. (offset ~= "" and (',"offset":' .. offset) or "") .. '}'
local filter_head = '{"filters":{"field":"metadata.category","operator":"eq","value":'
local filter_tail = '},"limit":' .. limit .. '}'
local cursor_head = '{"limit":' .. limit .. ',"cursor":"'

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
   counter = (tid or 0) * 7
end

function request()
   if mode == "filter" then
      return wrk.format("POST", list_path, headers,
                        filter_head .. math.random(0, ncats - 1) .. filter_tail)
   elseif mode == "page" then
      return wrk.format("POST", list_path, headers, page_body)
   elseif mode == "cursor" then
      counter = counter + 1
      return wrk.format("POST", list_path, headers,
                        cursor_head .. cursors[(counter % #cursors) + 1] .. '"}')
   end
   return wrk.format("GET", get_base .. math.random(1, ndocs), headers)
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
