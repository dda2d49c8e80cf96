"""The Redis that holds codes and rate limits, and the Lua scripts run on it."""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django_redis import get_redis_connection
from redis import Redis
from redis.commands.core import Script


def verify_code_redis() -> Redis:
    return get_redis_connection("verify_code")


@lru_cache(maxsize=32)
def _registered(client: Redis, source: str) -> Script:
    # Registering hashes the source: do it once per client, not on every request.
    return client.register_script(source)


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def run_script(source: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
    """Run a Lua script (EVALSHA, loading it on first use); bytes come back as str."""
    result = _registered(verify_code_redis(), source)(keys=keys, args=args)
    if isinstance(result, list):
        return [_text(item) for item in result]
    return _text(result)
