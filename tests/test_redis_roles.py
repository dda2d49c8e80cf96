"""The Redis roles as an operator splits them: REDIS_CODES_URL, REDIS_SESSION_URL,
REDIS_RATELIMIT_URL and CELERY_BROKER_URL each send their keys to their own server or
database number; unset, each is REDIS_URL.

A fresh process imports the settings from the environment (as tests/test_settings.py
does) and does what a shopper's requests do; this test then reads every Redis."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis

from celery_tasks.sms.outbox import waiting
from devtools.embedded import EmbeddedRedis, free_port
from tests.helpers import BASE_DIR

MOBILE = "13912345678"

# A captcha, the SMS code it unlocks (register: no database needed; its SMS waits in the
# outbox, the worker's wake-up on the broker), and a session.
SHOPPER = """
import json, sys, uuid
import django
django.setup()
from django.conf import settings
from django.contrib.sessions.backends.cache import SessionStore
from django.test import Client
from django_redis import get_redis_connection
from verifications import constants as vc

mobile = sys.argv[1]
client = Client()
captcha = str(uuid.uuid4())
assert client.get(f"/image_codes/{captcha}/").status_code == 200
answer = get_redis_connection("verify_code").get(vc.image_code_key(captcha)).decode()
sms = client.get(f"/sms_codes/{mobile}/", {"image_code": answer, "image_code_id": captcha})
assert sms.status_code == 200, sms.content
session = SessionStore()
session["probe"] = 1
session.save()
print(json.dumps({
    "captcha": captcha,
    "session": session.session_key,
    "broker": settings.CELERY_BROKER_URL,
}))
"""


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    """Two private Redis servers: roles split across servers and database numbers."""
    first, second = EmbeddedRedis(), EmbeddedRedis()
    try:
        yield first.start().rsplit("/", 1)[0], second.start().rsplit("/", 1)[0]
    finally:
        first.stop()
        second.stop()


def shop_with(tmp_path, **urls: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "meiduo_mall.settings",
        # Nothing here touches the database; a file of its own all the same.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **urls,
    }
    for name in ("REDIS_CODES_URL", "REDIS_SESSION_URL", "REDIS_RATELIMIT_URL"):
        if name not in urls:
            env.pop(name, None)
    if "CELERY_BROKER_URL" not in urls:
        env.pop("CELERY_BROKER_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", SHOPPER, MOBILE],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def keys(url: str) -> set[str]:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return set(client.scan_iter(count=1000))
    finally:
        client.close()


def queued(url: str) -> int:
    """Celery messages waiting in the default queue."""
    client = redis.Redis.from_url(url)
    try:
        return client.llen("celery")
    finally:
        client.close()


def outbox(url: str) -> list[str]:
    """The mobiles whose SMS wait in the outbox."""
    client = redis.Redis.from_url(url)
    try:
        return [entry.mobile for entry in waiting("sms_outbox", client)]
    finally:
        client.close()


def flushed(*urls: str) -> None:
    for url in urls:
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()


def test_each_role_keeps_its_keys_on_its_own_redis(servers, tmp_path):
    first, second = servers
    urls = {
        "REDIS_URL": f"{first}/1",  # the general cache, and each role's default
        "REDIS_SESSION_URL": f"{first}/2",
        "REDIS_CODES_URL": f"{second}/0",  # another server
        "REDIS_RATELIMIT_URL": f"{second}/3",
        "CELERY_BROKER_URL": f"{first}/4",
    }
    flushed(*urls.values())

    shopper = shop_with(tmp_path, **urls)

    codes = keys(urls["REDIS_CODES_URL"])
    # The captcha was spent by the SMS request; its code, flag and send limits stay.
    assert f"img_{shopper['captcha']}" not in codes
    assert {f"sms_{MOBILE}", f"send_flag_{MOBILE}"} <= codes
    assert {key.split(":")[1] for key in codes if key.startswith("rl:")} == {"send_sms"}
    limits = keys(urls["REDIS_RATELIMIT_URL"])
    assert limits and {key.split(":")[1] for key in limits} == {"image_code"}
    sessions = keys(urls["REDIS_SESSION_URL"])
    assert any(key.startswith("session:") and shopper["session"] in key for key in sessions)
    assert sessions == {key for key in sessions if key.startswith("session:")}
    # The SMS waits with its code; the broker has the worker's wake-up, and only it.
    assert outbox(urls["REDIS_CODES_URL"]) == [MOBILE]
    assert {"sms_outbox", "sms_outbox:wake"} <= codes
    assert queued(urls["CELERY_BROKER_URL"]) == 1
    assert queued(urls["REDIS_CODES_URL"]) == queued(urls["REDIS_URL"]) == 0
    assert not keys(urls["REDIS_URL"])  # nothing of these roles left on the default


def test_the_sms_waits_with_its_code_when_the_broker_is_the_codes_redis(servers, tmp_path):
    first, second = servers
    urls = {
        "REDIS_URL": f"{first}/5",
        "REDIS_CODES_URL": f"{second}/6",
        "CELERY_BROKER_URL": f"{second}/6",
    }
    flushed(*urls.values())

    shop_with(tmp_path, **urls)

    assert outbox(urls["REDIS_CODES_URL"]) == [MOBILE]
    assert queued(urls["REDIS_CODES_URL"]) == 1  # the wake-up
    assert f"sms_{MOBILE}" in keys(urls["REDIS_CODES_URL"])
    assert queued(urls["REDIS_URL"]) == 0


def test_every_role_defaults_to_redis_url(servers, tmp_path):
    first, _ = servers
    url = f"{first}/7"
    flushed(url)

    shopper = shop_with(tmp_path, REDIS_URL=url)

    everything = keys(url)
    assert shopper["broker"] == url
    assert {f"sms_{MOBILE}", f"send_flag_{MOBILE}", "celery", "sms_outbox"} <= everything
    assert {key.split(":")[1] for key in everything if key.startswith("rl:")} == {
        "send_sms",
        "image_code",
    }
    assert any(key.startswith("session:") for key in everything)


@pytest.mark.django_db
def test_readyz_names_redis_when_one_roles_server_is_down(client, settings):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {**settings.CACHES["ratelimit"], "LOCATION": dead},
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]
