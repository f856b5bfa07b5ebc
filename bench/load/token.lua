-- wrk script for bench/load/token.sh: POST /token with the pre-generated requests of one file
-- (one per line: the form body, a tab, the DPoP header or "-"), each request taking the next
-- unused line. Requests are formatted once in init (see authorize.lua for why). No response
-- callback: wrk counts responses of status 400 and above as errors, and token.sh checks the
-- server's own count of successful token responses.
--
-- wrk -t1 -cN -dT -s token.lua http://127.0.0.1:PORT -- FILE START_LINE
-- prints one line: RESULT {json}

local reqs = {}
local next_line = 1

function init(args)
  local file = assert(args[1], "usage: -- FILE [START_LINE]")
  for line in io.lines(file) do
    local body, proof = line:match("^([^\t]+)\t(.+)$")
    if body then
      local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
      if proof ~= "-" then headers["DPoP"] = proof end
      reqs[#reqs + 1] = wrk.format("POST", "/token", headers, body)
    end
  end
  assert(#reqs > 0, "no requests in " .. file)
  next_line = ((tonumber(args[2]) or 0) % #reqs) + 1
end

function request()
  local r = reqs[next_line]
  next_line = next_line % #reqs + 1
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"errors_status":%d,' ..
    '"latency_us":{"p50":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
