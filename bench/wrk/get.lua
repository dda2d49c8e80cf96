-- GET one path (BENCH_PATH); a good answer is HTTP 200, and code 0 if BENCH_JSON is set.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local path = os.getenv("BENCH_PATH")
local json = os.getenv("BENCH_JSON") == "1"

function request()
  return wrk.format("GET", path)
end

function expect(status, body)
  if json then return ok_json(status, body) end
  return status == 200
end
