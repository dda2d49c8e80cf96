"""What one message costs the Celery worker: `./bench/run worker`.

For each pool, BENCH_MESSAGES (4,000) messages are queued on a queue of their own, then
the worker is started as production starts it (the notes' command, the production
settings) and timed from its first message to the queue's last acknowledgement: messages/s
and the CPU time of the worker's process per message (from /proc), side by side for

- `empty`: a task that does nothing (bench/worker_tasks.py): Celery's and kombu's own cost,
  the floor under any task;
- `ccp_send_sms_code`: our SMS task, against the fake vendor on 127.0.0.1.

The fake vendor's CPU per message is printed too (it runs in this process, which also
polls Redis every 5 ms). Redis is
REDIS_URL's (`./bench/run` starts a private one), the database a SQLite file of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "4000"))
WORKDIR = Path(tempfile.mkdtemp(prefix="meiduo-worker-bench-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="meiduo_mall.settings",
    DJANGO_DEBUG="0",
    DATABASE_URL=f"sqlite:///{WORKDIR / 'db.sqlite3'}",
)
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + os.urandom(16).hex())

import django  # noqa: E402

django.setup()

from bench.worker_tasks import empty  # noqa: E402
from celery_tasks.main import celery_app  # noqa: E402
from celery_tasks.sms.tasks import ccp_send_sms_code  # noqa: E402
from core.redis_scripts import verify_code_redis  # noqa: E402
from devtools.devstack import BASE_DIR, WORKER_POOL, worker_command  # noqa: E402
from devtools.processes import terminate  # noqa: E402
from tests.fake_yuntongxun import FakeYuntongxun  # noqa: E402

VENDOR = {"account_sid": "benchsid", "auth_token": "bench-token", "app_id": "benchapp"}
POOLS = {"threads -c 16 (production)": WORKER_POOL, "solo": ("-P", "solo")}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def run(task, pool: tuple[str, ...], env: dict[str, str]) -> tuple[float, float, float]:
    """(messages/s, the worker's CPU ms per message, this process's: the fake vendor and
    the polling) for MESSAGES messages of `task`."""
    queue = f"bench-worker-{os.getpid()}"
    redis = verify_code_redis()
    redis.delete(queue)
    with celery_app.connection_for_write() as connection:
        for n in range(MESSAGES):
            task.apply_async((f"18{n:09d}", "135790"), connection=connection, queue=queue)
    command = worker_command("-l", "warning", *pool, "--without-mingle", "--without-gossip")
    command += ["-Q", queue, "-I", "bench.worker_tasks"]
    log = (WORKDIR / "worker.log").open("a")
    worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 300
        while redis.llen(queue) == MESSAGES:  # not started yet
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker did not start: " + str(WORKDIR / "worker.log"))
            time.sleep(0.005)
        started, cpu_before = time.monotonic(), cpu_seconds(worker.pid)
        own_before = own_cpu_seconds()
        # Done when the queue is empty and nothing is left unacknowledged.
        while redis.llen(queue) or redis.hlen("unacked"):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not finish")
            time.sleep(0.005)
        seconds, cpu = time.monotonic() - started, cpu_seconds(worker.pid) - cpu_before
        own = own_cpu_seconds() - own_before
    finally:
        terminate(worker, timeout=20)
        log.close()
    return MESSAGES / seconds, cpu * 1000 / MESSAGES, own * 1000 / MESSAGES


def main() -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
    )
    print(f"The Celery worker, {MESSAGES:,} messages a row, one process")
    print(f"{'task':<20} {'pool':<28} {'messages/s':>10} {'worker CPU ms':>14} {'vendor':>7}")
    with FakeYuntongxun(**VENDOR) as vendor:
        env = {
            **os.environ,
            "SMS_BACKEND": "yuntongxun",
            "YUNTONGXUN_ACCOUNT_SID": VENDOR["account_sid"],
            "YUNTONGXUN_AUTH_TOKEN": VENDOR["auth_token"],
            "YUNTONGXUN_APP_ID": VENDOR["app_id"],
            "YUNTONGXUN_BASE_URL": vendor.base_url,
        }
        for task in (empty, ccp_send_sms_code):
            for name, pool in POOLS.items():
                rate, cpu_ms, vendor_ms = run(task, pool, env)
                print(
                    f"{task.name:<20} {name:<28} {rate:>10,.0f} {cpu_ms:>14.2f} {vendor_ms:>7.2f}"
                )


if __name__ == "__main__":
    main()
