"""Graceful stops: SIGTERM to gunicorn finishes the requests in flight; SIGTERM to a Celery
worker finishes the send in hand.

gunicorn is started the production way (migrate, collectstatic, DJANGO_DEBUG=0, the
repository's gunicorn.conf.py). Its slow request is a real one: a shopper on a slow link
whose login form is still arriving. The sync worker reads the body itself (there is no
buffering proxy in front of it here), so that request is in the worker's hands for as long
as the client takes; `Expect: 100-continue` tells us when the worker has taken it, and the
SIGTERM lands while half the body is still to come.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import kombu
import pytest
import requests

from celery_tasks.main import celery_app
from celery_tasks.sms.tasks import ccp_send_sms_code
from devtools.embedded import free_port
from devtools.production import start_gunicorn, wait_until_answers
from tests.helpers import (
    BASE_DIR,
    PASSWORD,
    WorkerProcess,
    sms_sent_to,
    unique_mobile,
    worker_env,
)

# --- gunicorn -------------------------------------------------------------------------


@dataclass
class Web:
    process: subprocess.Popen
    port: int
    access_log: Path
    error_log: Path
    username: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    """gunicorn as the README starts it, with a shopper account to log in to."""
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        LOG_FORMAT="plain",  # gunicorn's own access line (JSON mode logs the site's instead)
        DJANGO_SECRET_KEY=uuid.uuid4().hex * 2,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_COOKIES="0",  # plain HTTP on loopback
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
    )
    username = "grace_" + uuid.uuid4().hex[:8]
    create_user = (
        "from users.models import User; "
        f"User.objects.create_user({username!r}, password={PASSWORD!r}, mobile='13800138000')"
    )
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["shell", "-c", create_user],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
        )
    port = free_port()
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    with access_log.open("wb") as stdout, error_log.open("wb") as stderr:
        process = start_gunicorn(env, port, stdout, stderr)
    site = Web(process, port, access_log, error_log, username)
    try:
        wait_until_answers(site.base + "/healthz", process, error_log)
        yield site
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def read_response(sock: socket.socket) -> tuple[int, dict[str, list[str]], bytes]:
    """An HTTP/1.1 response on a connection the server closes after it (gunicorn's sync
    worker always does)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(status_line.split()[1]), headers, body


def knock(port: int) -> socket.socket | None:
    """A new client asks for /healthz; None when its connection is refused."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    except ConnectionRefusedError:
        return None
    sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return sock


def outcome(sock: socket.socket | None) -> str:
    """What that client got: 'refused', 'reset' (let in, then dropped unserved), 'served'."""
    if sock is None:
        return "refused"
    with sock:
        try:
            return "served" if sock.recv(1024) else "reset"
        except ConnectionResetError:
            return "reset"


def test_sigterm_to_gunicorn_finishes_the_request_in_flight(web, fault_report):
    http = requests.Session()
    token = http.get(web.base + "/csrf_token/", timeout=5).json()["csrf_token"]
    form = {"username": web.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    body = urllib.parse.urlencode(form).encode()
    head = (
        "POST /login/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{web.port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Cookie: csrftoken={http.cookies['csrftoken']}\r\n"
        "Accept: application/json\r\n"
        "Expect: 100-continue\r\n\r\n"
    )

    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(head.encode())
        # A gunicorn worker has parsed the headers and holds the request.
        assert sock.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
        half = len(body) // 2
        sock.sendall(body[:half])

        stop_sent = time.monotonic()
        web.process.send_signal(signal.SIGTERM)
        wait_for(
            lambda: "Worker exiting" in web.error_log.read_text(),
            10,
            "the idle gunicorn worker to leave",
        )
        newcomer = knock(web.port)
        assert web.process.poll() is None, "gunicorn left before the request was answered"

        # The rest of the body, slowly (over 2 s): a phone on a poor link.
        rest = [body[start : start + 8] for start in range(half, len(body), 8)]
        for chunk in rest:
            time.sleep(2 / len(rest))
            sock.sendall(chunk)
        status, headers, answer = read_response(sock)
        answered = time.monotonic() - stop_sent
    during_drain = outcome(newcomer)

    returncode = web.process.wait(timeout=30)
    stopped = time.monotonic() - stop_sent
    after_exit = outcome(knock(web.port))
    fault_report(
        "gunicorn: SIGTERM with a request in flight",
        sent=1,
        delivered=int(status == 200),
        lost=int(status != 200),
        duplicated=0,
        note=f"SIGTERM mid-body; answered {status} after {answered:.1f} s, exit {returncode} "
        f"after {stopped:.1f} s; a new connection during the drain: {during_drain}, "
        f"after the exit: {after_exit}",
    )
    assert status == 200, answer
    assert answer.decode() == '{"code": 0, "message": "登录成功"}'
    assert any(cookie.startswith("sessionid=") for cookie in headers["set-cookie"])
    assert returncode == 0
    assert after_exit == "refused"
    # Never served by a server on its way out; let in by the busy worker's copy of the
    # listening socket, then dropped when it exits (a balancer must stop sending first).
    assert during_drain in ("refused", "reset")
    errors = web.error_log.read_text()
    assert "Handling signal: term" in errors and "Traceback" not in errors
    # gunicorn.conf.py: one access line per request on stdout.
    assert '"POST /login/ HTTP/1.1" 200' in web.access_log.read_text()


# --- Celery worker ----------------------------------------------------------------------


# solo as the other tests start a worker; prefork (one child) as `celery -A
# celery_tasks.main worker` in the README and ./run start it.
POOLS = {"solo": ("-P", "solo"), "prefork": ("-P", "prefork", "-c", "1")}


def left_in_queue(queue: str) -> int:
    """How many messages are still in `queue` on the broker (Redis or RabbitMQ); the
    queue, this test's own, is deleted then."""
    with celery_app.connection_for_write() as conn:
        bound = kombu.Queue(queue, kombu.Exchange(queue), routing_key=queue)(conn.default_channel)
        count = bound.queue_declare().message_count
        bound.delete()
        return count


