"""A code has a purpose: register (the default), login, reset_password, change_mobile.
Who may get one, and that one purpose's code never serves another."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from deliveries.models import SmsRecord
from deliveries.records import mobile_digest
from tests.helpers import PASSWORD, sms_sent_to, unique_mobile
from tests.verifications.codes import WRONG, ask_code
from verifications import constants as vc
from verifications.services import SmsCodeCheck, check_sms_code

pytestmark = pytest.mark.django_db
User = get_user_model()
ACCOUNT_PURPOSES = ["login", "reset_password"]


@pytest.fixture
def shopper(db):
    return User.objects.create_user(
        username="shopper_77", password=PASSWORD, mobile=unique_mobile()
    )


def no_trace(redis_conn, mobile: str) -> bool:
    """Nothing was issued: no code for any purpose, and the 60 s flag was given back."""
    keys = [vc.sms_code_key(mobile, purpose) for purpose in vc.SmsPurpose]
    return not redis_conn.exists(vc.send_flag_key(mobile), *keys)


def sent_records(mobile: str):
    return SmsRecord.objects.filter(mobile_digest=mobile_digest(mobile))


# --- Each purpose, end to end: the code reaches the (fake) vendor, recorded with its purpose


@pytest.mark.django_db(transaction=True)  # the worker writes its records beside the test
@pytest.mark.parametrize("purpose", ["login", "reset_password", "change_mobile"])
def test_each_purpose_sends_its_code_through_the_worker_and_records_the_purpose(
    client, redis_conn, fake_vendor, celery_worker, shopper, purpose
):
    mobile = shopper.mobile
    if purpose == "change_mobile":
        client.force_login(shopper)
        mobile = unique_mobile()  # a new number nobody has

    response = ask_code(client, redis_conn, mobile, purpose)

    assert response.status_code == 200, response.json()
    assert response.json() == {"code": 0, "message": "发送短信成功"}
    [message] = sms_sent_to(fake_vendor, mobile)
    code = message["datas"][0]
    # Kept under its purpose only: the register key stays empty.
    assert redis_conn.exists(vc.sms_code_key(mobile, purpose))
    assert not redis_conn.exists(vc.sms_code_key(mobile))
    assert check_sms_code(mobile, code, purpose) is SmsCodeCheck.MATCH
    [record] = sent_records(mobile)
    assert record.purpose == purpose


def test_no_purpose_is_registration_with_the_notes_key(client, redis_conn):
    mobile = unique_mobile()

    assert ask_code(client, redis_conn, mobile, None).status_code == 200
    assert redis_conn.exists(f"sms_{mobile}")


@pytest.mark.parametrize("purpose", ["LOGIN", "admin", " login", "register_x"])
def test_an_unknown_purpose_is_refused_before_the_captcha_is_spent(client, redis_conn, purpose):
    mobile = unique_mobile()

    response = ask_code(client, redis_conn, mobile, purpose)

    assert response.status_code == 400
    assert response.json() == {"code": 5006, "message": "短信验证码用途无效", "field": "purpose"}
    assert no_trace(redis_conn, mobile)


# --- A code works only for its own purpose


@pytest.mark.parametrize("issued", list(vc.SmsPurpose))
@pytest.mark.parametrize("checked", list(vc.SmsPurpose))
def test_a_code_matches_only_for_the_purpose_it_was_issued_for(redis_conn, issued, checked):
    from tests.verifications.codes import store_purpose_code

    mobile = unique_mobile()
    store_purpose_code(redis_conn, mobile, issued, "424242")

    result = check_sms_code(mobile, "424242", checked)

    assert result is (SmsCodeCheck.MATCH if issued == checked else SmsCodeCheck.EXPIRED)


# --- login / reset_password: only to an active account, told only after a right captcha


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("purpose", ACCOUNT_PURPOSES)
def test_no_sms_to_a_mobile_without_an_account_and_the_captcha_is_spent(
    client, redis_conn, fake_vendor, celery_worker, purpose
):
    mobile = unique_mobile()

    response = ask_code(client, redis_conn, mobile, purpose)

    assert response.status_code == 400
    assert response.json() == {"code": 4007, "message": "手机号未注册", "field": "mobile"}
    assert no_trace(redis_conn, mobile)
    assert sms_sent_to(fake_vendor, mobile, timeout=1.5) == []
    assert not sent_records(mobile).exists()
    # The refusal cost nothing but the captcha: the mobile may register at once.
    assert ask_code(client, redis_conn, mobile, "register").status_code == 200


@pytest.mark.parametrize("purpose", ACCOUNT_PURPOSES)
def test_without_a_right_captcha_nothing_tells_whether_an_account_exists(
    client, redis_conn, shopper, purpose
):
    answers = {}
    for mobile in (shopper.mobile, unique_mobile()):
        wrong = ask_code(client, redis_conn, mobile, purpose, answer=WRONG)
        missing = client.get(
            f"/sms_codes/{mobile}/",
            {"image_code": "ABCD", "image_code_id": "5b3efb25-f1e3-482f-b8c9-507e72e315a3"},
            HTTP_ACCEPT="application/json",
        )
        answers[mobile] = [(r.status_code, r.json()) for r in (wrong, missing)]
        assert no_trace(redis_conn, mobile)

    known, unknown = answers.values()
    assert known == unknown
    assert [body["code"] for _, body in known] == [4001, 4001]


def test_an_inactive_account_gets_no_login_code(client, redis_conn, shopper):
    shopper.is_active = False
    shopper.save()

    response = ask_code(client, redis_conn, shopper.mobile, "login")

    assert response.status_code == 400 and response.json()["message"] == "手机号未注册"
    assert no_trace(redis_conn, shopper.mobile)


# --- change_mobile: a login, and a number nobody has


@pytest.mark.parametrize("mobile", ["13912340000", "123"])
def test_a_visitor_gets_401_for_a_change_mobile_code(client, redis_conn, mobile):
    response = ask_code(client, redis_conn, mobile, "change_mobile")

    assert response.status_code == 401
    assert response.json() == {"code": 4101, "message": "用户未登录"}
    assert no_trace(redis_conn, mobile)


def test_no_change_mobile_code_to_a_number_someone_has(client, redis_conn, shopper):
    other = User.objects.create_user(
        username="other_777", password=PASSWORD, mobile=unique_mobile()
    )
    client.force_login(shopper)

    for taken in (other.mobile, shopper.mobile):
        wrong = ask_code(client, redis_conn, taken, "change_mobile", answer=WRONG)
        assert wrong.json()["code"] == 4001  # the captcha first
        response = ask_code(client, redis_conn, taken, "change_mobile")
        assert response.status_code == 400
        assert response.json() == {"code": 4007, "message": "手机号已注册", "field": "mobile"}
        assert no_trace(redis_conn, taken)


# --- One 60 s and one set of limits per mobile, whatever the purposes


def test_one_sms_per_mobile_per_60_s_across_purposes(client, redis_conn, shopper):
    mobile = shopper.mobile
    assert ask_code(client, redis_conn, mobile, "register").status_code == 200

    for purpose in ("login", "reset_password"):
        refused = ask_code(client, redis_conn, mobile, purpose)
        assert refused.status_code == 429
        assert refused.json()["message"].startswith("发送短信过于频繁")
        assert not redis_conn.exists(vc.sms_code_key(mobile, purpose))


def test_the_hourly_limit_counts_every_purpose(client, redis_conn, shopper):
    mobile = shopper.mobile
    for purpose in ["register", "login", "reset_password", "login", "register"]:
        assert ask_code(client, redis_conn, mobile, purpose).status_code == 200
        redis_conn.delete(vc.send_flag_key(mobile))  # past the 60 s

    refused = ask_code(client, redis_conn, mobile, "reset_password")

    assert refused.status_code == 429
    assert refused.json()["message"] == "短信发送次数已达上限，请1小时后再试"


def test_the_ip_limit_counts_every_purpose(client, redis_conn, shopper, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_sms": "2/1h/ip"}
    client.force_login(shopper)
    assert ask_code(client, redis_conn, unique_mobile(), "register").status_code == 200
    assert ask_code(client, redis_conn, unique_mobile(), "change_mobile").status_code == 200

    refused = ask_code(client, redis_conn, shopper.mobile, "login")

    assert refused.status_code == 429
    # Another client is not held back.
    assert (
        ask_code(Client(REMOTE_ADDR="10.0.0.9"), redis_conn, shopper.mobile, "login").status_code
        == 200
    )
