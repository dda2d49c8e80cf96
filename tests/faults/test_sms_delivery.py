"""Fault scenarios 1-3: the SMS path through worker crashes and vendor outages.

A real worker (a subprocess, prefork pool), a real broker and the fake vendor on
127.0.0.1; the counts come from what the vendor received. Scenario 1 runs on Redis
and on RabbitMQ: RabbitMQ from CELERY_BROKER_URL when it is one, else from
FAULTS_AMQP_URL (CI sets it), else that case is skipped and says why.
"""

import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from kombu import Connection

from celery_tasks.sms import outbox
from celery_tasks.sms.tasks import SEND_CONCURRENCY, ccp_send_sms_code
from core.redis_scripts import verify_code_redis
from deliveries.models import SmsRecord
from tests.fake_yuntongxun import FakeYuntongxun
from tests.helpers import VENDOR, WorkerProcess, unique_mobile, worker_env

pytestmark = pytest.mark.django_db(transaction=True)


def broker_url(kind: str) -> str:
    if kind == "redis":
        return settings.REDIS_URL
    if settings.CELERY_BROKER_URL.startswith("amqp"):
        return settings.CELERY_BROKER_URL
    url = os.environ.get("FAULTS_AMQP_URL")
    if not url:
        pytest.skip("no RabbitMQ: set FAULTS_AMQP_URL=amqp://guest:guest@127.0.0.1:5672//")
    return url


@pytest.fixture
def vendor() -> Iterator[FakeYuntongxun]:
    with FakeYuntongxun(**VENDOR) as fake:
        yield fake


class Run:
    """One scenario: its own queue, its worker(s), the codes it queued."""

    def __init__(self, vendor: FakeYuntongxun, broker: str, pool: tuple[str, ...]) -> None:
        self.vendor = vendor
        self.broker = broker
        self.queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.env = {**worker_env(vendor), "CELERY_BROKER_URL": broker}
        self.pool = pool
        self.mobiles: list[str] = []
        self.task_ids: list[str] = []
        self.worker: WorkerProcess | None = None

    def queue_codes(self, count: int) -> None:
        # kombu's transport for this URL's scheme: the app's own (broker_transport) is
        # for the configured broker, Redis here.
        with Connection(self.broker) as connection:
            for _ in range(count):
                mobile = unique_mobile()
                result = ccp_send_sms_code.apply_async(
                    (mobile, "246810"), queue=self.queue, connection=connection
                )
                self.mobiles.append(mobile)
                self.task_ids.append(result.id)

    def add_to_outbox(self, count: int) -> None:
        """`count` SMS in an outbox of this run's own, as the issuing script adds them."""
        self.env["SMS_OUTBOX_KEY"] = f"{self.queue}:outbox"
        entries = [
            outbox.new_entry(uuid.uuid4().hex, unique_mobile(), "246810", "register")
            for _ in range(count)
        ]
        outbox.add(entries, self.env["SMS_OUTBOX_KEY"])
        self.mobiles += [entry.mobile for entry in entries]
        self.task_ids += [entry.task_id for entry in entries]

    def start_worker(self) -> None:
        # Never --purge: a restarted worker must find what the killed one left.
        self.worker = WorkerProcess(self.env, self.queue, pool=self.pool, purge=False).start()

    def received(self) -> Counter:
        """How many SMS each of our mobiles got."""
        ours = set(self.mobiles)
        return Counter(m["to"] for m in self.vendor.messages if m["to"] in ours)

    def wait_until(self, condition: Callable[[Counter], bool], timeout: float) -> Counter:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.received()
            if condition(received):
                return received
            time.sleep(0.1)
        return self.received()

    def counts(self, received: Counter) -> dict[str, int]:
        return {
            "sent": len(self.mobiles),
            "delivered": len(received),
            "lost": len(self.mobiles) - len(received),
            "duplicated": sum(received.values()) - len(received),
        }

    def statuses(self) -> Counter:
        return Counter(
            SmsRecord.objects.filter(task_id__in=self.task_ids).values_list("status", flat=True)
        )

    def stop(self) -> None:
        if self.worker:
            self.worker.stop()


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_200_codes_survive_two_kill_9s_of_the_whole_worker(broker, vendor, fault_report):
    vendor.set_delay(0.2)
    # One send in flight at a time: a kill can catch at most one mid-send.
    run = Run(vendor, broker_url(broker), pool=("-P", "prefork", "-c", "1"))
    run.queue_codes(200)
    try:
        run.start_worker()
        for threshold in (60, 120):
            run.wait_until(lambda got, n=threshold: sum(got.values()) >= n, timeout=60)
            run.worker.kill()
            run.start_worker()
        # Until every record is settled, not just every mobile reached: a send cut off
        # by the kill is sent again. Redis returns a dead worker's unacknowledged
        # message after its visibility timeout (60 s) plus a sweep; RabbitMQ as soon
        # as the connection drops, and the redelivery then waits out the dead claim.
        run.wait_until(lambda got: run.statuses()["sent"] == 200, timeout=150)
        received = run.received()
    finally:
        run.stop()

    counts = run.counts(received)
    fault_report(
        f"1. 200 queued, vendor 200 ms/send, whole worker kill -9 twice ({broker})",
        **counts,
        note=f"records: {dict(run.statuses())}",
    )
    assert counts["lost"] == 0
    assert counts["duplicated"] <= 2
    assert run.statuses() == {"sent": 200}


