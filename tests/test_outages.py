"""A failure of Redis, the database or the broker gets a clear answer and loses nothing."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.utils import load_backend

from celery_tasks.main import celery_app
from celery_tasks.sms import outbox
from devtools.embedded import free_port
from tests.helpers import PASSWORD, csrf_token, image_code_for, unique_mobile
from verifications import constants as vc

UNAVAILABLE = {"code": 5000, "message": "服务暂时不可用，请稍后再试"}


def kill_redis(settings) -> None:
    """Point every Redis client at a port where nothing listens."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        alias: {**config, "LOCATION": dead} for alias, config in settings.CACHES.items()
    }


@pytest.fixture
def redis_down(settings):
    kill_redis(settings)


@pytest.fixture
def broker_down():
    """The producer publishes to a broker port where nothing listens."""
    celery_app.conf.broker_write_url = f"redis://127.0.0.1:{free_port()}/0"
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_write_url = None
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def database_down():
    """Swap the default connection for one to a PostgreSQL port where nothing listens."""
    wrapper_class = load_backend("django.db.backends.postgresql").DatabaseWrapper
    saved = connections["default"]
    dead = {
        **saved.settings_dict,
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "127.0.0.1",
        "PORT": free_port(),
        "NAME": "meiduo",
        "USER": "meiduo",
        "OPTIONS": {"connect_timeout": 2},
    }
    connections["default"] = wrapper_class(dead, "default")
    yield
    connections["default"] = saved


def test_broker_down_answers_503_and_gives_the_mobile_its_turn_back(
    client, redis_conn, broker_down
):
    redis_conn.delete(outbox.wake_key())  # no worker awake: this request must wake one
    mobile = unique_mobile()
    image_code_id, answer = image_code_for(client, redis_conn)
    queued = redis_conn.xlen(outbox.stream_key())

    response = client.get(
        f"/sms_codes/{mobile}/", {"image_code": answer, "image_code_id": image_code_id}
    )

    assert response.status_code == 503
    assert response.json() == {"code": 5000, "message": "短信服务暂时不可用，请稍后再试"}
    assert not redis_conn.exists(vc.sms_code_key(mobile))
    assert redis_conn.get(vc.send_flag_key(mobile)) is None
    # Its SMS taken back out, and the flag left for the next request to wake a worker.
    assert redis_conn.xlen(outbox.stream_key()) == queued
    assert not redis_conn.exists(outbox.wake_key())


def test_broker_down_while_a_worker_is_awake_the_sms_waits_in_the_outbox(
    client, redis_conn, broker_down
):
    # A worker holds the wake flag: it reads the outbox from Redis, not from the broker.
    redis_conn.set(outbox.wake_key(), "1", px=outbox.WAKE_TTL * 1000)
    mobile = unique_mobile()
    image_code_id, answer = image_code_for(client, redis_conn)

    response = client.get(
        f"/sms_codes/{mobile}/", {"image_code": answer, "image_code_id": image_code_id}
    )

    assert response.status_code == 200
    assert redis_conn.exists(vc.sms_code_key(mobile))
    assert outbox.waiting(client=redis_conn)[-1].mobile == mobile
    redis_conn.delete(outbox.wake_key())


def test_redis_down_answers_503_json_for_the_captcha(client, redis_down):
    response = client.get(f"/image_codes/{uuid.uuid4()}/")

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


@pytest.mark.django_db
def test_redis_down_refuses_registration_without_creating_anyone(client, settings):
    token = csrf_token(client)
    kill_redis(settings)
    response = client.post(
        "/register/",
        {
            "username": "shopper_02",
            "password": PASSWORD,
            "password2": PASSWORD,
            "mobile": unique_mobile(),
            "sms_code": "123456",
            "allow": "on",
            "csrfmiddlewaretoken": token,
        },
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_redis_down_shows_a_page_not_a_traceback_to_a_browser(client, settings):
    get_user_model().objects.create_user("alice_2026", password=PASSWORD, mobile="13800138000")
    token = csrf_token(client)
    kill_redis(settings)

    response = client.post(
        "/login/", {"username": "alice_2026", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 503
    page = response.content.decode()
    assert "服务暂时不可用" in page and "Traceback" not in page


@pytest.mark.django_db
def test_database_down_answers_503_at_login(client, database_down):
    token = csrf_token(client)
    response = client.post(
        "/login/",
        {"username": "alice_2026", "password": PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


@pytest.mark.django_db
def test_readyz_names_redis_when_it_is_down_and_nothing_more(client, settings, redis_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "code": 5000,
        "message": "服务暂时不可用：redis",
        "failed": ["redis"],
    }


def test_readyz_names_the_database_when_it_is_down(client, database_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


@pytest.mark.django_db
def test_readyz_names_the_broker_when_it_is_down(client, settings):
    closed = free_port()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert str(closed) not in response.content.decode()
