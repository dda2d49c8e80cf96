"""The send task's message built for a Lua script to push: it must be the message Celery
would publish, and a real worker must deliver it."""

import json
import uuid
from datetime import datetime

import pytest
from django.conf import settings

from celery_tasks.main import celery_app
from celery_tasks.sms.enqueue import redis_message
from celery_tasks.sms.tasks import ccp_send_sms_code
from tests.helpers import sms_sent_to, unique_mobile

# The fast path exists only where the broker is the codes' Redis (CI's RabbitMQ leg has
# another broker: there Celery publishes, as tests/test_outages.py shows).
pytestmark = pytest.mark.skipif(
    settings.CELERY_BROKER_URL != settings.CACHES["verify_code"]["LOCATION"],
    reason="the broker is not the codes' Redis: no fast path to test",
)

# Differ by message, or by the queue that Celery was told to use in the comparison; the
# reprs are ours on purpose (the next test).
PER_MESSAGE = {"id", "root_id", "expires", "correlation_id", "delivery_tag", "routing_key"}
PER_MESSAGE |= {"argsrepr", "kwargsrepr"}


def without_per_message_fields(message: dict) -> dict:
    message = json.loads(json.dumps(message))
    for part in (message["headers"], message["properties"], message["properties"]["delivery_info"]):
        for name in PER_MESSAGE & part.keys():
            part[name] = "…"
    return message


@pytest.fixture
def broker_url():
    """Point the producer at another broker URL for one test."""

    transport = celery_app.conf.broker_transport

    def point_at(url: str | None) -> None:
        celery_app.conf.broker_write_url = url
        # Our Redis transport only for a Redis URL, as config.py chooses it.
        celery_app.conf.broker_transport = transport if url is None else None
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    yield point_at
    point_at(None)


def test_the_message_is_the_one_celery_would_publish(redis_conn):
    queue = f"test-queue-{uuid.uuid4().hex}"
    mobile = "13912345678"
    ccp_send_sms_code.apply_async((mobile, "123456"), {"purpose": "login"}, queue=queue)
    theirs = json.loads(redis_conn.rpop(queue))
    redis_conn.delete(*redis_conn.keys(f"_kombu.binding*.{queue}"))

    message = redis_message(mobile, "123456", "login")

    assert message.queue == celery_app.conf.task_default_queue == "celery"
    ours = json.loads(message.payload)
    assert without_per_message_fields(ours) == without_per_message_fields(theirs)
    assert ours["properties"]["delivery_info"] == {"exchange": "", "routing_key": "celery"}
    assert ours["headers"]["id"] == ours["headers"]["root_id"] != theirs["headers"]["id"]
    assert ours["properties"]["correlation_id"] == ours["headers"]["id"]
    expires = datetime.fromisoformat(ours["headers"]["expires"])
    assert abs((expires - datetime.fromisoformat(theirs["headers"]["expires"])).total_seconds()) < 5


def test_what_the_message_shows_of_its_arguments_hides_the_code():
    headers = json.loads(redis_message("13912345678", "654321", "register").payload)["headers"]

    assert headers["argsrepr"] == "('139****5678', '******')"
    assert "654321" not in headers["argsrepr"] + headers["kwargsrepr"]


def test_with_another_broker_the_message_is_left_to_celery(broker_url):
    broker_url("amqp://guest:guest@127.0.0.1:5672//")

    assert redis_message(unique_mobile(), "123456", "register") is None


def test_a_worker_delivers_the_pushed_message_once(redis_conn, fake_vendor, celery_worker):
    mobile = unique_mobile()
    message = redis_message(mobile, "246810", "reset_password")

    redis_conn.lpush(message.queue, message.payload)

    sent = sms_sent_to(fake_vendor, mobile)
    assert [m["datas"][0] for m in sent] == ["246810"]
