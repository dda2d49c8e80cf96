"""Issuing an SMS code: the notes' check-then-set with a pipeline vs our one Lua script.

Both do the same work against the same Redis (REDIS_URL): check the captcha and
the 60 s flag, store the code and the flag. Prints requests per second, Redis
commands per request and the ratio. `./bench/run` starts a private Redis if needed.
"""

import os
import time
import uuid

import django
from redis.connection import Connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meiduo_mall.settings")
django.setup()

from django.conf import settings  # noqa: E402

from core import ratelimit  # noqa: E402
from core.redis_scripts import verify_code_redis  # noqa: E402
from verifications import constants as c  # noqa: E402
from verifications import services  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3000"))


def notes_pipeline(redis, mobile: str, image_code_id: str, answer: str, code: str) -> bool:
    """The course notes' order: read the flag, read and delete the captcha, then a pipeline."""
    if redis.get(c.send_flag_key(mobile)):
        return False
    real = redis.get(c.image_code_key(image_code_id))
    redis.delete(c.image_code_key(image_code_id))
    if real is None or real.decode().lower() != answer.lower():
        return False
    pipe = redis.pipeline()
    pipe.set(c.sms_code_key(mobile), code, ex=settings.SMS_CODE_EXPIRES)
    pipe.set(c.send_flag_key(mobile), 1, ex=settings.SMS_SEND_INTERVAL)
    pipe.execute()
    return True


def lua_script(redis, mobile: str, image_code_id: str, answer: str, code: str) -> bool:
    # One client address per request, so the per-IP limit is checked, never reached.
    outcome = services.issue_sms_code(mobile, image_code_id, answer, code, f"ip-{mobile}")
    return outcome.issue is services.SmsCodeIssue.ISSUED


def commands_processed(redis) -> int:
    return int(redis.info("stats")["total_commands_processed"])


class RoundTrips:
    """Counts what the client writes to the socket: one write per round trip."""

    def __init__(self) -> None:
        self.count = 0
        self._send = Connection.send_packed_command

    def __enter__(self) -> "RoundTrips":
        counter = self

        def counting_send(connection, command, check_health=True):
            counter.count += 1
            return counter._send(connection, command, check_health)

        Connection.send_packed_command = counting_send
        return self

    def __exit__(self, *exc_info) -> None:
        Connection.send_packed_command = self._send


def run(name: str, issue, redis) -> tuple[str, float, float, float]:
    cases = []
    for i in range(ROUNDS):
        image_code_id = str(uuid.uuid4())
        redis.set(c.image_code_key(image_code_id), "AB12", ex=60)
        cases.append((f"bench-{name}-{i}", image_code_id))
    before = commands_processed(redis)
    with RoundTrips() as trips:
        start = time.perf_counter()
        for mobile, image_code_id in cases:
            assert issue(redis, mobile, image_code_id, "ab12", "123456")
        elapsed = time.perf_counter() - start
    # Minus the INFO call itself.
    commands = (commands_processed(redis) - before - 1) / ROUNDS
    for mobile, _ in cases:
        redis.delete(c.sms_code_key(mobile), c.send_flag_key(mobile))
    for key in redis.scan_iter(match=ratelimit.key_pattern("send_sms"), count=1000):
        redis.delete(key)
    return name, ROUNDS / elapsed, trips.count / ROUNDS, commands


def main() -> None:
    redis = verify_code_redis()
    lua_script(redis, "warm-up", "none", "x", "0")  # load the script once
    redis.delete(c.send_flag_key("warm-up"))
    limits = settings.RATE_LIMITS["send_sms"]
    rows = [run("notes: GET/GET/DEL + pipeline", notes_pipeline, redis)]
    settings.RATE_LIMITS["send_sms"] = ""
    rows.append(run("ours: one Lua script", lua_script, redis))
    settings.RATE_LIMITS["send_sms"] = limits
    rows.append(run("ours + hour/day/IP limits", lua_script, redis))
    kwargs = redis.connection_pool.connection_kwargs
    print(
        f"SMS code issue, {ROUNDS} requests each, Redis "
        f"{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db')}"
    )
    print(f"{'variant':<32} {'requests/s':>11} {'round trips':>12} {'server cmds':>12}")
    for name, rate, trips, commands in rows:
        print(f"{name:<32} {rate:>11.0f} {trips:>12.1f} {commands:>12.1f}")
    for name, rate, *_ in rows[1:]:
        print(f"ratio {name} / notes: {rate / rows[0][1]:.2f}x requests per second")


if __name__ == "__main__":
    main()
