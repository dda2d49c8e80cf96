import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from tests.helpers import image_code_for, sms_sent_to, unique_mobile
from verifications import constants as vc
from verifications.services import sms_code_digest


def request_sms(client, mobile, image_code_id, image_code):
    return client.get(
        f"/sms_codes/{mobile}/",
        {"image_code": image_code, "image_code_id": image_code_id},
        HTTP_ACCEPT="application/json",
    )


def test_right_captcha_stores_a_six_digit_code_and_the_worker_sends_it(
    client, redis_conn, fake_vendor, celery_worker
):
    mobile = unique_mobile()
    image_code_id, answer = image_code_for(client, redis_conn)

    response = request_sms(client, mobile, image_code_id, answer.lower())  # case-insensitive

    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "发送短信成功"}
    [message] = sms_sent_to(fake_vendor, mobile)
    code, minutes = message["datas"]
    assert len(code) == 6 and code.isdigit() and minutes == "5"
    # Redis keeps an HMAC of the code, never the code itself.
    stored = redis_conn.hgetall(vc.sms_code_key(mobile))
    assert stored == {b"digest": sms_code_digest(mobile, code).encode(), b"tries": b"0"}
    assert code.encode() not in b"".join(stored.values())
    assert 290 <= redis_conn.ttl(vc.sms_code_key(mobile)) <= 300
    assert 50 <= redis_conn.ttl(vc.send_flag_key(mobile)) <= 60
    # Sent from the outbox by the task the request woke: no per-SMS task was needed.
    assert "Task deliver_sms_outbox[" in celery_worker.log()
    assert "Task ccp_send_sms_code[" not in celery_worker.log()


def test_the_captcha_is_deleted_at_its_first_check_even_when_right(client, redis_conn):
    mobile = unique_mobile()
    image_code_id, answer = image_code_for(client, redis_conn)
    assert request_sms(client, mobile, image_code_id, answer).status_code == 200
    assert redis_conn.get(vc.image_code_key(image_code_id)) is None

    redis_conn.delete(vc.send_flag_key(mobile))  # past the 60 s
    again = request_sms(client, mobile, image_code_id, answer)
    assert again.status_code == 400
    assert again.json()["message"] == "图形验证码已失效，请点击图片刷新"


def test_a_wrong_captcha_is_refused_deleted_and_does_not_block_the_mobile(client, redis_conn):
    mobile = unique_mobile()
    image_code_id, answer = image_code_for(client, redis_conn)
    wrong = "2345" if answer != "2345" else "3456"

    response = request_sms(client, mobile, image_code_id, wrong)

    assert response.status_code == 400
    assert response.json()["code"] != 0
    assert response.json()["message"] == "图形验证码输入错误"
    assert redis_conn.get(vc.image_code_key(image_code_id)) is None
    assert not redis_conn.exists(vc.sms_code_key(mobile))
    # The failed attempt gave the mobile its turn back.
    image_code_id, answer = image_code_for(client, redis_conn)
    assert request_sms(client, mobile, image_code_id, answer).status_code == 200


def test_a_second_send_within_60_s_is_refused_and_keeps_the_first_code(client, redis_conn):
    mobile = unique_mobile()
    image_code_id, answer = image_code_for(client, redis_conn)
    assert request_sms(client, mobile, image_code_id, answer).status_code == 200
    first_code = redis_conn.hgetall(vc.sms_code_key(mobile))

    image_code_id, answer = image_code_for(client, redis_conn)
    response = request_sms(client, mobile, image_code_id, answer)

    assert response.status_code == 429
    assert re.fullmatch(r"发送短信过于频繁，请(59|60)秒后再试", response.json()["message"])
    assert response["Retry-After"] in {"59", "60"}
    assert redis_conn.hgetall(vc.sms_code_key(mobile)) == first_code


def test_concurrent_requests_for_one_mobile_send_exactly_one_sms(
    redis_conn, fake_vendor, celery_worker
):
    mobile = unique_mobile()
    clients = [Client() for _ in range(50)]
    captchas = [image_code_for(c, redis_conn) for c in clients]

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(
            pool.map(
                lambda args: request_sms(args[0], mobile, *args[1]).status_code,
                zip(clients, captchas, strict=True),
            )
        )

    assert sorted(statuses) == [200] + [429] * 49
    assert len(sms_sent_to(fake_vendor, mobile)) == 1


@pytest.mark.parametrize(
    ("mobile", "params", "message"),
    [
        (
            "12345678901",
            {"image_code": "ABCD", "image_code_id": str(uuid.uuid4())},
            "请输入正确的手机号码",
        ),
        (
            "1391234567",
            {"image_code": "ABCD", "image_code_id": str(uuid.uuid4())},
            "请输入正确的手机号码",
        ),
        ("13912345678", {"image_code_id": str(uuid.uuid4())}, "请输入图形验证码"),
        ("13912345678", {"image_code": "ABCD"}, "请输入图形验证码"),
        ("13912345678", {"image_code": "ABCD", "image_code_id": "nope"}, "图形验证码标识无效"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(client, redis_conn, mobile, params, message):
    response = client.get(f"/sms_codes/{mobile}/", params)

    assert response.status_code == 400
    assert response.json()["code"] != 0
    assert response.json()["message"] == message
    assert redis_conn.get(vc.send_flag_key(mobile)) is None
    assert not redis_conn.exists(vc.sms_code_key(mobile))
