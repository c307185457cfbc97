-- wrk script of the load test under edits (bench/run.py, edit_load).
--
--   wrk -t N -c N -s bench/editload.lua URL -- TARGETS_FILE
--
-- TARGETS_FILE has one "kind path" per line, taken in turn (each thread starts at a
-- different line). Kinds: "get" a plain request; "inm" a conditional request with the
-- ETag this thread last received for the path; "ims" one with the latest Last-Modified
-- this thread received from any page (the registry's one clock). An editor changes
-- records meanwhile, so validators go stale and these answer 200 or 304.
--
-- Each thread has exactly one connection (-t equal to -c): then response() always
-- belongs to the request() just made, which is how an ETag is matched to its path.
-- done() prints one line "EDITLOAD {json}" with the counts by status and the latency.

threads_list = {}

function setup(thread)
   thread:set("offset", #threads_list)
   table.insert(threads_list, thread)
end

targets = {}
statuses = {}
etags = {}
last_modified = nil
sent = nil
position = 0

function init(args)
   for line in io.lines(args[1]) do
      local kind, path = line:match("^(%S+)%s+(%S+)$")
      if kind then
         table.insert(targets, { kind = kind, path = path })
      end
   end
   position = (offset or 0) * 7
end

function request()
   position = position % #targets + 1
   sent = targets[position]
   local headers = {}
   if sent.kind == "inm" and etags[sent.path] then
      headers["If-None-Match"] = etags[sent.path]
   elseif sent.kind == "ims" and last_modified then
      headers["If-Modified-Since"] = last_modified
   end
   return wrk.format("GET", sent.path, headers)
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   local etag = headers["ETag"] or headers["Etag"] or headers["etag"]
   if etag and sent then
      etags[sent.path] = etag
   end
   local modified = headers["Last-Modified"] or headers["last-modified"]
   if modified then
      last_modified = modified
   end
end

function done(summary, latency, requests)
   local totals = {}
   for _, thread in ipairs(threads_list) do
      for status, n in pairs(thread:get("statuses")) do
         totals[status] = (totals[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(totals) do
      table.insert(parts, string.format('"%s": %d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'EDITLOAD {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, ' ..
      '"statuses": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean, table.concat(parts, ", ")))
end
