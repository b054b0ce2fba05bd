-- POST send-code, each request to a phone number no request used before (no cooldown hit).
-- Numbers: +7 followed by BENCH_PHONE_BASE + thread * 1,000,000 + counter.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local base = tonumber(os.getenv("BENCH_PHONE_BASE"))
local sent = 0

function request()
   sent = sent + 1
   local body = string.format('{"phone_number": "+7%d"}', base + tid * 1000000 + sent)
   return wrk.format(nil, nil, nil, body)
end
