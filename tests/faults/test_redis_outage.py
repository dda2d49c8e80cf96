"""Scenario 4: Redis stops in the middle of a flow.

The site is started the production way (migrate, collectstatic, gunicorn, DJANGO_DEBUG=0)
with a Celery worker, both on a private redis-server that is also the broker. A shopper
fetches a captcha, then Redis is really stopped before they ask for the SMS: the captcha,
the SMS request and /readyz answer 503 with a Chinese JSON message. Redis comes back on the
same port, empty, and, with nothing restarted, the shopper gets a new captcha and an SMS
that the worker delivers once it has reconnected to the broker by itself.
"""

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from devtools.embedded import EmbeddedRedis, free_port
from devtools.production import start_gunicorn, wait_until_answers
from tests.helpers import BASE_DIR, WorkerProcess, sms_sent_to, unique_mobile, worker_env
from verifications import constants as vc

UNAVAILABLE = {"code": 5000, "message": "服务暂时不可用，请稍后再试"}
SENT = {"code": 0, "message": "发送短信成功"}


class Site:
    """gunicorn and a worker, as an operator starts them, on one private Redis."""

    def __init__(
        self,
        base: str,
        web: subprocess.Popen,
        worker: WorkerProcess,
        redis_server: EmbeddedRedis,
        logs: Path,
    ) -> None:
        self.base = base
        self.logs = logs
        self.web = web
        self.worker = worker
        self.redis_server = redis_server
        self.http = requests.Session()

    def get(self, path: str, **params: str) -> requests.Response:
        return self.http.get(self.base + path, params=params, timeout=10)

    def captcha(self) -> tuple[requests.Response, str]:
        image_code_id = str(uuid.uuid4())
        return self.get(f"/image_codes/{image_code_id}/"), image_code_id

    def answer(self, image_code_id: str) -> str:
        with redis.Redis.from_url(self.redis_server.url) as conn:
            return conn.get(vc.image_code_key(image_code_id)).decode()

    def sms(self, mobile: str, image_code_id: str, answer: str) -> requests.Response:
        return self.get(f"/sms_codes/{mobile}/", image_code=answer, image_code_id=image_code_id)


@pytest.fixture
def site(fake_vendor, tmp_path: Path) -> Iterator[Site]:
    redis_server = EmbeddedRedis()  # a free port, kept across the restart below
    redis_url = redis_server.start()
    env = worker_env(fake_vendor)
    env.update(
        DJANGO_DEBUG="0",
        LOG_FORMAT="plain",  # gunicorn's own access line (JSON mode logs the site's instead)
        DJANGO_SECRET_KEY=uuid.uuid4().hex * 2,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_COOKIES="0",  # plain HTTP on loopback
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,  # the default setup: Redis is the broker too
    )
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
        )
    worker = WorkerProcess(env)
    web = None
    try:
        worker.start()
        port = free_port()
        access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
        with access_log.open("wb") as out, error_log.open("wb") as err:
            web = start_gunicorn(env, port, out, err)
        base = f"http://127.0.0.1:{port}"
        wait_until_answers(base + "/healthz", web, error_log)
        yield Site(base, web, worker, redis_server, tmp_path)
    finally:
        if web is not None:
            web.terminate()
            web.wait(timeout=15)
        worker.stop()
        redis_server.stop()


def unavailable(response: requests.Response, port: int) -> bool:
    """A 503 in JSON with a Chinese message, and nothing about the fault itself."""
    body = response.text
    return (
        response.status_code == 503
        and response.headers["Content-Type"].startswith("application/json")
        and response.json()["code"] == 5000
        and response.json()["message"].startswith("服务暂时不可用")
        and not any(leak in body for leak in ("Traceback", "Error", str(port), "redis://"))
    )


def test_redis_stopped_mid_flow_is_503_then_works_again_without_restarts(
    site, fake_vendor, fault_report
):
    port = site.redis_server.port
    web_pid, worker_pid = site.web.pid, site.worker.process.pid
    first, second = unique_mobile(), unique_mobile()
    accepted: list[str] = []

    # Before: a whole flow, delivered.
    png, image_code_id = site.captcha()
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert site.sms(first, image_code_id, site.answer(image_code_id)).json() == SENT
    accepted.append(first)
    assert len(sms_sent_to(fake_vendor, first)) == 1

    # The second shopper has a captcha on screen when Redis stops (SIGKILL: a crash).
    png, image_code_id = site.captcha()
    assert png.status_code == 200
    answer = site.answer(image_code_id)
    site.redis_server.process.kill()
    site.redis_server.process.wait()
    site.redis_server.stop()  # only removes its data folder now
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=port, socket_connect_timeout=1).ping()

    outage = {
        "sms": site.sms(second, image_code_id, answer),
        "captcha": site.captcha()[0],
        "readyz": site.get("/readyz"),
    }
    for name, response in outage.items():
        assert unavailable(response, port), (name, response.status_code, response.text)
    assert outage["sms"].json() == UNAVAILABLE
    assert outage["captcha"].json() == UNAVAILABLE
    assert outage["readyz"].json()["failed"] == ["redis", "broker"]  # one server, both roles
    assert site.get("/healthz").text == "ok"  # alive: a restart would not help

    # Redis comes back on the same port, empty; gunicorn and the worker are left alone.
    assert site.redis_server.start() and site.redis_server.port == port
    png, image_code_id = site.captcha()
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    sms = site.sms(second, image_code_id, site.answer(image_code_id))
    assert sms.json() == SENT
    accepted.append(second)
    assert site.get("/readyz").json() == {"code": 0, "message": "OK"}

    # The worker finds the broker again by itself (backoff 2 s, 4 s, 6 s, ...).
    sms_sent_to(fake_vendor, second, timeout=20)
    time.sleep(0.5)  # room for a duplicate to show up
    received = [m["to"] for m in fake_vendor.messages]
    per_mobile = [received.count(mobile) for mobile in accepted]
    fault_report(
        "4. Redis stopped mid-flow, back on the same port (empty)",
        sent=len(accepted),
        delivered=sum(1 for count in per_mobile if count),
        lost=per_mobile.count(0),
        duplicated=sum(count - 1 for count in per_mobile if count > 1),
        note=f"503 × {len(outage)} during the outage (captcha, SMS, /readyz); "
        "nothing restarted, the worker reconnected on its own",
    )
    log = site.worker.log()
    assert per_mobile == [1, 1], log
    assert "Connection to broker lost" in log
    # Connected twice to this Redis (through our transport: celery_tasks/redis_transport.py).
    assert (
        log.count(f"Connected to celery_tasks.redis_transport:Transport://:**@127.0.0.1:{port}/")
        >= 2
    ), log
    assert "Traceback" not in (site.logs / "error.log").read_text(), "one line per failure"
    access = (site.logs / "access.log").read_text()
    assert f"/sms_codes/{second[:3]}****{second[-4:]}/" in access  # masked by gunicorn.conf.py
    assert first not in access and second not in access and "image_code=" not in access
    assert site.web.poll() is None and site.web.pid == web_pid
    assert site.worker.process.poll() is None and site.worker.process.pid == worker_pid
