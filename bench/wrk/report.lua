-- Shared by every scenario: number the threads, count statuses, print one JSON line at the end.
-- bench/run.py reads the line that starts with BENCH_JSON.
local threads = {}
local next_tid = 0

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
   table.insert(threads, thread)
end

non_2xx = 0
s4xx = 0
s5xx = 0

function response(status, headers, body)
   if status < 200 or status > 299 then non_2xx = non_2xx + 1 end
   if status >= 500 then
      s5xx = s5xx + 1
   elseif status >= 400 then
      s4xx = s4xx + 1
   end
end

function done(summary, latency, requests)
   local n, c4, c5 = 0, 0, 0
   for _, t in ipairs(threads) do
      n = n + t:get("non_2xx")
      c4 = c4 + t:get("s4xx")
      c5 = c5 + t:get("s5xx")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, ' ..
      '"p99_us": %d, "max_us": %d, "non_2xx": %d, "s4xx": %d, "s5xx": %d, ' ..
      '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, n, c4, c5,
      e.connect, e.read, e.write, e.timeout))
end
