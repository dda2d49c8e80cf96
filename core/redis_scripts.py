"""The Redis servers of the codes and of the rate limits, and the Lua scripts run on them.

Each is a cache alias of its own (settings: REDIS_CODES_URL, REDIS_RATELIMIT_URL), so the
two may be one server or two."""

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

from django_redis import get_redis_connection
from redis import Redis
from redis.connection import AbstractConnection, ConnectionPool
from redis.exceptions import ConnectionError, NoScriptError


def verify_code_redis() -> Redis:
    """Captchas, SMS codes, the send flag and the send_sms limits."""
    return get_redis_connection("verify_code")


def ratelimit_redis() -> Redis:
    """Every rate limit but send_sms's (core/ratelimit.py)."""
    return get_redis_connection("ratelimit")


@cache
def _sha(source: str) -> str:
    # EVALSHA's name of a script: hashed once per source, not on every call.
    return hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 (Redis's own naming)


class _ThreadConnections(threading.local):
    """This thread's own connection to each server a script runs on.

    Why not the client's pool, as every other command goes: a script is the hot path of
    the SMS request and of the worker, and redis-py's checkout and return (a lock, a
    pid check, a poll of the socket for stray data) and its per-command wrappers were
    nearly half the script call's Python (README, Benchmarks: an EVALSHA 64 -> 39 µs of
    client CPU). A connection nobody else uses needs none of it; it is dropped on any
    error, so no half-read reply is ever left on it."""

    def __init__(self) -> None:
        self.by_pool: dict[ConnectionPool, AbstractConnection] = {}

    def get(self, client: Redis) -> AbstractConnection:
        pool = client.connection_pool
        connection = self.by_pool.get(pool)
        if connection is None:
            # The pool's own settings (address, password, timeouts), outside it.
            connection = self.by_pool[pool] = pool.connection_class(**pool.connection_kwargs)
        return connection


_connections = _ThreadConnections()
# A forked child (Celery's prefork pool) must not share its parent's sockets.
os.register_at_fork(after_in_child=lambda: _connections.by_pool.clear())


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _evalsha(connection: AbstractConnection, source: str, args: Sequence[Any]) -> Any:
    connection.send_command("EVALSHA", _sha(source), *args)
    try:
        return connection.read_response()
    except NoScriptError:
        # First use on this server (or after a restart): EVAL runs it and caches it.
        connection.send_command("EVAL", source, *args)
        return connection.read_response()


def run_script(
    source: str, keys: Sequence[str], args: Sequence[Any], client: Redis | None = None
) -> Any:
    """Run a Lua script on `client`, the codes' Redis by default, over this thread's own
    connection (EVALSHA, loading it on first use); bytes come back as str."""
    connection = _connections.get(client or verify_code_redis())
    command = (len(keys), *keys, *args)
    kept = connection.is_connected
    try:
        try:
            result = _evalsha(connection, source, command)
        except ConnectionError:
            if not kept:
                raise
            # Kept open since an earlier call, it may have been closed by the server
            # meanwhile (a restart, its idle `timeout`, CLIENT KILL): once more, anew.
            connection.disconnect()
            result = _evalsha(connection, source, command)
    except BaseException:
        connection.disconnect()
        raise
    if isinstance(result, list):
        return [_text(item) for item in result]
    return _text(result)
