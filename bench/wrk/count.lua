-- The username and mobile count endpoints, for seeded accounts, in turn.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local users = tonumber(os.getenv("BENCH_USERS"))

function request()
  counter = counter + 1
  local n = (counter * 7919 + thread_id * 104729) % users
  if counter % 2 == 0 then
    return wrk.format("GET", string.format("/usernames/bench_%d/count/", n))
  end
  return wrk.format("GET", string.format("/mobiles/17%09d/count/", n))
end

function expect(status, body)
  return ok_json(status, body)
end
