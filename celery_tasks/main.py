"""The Celery app (the notes' celery_tasks.main): `celery -A celery_tasks.main worker -l info`."""

import os

from celery import Celery
from celery.signals import task_prerun
from django.db import close_old_connections

from celery_tasks import logs  # noqa: F401 (connects the request id and log signals)

# The worker reads Django settings (SMS backend, vendor credentials) like the web does.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meiduo_mall.settings")

celery_app = Celery("meiduo")
celery_app.config_from_object("celery_tasks.config")
celery_app.autodiscover_tasks(["celery_tasks.sms", "celery_tasks.email"])


@task_prerun.connect
def drop_stale_db_connections(**kwargs: object) -> None:
    """Before each task, what Django does before each request: close the database
    connections that failed or outlived CONN_MAX_AGE (config.CELERY_DB_REUSE_MAX keeps
    the others open from task to task)."""
    close_old_connections()
