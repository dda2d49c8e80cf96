-- Log in as one of BENCH_USERS seeded users (bench_<n>), in turn, as the login page's
-- script posts: JSON with the CSRF pair.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local users = tonumber(os.getenv("BENCH_USERS"))
local token = os.getenv("BENCH_CSRF")
local password = os.getenv("BENCH_PASSWORD")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["X-CSRFToken"] = token
wrk.headers["Cookie"] = "csrftoken=" .. token

function request()
  counter = counter + 1
  local n = (counter * 7919 + thread_id * 104729) % users
  local body = string.format('{"username": "bench_%d", "password": "%s"}', n, password)
  return wrk.format("POST", "/login/", nil, body)
end

function expect(status, body)
  return ok_json(status, body)
end
