-- wrk script of `make server-bench`: POSTs one AdmissionReview (the file named by $BODY) on
-- every request, checks every answer (HTTP 200, and `"allowed":$EXPECT_ALLOWED` in the
-- AdmissionReview the policy server writes back) and prints one RESULT line for run.sh.
local path = assert(os.getenv("BODY"), "BODY is not set")
local expect = assert(os.getenv("EXPECT_ALLOWED"), "EXPECT_ALLOWED is not set")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

local needle = '"allowed":' .. expect

-- Every thread has its own Lua state: setup() keeps them, done() adds their counts up.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  wrong = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  elseif not string.find(body, needle, 1, true) then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local non200_total, wrong_total = 0, 0
  for _, thread in ipairs(threads) do
    non200_total = non200_total + thread:get("non200")
    wrong_total = wrong_total + thread:get("wrong")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_us=%d p99_us=%d non200=%d wrong=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    non200_total, wrong_total, e.connect + e.read + e.write + e.timeout))
end
