"""The bench's own task (bench/worker_cost.py), imported by its worker with `-I`."""

from celery_tasks.main import celery_app
from celery_tasks.sms.tasks import ccp_send_sms_code


# The SMS task's options, so that the two rows differ only by what the task does.
@celery_app.task(name="bench_empty", expires=ccp_send_sms_code.expires)
def empty(mobile: str, code: str) -> None:
    """Nothing: what is left is Celery's and kombu's cost of one message."""
