-- wrk script for bench/load/run.sh: sends GET /authorize?client_id=..&request=<JWT> with the
-- pre-generated URLs of one file, each connection taking the next unused line, and counts as
-- a success only a 303 whose Location is the interaction page. wrk never follows redirects.
--
-- wrk -t1 -cN -dT -s authorize.lua http://127.0.0.1:PORT -- URLS_FILE START_LINE [STATUS]
-- prints one line: RESULT {json}
-- With STATUS (the HTTP floor of run.sh), a success is any response with that status instead.

local paths = {}
local next_line = 1
local expect = nil
ok = 0
bad = 0
statuses = {}

function init(args)
  local file = assert(args[1], "usage: -- URLS_FILE [START_LINE]")
  for line in io.lines(file) do
    local p = line:match("^https?://[^/]+(/.*)$")
    if p then paths[#paths + 1] = p end
  end
  assert(#paths > 0, "no URLs in " .. file)
  next_line = ((tonumber(args[2]) or 0) % #paths) + 1
  expect = tonumber(args[3])
end

function request()
  local p = paths[next_line]
  next_line = next_line % #paths + 1
  return wrk.format("GET", p)
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
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    failed = failed + t:get("bad")
    for k, v in pairs(t:get("statuses")) do other[k] = (other[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(other) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"ok":%d,"bad":%d,"bad_statuses":{%s},' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, good, failed, table.concat(parts, ","),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
