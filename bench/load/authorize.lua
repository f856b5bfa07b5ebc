-- wrk script for bench/load/run.sh: sends GET /authorize?client_id=..&request=<JWT> with the
-- pre-generated URLs of one file, each connection taking the next unused line, and counts as
-- a success only a 303 whose Location is the interaction page. wrk never follows redirects.
--
-- wrk -t1 -cN -dT -s authorize.lua http://127.0.0.1:PORT -- URLS_FILE START_LINE [STATUS|-] [lean]
-- prints one line: RESULT {json}
-- With STATUS (the HTTP floor of run.sh), a success is any response with that status instead.
--
-- `lean` drops the per-response check: wrk then builds no Lua table and no Lua string per
-- response. With the check, every response's headers (a 2 kB Location among them) are new Lua
-- strings, and the collector's pauses in wrk showed up as a p99.9 of 40-50 ms that the server
-- never had (measured with and without, same server: 47 ms against 7 ms). In lean runs a
-- success is a response below 400 (or, with STATUS, one of 400 or more), and run.sh checks the
-- rest with the server's own counters: every counted response must be an accepted request
-- object (a 303 to the interaction), and nothing may be refused. run.sh's warm-up runs with
-- the check.

local paths = {}
local next_line = 1
expect = nil
lean = false
ok = 0
bad = 0
statuses = {}

function init(args)
  local file = assert(args[1], "usage: -- URLS_FILE [START_LINE]")
  for line in io.lines(file) do
    local p = line:match("^https?://[^/]+(/.*)$")
    -- Formatted once here: a new request string per request would be interned into
    -- LuaJIT's string table, whose rehashes (over every pooled object) stall wrk for tens
    -- of milliseconds and show up as the server's tail.
    if p then paths[#paths + 1] = wrk.format("GET", p) end
  end
  assert(#paths > 0, "no URLs in " .. file)
  next_line = ((tonumber(args[2]) or 0) % #paths) + 1
  expect = tonumber(args[3])
  lean = args[4] == "lean"
  if lean then
    response = nil
  end
end

function request()
  local r = paths[next_line]
  next_line = next_line % #paths + 1
  return r
end

function response(status, headers, body)
  local loc = headers["location"] or headers["Location"]
  if expect ~= nil then
    if status == expect then ok = ok + 1 else bad = bad + 1 end
  elseif status == 303 and loc ~= nil and loc:find("/interaction/", 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
    local k = tostring(status)
    statuses[k] = (statuses[k] or 0) + 1
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  local good, failed, other = 0, 0, {}
  local e = summary.errors
  for _, t in ipairs(threads) do
    if t:get("lean") then
      -- wrk counts responses of status 400 and above in errors.status.
      if t:get("expect") ~= nil then
        good, failed = e.status, summary.requests - e.status
      else
        good, failed = summary.requests - e.status, e.status
      end
    else
      good = good + t:get("ok")
      failed = failed + t:get("bad")
      for k, v in pairs(t:get("statuses")) do other[k] = (other[k] or 0) + v end
    end
  end
  local parts = {}
  for k, v in pairs(other) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
  io.write(string.format(
    'RESULT {"lean":%s,"requests":%d,"duration_us":%d,"ok":%d,"bad":%d,"bad_statuses":{%s},' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    tostring(threads[1] ~= nil and threads[1]:get("lean") or false),
    summary.requests, summary.duration, good, failed, table.concat(parts, ","),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
