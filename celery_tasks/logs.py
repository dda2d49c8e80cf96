"""The worker's side of core/logs.py: the web request's id travels in each task message
(a `request_id` header) and every line the task logs carries it, the vendor call's too;
with LOG_FORMAT=json the worker's lines are JSON, one more per task run when it ends.

Connected on import by celery_tasks.main, in the web (publishing) and the worker alike.
"""

import logging
import time
from contextvars import ContextVar
from typing import Any

from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)
from django.conf import settings

from core import logs, metrics

REQUEST_ID_HEADER = "request_id"  # the message header; the outbox hands it on too

task_logger = logging.getLogger("celery_tasks.task")
_started: ContextVar[float | None] = ContextVar("task_started", default=None)


def message_headers() -> dict[str, str]:
    """The headers a task message carries from the current request: its id, if any."""
    request_id = logs.current_request_id()
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


@before_task_publish.connect
def carry_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Celery's own publish path (apply_async, a retry): the message takes the request's
    id. A retry's message already has it from the first one."""
    if headers is not None:
        for name, value in message_headers().items():
            headers.setdefault(name, value)


@task_prerun.connect
def enter_task(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    # A pool thread or process runs one task at a time: set, not stacked.
    request = getattr(task, "request", None)
    request_id = getattr(request, REQUEST_ID_HEADER, None) or (
        (getattr(request, "headers", None) or {}).get(REQUEST_ID_HEADER)
    )
    logs.request_id_var.set(logs.request_id_from(request_id) if request_id else None)
    logs.task_id_var.set(task_id)
    _started.set(time.perf_counter())


@task_postrun.connect
def leave_task(
    task_id: str = "", task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    started = _started.get()
    if settings.LOG_FORMAT == "json" and started is not None:
        # Plain lines keep Celery's own "Task ...[id] succeeded in ..." instead.
        name = getattr(task, "name", "?")
        task_logger.info(
            "task %s %s",
            name,
            state,
            extra={
                "task": name,
                "state": state,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
    logs.request_id_var.set(None)
    logs.task_id_var.set(None)
    _started.set(None)


@after_setup_logger.connect
@after_setup_task_logger.connect
def json_worker_lines(logger: logging.Logger | None = None, **kwargs: Any) -> None:
    """The worker sets up its own handlers (it takes over the root logger); with
    LOG_FORMAT=json they write JSON, with the ids, mobiles masked."""
    if logger is None or settings.LOG_FORMAT != "json":
        return
    for handler in logger.handlers:
        logs.use_json(handler)


@worker_init.connect
def prepare_metrics(**kwargs: Any) -> None:
    metrics.prepare_multiproc_dir()


@worker_process_shutdown.connect
def forget_pool_process(pid: int | None = None, **kwargs: Any) -> None:
    if pid:
        metrics.mark_process_dead(pid)
