"""The SMS outbox: a Redis stream the issuing script adds to, taken a batch at a time by
deliver_sms_outbox in a real worker, against the fake vendor; every SMS once."""

import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from celery_tasks.sms import outbox
from celery_tasks.sms.outbox import Outbox
from celery_tasks.sms.tasks import deliver_sms_outbox
from deliveries.models import SmsRecord
from tests.fake_yuntongxun import FakeYuntongxun
from tests.helpers import (
    VENDOR,
    WorkerProcess,
    image_code_for,
    unique_mobile,
    wait_until,
    worker_env,
)
from verifications.services import send_sms_code


@pytest.fixture
def box(settings, redis_conn) -> Iterator[Outbox]:
    """An outbox of its own, read as consumer "a"."""
    settings.SMS_OUTBOX_KEY = f"test-outbox-{uuid.uuid4().hex[:8]}"
    yield Outbox("a", redis_conn)
    redis_conn.delete(outbox.stream_key(), outbox.wake_key())


def add(box: Outbox, count: int, expires_in: float = 300) -> list[outbox.Entry]:
    """`count` SMS as the issuing script adds them (without its wake flag)."""
    entries = [
        outbox.Entry(
            uuid.uuid4().hex, unique_mobile(), "135790", "register", time.time() + expires_in
        )
        for _ in range(count)
    ]
    outbox.add(entries, box.key, box.client)
    return entries


def ids(entries: list[outbox.Entry]) -> list[str]:
    return [entry.task_id for entry in entries]


def test_each_entry_is_taken_once_in_order_and_a_batch_at_a_time(box):
    added = add(box, 5)

    first, second, third = box.take(3), box.take(3), box.take(3)

    assert ids(first) == ids(added[:3]) and ids(second) == ids(added[3:])
    assert third == []
    assert first[0].mobile == added[0].mobile and first[0].code == "135790"
    assert box.pending() == 5  # taken, not yet done


def test_taking_holds_the_wake_flag_and_finding_nothing_drops_it(box, redis_conn):
    add(box, 1)
    box.take()
    assert 0 < redis_conn.pttl(outbox.wake_key()) <= outbox.WAKE_TTL * 1000

    assert box.take() == []

    assert not redis_conn.exists(outbox.wake_key())


def test_done_acknowledges_and_deletes(box, redis_conn):
    add(box, 3)
    taken = box.take()

    box.done(taken)

    assert box.pending() == 0 and redis_conn.xlen(box.key) == 0


def test_what_a_dead_consumer_took_is_handed_out_again_once_stale(box, monkeypatch):
    add(box, 3)
    taken = box.take()  # consumer "a" dies holding them
    other = Outbox("b", box.client)

    assert other.reclaim() == []  # not stale yet
    monkeypatch.setattr(outbox, "RECLAIM_IDLE", 0)
    again = other.reclaim()

    assert ids(again) == ids(taken)
    other.done(again)
    assert box.pending() == 0 and other.reclaim() == []


def test_only_the_request_that_takes_the_wake_flag_wakes_the_worker(
    box, client, redis_conn, monkeypatch
):
    woken = []
    monkeypatch.setattr(deliver_sms_outbox, "apply_async", lambda *a, **k: woken.append(1))

    def ask() -> None:
        image_code_id, answer = image_code_for(client, redis_conn)
        send_sms_code(unique_mobile(), image_code_id, answer, "127.0.0.1")

    ask()
    ask()  # a worker is woken already: the flag is taken
    assert len(woken) == 1 and redis_conn.xlen(box.key) == 2
    box.done(box.take())
    assert box.take() == []  # the worker finds nothing more: the flag is dropped

    ask()

    assert len(woken) == 2


# --- A real worker -----------------------------------------------------------------------


@pytest.fixture
def vendor() -> Iterator[FakeYuntongxun]:
    with FakeYuntongxun(**VENDOR) as fake:
        yield fake


