"""The SMS task in a real worker, against the fake vendor: retries and refusals."""

import logging
import time
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured

from celery_tasks.sms.backends import ConsoleSmsBackend, get_sms_backend
from celery_tasks.sms.tasks import ccp_send_sms_code
from tests.fake_yuntongxun import FakeYuntongxun
from tests.helpers import VENDOR, WorkerProcess, sms_sent_to, unique_mobile, worker_env

QUEUE = "test-sms-failures"


@pytest.fixture(scope="module")
def vendor() -> Iterator[FakeYuntongxun]:
    with FakeYuntongxun(**VENDOR) as fake:
        yield fake


@pytest.fixture(scope="module")
def worker(vendor) -> Iterator[WorkerProcess]:
    """A worker of its own, on its own queue, so forced vendor failures hit only our tasks."""
    process = WorkerProcess(worker_env(vendor), queue=QUEUE)
    process.start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def _fresh_vendor(vendor) -> None:
    vendor.reset()


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


@pytest.mark.slow
def test_a_vendor_refusal_is_final_and_not_retried(vendor, worker):
    mobile = unique_mobile()
    vendor.force_status("160042", "号码格式有误")

    result = ccp_send_sms_code.apply_async((mobile, "135790"), queue=QUEUE)

    assert wait_for_log(worker, f"Task ccp_send_sms_code[{result.id}] raised unexpected")
    assert f"Task ccp_send_sms_code[{result.id}] retry" not in worker.log()
    assert "160042" in worker.log()
    assert vendor.messages == []


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


def test_an_unknown_backend_is_a_clear_configuration_error(settings):
    settings.SMS_BACKEND = "carrier-pigeon"

    with pytest.raises(ImproperlyConfigured, match="console, yuntongxun"):
        get_sms_backend()
