-- One scenario of bench/run.py: BENCH_METHOD to the URL given to wrk. BENCH_REQUESTS is a file
-- of "<token or ->\t<JSON body or nothing>" lines; thread t takes lines t, t + threads, ... in
-- turn (every line when there are fewer lines than threads), and "<n>" in a body becomes a
-- 7-digit number unique to the request (2 digits of thread, 5 of counter). One line without
-- "<n>" is a static request, which wrk builds once. At the end: one line, BENCH_JSON {...}.
local method = os.getenv("BENCH_METHOD")
local nthreads = tonumber(os.getenv("BENCH_WRK_THREADS"))
local lines = {}
for line in io.lines(os.getenv("BENCH_REQUESTS")) do lines[#lines + 1] = line end

local function parse(line)
   local token, body = line:match("^([^\t]*)\t(.*)$")
   local headers = {["Content-Type"] = "application/json"}
   if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
   if body == "" then body = nil end
   return headers, body
end

if #lines == 1 and not lines[1]:find("<n>", 1, true) then
   wrk.method = method
   wrk.headers, wrk.body = parse(lines[1])
else
   local items, sent = {}, 0
   function init(args)
      for i, line in ipairs(lines) do
         if #lines < nthreads or (i - 1) % nthreads == tid then
            local headers, body = parse(line)
            items[#items + 1] = {headers = headers, body = body or ""}
         end
      end
   end
   function request()
      sent = sent + 1
      local item = items[(sent - 1) % #items + 1]
      local body = item.body:gsub("<n>", string.format("%02d%05d", tid, sent % 100000))
      return wrk.format(method, nil, item.headers, body)
   end
end

local threads, next_tid = {}, 0
function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
   threads[#threads + 1] = thread
end

statuses = {}
function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
   end
   local counts = {}
   for status, n in pairs(total) do counts[#counts + 1] = string.format('"%d": %d', status, n) end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
      '"socket_errors": %d, "statuses": {%s}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.connect + e.read + e.write + e.timeout, table.concat(counts, ", ")))
end
