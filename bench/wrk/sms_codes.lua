-- One SMS request per seeded captcha: a distinct mobile and captcha id each time, the
-- ones bench/site.py put in Redis (thread t, request n: same formulas there).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local answer = os.getenv("BENCH_IMAGE_CODE")
-- Another view taking the same requests (bench/floor_urls.py), else the site's.
local prefix = os.getenv("BENCH_SMS_PREFIX") or "/sms_codes/"

function request()
  counter = counter + 1
  local path = string.format(
    "%s13%d%08d/?image_code=%s&image_code_id=00000000-0000-4000-8%03x-%012x",
    prefix, thread_id, counter, answer, thread_id, counter)
  return wrk.format("GET", path)
end

function expect(status, body)
  return ok_json(status, body)
end
