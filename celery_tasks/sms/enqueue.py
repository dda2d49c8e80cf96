"""The send task's message as Celery would publish it to a Redis broker, for a Lua script
to push in the same round trip that stores the code.

Why: publishing through Celery cost more than half of a `/sms_codes/` request (building
the message, then kombu's Redis channel makes a new redis-py client for every publish),
and a code stored with its SMS not yet queued needs undoing when the broker fails. Pushed
by the script that issues the code, the two are queued together or not at all.

Only the plain case is built here: the broker is the Redis that keeps the codes, the
task goes to the default queue with no priority, compression or key prefix. Anything
else gets None, and the caller publishes with Celery. No publish signal or event fires
(the one listener, celery_tasks/logs.py, adds the request id header: added here instead).
tests/celery_tasks/test_enqueue.py
compares it with what Celery itself publishes, so a kombu upgrade that changes the
envelope fails there first.
"""

from base64 import b64encode
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from celery.app.task import extract_exec_options
from celery.utils import uuid
from django.conf import settings
from django.utils import timezone
from kombu.connection import ConnectionPool
from kombu.serialization import dumps as serialize
from kombu.utils.json import dumps as json_dumps

from celery_tasks.logs import message_headers
from celery_tasks.main import celery_app
from celery_tasks.sms.tasks import ccp_send_sms_code
from core.masking import mask_mobile


@dataclass(frozen=True)
class RedisMessage:
    queue: str  # the Redis list the worker pops
    payload: str  # kombu's envelope around Celery's message


def send_task_reprs(mobile: str, purpose: str) -> dict[str, str]:
    """What Flower, events and the worker's log show of a send's arguments: the mobile
    masked, the code never."""
    return {
        "argsrepr": repr((mask_mobile(mobile), "******")),
        "kwargsrepr": repr({"purpose": purpose}),
    }


def redis_message(mobile: str, code: str, purpose: str) -> RedisMessage | None:
    """ccp_send_sms_code(mobile, code, purpose=purpose) as Celery would publish it to the
    codes' Redis, or None when Celery must publish it itself."""
    queue = _plain_redis_queue(celery_app.pool, settings.CACHES["verify_code"]["LOCATION"])
    if queue is None:
        return None
    task = celery_app.tasks[ccp_send_sms_code.name]  # the task itself, not its proxy
    task_id = uuid()
    # What Task.apply_async passes for this task, the expiry given as a time (Celery's
    # own time zone arithmetic for it is slow).
    expires_at = timezone.localtime(timezone.now() + timedelta(seconds=task.expires))
    headers, properties, body, _ = celery_app.amqp.create_task_message(
        task_id,
        task.name,
        (mobile, code),
        {"purpose": purpose},
        expires=expires_at.isoformat(),
        reply_to=celery_app.thread_oid,
        time_limit=task.time_limit,
        soft_time_limit=task.soft_time_limit,
        ignore_result=task.ignore_result,
        **send_task_reprs(mobile, purpose),
    )
    # The request's id, as the before_task_publish signal adds it on Celery's own path.
    headers.update(message_headers())
    content_type, encoding, data = serialize(body, task.serializer)
    # What kombu's Producer.publish and its Redis channel add before their LPUSH.
    properties.update(
        expiration=str(int(task.expires * 1000)),
        delivery_mode=2,
        priority=0,
        delivery_info={"exchange": "", "routing_key": queue},
        body_encoding="base64",
        delivery_tag=uuid(),
    )
    envelope = {
        "body": b64encode(data.encode() if isinstance(data, str) else data).decode("ascii"),
        "content-encoding": encoding,
        "content-type": content_type,
        "headers": headers,
        "properties": properties,
    }
    return RedisMessage(queue, json_dumps(envelope))


@lru_cache(maxsize=8)
def _plain_redis_queue(pool: ConnectionPool, codes_redis_url: str) -> str | None:
    """The queue's Redis list when the broker is the codes' Redis and the task goes the
    plain way; else None. Keyed by Celery's producer pool (a new one when the broker
    changes), so this runs once per broker: Celery's settings are slow to read."""
    conf = celery_app.conf
    broker_url = conf.broker_write_url or conf.broker_url
    if broker_url != codes_redis_url or not broker_url.startswith("redis://"):
        return None
    options = extract_exec_options(ccp_send_sms_code)
    routed = ("queue", "routing_key", "exchange", "priority", "delivery_mode", "compression")
    if any(options[name] for name in routed) or conf.task_routes or conf.task_compression:
        return None
    if not isinstance(options["expires"], int | float):  # seconds, as the task sets them
        return None
    if conf.broker_transport_options.get("global_keyprefix"):
        return None
    return conf.task_default_queue