def test_200_codes_in_the_outbox_survive_a_kill_9_of_the_whole_worker(vendor, fault_report):
    """The production path: the SMS wait in the outbox, the worker (-P threads, as ./run
    and the README start it) takes them a batch at a time, and is killed mid-batch."""
    vendor.set_delay(0.2)
    run = Run(vendor, settings.CELERY_BROKER_URL, pool=("-P", "threads", "-c", "4"))
    run.add_to_outbox(200)
    try:
        run.start_worker()  # a starting worker looks at the outbox: no wake-up needed
        run.wait_until(lambda got: sum(got.values()) >= 60, timeout=60)
        run.worker.kill()
        run.start_worker()
        # What the killed worker had taken comes back once stale (outbox.RECLAIM_IDLE).
        run.wait_until(lambda got: run.statuses()["sent"] == 200, timeout=150)
        received = run.received()
    finally:
        run.stop()
        box = run.env["SMS_OUTBOX_KEY"]
        verify_code_redis().delete(box, f"{box}:wake")

    counts = run.counts(received)
    fault_report(
        "1b. 200 in the outbox, vendor 200 ms/send, whole worker kill -9 mid-batch (threads)",
        **counts,
        note=f"records: {dict(run.statuses())}",
    )
    assert counts["lost"] == 0
    # Sent again: at most what was in flight when the worker died.
    assert counts["duplicated"] <= SEND_CONCURRENCY
    assert run.statuses() == {"sent": 200}


def test_a_vendor_failing_the_first_two_tries_of_every_message(vendor, fault_report):
    vendor.fail_first(2)
    run = Run(vendor, settings.CELERY_BROKER_URL, pool=("-P", "prefork", "-c", "4"))
    run.queue_codes(50)
    try:
        run.start_worker()
        run.wait_until(lambda got: run.statuses()["sent"] == 50, timeout=60)
        received = run.received()
    finally:
        run.stop()

    counts = run.counts(received)
    attempts = Counter(
        SmsRecord.objects.filter(task_id__in=run.task_ids).values_list("attempts", flat=True)
    )
    fault_report(
        "2. 50 queued, vendor fails the first 2 tries of each",
        **counts,
        note=f"tries per message: {dict(attempts)}",
    )
    assert counts == {"sent": 50, "delivered": 50, "lost": 0, "duplicated": 0}
    assert attempts == {3: 50}
    assert run.statuses() == {"sent": 50}


def test_the_vendor_unreachable_for_30_seconds_then_back(vendor, fault_report):
    vendor.drop_connections()
    run = Run(vendor, settings.CELERY_BROKER_URL, pool=("-P", "prefork", "-c", "4"))
    run.queue_codes(20)
    try:
        run.start_worker()
        time.sleep(30)
        during = sum(run.received().values())
        retrying = run.statuses()["retrying"]
        vendor.drop_connections(False)
        back = time.monotonic()
        run.wait_until(lambda got: run.statuses()["sent"] == 20, timeout=60)
        caught_up = time.monotonic() - back
        received = run.received()
    finally:
        run.stop()

    counts = run.counts(received)
    fault_report(
        "3. 20 queued, vendor connections dropped for 30 s",
        **counts,
        note=f"all delivered {caught_up:.0f} s after it came back",
    )
    assert during == 0 and retrying == 20
    assert counts == {"sent": 20, "delivered": 20, "lost": 0, "duplicated": 0}
    assert run.statuses() == {"sent": 20}
