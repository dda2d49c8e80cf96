"""What /readyz asks: can we reach the database, Redis and the broker right now?"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django_redis import get_redis_connection
from kombu import Connection

logger = logging.getLogger(__name__)
TIMEOUT = 2  # seconds per check: a probe must answer before the balancer gives up


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def redis() -> None:
    # Each role may have a server of its own (settings: REDIS_*_URL): ping each one once.
    seen = set()
    for alias in ("verify_code", "session", "ratelimit", "default"):
        location = settings.CACHES[alias]["LOCATION"]
        if location not in seen:
            seen.add(location)
            get_redis_connection(alias).ping()


def broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT)


CHECKS: dict[str, Callable[[], None]] = {"database": database, "redis": redis, "broker": broker}


def check_all() -> dict[str, bool]:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = True
        except Exception as exc:  # any failure means "not ready"
            logger.warning("readiness check %s failed: %r", name, exc)
            results[name] = False
    return results
