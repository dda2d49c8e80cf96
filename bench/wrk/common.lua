-- Shared by the bench's wrk scripts: counts answers that are not what the case expects
-- and prints what bench/site.py reads ("BENCH key=value" lines).
-- A script sets `expect(status, body)` to return true for a good answer.
threads = {}
errors = 0
counter = 0
thread_id = 0

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

first_error = ""

function response(status, headers, body)
  if not expect(status, body) then
    errors = errors + 1
    if first_error == "" then
      first_error = status .. " " .. string.sub(string.gsub(body, "%s+", " "), 1, 200)
    end
  end
end

function ok_json(status, body)
  return status == 200 and string.find(body, '"code": 0', 1, true) ~= nil
end

function done(summary, latency, requests)
  local total_errors = 0
  for _, thread in ipairs(threads) do
    total_errors = total_errors + thread:get("errors")
    local sample = thread:get("first_error")
    if sample ~= "" then io.write("BENCH-ERROR " .. sample .. "\n") end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    total_errors, e.connect + e.read + e.write + e.timeout + e.status))
end
