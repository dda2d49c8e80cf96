"""The Celery app (the notes' celery_tasks.main): `celery -A celery_tasks.main worker -l info`."""

import os

from celery import Celery

# The worker reads Django settings (SMS backend, vendor credentials) like the web does.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meiduo_mall.settings")

celery_app = Celery("meiduo")
celery_app.config_from_object("celery_tasks.config")
celery_app.autodiscover_tasks(["celery_tasks.sms"])
