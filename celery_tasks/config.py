"""Celery configuration, in one place, from Django settings (themselves from the environment).

Delivery is at least once: a message is acknowledged only after its task ran, so a
worker that dies (kill -9, OOM, power) leaves its messages to another worker. The
task is idempotent (deliveries.records.claim), so a second delivery sends no second SMS
once the first one got through.
"""

from django.conf import settings

broker_url = settings.CELERY_BROKER_URL
# On Redis, kombu's transport sharing one redis-py client per channel (redis_transport.py).
if broker_url.startswith("redis://"):
    broker_transport = "celery_tasks.redis_transport:Transport"
task_default_queue = settings.CELERY_QUEUE
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
# One message in hand per process (per thread under -P threads): a crash strands at most
# that many, and a busy worker leaves the rest of the queue to the others.
worker_prefetch_multiplier = 1
# A lost broker connection cancels running tasks; their messages come back (acks_late).
# Threads cannot be cancelled: theirs run on, and the redelivered copy finds the record
# sent (or claimed) and sends nothing.
worker_cancel_long_running_tasks_on_connection_loss = True

# --- The pool: `-P threads -c 16` (README, ./run), one worker per core of its machine ---
# A send is mostly waiting on the vendor and the database, so threads: one process, one
# kept-alive vendor client and a database connection per thread, where prefork pays a
# process per concurrent send and a pipe round trip per task. A run of deliver_sms_outbox
# keeps 16 sends in flight of its own (sms/tasks.py); the 16 threads are for the retries
# (ccp_send_sms_code, one SMS each) beside it.
# Not set here as worker_pool: Celery then ignores an explicit `-P prefork`.

# One vendor call takes at most YUNTONGXUN_TIMEOUT (5 s) per try; the soft limit turns
# a stuck call into a retry, the hard one frees the process. Only prefork enforces them:
# under -P threads a try is bounded by the vendor client's own timeouts (connect, and
# each read, YUNTONGXUN_TIMEOUT) and the database's, well inside the claim's lease
# (sms/tasks.py: the hard limit plus 5 s), which still assumes a try ends by then.
task_soft_time_limit = 15
task_time_limit = 20

# Celery's Django fixup closes the database connections before and after every task: a
# new connection for each SMS (and on SQLite a WAL checkpoint when the last one closes).
# Keep them instead for this many tasks; main.py drops one that broke or outlived
# CONN_MAX_AGE before each task, as Django does around each request.
CELERY_DB_REUSE_MAX = 1000

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
