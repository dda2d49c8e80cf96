"""Logs an operator can follow: one request id from the web request into its Celery task
and the vendor call, JSON lines when LOG_FORMAT=json, mobiles masked.

The request id lives in a context variable: set by core.middleware.RequestLogMiddleware
for a request, by celery_tasks/logs.py for a task (from the message's `request_id`
header), and copied onto every log record by RequestContextFilter. Imported by settings
and gunicorn.conf.py: nothing here reads Django settings.
"""

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import environ
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from core.masking import mask_mobiles

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a client or a proxy: a UUID, a trace id; never a newline or a quote.
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{8,128}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("task_id", default=None)


def log_format() -> str:
    """LOG_FORMAT: "json" or "plain"; by default plain while DJANGO_DEBUG is on (./run),
    JSON in production (DJANGO_DEBUG=0), for a log shipper."""
    env = environ.Env()
    default = "plain" if env.bool("DJANGO_DEBUG", True) else "json"
    value = env.str("LOG_FORMAT", default).strip().lower()
    return value if value in ("json", "plain") else default


def request_id_from(incoming: str | None) -> str:
    """The caller's id when it is well-formed (a proxy's, a client's retry), else a new one."""
    if incoming and _REQUEST_ID_RE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


@contextmanager
def log_context(request_id: str | None, task_id: str | None = None) -> Iterator[None]:
    """The ids every line logged inside carries."""
    tokens = (request_id_var.set(request_id), task_id_var.set(task_id))
    try:
        yield
    finally:
        request_id_var.reset(tokens[0])
        task_id_var.reset(tokens[1])


class RequestContextFilter(logging.Filter):
    """Adds request_id (and task_id in a task) to each record, for the JSON lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "task_id"):
            record.task_id = task_id_var.get()
        return True


class MaskedFormatter(logging.Formatter):
    """Plain lines with mobiles masked: Django's "Bad Request: /sms_codes/<mobile>/" and
    "Not Found: ..." name the path, and a path may hold a mobile. Masked as the line is
    written, not in a filter: a filter would change the record for every other handler
    (a test's, a mail to the admins) as well."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_mobiles(super().format(record))


# Never copied into a JSON line: Django's log_response and runserver attach the request
# (its repr is the full path) and the socket; Celery's "data" holds the task's arguments.
_NOT_LOGGED = ("request", "data", "server_time", "color_message")


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, the ids, any extra
    fields; the whole line masked for mobiles (a traceback or an extra field too)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, *_NOT_LOGGED],
            json_ensure_ascii=False,  # Chinese messages as they are, not \u escapes
        )

    def format(self, record: logging.LogRecord) -> str:
        return mask_mobiles(super().format(record))


def use_json(handler: logging.Handler) -> None:
    """Turn one handler (e.g. Celery's) into a JSON handler with the ids and masking."""
    handler.setFormatter(JsonLogFormatter())
    if not any(isinstance(f, RequestContextFilter) for f in handler.filters):
        handler.addFilter(RequestContextFilter())