@pytest.mark.parametrize("pool", POOLS)
def test_sigterm_to_a_worker_finishes_the_send_in_hand(
    pool, fake_vendor, transactional_db, fault_report
):
    # transactional_db: worker_env() names the tests' database (the worker records its
    # sends there), which the test process only switches to inside a database test.
    queue = f"graceful-{uuid.uuid4().hex[:8]}"
    env = worker_env(fake_vendor)
    env["YUNTONGXUN_TIMEOUT"] = "5"  # production's default: the 3 s reply is in time
    worker = WorkerProcess(env, queue=queue, pool=POOLS[pool])
    worker.start()
    mobile = unique_mobile()
    fake_vendor.set_delay(3)  # each reply from the vendor takes 3 s
    try:
        result = ccp_send_sms_code.apply_async((mobile, "314159"), queue=queue)
        # The vendor has the message; its reply is 3 s away: the send is in hand.
        assert sms_sent_to(fake_vendor, mobile, timeout=15), worker.log()
        stop_sent = time.monotonic()
        worker.process.send_signal(signal.SIGTERM)
        returncode = worker.process.wait(timeout=30)
        stopped = time.monotonic() - stop_sent
    finally:
        fake_vendor.set_delay(0)
        worker.stop()
    succeeded = f"Task ccp_send_sms_code[{result.id}] succeeded"
    time.sleep(0.5)  # the worker's last lines through the pipe; room for a duplicate
    log = worker.log()
    sent = len([m for m in fake_vendor.messages if m["to"] == mobile])
    left = left_in_queue(queue)
    fault_report(
        f"worker ({pool}): SIGTERM with a send in hand",
        sent=1,
        delivered=min(sent, 1),
        lost=int(sent == 0),
        duplicated=max(sent - 1, 0),
        note=f"vendor reply 3 s away at SIGTERM; task "
        f"{'succeeded' if succeeded in log else 'did not succeed'}, exit {returncode} "
        f"after {stopped:.1f} s, {left} message(s) left in the queue",
    )
    # The SIGTERM came while the task ran; the vendor's reply still reached it.
    assert "Warm shutdown" in log and succeeded in log, log
    assert log.index("Warm shutdown") < log.index(succeeded), log
    assert returncode == 0, log
    assert stopped >= 2, "the worker did not wait for the vendor's reply"
    assert sent == 1 and left == 0, log
