"""What /readyz asks: can we reach the database, Redis and the broker right now?"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from kombu import Connection

from core.redis_scripts import verify_code_redis

logger = logging.getLogger(__name__)
TIMEOUT = 2  # seconds per check: a probe must answer before the balancer gives up


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def redis() -> None:
    verify_code_redis().ping()


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
