"""The Yuntongxun client against the fake vendor on 127.0.0.1 (no real network, no DB)."""

import base64
import hashlib
import logging
import re
import socket
import traceback
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured

from celery_tasks.sms.errors import SmsSendError, SmsTemporaryError
from celery_tasks.sms.yuntongxun.ccp_sms import CCP
from tests.fake_yuntongxun import FakeYuntongxun

SID = "8aaf0708fakeaccountsid000000001"
TOKEN = "f00dfeedc0ffee5ecret70ken0000042"
APP_ID = "8aaf0708fakeappid00000000000002"
TEMPLATE_ID = "1"
MOBILE = "13812345678"
# An upper-case 32-hex string is what a signature looks like (smsMessageSid is lower case).
SIGNATURE_SHAPE = re.compile(r"[0-9A-F]{32}")


@pytest.fixture
def fake() -> Iterator[FakeYuntongxun]:
    with FakeYuntongxun(SID, TOKEN, APP_ID) as server:
        yield server


def make_client(fake: FakeYuntongxun, token: str = TOKEN, timeout: float = 2.0) -> CCP:
    return CCP(SID, token, APP_ID, base_url=fake.base_url, timeout=timeout)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sms_code_is_sent_with_exactly_the_vendor_body(fake: FakeYuntongxun) -> None:
    reply = make_client(fake).send_sms_code(MOBILE, "123456", 5, TEMPLATE_ID)

    assert reply["statusCode"] == "000000"
    message_sid = reply["templateSMS"]["smsMessageSid"]
    assert message_sid
    assert fake.wait_for(1, timeout=2) == [
        {
            "to": MOBILE,
            "datas": ["123456", "5"],
            "templateId": TEMPLATE_ID,
            "appId": APP_ID,
            "smsMessageSid": message_sid,
        }
    ]


def test_one_client_keeps_its_connection_alive_from_send_to_send(fake: FakeYuntongxun) -> None:
    client = make_client(fake)

    for code in ("111111", "222222", "333333"):
        client.send_sms_code(MOBILE, code, 5, TEMPLATE_ID)

    assert len(fake.messages) == 3
    assert fake.connections == 1


def test_success_is_logged_with_masked_mobile_and_message_sid(
    fake: FakeYuntongxun, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="celery_tasks.sms.yuntongxun.ccp_sms")

    reply = make_client(fake).send_sms_code(MOBILE, "123456", 5, TEMPLATE_ID)

    assert "138****5678" in caplog.text
    assert MOBILE not in caplog.text
    assert "123456" not in caplog.text  # the code itself is a secret too
    assert reply["templateSMS"]["smsMessageSid"] in caplog.text


def test_wrong_token_is_rejected_by_the_signature_check(fake: FakeYuntongxun) -> None:
    client = make_client(fake, token="0" * 32)

    with pytest.raises(SmsSendError) as excinfo:
        client.send_sms_code(MOBILE, "123456", 5, TEMPLATE_ID)

    assert excinfo.value.status_code == "111109"
    assert not isinstance(excinfo.value, SmsTemporaryError)
    assert fake.messages == []


def test_vendor_error_status_is_a_permanent_error_with_its_code(fake: FakeYuntongxun) -> None:
    fake.force_status("160038", "SMS verification code sent too often")

    with pytest.raises(SmsSendError) as excinfo:
        make_client(fake).send_sms_code(MOBILE, "123456", 5, TEMPLATE_ID)

    assert type(excinfo.value) is SmsSendError
    assert excinfo.value.status_code == "160038"
    assert "160038" in str(excinfo.value)


def test_http_500_is_a_temporary_error(fake: FakeYuntongxun) -> None:
    fake.force_http_error(500)

    with pytest.raises(SmsTemporaryError) as excinfo:
        make_client(fake).send_sms_code(MOBILE, "123456", 5, TEMPLATE_ID)

    assert excinfo.value.status_code is None


def test_reply_slower_than_the_timeout_is_a_temporary_error(fake: FakeYuntongxun) -> None:
    fake.set_delay(3)

    with pytest.raises(SmsTemporaryError):
        make_client(fake, timeout=0.3).send_sms_code(MOBILE, "123456", 5, TEMPLATE_ID)


