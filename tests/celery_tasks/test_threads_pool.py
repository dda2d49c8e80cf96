"""The worker as production starts it: `-P threads`, its threads sharing one vendor client
(kept-alive connections) and each keeping its database connection from task to task."""

import re
import signal
import time
import uuid
from collections import Counter

import pytest

from celery_tasks.sms.tasks import ccp_send_sms_code
from deliveries.models import SmsRecord
from tests.fake_yuntongxun import FakeYuntongxun
from tests.helpers import VENDOR, WorkerProcess, unique_mobile, wait_until, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
THREADS = ("-P", "threads", "-c", "4")


def queue_codes(queue: str, count: int) -> dict[str, str]:
    """{task id: mobile} of `count` codes queued on `queue`."""
    queued = {}
    for _ in range(count):
        mobile = unique_mobile()
        queued[ccp_send_sms_code.apply_async((mobile, "246810"), queue=queue).id] = mobile
    return queued


def test_every_code_is_sent_once_over_a_few_kept_alive_connections():
    opened = []
    with FakeYuntongxun(**VENDOR) as vendor:
        worker = WorkerProcess(worker_env(vendor), f"threads-{uuid.uuid4().hex[:8]}", THREADS)
        worker.start()
        try:
            queued = queue_codes(worker.queue, 100)
            statuses = SmsRecord.objects.filter(task_id__in=queued)
            assert wait_until(lambda: statuses.filter(status="sent").count() == 100, 60)
            opened = vendor.connections
        finally:
            worker.stop()
        received = Counter(message["to"] for message in vendor.messages)

    assert received == Counter(queued.values())  # each mobile once
    # One pool per worker process, shared by its threads: never a connection per SMS.
    assert 1 <= opened <= 4
    assert set(statuses.values_list("attempts", flat=True)) == {1}


def test_sigterm_finishes_the_sends_in_hand_and_leaves_the_rest_queued():
    with FakeYuntongxun(**VENDOR) as vendor:
        env = {**worker_env(vendor), "YUNTONGXUN_TIMEOUT": "5"}
        queue = f"threads-{uuid.uuid4().hex[:8]}"
        worker = WorkerProcess(env, queue, THREADS)
        worker.start()
        vendor.set_delay(2)  # each reply 2 s away: four sends in hand, one per thread
        queued = queue_codes(queue, 10)
        try:
            assert wait_until(lambda: len(vendor.messages) == 4, 15), worker.log()
            worker.process.send_signal(signal.SIGTERM)
            returncode = worker.process.wait(timeout=30)
        finally:
            worker.stop()
        vendor.set_delay(0)
        in_hand = {message["to"] for message in vendor.messages}
        # What it had not started is still queued: a new worker sends it, and only it.
        again = WorkerProcess(env, queue, THREADS, purge=False).start()
        try:
            assert wait_until(lambda: len(vendor.messages) >= 10, 30), again.log()
            time.sleep(0.5)  # room for a duplicate to show
        finally:
            again.stop()
        received = Counter(message["to"] for message in vendor.messages)

    log = worker.log()
    assert returncode == 0 and "Warm shutdown" in log, log
    # The sends in hand finished (the other task, the outbox's look at start, found nothing).
    assert len(re.findall(r"Task ccp_send_sms_code\[\S+\] succeeded in", log)) == 4, log
    assert len(in_hand) == 4
    assert received == Counter(queued.values())
    assert SmsRecord.objects.filter(task_id__in=queued, status="sent").count() == 10
