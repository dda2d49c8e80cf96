"""The Redis servers of the codes and of the rate limits, and the Lua scripts run on them.

Each is a cache alias of its own (settings: REDIS_CODES_URL, REDIS_RATELIMIT_URL), so the
two may be one server or two."""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django_redis import get_redis_connection
from redis import Redis
from redis.commands.core import Script


def verify_code_redis() -> Redis:
    """Captchas, SMS codes, the send flag and the send_sms limits."""
    return get_redis_connection("verify_code")


def ratelimit_redis() -> Redis:
    """Every rate limit but send_sms's (core/ratelimit.py)."""
    return get_redis_connection("ratelimit")


@lru_cache(maxsize=32)
def _registered(client: Redis, source: str) -> Script:
    # Registering hashes the source: do it once per client, not on every request.
    return client.register_script(source)


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def run_script(
    source: str, keys: Sequence[str], args: Sequence[Any], client: Redis | None = None
) -> Any:
    """Run a Lua script (EVALSHA, loading it on first use) on `client`, the codes' Redis
    by default; bytes come back as str."""
    result = _registered(client or verify_code_redis(), source)(keys=keys, args=args)
    if isinstance(result, list):
        return [_text(item) for item in result]
    return _text(result)
