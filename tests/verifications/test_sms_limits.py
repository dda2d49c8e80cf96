"""SMS bombing, from the attacker's side: every SMS costs money."""

import time

import pytest
from django.test import Client

from tests.helpers import image_code_for, unique_mobile
from verifications import constants as vc


def send(client: Client, redis_conn, mobile: str, **extra):
    image_code_id, answer = image_code_for(client, redis_conn)
    return client.get(
        f"/sms_codes/{mobile}/", {"image_code": answer, "image_code_id": image_code_id}, **extra
    )


def past_the_60_s(redis_conn, mobile: str) -> None:
    """What a minute's wait does: the per-mobile send flag expires."""
    redis_conn.delete(vc.send_flag_key(mobile))


def send_spaced(client: Client, redis_conn, mobile: str, times: int) -> None:
    """`times` SMS to one mobile, each after the 60 s, all accepted."""
    for _ in range(times):
        assert send(client, redis_conn, mobile).status_code == 200
        past_the_60_s(redis_conn, mobile)


def test_a_mobile_gets_at_most_5_sms_an_hour(client, redis_conn):
    mobile = unique_mobile()
    send_spaced(client, redis_conn, mobile, 5)

    refused = send(client, redis_conn, mobile)

    assert refused.status_code == 429
    assert refused.json()["message"] == "短信发送次数已达上限，请1小时后再试"
    assert 3500 <= int(refused["Retry-After"]) <= 3600


def test_a_mobile_gets_at_most_10_sms_a_day(client, redis_conn, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_sms": "100/1h/mobile,10/1d/mobile"}
    mobile = unique_mobile()
    send_spaced(client, redis_conn, mobile, 10)

    refused = send(client, redis_conn, mobile)

    assert refused.status_code == 429
    assert refused.json()["message"] == "短信发送次数已达上限，请24小时后再试"


def test_one_ip_gets_at_most_20_sms_an_hour_whatever_the_mobiles(client, redis_conn):
    for _ in range(20):
        assert send(client, redis_conn, unique_mobile()).status_code == 200

    assert send(client, redis_conn, unique_mobile()).status_code == 429
    # Another client is not held back by the first one's limit.
    other = Client(REMOTE_ADDR="10.0.0.7")
    assert send(other, redis_conn, unique_mobile()).status_code == 200


def test_x_forwarded_for_is_not_trusted_by_default(client, redis_conn):
    for i in range(20):
        spoofed = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i}"}
        assert send(client, redis_conn, unique_mobile(), **spoofed).status_code == 200

    spoofed = {"HTTP_X_FORWARDED_FOR": "198.51.100.99"}
    assert send(client, redis_conn, unique_mobile(), **spoofed).status_code == 429


def test_with_one_trusted_proxy_the_address_it_saw_is_the_client(client, redis_conn, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(20):
        # The client wrote the first entry itself; the proxy appended the real one.
        headers = {"HTTP_X_FORWARDED_FOR": f"1.2.3.{_}, 198.51.100.1"}
        assert send(client, redis_conn, unique_mobile(), **headers).status_code == 200

    same_client = {"HTTP_X_FORWARDED_FOR": "9.9.9.9, 198.51.100.1"}
    assert send(client, redis_conn, unique_mobile(), **same_client).status_code == 429
    other_client = {"HTTP_X_FORWARDED_FOR": "198.51.100.2"}
    assert send(client, redis_conn, unique_mobile(), **other_client).status_code == 200


def test_a_refused_send_does_not_count_against_the_limits(client, redis_conn):
    mobile = unique_mobile()
    for _ in range(10):
        image_code_id, answer = image_code_for(client, redis_conn)
        wrong = "2345" if answer != "2345" else "3456"
        client.get(f"/sms_codes/{mobile}/", {"image_code": wrong, "image_code_id": image_code_id})

    assert send(client, redis_conn, mobile).status_code == 200


@pytest.mark.slow
def test_the_limits_recover_after_their_window(client, redis_conn, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_sms": "2/2s/ip"}
    assert send(client, redis_conn, unique_mobile()).status_code == 200
    assert send(client, redis_conn, unique_mobile()).status_code == 200
    assert send(client, redis_conn, unique_mobile()).status_code == 429

    time.sleep(2.1)

    assert send(client, redis_conn, unique_mobile()).status_code == 200


@pytest.mark.parametrize("limit", ["", "0/1h/ip"])
def test_an_empty_limit_turns_it_off_and_zero_refuses_all(client, redis_conn, settings, limit):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_sms": limit}

    status = send(client, redis_conn, unique_mobile()).status_code

    assert status == (200 if limit == "" else 429)
