"""Helpers the tests share (fixtures live in conftest.py and use these)."""

import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connections
from django.test import Client

from core.redis_scripts import verify_code_redis
from devtools.devstack import worker_command
from devtools.processes import popen, terminate
from tests.fake_yuntongxun import FakeYuntongxun
from verifications import constants as vc
from verifications.services import sms_code_digest

BASE_DIR = Path(__file__).resolve().parent.parent
VENDOR = {"account_sid": "8aaf0708test0sid", "auth_token": "t0ken-never-logged", "app_id": "app42"}
PASSWORD = "meiduo2026pass"


def csrf_token(client: Client) -> str:
    return client.get("/csrf_token/").json()["csrf_token"]


def logged_in_as(client: Client) -> str | None:
    """Who the session belongs to, as the user center tells it; None for a visitor."""
    response = client.get("/info/", HTTP_ACCEPT="application/json")
    return response.json()["username"] if response.status_code == 200 else None


class WorkerProcess:
    """`celery -A celery_tasks.main worker`, as an operator starts it, in a subprocess
    (a process group of its own, so that kill() takes the whole worker, pool and all)."""

    def __init__(
        self,
        env: dict[str, str],
        queue: str = "celery",
        pool: tuple[str, ...] = ("-P", "solo"),
        purge: bool = True,
    ) -> None:
        self.env = env
        self.queue = queue
        self.pool = pool
        self.purge = purge
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 30) -> "WorkerProcess":
        if self.queue != "celery":
            # A queue of its own, and an outbox: what it publishes (its next run of
            # deliver_sms_outbox) and sends stays with this worker.
            self.env = {
                "CELERY_QUEUE": self.queue,
                "SMS_OUTBOX_KEY": f"{self.queue}:outbox",
                **self.env,
            }
        if self.purge:
            outbox = self.env.get("SMS_OUTBOX_KEY", settings.SMS_OUTBOX_KEY)
            verify_code_redis().delete(outbox, f"{outbox}:wake")
        self.process = popen(
            worker_command(
                *self.pool,
                "--without-mingle",
                "--without-gossip",
                *(["--purge"] if self.purge else []),
                "-Q",
                self.queue,
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ),
            own_group=True,
            cwd=BASE_DIR,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(timeout):
            self.stop()
            raise RuntimeError("worker did not start:\n" + "".join(self.lines[-30:]))
        return self

    def _read(self) -> None:
        assert self.process and self.process.stdout
        for line in self.process.stdout:
            self.lines.append(line)
            if " ready." in line:
                self.ready.set()

    def log(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        if self.process:
            terminate(self.process, timeout=15)

    def kill(self) -> None:
        """kill -9 the whole worker: no warm shutdown, no chance to give anything back."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def database_url_for_workers() -> str:
    """DATABASE_URL for another process (the worker) to use the tests' database."""
    db = connections["default"].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    scheme = {"django.db.backends.postgresql": "postgres", "django.db.backends.mysql": "mysql"}
    credentials = quote(db["USER"], safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"{scheme[db['ENGINE']]}://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def worker_env(vendor: FakeYuntongxun) -> dict[str, str]:
    """The environment an operator gives the worker, pointed at our fake vendor and at
    the tests' database (where it records each SMS)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_for_workers(),
        SMS_BACKEND="yuntongxun",
        YUNTONGXUN_ACCOUNT_SID=VENDOR["account_sid"],
        YUNTONGXUN_AUTH_TOKEN=VENDOR["auth_token"],
        YUNTONGXUN_APP_ID=VENDOR["app_id"],
        YUNTONGXUN_BASE_URL=vendor.base_url,
        YUNTONGXUN_TIMEOUT="2",
    )
    return env


def wait_until(condition, timeout: float = 30) -> bool:
    """Whether `condition()` came true within `timeout` seconds, looked at every 50 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def sms_sent_to(vendor: FakeYuntongxun, mobile: str, timeout: float = 10.0) -> list[dict]:
    """The messages the vendor accepted for `mobile`, waiting for at least one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in vendor.messages if m["to"] == mobile]
        if found:
            return found
        time.sleep(0.05)
    return []


def store_sms_code(redis_conn, mobile: str, code: str) -> None:
    """Put a code in Redis the way the SMS endpoint keeps it (an HMAC, no tries yet)."""
    redis_conn.delete(vc.sms_code_key(mobile))
    redis_conn.hset(
        vc.sms_code_key(mobile), mapping={"digest": sms_code_digest(mobile, code), "tries": 0}
    )
    redis_conn.expire(vc.sms_code_key(mobile), settings.SMS_CODE_EXPIRES)


def unique_mobile() -> str:
    """A mobile no other test (or earlier run) uses, so vendor records never mix."""
    return "139" + f"{uuid.uuid4().int % 10**8:08d}"


def image_code_for(client: Client, redis_conn) -> tuple[str, str]:
    """Fetch a captcha like a browser and read its answer from Redis like a test can."""
    image_code_id = str(uuid.uuid4())
    response = client.get(f"/image_codes/{image_code_id}/")
    assert response.status_code == 200
    return image_code_id, redis_conn.get(vc.image_code_key(image_code_id)).decode()
