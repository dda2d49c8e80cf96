-- A new captcha on every request: a fresh uuid each time (never one sms_codes.lua seeds).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function request()
  counter = counter + 1
  return wrk.format("GET", string.format("/image_codes/%08x-1111-4000-8000-%012x/", thread_id, counter))
end

function expect(status, body)
  return status == 200
end
