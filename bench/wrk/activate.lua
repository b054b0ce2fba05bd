-- POST invite activations: each line of BENCH_ACTIVATE_FILE is "<access token> <invite code>"
-- of a fresh user; thread t takes lines t, t + BENCH_WRK_THREADS, ... and uses each once.
-- When its lines run out it starts over (a repeat is a 200 that changes nothing); bench/run.py
-- counts the real activations in the database afterwards.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local items = {}
local used = 0

function init(args)
   local nthreads = tonumber(os.getenv("BENCH_WRK_THREADS"))
   local i = 0
   for line in io.lines(os.getenv("BENCH_ACTIVATE_FILE")) do
      if i % nthreads == tid then
         local token, code = line:match("^(%S+) (%S+)$")
         table.insert(items, {
            headers = {
               ["Authorization"] = "Bearer " .. token,
               ["Content-Type"] = "application/json",
            },
            body = '{"invite_code": "' .. code .. '"}',
         })
      end
      i = i + 1
   end
end

function request()
   used = used % #items + 1
   local item = items[used]
   return wrk.format("POST", nil, item.headers, item.body)
end
