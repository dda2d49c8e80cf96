"""Rate limits as data, consumed atomically in Redis (the idea of django-allauth's).

A limit is a string of comma-separated rules `AMOUNT/PERIOD/KEY`, e.g.
"5/1h/mobile,20/1h/ip": at most 5 per hour per mobile and 20 per hour per IP.
PERIOD is a number and a unit (s, m, h, d). settings.RATE_LIMITS maps each action
to its limit. Windows slide: each rule keeps the times of its hits in a sorted set.

The sets live on the rate limits' Redis (REDIS_RATELIMIT_URL), except send_sms's: the
script that issues an SMS code (verifications/services.py) checks and records them in
the same atomic step as the send flag, the captcha and the code, and one Lua script runs
on one server, so they live with the codes (REDIS_CODES_URL).
"""

import hashlib
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.translation import gettext, ngettext
from redis import Redis

from core import metrics
from core.redis_scripts import ratelimit_redis, run_script, verify_code_redis

KEY_PREFIX = "rl"
# Actions whose limits the codes' own script consumes, on the codes' Redis.
WITH_CODES = frozenset({"send_sms"})
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RULE_RE = re.compile(r"^(\d+)/(\d*)([smhd])/([a-z_]+)$")

# Shared by every script that limits: check all rules first, then record in all,
# so a refused request never counts. Time comes from Redis, the one clock.
LUA_FUNCTIONS = """
local function rl_now()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- keys[first..first+n-1] with limits/periods (ms) in argv[afirst..]: the wait in ms, 0 if free.
local function rl_wait(keys, first, n, argv, afirst, now)
    local wait = 0
    for i = 0, n - 1 do
        local key = keys[first + i]
        local limit = tonumber(argv[afirst + 2 * i])
        local period = tonumber(argv[afirst + 2 * i + 1])
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
        if redis.call('ZCARD', key) >= limit then
            local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
            local w = period
            if oldest[2] then w = tonumber(oldest[2]) + period - now end
            if w > wait then wait = w end
        end
    end
    return wait
end
local function rl_record(keys, first, n, argv, afirst, now, member)
    for i = 0, n - 1 do
        local period = tonumber(argv[afirst + 2 * i + 1])
        redis.call('ZADD', keys[first + i], now, member)
        redis.call('PEXPIRE', keys[first + i], period)
    end
end
"""

_CONSUME_LUA = (
    LUA_FUNCTIONS
    + """
local n = #KEYS
local now = rl_now()
local wait = rl_wait(KEYS, 1, n, ARGV, 2, now)
if wait > 0 then return wait end
rl_record(KEYS, 1, n, ARGV, 2, now, ARGV[1])
return 0
"""
)


@dataclass(frozen=True)
class Rule:
    amount: int
    period: int  # seconds
    key: str  # what is counted: "ip", "mobile", "account", ...


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the first refused rule frees a place
    token: str = ""  # identifies this hit, for refund()


@cache
def parse(spec: str) -> tuple[Rule, ...]:
    rules = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        match = _RULE_RE.fullmatch(part)
        if not match:
            raise ValueError(f"bad rate limit rule {part!r}; expected e.g. '5/1h/ip'")
        amount, count, unit, key = match.groups()
        rules.append(Rule(int(amount), int(count or 1) * _UNITS[unit], key))
    return tuple(rules)


def rules_for(action: str) -> tuple[Rule, ...]:
    return parse(settings.RATE_LIMITS.get(action, ""))


def redis_keys(action: str, rules: tuple[Rule, ...], values: Mapping[str, str]) -> list[str]:
    """One sorted set per rule; values are hashed so no mobile or name sits in a key."""
    keys = []
    for rule in rules:
        value = values[rule.key]
        digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
        keys.append(f"{KEY_PREFIX}:{action}:{rule.key}:{rule.period}:{digest}")
    return keys


def key_pattern(action: str = "*") -> str:
    """A SCAN pattern for the limits' keys (of one action, or of all)."""
    return f"{KEY_PREFIX}:{action}:*"


def redis_for(action: str) -> Redis:
    """The Redis that keeps `action`'s hits."""
    return verify_code_redis() if action in WITH_CODES else ratelimit_redis()


def limit_args(rules: tuple[Rule, ...]) -> list[int]:
    args: list[int] = []
    for rule in rules:
        args += [rule.amount, rule.period * 1000]
    return args


def seconds(wait_ms: int) -> int:
    return max(1, math.ceil(int(wait_ms) / 1000))


def consume(action: str, **values: str) -> Verdict:
    """Count one hit of `action` against every rule, or refuse without counting."""
    rules = rules_for(action)
    if not rules:
        return Verdict(True)
    token = secrets.token_hex(8)
    wait = run_script(
        _CONSUME_LUA,
        keys=redis_keys(action, rules, values),
        args=[token, *limit_args(rules)],
        client=redis_for(action),
    )
    if wait:
        metrics.rate_limited(action)
        return Verdict(False, seconds(wait))
    return Verdict(True, token=token)


def refund(action: str, verdict: Verdict, **values: str) -> None:
    """Take back a hit that turned out not to count (a login that succeeded)."""
    rules = rules_for(action)
    if not rules or not verdict.token:
        return
    with redis_for(action).pipeline(transaction=False) as pipe:
        for key in redis_keys(action, rules, values):
            pipe.zrem(key, verdict.token)
        pipe.execute()


def wait_message(what: str, seconds_left: int) -> str:
    """What was refused and for how long, in the request's language, e.g.
    登录失败次数过多，请5分钟后再试 (English: "..., try again in 5 minutes")."""
    return gettext("%(what)s，请%(wait)s后再试") % {
        "what": what,
        "wait": describe_wait(seconds_left),
    }


def describe_wait(seconds_left: int) -> str:
    """A wait as a shopper reads it: 45秒, 5分钟, 2小时 (45 seconds, 1 minute, ...)."""
    if seconds_left < 120:
        return ngettext("%(count)d秒", "%(count)d秒", seconds_left) % {"count": seconds_left}
    if seconds_left < 3600:
        minutes = math.ceil(seconds_left / 60)
        return ngettext("%(count)d分钟", "%(count)d分钟", minutes) % {"count": minutes}
    hours = math.ceil(seconds_left / 3600)
    return ngettext("%(count)d小时", "%(count)d小时", hours) % {"count": hours}
