"""The SMS task in a real worker, against the fake vendor: retries, refusals, expiry,
idempotency, and the record each message leaves for the operator."""

import logging
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from celery_tasks.main import celery_app
from celery_tasks.sms import tasks
from celery_tasks.sms.backends import ConsoleSmsBackend, YuntongxunSmsBackend, get_sms_backend
from celery_tasks.sms.tasks import ccp_send_sms_code
from deliveries.models import SmsRecord
from deliveries.records import mobile_digest
from tests.fake_yuntongxun import FakeYuntongxun
from tests.helpers import VENDOR, WorkerProcess, sms_sent_to, unique_mobile, worker_env

QUEUE = "test-sms-failures"


@pytest.fixture(scope="module")
def vendor() -> Iterator[FakeYuntongxun]:
    with FakeYuntongxun(**VENDOR) as fake:
        yield fake


@pytest.fixture(scope="module")
def worker(vendor, django_db_setup) -> Iterator[WorkerProcess]:
    """A worker of its own, on its own queue, so forced vendor failures hit only our tasks."""
    process = WorkerProcess(worker_env(vendor), queue=QUEUE)
    process.start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def _fresh_vendor(vendor) -> None:
    vendor.reset()


def record_of(task_id: str, until: tuple[str, ...], timeout: float = 30.0) -> SmsRecord:
    """The task's record once its status is one of `until`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = SmsRecord.objects.filter(task_id=task_id).first()
        if record is not None and record.status in until:
            return record
        time.sleep(0.1)
    raise AssertionError(f"record of {task_id}: {record and record.status}, wanted {until}")


def wait_for_log(worker: WorkerProcess, text: str, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in worker.log():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_a_vendor_outage_is_retried_with_backoff_until_the_sms_is_sent(vendor, worker):
    mobile = unique_mobile()
    vendor.force_http_error(500)
    vendor.force_http_error(503)

    result = ccp_send_sms_code.apply_async((mobile, "246810"), queue=QUEUE)

    sent = sms_sent_to(vendor, mobile, timeout=30)
    assert [m["datas"] for m in sent] == [["246810", "5"]]
    assert wait_for_log(worker, f"Task ccp_send_sms_code[{result.id}] retry")
    record = record_of(result.id, until=("sent",))
    assert record.attempts == 3
    assert record.vendor_message_id == sent[0]["smsMessageSid"]
    assert record.mobile == f"{mobile[:3]}****{mobile[-4:]}"
    assert record.mobile_digest == mobile_digest(mobile)
    assert record.purpose == "register" and record.sent_at is not None and record.error == ""


@pytest.mark.slow
def test_a_vendor_refusal_is_final_and_not_retried(vendor, worker):
    mobile = unique_mobile()
    vendor.force_status("160042", "号码格式有误")

    result = ccp_send_sms_code.apply_async((mobile, "135790"), queue=QUEUE)

    assert wait_for_log(worker, f"Task ccp_send_sms_code[{result.id}] raised unexpected")
    assert f"Task ccp_send_sms_code[{result.id}] retry" not in worker.log()
    assert "160042" in worker.log()
    assert vendor.messages == []
    record = record_of(result.id, until=("failed",))
    assert record.attempts == 1 and "160042" in record.error


@pytest.mark.slow
def test_a_message_delivered_twice_sends_one_sms(vendor, worker):
    mobile = unique_mobile()
    task_id = str(uuid.uuid4())
    first = ccp_send_sms_code.apply_async((mobile, "777888"), queue=QUEUE, task_id=task_id)
    assert wait_for_log(worker, f"Task ccp_send_sms_code[{first.id}] succeeded")

    # What a broker does after a crash between the send and the acknowledgement.
    ccp_send_sms_code.apply_async((mobile, "777888"), queue=QUEUE, task_id=task_id)
    assert wait_for_log(worker, f"SMS {task_id} already sent, not sent again")

    assert len([m for m in vendor.messages if m["to"] == mobile]) == 1
    assert record_of(task_id, until=("sent",)).attempts == 1


@pytest.mark.slow
def test_retries_stop_when_the_code_would_be_dead_and_the_record_says_expired(vendor, worker):
    for _ in range(20):
        vendor.force_http_error(503)
    mobile = unique_mobile()
    expires = timezone.now() + timedelta(seconds=4)

    result = ccp_send_sms_code.apply_async((mobile, "999000"), queue=QUEUE, expires=expires)

    record = record_of(result.id, until=("expired",))
    assert 2 <= record.attempts <= 4  # 1 s, 2 s of backoff fit in 4 s; 4 s more would not
    assert "HTTP 503" in record.error
    assert vendor.messages == []


@pytest.mark.slow
def test_a_message_that_expired_in_the_queue_is_recorded_unsent(vendor, worker):
    mobile = unique_mobile()
    expired = timezone.now() - timedelta(seconds=1)

    result = ccp_send_sms_code.apply_async((mobile, "121212"), queue=QUEUE, expires=expired)

    record = record_of(result.id, until=("expired",))
    assert record.attempts == 0 and record.mobile_digest == mobile_digest(mobile)
    assert record.error == "验证码在队列中过期，未发送"
    assert vendor.messages == []


def test_retry_countdowns_grow_jittered_and_stay_under_the_cap():
    for retries in range(12):
        ceiling = min(tasks.RETRY_BACKOFF_MAX, tasks.RETRY_BACKOFF_BASE * 2**retries)
        waits = {tasks.retry_countdown(retries) for _ in range(50)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(waits) > 1


def test_a_retried_message_is_never_handed_out_twice_by_redis():
    # Redis hands an unacknowledged message out again after the visibility timeout; a
    # retried message sits unacknowledged for its countdown and then runs.
    conf = celery_app.conf
    longest_hold = tasks.RETRY_BACKOFF_MAX + conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > longest_hold
    # ...and a killed worker's messages come back well within the code's lifetime.
    restore = conf.broker_transport_options["unacked_restore_interval"]
    assert conf.broker_transport_options["visibility_timeout"] + restore < 300 / 2
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert tasks.claim_lease().total_seconds() > conf.task_time_limit


@pytest.mark.slow
def test_the_worker_log_never_shows_the_auth_token(vendor, worker):
    # The worker talks to the vendor first (one SMS accepted, one refused), so the
    # log checked below holds real exchanges, whichever tests ran before.
    accepted = ccp_send_sms_code.apply_async((unique_mobile(), "112233"), queue=QUEUE)
    assert wait_for_log(worker, f"Task ccp_send_sms_code[{accepted.id}] succeeded")
    vendor.force_status("160042", "号码格式有误")
    refused = ccp_send_sms_code.apply_async((unique_mobile(), "445566"), queue=QUEUE)
    assert wait_for_log(worker, f"Task ccp_send_sms_code[{refused.id}] raised unexpected")

    log = worker.log()
    assert "Yuntongxun accepted SMS" in log and "Yuntongxun refused SMS" in log
    assert VENDOR["auth_token"] not in log
    assert "sig=" not in log.lower()


def test_console_backend_logs_mobile_and_code(caplog):
    with caplog.at_level(logging.INFO):
        ConsoleSmsBackend().send_verification_code("13912345678", "654321", 5)

    assert "13912345678" in caplog.text and "654321" in caplog.text


def test_the_console_backend_is_the_default(settings):
    assert isinstance(get_sms_backend(), ConsoleSmsBackend)


def test_the_backend_is_built_once_then_again_when_its_settings_change(settings):
    # One per process: its vendor client keeps connections alive between sends.
    assert get_sms_backend() is get_sms_backend()

    settings.SMS_BACKEND = "yuntongxun"
    settings.YUNTONGXUN_ACCOUNT_SID, settings.YUNTONGXUN_APP_ID = "sid", "app"
    settings.YUNTONGXUN_AUTH_TOKEN = "token"
    backend = get_sms_backend()
    settings.YUNTONGXUN_BASE_URL = "http://127.0.0.1:9"

    assert isinstance(backend, YuntongxunSmsBackend)
    assert get_sms_backend() is not backend
    assert get_sms_backend().client.base_url == "http://127.0.0.1:9"


def test_an_unknown_backend_is_a_clear_configuration_error(settings):
    settings.SMS_BACKEND = "carrier-pigeon"

    with pytest.raises(ImproperlyConfigured, match="console, yuntongxun"):
        get_sms_backend()
