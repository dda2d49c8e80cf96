"""Logs an operator can follow: one request id from the SMS request into the worker's
task and vendor call lines; JSON lines; mobiles masked, codes never written."""

import io
import json
import logging
import re
import time
from collections.abc import Iterator

import pytest

from core.logs import JsonLogFormatter
from tests.helpers import image_code_for, sms_sent_to, unique_mobile


class WebLog:
    """What the site's configured console handler (settings.LOGGING) writes."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def text(self) -> str:
        return self.stream.getvalue()

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text().splitlines() if line.startswith("{")]


def console_handler() -> logging.Handler:
    [handler] = [h for h in logging.getLogger().handlers if h.name == "console"]
    return handler


@pytest.fixture
def web_log(request) -> Iterator[WebLog]:
    """The console handler writing to a buffer; JSON with `@pytest.mark.parametrize`'s
    indirect "json", as under LOG_FORMAT=json (the access line's logger at INFO too)."""
    handler = console_handler()
    access = logging.getLogger("core.access")
    stream = io.StringIO()
    old_stream, old_formatter, old_level = handler.stream, handler.formatter, access.level
    handler.setStream(stream)
    if getattr(request, "param", "json") == "json":
        handler.setFormatter(JsonLogFormatter())
        access.setLevel(logging.INFO)
    yield WebLog(stream)
    handler.setStream(old_stream)
    handler.setFormatter(old_formatter)
    access.setLevel(old_level)


def worker_lines(worker, request_id: str, count: int) -> list[dict]:
    """The worker's JSON lines with this request id, waiting for `count` of them."""
    deadline = time.monotonic() + 10
    while True:
        lines = []
        for line in worker.log().splitlines():
            if line.startswith("{") and request_id in line:
                lines.append(json.loads(line))
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_one_request_id_from_the_sms_request_to_the_vendor_s_answer(
    client, redis_conn, fake_vendor, celery_worker, web_log
):
    request_id = "req-sms-" + unique_mobile()[-8:] + "-trace"
    mobile = unique_mobile()
    image_code_id, answer = image_code_for(client, redis_conn)

    response = client.get(
        f"/sms_codes/{mobile}/",
        {"image_code": answer, "image_code_id": image_code_id},
        HTTP_ACCEPT="application/json",
        HTTP_X_REQUEST_ID=request_id,
    )

    assert response.status_code == 200
    assert response["X-Request-ID"] == request_id
    [message] = sms_sent_to(fake_vendor, mobile)
    code = message["datas"][0]

    # The web: one line for the request, named by its URL pattern, not its path.
    [web_line] = [line for line in web_log.json_lines() if line.get("request_id") == request_id]
    assert web_line["logger"] == "core.access"
    assert web_line["view"] == "verifications:sms_code"
    assert web_line["method"] == "GET" and web_line["status"] == 200
    assert isinstance(web_line["duration_ms"], float)
    assert web_line["client_ip"] == "127.0.0.0"  # masked: the network only
    assert web_line["user_id"] is None

    # The worker: the vendor's answer and the task's end carry the same id.
    lines = worker_lines(celery_worker, request_id, 2)
    by_logger = {line["logger"]: line for line in lines}
    vendor = by_logger["celery_tasks.sms.yuntongxun.ccp_sms"]
    assert vendor["message"].startswith("Yuntongxun accepted SMS to=")
    assert vendor["task_id"]
    task = by_logger["celery_tasks.task"]
    # The run that took it from the outbox, woken by the request; the vendor's line names
    # the SMS by its own id (its SmsRecord's).
    assert task["task"] == "deliver_sms_outbox" and task["state"] == "SUCCESS"
    assert task["task_id"] != vendor["task_id"]

    # Mobiles masked, the code nowhere, in either log.
    masked = f"{mobile[:3]}****{mobile[-4:]}"
    assert masked in vendor["message"]
    worker_text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for text in (web_log.text(), worker_text, celery_worker.log()):
        assert mobile not in text
        assert not re.search(rf"(?<!\d){code}(?!\d)", text)


def test_a_request_without_a_well_formed_id_gets_a_new_one(client, web_log):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id; drop table")
    generated = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    [line] = [line for line in web_log.json_lines() if line.get("view") == "core:healthz"]
    assert line["request_id"] == generated


def test_the_request_line_names_the_logged_in_user(client, django_user_model, web_log):
    user = django_user_model.objects.create_user(
        username="logs_user_1", password="x-Unused-2026", mobile="13800138111"
    )
    client.force_login(user)
    assert client.get("/info/", HTTP_ACCEPT="application/json").status_code == 200
    [line] = [line for line in web_log.json_lines() if line.get("view") == "users:info"]
    assert line["user_id"] == user.pk


@pytest.mark.parametrize("web_log", ["plain", "json"], indirect=True)
def test_django_s_bad_request_warning_masks_the_mobile_in_the_path(client, web_log):
    response = client.get("/sms_codes/13912345678/", {"image_code": "x" * 10000})
    assert response.status_code == 400

    text = web_log.text()
    assert "/sms_codes/139****5678/" in text, text
    assert "13912345678" not in text