@pytest.fixture
def worker(vendor, box, django_db_setup) -> Iterator[WorkerProcess]:
    """-P threads as production, on a queue and with the outbox of this test."""
    queue = f"outbox-{uuid.uuid4().hex[:8]}"
    env = {**worker_env(vendor), "SMS_OUTBOX_KEY": box.key}
    process = WorkerProcess(env, queue, ("-P", "threads", "-c", "4"), purge=False)
    yield process.start()
    process.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_woken_worker_sends_every_entry_once_and_records_it(box, vendor, worker):
    added = add(box, 150)  # more than one batch
    deliver_sms_outbox.apply_async(queue=worker.queue)
    records = SmsRecord.objects.filter(task_id__in=ids(added))

    assert wait_until(lambda: records.filter(status="sent").count() == 150), worker.log()
    time.sleep(0.3)  # room for a duplicate to show

    assert Counter(m["to"] for m in vendor.messages) == Counter(e.mobile for e in added)
    assert set(records.values_list("attempts", flat=True)) == {1}
    assert all(records.values_list("vendor_message_id", flat=True))
    assert "Task ccp_send_sms_code[" not in worker.log()  # no send needed a task of its own
    assert box.client.xlen(box.key) == 0 and box.pending() == 0
    assert 1 <= vendor.connections <= 16  # kept alive, never one per SMS


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_failed_first_try_is_retried_by_a_task_of_its_own(box, vendor, worker):
    vendor.fail_first(1)  # each message's first try: busy
    added = add(box, 10)
    deliver_sms_outbox.apply_async(queue=worker.queue)
    records = SmsRecord.objects.filter(task_id__in=ids(added))

    assert wait_until(lambda: records.filter(status="sent").count() == 10), worker.log()

    assert set(records.values_list("attempts", flat=True)) == {2}
    assert Counter(m["to"] for m in vendor.messages) == Counter(e.mobile for e in added)
    assert worker.log().count("Task ccp_send_sms_code[") >= 10
    assert box.pending() == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_vendor_refusal_is_recorded_failed_and_not_retried(box, vendor, worker):
    vendor.force_status("160042", "号码格式有误")
    [refused] = add(box, 1)
    deliver_sms_outbox.apply_async(queue=worker.queue)
    record = SmsRecord.objects.filter(task_id=refused.task_id)

    assert wait_until(lambda: record.filter(status="failed").exists()), worker.log()

    assert "160042" in record.get().error and record.get().attempts == 1
    time.sleep(0.5)
    assert vendor.messages == [] and "Task ccp_send_sms_code[" not in worker.log()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_code_dead_in_the_outbox_is_recorded_expired_and_not_sent(box, vendor, worker):
    [dead] = add(box, 1, expires_in=-1)
    [live] = add(box, 1)
    deliver_sms_outbox.apply_async(queue=worker.queue)
    records = SmsRecord.objects.filter(task_id__in=[dead.task_id, live.task_id])

    assert wait_until(lambda: records.exclude(status__in=["queued", "retrying"]).count() == 2)

    assert dict(records.values_list("task_id", "status")) == {
        dead.task_id: "expired",
        live.task_id: "sent",
    }
    assert [m["to"] for m in vendor.messages] == [live.mobile]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_starting_worker_sends_what_waited_in_the_outbox(box, vendor, settings):
    added = add(box, 5)  # no wake-up published: the worker was down
    queue = f"outbox-{uuid.uuid4().hex[:8]}"
    env = {**worker_env(vendor), "SMS_OUTBOX_KEY": box.key}
    process = WorkerProcess(env, queue, ("-P", "threads", "-c", "4"), purge=False).start()
    try:
        assert wait_until(lambda: len(vendor.messages) == 5), process.log()
    finally:
        process.stop()
    assert sorted(m["to"] for m in vendor.messages) == sorted(e.mobile for e in added)
