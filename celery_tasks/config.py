"""Celery configuration, in one place, from Django settings (themselves from the environment)."""

from django.conf import settings

broker_url = settings.CELERY_BROKER_URL
# Nothing reads task results: the web request never waits for the SMS vendor.
task_ignore_result = True
task_serializer = "json"
accept_content = ["json"]
timezone = settings.TIME_ZONE

# A request must not hang when the broker is down: fail fast, the view answers 503.
broker_connection_timeout = 2
broker_connection_retry_on_startup = True
task_publish_retry_policy = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
broker_transport_options = {"socket_timeout": 2, "socket_connect_timeout": 2}

worker_prefetch_multiplier = 4