def test_connection_refused_is_a_temporary_error() -> None:
    client = CCP(SID, TOKEN, APP_ID, base_url=f"http://127.0.0.1:{closed_port()}", timeout=2)

    with pytest.raises(SmsTemporaryError):
        client.send_sms_code(MOBILE, "123456", 5, TEMPLATE_ID)


def test_token_and_signature_never_reach_logs_or_exception_text(
    fake: FakeYuntongxun, caplog: pytest.LogCaptureFixture
) -> None:
    # DEBUG for every logger: urllib3 prints request URLs, which carry the signature.
    caplog.set_level(logging.DEBUG)
    client = make_client(fake)
    errors: list[SmsSendError] = []

    client.send_sms_code(MOBILE, "123456", 5, TEMPLATE_ID)
    fake.force_status("160032", "template invalid")
    fake.force_http_error(500)
    for _ in range(2):
        with pytest.raises(SmsSendError) as excinfo:
            client.send_sms_code(MOBILE, "123456", 5, TEMPLATE_ID)
        errors.append(excinfo.value)
    refused = CCP(SID, TOKEN, APP_ID, base_url=f"http://127.0.0.1:{closed_port()}", timeout=2)
    with pytest.raises(SmsTemporaryError) as excinfo:
        refused.send_sms_code(MOBILE, "123456", 5, TEMPLATE_ID)
    errors.append(excinfo.value)

    assert "sig=" in caplog.text  # urllib3 did log the URL, so the check below means something
    # Full tracebacks too: a chained requests exception would print the signed URL.
    tracebacks = ["".join(traceback.format_exception(e)) for e in errors]
    texts = [caplog.text, *(str(e) for e in errors), *tracebacks, repr(client)]
    for text in texts:
        assert TOKEN not in text
        assert not SIGNATURE_SHAPE.search(text), text


def test_fake_rejects_a_correctly_signed_but_stale_timestamp(fake: FakeYuntongxun) -> None:
    # Built by hand from the protocol, so this also checks the fake, not just the client.
    stale = datetime.now(tz=ZoneInfo("Asia/Shanghai")) - timedelta(minutes=10)
    timestamp = stale.strftime("%Y%m%d%H%M%S")
    sig = hashlib.md5((SID + TOKEN + timestamp).encode(), usedforsecurity=False).hexdigest()
    response = requests.post(
        f"{fake.base_url}/2013-12-26/Accounts/{SID}/SMS/TemplateSMS",
        params={"sig": sig.upper()},
        headers={
            "Accept": "application/json",
            "Content-Type": "application/json;charset=utf-8",
            "Authorization": base64.b64encode(f"{SID}:{timestamp}".encode()).decode(),
        },
        json={"to": MOBILE, "appId": APP_ID, "templateId": TEMPLATE_ID, "datas": ["1", "5"]},
        timeout=2,
    )

    assert response.status_code == 200
    assert response.json()["statusCode"] == "111106"
    assert fake.messages == []


def test_from_settings_without_account_sid_is_improperly_configured(settings) -> None:
    settings.YUNTONGXUN_ACCOUNT_SID = ""
    settings.YUNTONGXUN_AUTH_TOKEN = TOKEN
    settings.YUNTONGXUN_APP_ID = APP_ID

    with pytest.raises(ImproperlyConfigured, match="YUNTONGXUN_ACCOUNT_SID"):
        CCP.from_settings()


def test_from_settings_client_sends_through_the_configured_base_url(
    settings, fake: FakeYuntongxun
) -> None:
    settings.YUNTONGXUN_ACCOUNT_SID = SID
    settings.YUNTONGXUN_AUTH_TOKEN = TOKEN
    settings.YUNTONGXUN_APP_ID = APP_ID
    settings.YUNTONGXUN_BASE_URL = fake.base_url
    settings.YUNTONGXUN_TIMEOUT = 2

    CCP.from_settings().send_sms_code(MOBILE, "654321", 5, TEMPLATE_ID)

    assert fake.wait_for(1, timeout=2)[0]["datas"] == ["654321", "5"]
