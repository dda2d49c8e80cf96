-- A new account per request, with the SMS code bench/site.py stored for its mobile.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local token = os.getenv("BENCH_CSRF")
local password = os.getenv("BENCH_PASSWORD")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["X-CSRFToken"] = token
wrk.headers["Cookie"] = "csrftoken=" .. token

function request()
  counter = counter + 1
  local body = string.format(
    '{"username": "reg_%d_%d", "password": "%s", "password2": "%s", ' ..
    '"mobile": "15%d%08d", "sms_code": "123456", "allow": true}',
    thread_id, counter, password, password, thread_id, counter)
  return wrk.format("POST", "/register/", nil, body)
end

function expect(status, body)
  return ok_json(status, body)
end
