"""Prometheus metrics: what the site counts, and their exposition at /metrics.

With several processes (gunicorn's workers, the Celery worker) each process keeps its
own numbers; set PROMETHEUS_MULTIPROC_DIR and each writes them to files there, which
/metrics adds up (prometheus-client's multiprocess mode). Processes that share the
directory must run on one host (or share the volume): then /metrics shows the worker's
SMS counters beside the web's. Without the variable, /metrics shows this process alone.

Call sites stay one line: `metrics.sms("sent", purpose)`, `metrics.rate_limited(action)`.
Labels never carry a path or a mobile: a request is named by its URL pattern.
"""

import glob
import os
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
__all__ = ["CONTENT_TYPE", "exposition"]


def multiproc_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


# The library writes a process's first file when a metric without labels is created, at
# import: the directory must exist by then, whoever starts us.
if multiproc_dir():
    os.makedirs(multiproc_dir(), exist_ok=True)

REQUESTS = Counter(
    "meiduo_http_requests_total",
    "HTTP requests answered, by URL pattern name (view), method and status.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "meiduo_http_request_duration_seconds",
    "Time from the request's arrival to its answer, by URL pattern name and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SMS = Counter(
    "meiduo_sms_total",
    "SMS verification codes by event: queued (web), sent, failed, retried, expired (worker).",
    ["event", "purpose"],
)
LOGIN_FAILURES = Counter(
    "meiduo_login_failures_total",
    "Failed proofs of identity: password, sms_code (login by SMS), current_password.",
    ["via"],
)
RATE_LIMITED = Counter(
    "meiduo_rate_limit_refusals_total",
    "Requests refused by a rate limit, by rule (settings.RATE_LIMITS key, or sms_interval).",
    ["rule"],
)
CAPTCHAS = Counter("meiduo_captchas_issued_total", "Image captchas drawn and stored.")

SMS_EVENTS = frozenset({"queued", "sent", "failed", "retried", "expired"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_done(view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "OTHER"  # a client chooses the method
    REQUESTS.labels(view, method, str(status)).inc()
    REQUEST_SECONDS.labels(view, method).observe(seconds)


def sms(event: str, purpose: str) -> None:
    if event not in SMS_EVENTS:
        raise ValueError(f"unknown SMS event {event!r}")
    SMS.labels(event, str(purpose)).inc()


def login_failed(via: str) -> None:
    LOGIN_FAILURES.labels(via).inc()


def rate_limited(rule: str) -> None:
    RATE_LIMITED.labels(rule).inc()


def captcha_issued() -> None:
    CAPTCHAS.inc()


def exposition() -> bytes:
    """The text /metrics answers: every process's files in multiprocess mode, else ours."""
    if multiproc_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def prepare_multiproc_dir() -> None:
    """At a start (gunicorn's master, the Celery worker): create the directory and remove
    the files of processes that are gone (a previous run's; pids are reused), keeping
    those of live processes: the web and the worker share it, and one starting must not
    wipe the other's numbers. ./run empties it whole, since it starts them all."""
    path = multiproc_dir()
    if not path:
        return
    Path(path).mkdir(parents=True, exist_ok=True)
    for name in glob.glob(os.path.join(path, "*.db")):
        pid = Path(name).stem.rsplit("_", 1)[-1]
        if not pid.isdigit() or not _alive(int(pid)):
            Path(name).unlink(missing_ok=True)


def mark_process_dead(pid: int) -> None:
    """For gunicorn's child_exit: drop a dead worker's live gauges (counters stay)."""
    if multiproc_dir():
        multiprocess.mark_process_dead(pid)
