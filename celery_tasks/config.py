"""Celery configuration, in one place, from Django settings (themselves from the environment).

Delivery is at least once: a message is acknowledged only after its task ran, so a
worker that dies (kill -9, OOM, power) leaves its messages to another worker. The
task is idempotent (deliveries.records.claim), so a second delivery sends no second SMS
once the first one got through.
"""

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

# --- At least once -------------------------------------------------------------------
# Acknowledge after the task, and give the message back when its worker process dies.
task_acks_late = True
task_reject_on_worker_lost = True
# One message in hand per process: a crash strands at most that many, and a busy
# worker leaves the rest of the queue to the others.
worker_prefetch_multiplier = 1
# A lost broker connection cancels running tasks; their messages come back (acks_late).
worker_cancel_long_running_tasks_on_connection_loss = True

# One vendor call takes at most YUNTONGXUN_TIMEOUT (5 s) per try; the soft limit turns
# a stuck call into a retry, the hard one frees the process.
task_soft_time_limit = 15
task_time_limit = 20

# RabbitMQ finds a dead host's connection after about two missed heartbeats: ~20 s.
broker_heartbeat = 10

# Redis has no acknowledgements of its own: kombu keeps a message in an "unacked" set
# and hands it out again once it has been held longer than the visibility timeout.
# Longer than the longest retry countdown (sms/tasks.py) plus a run, since a retried
# message waits out its countdown in the worker's hands, unacknowledged; short enough
# that a killed worker's codes come back well within their 300 s: after 60 s, found by
# a sweep every 5 s.
# RabbitMQ ignores these: it returns a dead consumer's messages when its connection drops
# (at once when the process dies; after about two missed heartbeats when its host does).
broker_transport_options = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "visibility_timeout": 60,
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
}
